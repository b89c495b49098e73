// SPDX-License-Identifier: MIT
// NAME
//   cmd_setup_config - rcptdb postfix-config and dovecot-config
// DESCRIPTION
//   Print the Postfix main.cf settings and the Dovecot conf.d snippet for
//   this setup (setup_config.h). Postfix's part needs no database: it only
//   names rcptdb-server. Dovecot's part reads the recipient delimiter from
//   the database, because Dovecot's own recipient_delimiter must equal it
//   (what Dovecot strips before its userdb lookup must be what Postfix's
//   answers assumed); the database path Dovecot is told defaults to the
//   one rcptdb itself uses, made absolute, since Dovecot does not run in
//   the admin's directory. Dovecot 2.3 and 2.4 are configured differently:
//   --dovecot-version chooses, else the series of the `dovecot` installed
//   here (`dovecot --version`), else an error that asks for the option.
// SEE ALSO
//   setup_config.h, commands.h, rcptdb(1) "Configuration"
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <system_error>

#include "commands.h"
#include "setup_config.h"

namespace rcptdb::admin {
namespace {

// Reads the options both commands share into setup.
Outcome ReadCommonOptions(const Cli& cli, MailSetup& setup) {
  if (cli.json) return Outcome::Usage("--json does not apply: the output is a configuration file");
  if (std::optional<std::string> lmtp = cli.Value("lmtp")) {
    Result<HostPort> hp = ParseHostPort("lmtp", *lmtp);
    if (!hp.ok()) return hp.status();
    setup.lmtp = *hp;
  }
  return Outcome();
}

// Returns the database path Dovecot is to open: --database, else --db.
Result<std::string> DovecotDatabase(const Cli& cli) {
  std::string path = cli.Value("database").value_or(cli.db_path);
  // The examples it renders are the SQLite ones; PostgreSQL's passdb and
  // userdb have their own files, which name roles and hosts to choose.
  if (IsPostgresSpec(path))
    return Status::Invalid(
        "dovecot-config writes the SQLite settings only; for PostgreSQL set "
        "rcptdb_database to the URI and use sql/dovecot-pgsql.conf.ext (Dovecot 2.3) or "
        "sql/dovecot-pgsql-2.4.conf.ext (2.4), see rcptdb-plugin(7)");
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec || path.empty())
    return Status::Invalid("--database " + path + ": cannot make it absolute: " + ec.message());
  std::string normal = absolute.lexically_normal().string();
  Status s = CheckConfigPath("database", normal);
  if (!s.ok()) return s;
  return normal;
}

// Returns the first line `dovecot --version` prints, or nullopt if there
// is no dovecot to ask. The command is fixed: nothing from the user
// reaches the shell.
std::optional<std::string> InstalledDovecotVersion() {
  std::FILE* p = ::popen("PATH=\"$PATH:/usr/sbin:/sbin\" dovecot --version 2>/dev/null", "r");
  if (p == nullptr) return std::nullopt;
  char line[128] = "";
  bool got = std::fgets(line, sizeof line, p) != nullptr;
  int status = ::pclose(p);
  if (!got || status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return std::string(line);
}

// The Dovecot series to configure: --dovecot-version, else the installed one.
Result<DovecotSeries> DovecotSeriesFor(const Cli& cli) {
  if (std::optional<std::string> v = cli.Value("dovecot-version"))
    return ParseDovecotVersion("dovecot-version", *v);
  std::optional<std::string> installed = InstalledDovecotVersion();
  if (!installed)
    return Status::Invalid(
        "no dovecot found to ask its version: name it with --dovecot-version 2.3|2.4");
  return ParseDovecotVersion("dovecot-version", *installed);
}

}  // namespace

Outcome PostfixConfig(Cli& cli) {
  MailSetup setup;
  setup.verify = cli.Has("verify");
  if (Outcome o = ReadCommonOptions(cli, setup); !o.ok()) return o;
  if (std::optional<std::string> server = cli.Value("server")) {
    Result<SocketmapServer> parsed = ParseSocketmapServer("server", *server);
    if (!parsed.ok()) return parsed.status();
    setup.server = *parsed;
  }
  if (std::optional<std::string> queue = cli.Value("queue-directory")) {
    Status s = CheckConfigPath("queue-directory", *queue);
    if (!s.ok()) return s;
    setup.server.queue_directory = *queue;
  }
  if (std::optional<std::string> path = cli.Value("header-checks")) {
    Status s = CheckConfigPath("header-checks", *path);
    if (!s.ok()) return s;
    setup.header_checks = *path;
  }
  if (std::optional<std::string> policy = cli.Value("policy")) {
    Result<HostPort> hp = ParseHostPort("policy", *policy);
    if (!hp.ok()) return hp.status();
    setup.policy = *hp;
  }
  Result<std::string> text = RenderPostfixConfig(setup);
  if (!text.ok()) return text.status();
  Print(*text);
  return Outcome();
}

Outcome DovecotConfig(Cli& cli) {
  MailSetup setup;
  if (Outcome o = ReadCommonOptions(cli, setup); !o.ok()) return o;
  if (std::optional<std::string> qs = cli.Value("quota-status")) {
    Result<HostPort> hp = ParseHostPort("quota-status", *qs);
    if (!hp.ok()) return hp.status();
    setup.quota_status = *hp;
  }
  Result<DovecotSeries> series = DovecotSeriesFor(cli);
  if (!series.ok()) return series.status();
  setup.dovecot = *series;
  Result<std::string> database = DovecotDatabase(cli);
  if (!database.ok()) return database.status();
  setup.database = *database;
  // The delimiter comes from the database rcptdb opens (--db), which is
  // the one Dovecot will read unless --database names a copy elsewhere.
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::string> delimiter = (*store)->GetSetting("delimiter");
  if (!delimiter.ok()) return delimiter.status();
  setup.delimiter = *delimiter;
  Result<std::string> text = RenderDovecotConfig(setup);
  if (!text.ok()) return text.status();
  Print(*text);
  return Outcome();
}

}  // namespace rcptdb::admin
