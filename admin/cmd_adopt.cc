// SPDX-License-Identifier: MIT
// NAME
//   cmd_adopt - rcptdb adopt postfix: take over an existing Postfix setup
// SYNOPSIS
//   rcptdb adopt postfix [--config-dir DIR] [--dovecot-passwd FILE]...
//                        [--dry-run] [--force-partial]
// DESCRIPTION
//   Asks Postfix itself what its configuration says (postconf -c DIR -h
//   -x, so $name references are expanded exactly as Postfix expands
//   them), reads every table those parameters name through its source
//   text, reads the Dovecot passwd-files, and hands the result to
//   PlanFromPostfix() (adopt_plan.h). The indexed files are never opened:
//   their source is what the admin edits, and a source newer than its
//   index (postmap not run since) is refused, because Postfix still
//   answers from the index.
//
//   Nothing runs through a shell: postconf is started with posix_spawnp
//   and an argument vector, and its output is bounded.
// SEE ALSO
//   adopt_map_text.h, adopt_passwd.h, adopt_plan.h, adopt_run.h,
//   rcptdb(1) ADOPTING AN EXISTING INSTALLATION
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "adopt_map_text.h"
#include "adopt_passwd.h"
#include "adopt_plan.h"
#include "adopt_run.h"
#include "commands.h"

extern char** environ;

namespace rcptdb::admin {
namespace {

// The parameters adopt reads, domain lists first.
constexpr std::string_view kDomainLists[] = {"relay_domains", "virtual_mailbox_domains",
                                             "virtual_alias_domains"};
constexpr std::string_view kMaps[] = {"transport_maps", "virtual_alias_maps",
                                      "virtual_mailbox_maps", "relay_recipient_maps",
                                      "smtpd_sender_login_maps"};
constexpr std::size_t kMaxPostconfOutput = 1 << 20;

// Runs argv (no shell); returns its standard output. Invalid with its
// standard error if it fails or says "fatal:".
Result<std::string> RunCapture(const std::vector<std::string>& argv) {
  int out[2], err[2];
  if (pipe(out) != 0) return Status::Io("pipe: " + std::string(std::strerror(errno)));
  if (pipe(err) != 0) {
    close(out[0]);
    close(out[1]);
    return Status::Io("pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  posix_spawn_file_actions_addclose(&fa, err[0]);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    return Status::Invalid(argv[0] + ": cannot run: " + std::strerror(rc));
  }
  // postconf's output is small; read stdout, then stderr (bounded both).
  std::string text, errors;
  char buf[8192];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0)
    if (text.size() < kMaxPostconfOutput) text.append(buf, static_cast<std::size_t>(n));
  while ((n = read(err[0], buf, sizeof buf)) > 0)
    if (errors.size() < 4096) errors.append(buf, static_cast<std::size_t>(n));
  close(out[0]);
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (text.size() >= kMaxPostconfOutput) return Status::Invalid(argv[0] + ": output too long");
  while (!errors.empty() && errors.back() == '\n') errors.pop_back();
  // Warnings (an unused parameter, a missing master.cf) do not change a
  // value; a fatal error or a failed exit does.
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || errors.find("fatal:") != std::string::npos)
    return Status::Invalid(argv[0] + " " + argv.back() + ": " +
                           (errors.empty() ? "failed" : errors));
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Reads Postfix's configuration in config_dir.
class SiteReader {
 public:
  explicit SiteReader(std::string config_dir) : dir_(std::move(config_dir)) {}
  Result<PostfixSite> Read(const std::vector<std::string>& passwd_files);

 private:
  Result<std::string> Postconf(std::string_view param) {
    return RunCapture({"postconf", "-c", dir_, "-h", "-x", std::string(param)});
  }
  void Unreadable(const std::string& where, const std::string& why) {
    site_.unreadable.push_back({where, why});
  }
  void ReadParam(std::string_view param, bool domain_list);
  void ReadTable(const std::string& param, const TableSpec& t, std::vector<SiteEntry>& out);
  void ReadWordFile(const std::string& param, const std::string& path, std::vector<SiteEntry>& out);
  void ReadPasswd(const std::string& path);

  std::string dir_;
  PostfixSite site_;
  Status failed_;
};

void SiteReader::ReadWordFile(const std::string& param, const std::string& path,
                              std::vector<SiteEntry>& out) {
  Result<std::string> text = ReadSourceFile(path, kMaxSourceFile);
  if (!text.ok()) return Unreadable(param, text.status().message());
  std::size_t number = 0;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    ++number;
    if (std::size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    for (const std::string& w : SplitAddressList(line)) {
      std::string lower = w;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back({lower, "", param + " " + path + " line " + std::to_string(number)});
    }
  }
}

void SiteReader::ReadTable(const std::string& param, const TableSpec& t,
                           std::vector<SiteEntry>& out) {
  std::string where = param + " " + t.text;
  if (t.type == "inline") {
    Result<std::vector<MapEntry>> entries = ParseInlineTable(t.name);
    if (!entries.ok()) return Unreadable(where, entries.status().message());
    for (MapEntry& e : *entries) out.push_back({e.key, e.value, where});
    return;
  }
  if (t.type == "static")
    return Unreadable(where,
                      "a static: table answers every key the same; rcptdb answers per "
                      "address");
  if (!IsFileTableType(t.type))
    return Unreadable(where, "a " + t.type +
                                 ": table cannot be adopted (rcptdb reads no "
                                 "patterns, SQL, LDAP or lookup servers: only hash, btree, lmdb, "
                                 "cdb, texthash and inline tables)");
  const std::string& source = t.name;
  if (t.type != "texthash") {
    // Postfix answers from the index; a newer source is not what it says.
    const char* suffix = t.type == "hash" || t.type == "btree" ? ".db"
                         : t.type == "lmdb"                    ? ".lmdb"
                         : t.type == "cdb"                     ? ".cdb"
                         : t.type == "dbm" || t.type == "sdbm" ? ".pag"
                                                               : "";
    struct stat src, idx;
    if (stat(source.c_str(), &src) == 0 && stat((source + suffix).c_str(), &idx) == 0 &&
        src.st_mtim.tv_sec > idx.st_mtim.tv_sec)
      return Unreadable(where, source + " is newer than " + source + suffix +
                                   ": Postfix still answers from the old index (run postmap, "
                                   "then adopt)");
  }
  Result<std::string> text = ReadSourceFile(source, kMaxSourceFile);
  if (!text.ok()) return Unreadable(where, text.status().message());
  MapText parsed = ParseMapSource(*text);
  for (const MapProblem& p : parsed.problems)
    Unreadable(param + " " + source + " line " + std::to_string(p.line), p.why);
  for (MapEntry& e : parsed.entries)
    out.push_back({std::move(e.key), std::move(e.value),
                   param + " " + source + " line " + std::to_string(e.line)});
}

void SiteReader::ReadParam(std::string_view param_view, bool domain_list) {
  std::string param(param_view);
  Result<std::string> value = Postconf(param);
  if (!value.ok()) {
    if (failed_.ok()) failed_ = value.status();
    return;
  }
  Result<std::vector<TableSpec>> specs = SplitTableList(*value);
  if (!specs.ok()) return Unreadable(param, specs.status().message());
  std::vector<SiteEntry>& out = site_.params[param];
  for (const TableSpec& t : *specs) {
    if (!t.type.empty()) {
      ReadTable(param, t, out);
    } else if (!domain_list) {
      Unreadable(param, t.text + ": not a table");
    } else if (t.name.starts_with("/")) {
      ReadWordFile(param, t.name, out);
    } else {
      std::string lower = t.name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.push_back({lower, "", param});
    }
  }
}

void SiteReader::ReadPasswd(const std::string& path) {
  Result<std::string> text = ReadSourceFile(path, kMaxSourceFile);
  if (!text.ok()) return Unreadable("--dovecot-passwd", text.status().message());
  std::size_t number = 0;
  std::string_view rest = *text;
  while (!rest.empty()) {
    std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    std::string where = path + " line " + std::to_string(++number);
    Result<std::optional<PasswdUser>> u = ParsePasswdLine(line);
    if (!u.ok()) {
      Unreadable(where, u.status().message());
      continue;
    }
    if (*u) site_.users.push_back({std::move(**u), where});
  }
}

Result<PostfixSite> SiteReader::Read(const std::vector<std::string>& passwd_files) {
  for (std::string_view p : kDomainLists) ReadParam(p, true);
  for (std::string_view p : kMaps) ReadParam(p, false);
  Result<std::string> delimiter = Postconf("recipient_delimiter");
  Result<std::string> virtual_transport = Postconf("virtual_transport");
  if (!failed_.ok()) return failed_;
  if (!delimiter.ok()) return delimiter.status();
  if (!virtual_transport.ok()) return virtual_transport.status();
  site_.recipient_delimiter = *delimiter;
  site_.virtual_transport = *virtual_transport;
  for (const std::string& f : passwd_files) ReadPasswd(f);
  return std::move(site_);
}

}  // namespace

Outcome AdoptPostfix(Cli& cli) {
  std::string dir = cli.Value("config-dir").value_or("/etc/postfix");
  struct stat st;
  if (stat((dir + "/main.cf").c_str(), &st) != 0)
    return Status::Invalid(dir + "/main.cf: " + std::strerror(errno));
  Result<PostfixSite> site = SiteReader(dir).Read(cli.arguments.Values("dovecot-passwd"));
  if (!site.ok()) return site.status();
  return RunAdoptPlan(cli, PlanFromPostfix(*site));
}

}  // namespace rcptdb::admin
