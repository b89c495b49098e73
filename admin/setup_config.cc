// SPDX-License-Identifier: MIT
// NAME
//   setup_config - Postfix and Dovecot settings for one rcptdb setup
// DESCRIPTION
//   The example files come from config_examples.inc, which make generates
//   from doc/examples/ and sql/dovecot-sql.conf.ext (Makefile.am, admin
//   section): one {file name, raw string} entry per file. Rendering drops
//   an example's own opening comment (it describes the example, not this
//   setup) and puts a header in its place that says what the text is and
//   where it goes; then each documented placeholder is replaced by the
//   setup's value. Files that belong elsewhere (the header_checks table,
//   dovecot-sql.conf.ext) follow as "#| " comment lines, so that the
//   output stays one valid main.cf or conf.d file and the extra file is
//   one sed command away.
// SEE ALSO
//   setup_config.h, cmd_setup_config.cc, doc/examples/, rcptdb(1)
#include "setup_config.h"

#include <charconv>
#include <filesystem>

namespace rcptdb::admin {
namespace {

struct ExampleFile {
  std::string_view name;
  std::string_view text;
};

constexpr ExampleFile kExamples[] = {
#include "config_examples.inc"
};

// The values the examples are written with.
// Each socketmap map of the Postfix examples, up to the map's name.
constexpr std::string_view kExampleMapPrefix = "socketmap:unix:rcptdb/socketmap:";
constexpr std::string_view kExampleLmtp = "lmtp:inet:127.0.0.1:24";
constexpr std::string_view kExampleDatabase = "/var/lib/rcptdb/rcptdb.sqlite";
constexpr std::string_view kExampleHeaderChecks = "/etc/postfix/rcptdb-header-checks.regexp";
constexpr std::string_view kDovecotSqlPath = "/etc/dovecot/dovecot-sql.conf.ext";
constexpr std::string_view kExamplePolicy = "127.0.0.1:10028";
constexpr std::string_view kExampleQuotaStatus = "    address = 127.0.0.1\n    port = 10029\n";

Result<std::string> Example(std::string_view name) {
  for (const ExampleFile& e : kExamples)
    if (e.name == name) return std::string(e.text);
  return Status::Invalid("internal error: example " + std::string(name) + " is not built in");
}

// Replaces every from in text by to. An example without from has changed
// under this file: refuse rather than print the example's value.
Status ReplaceAll(std::string& text, std::string_view example, std::string_view from,
                  std::string_view to) {
  std::size_t pos = text.find(from);
  if (pos == std::string::npos)
    return Status::Invalid("internal error: example " + std::string(example) +
                           " no longer holds \"" + std::string(from) + "\"");
  for (; pos != std::string::npos; pos = text.find(from, pos + to.size()))
    text.replace(pos, from.size(), to);
  return Status::Ok();
}

// Drops the example's opening comment block and the blank lines after it.
std::string WithoutOpeningComment(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size() && text[pos] == '#') {
    std::size_t end = text.find('\n', pos);
    pos = end == std::string_view::npos ? text.size() : end + 1;
  }
  while (pos < text.size() && text[pos] == '\n') ++pos;
  return std::string(text.substr(pos));
}

// Returns text as "#| " lines ("#|" for an empty one), under a heading
// that says where to install it.
std::string FileAsComment(std::string_view path, std::string_view what, std::string_view text) {
  std::string out = "\n# ---- " + std::string(path) + " ----\n# " + std::string(what) +
                    " Install the lines below\n"
                    "# without their leading \"#| \", e.g. by piping this output through\n"
                    "#   sed -n 's/^#| \\{0,1\\}//p' > " +
                    std::string(path) + "\n";
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    out += line.empty() ? "#|\n" : "#| " + std::string(line) + "\n";
    pos = end + 1;
  }
  return out;
}

// Returns value as Dovecot reads it back: quoted if it holds a character
// that would end or change an unquoted value.
std::string DovecotValue(std::string_view value) {
  if (value.find_first_of("# \t\"\\") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool IsPortNumber(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return !s.empty() && s.size() <= 5 && s[0] != '0' && ec == std::errc() &&
         end == s.data() + s.size() && value >= 1 && value <= 65535;
}

bool AllOf(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && extra.find(c) == std::string_view::npos) return false;
  }
  return !s.empty();
}

Result<std::string> PostfixHeaderChecks(const MailSetup& setup) {
  Result<std::string> table = Example("postfix-header-checks.regexp");
  if (!table.ok()) return table;
  Status s =
      ReplaceAll(*table, "postfix-header-checks.regexp", kExampleHeaderChecks, setup.header_checks);
  if (!s.ok()) return s;
  return FileAsComment(setup.header_checks, "The header_checks table named above.", *table);
}

Result<std::string> DovecotSql(const MailSetup& setup) {
  Result<std::string> sql = Example("dovecot-sql.conf.ext");
  if (!sql.ok()) return sql;
  Status s = ReplaceAll(*sql, "dovecot-sql.conf.ext",
                        "\nconnect = " + std::string(kExampleDatabase) + "\n",
                        "\nconnect = " + setup.database + "\n");
  if (!s.ok()) return s;
  return FileAsComment(kDovecotSqlPath, "The passdb and userdb above read this file.", *sql);
}

// Puts postfix-policy.cf's recipient restrictions (with the policy
// check) in place of the main example's.
Status WithQuotaPolicy(const MailSetup& setup, std::string_view name, std::string& body) {
  constexpr std::string_view kQuota = "postfix-policy.cf";
  Result<std::string> quota = Example(kQuota);
  if (!quota.ok()) return quota.status();
  std::string restrictions = WithoutOpeningComment(*quota);
  Status s = ReplaceAll(restrictions, kQuota, kExampleMapPrefix, setup.server.MapPrefix());
  if (s.ok()) s = ReplaceAll(restrictions, kQuota, kExamplePolicy, setup.policy->str());
  std::size_t start = body.find("smtpd_recipient_restrictions =\n");
  std::size_t end =
      start == std::string::npos ? start : body.find("\n", body.find(":access", start));
  if (s.ok() && end == std::string::npos)
    s = Status::Invalid("internal error: example " + std::string(name) +
                        " no longer holds smtpd_recipient_restrictions with the access map");
  if (!s.ok()) return s;
  body.replace(start, end + 1 - start, restrictions);
  return Status::Ok();
}

// The opening comment of postfix-config's output: what it is, where it goes.
std::string PostfixHead(const MailSetup& setup, std::string_view example) {
  const SocketmapServer& server = setup.server;
  std::string h = "# rcptdb's part of Postfix's main.cf, printed by `rcptdb postfix-config`\n";
  h += "# from doc/examples/" + std::string(example);
  if (setup.verify)
    h += " (recipients verified\n"
         "# by probing Dovecot's LMTP instead of rcptdb-server's recipients map)";
  h += ".\n# Add it to main.cf, install the header_checks table at the end, then\n";
  h += "# run `postfix reload`. rcptdb-server answers socketmap on ";
  if (server.unix_path.empty()) {
    h += server.inet.str() + "\n# (rcptdb.conf: socketmap = " + server.Listener() + ").";
  } else {
    h += "the unix socket\n# " + server.unix_path + " (rcptdb.conf: socketmap =\n# " +
         server.Listener() + ", unix_socket_group = postfix,\n";
    h += "# unix_socket_mode = 0660).\n";
    if (server.QueueRelativePath().empty()) {
      h += "# Each map goes through proxymap(8): smtpd, cleanup and trivial-rewrite,\n";
      h += "# chrooted in Debian's master.cf, cannot reach the socket themselves.";
    } else {
      h += "# The socket is in Postfix's queue directory, where every Postfix daemon\n";
      h += "# runs, chrooted or not, so each map names it by its relative path and\n";
      h += "# reaches it directly, without proxymap(8).\n";
      h += "# postmap -q finds it only from " + server.queue_directory + " (cd there first).";
    }
  }
  h += "\n# Route each domain to Dovecot's LMTP with:\n";
  h += "#   rcptdb domain add DOMAIN --transport lmtp:inet:" + setup.lmtp.str() + "\n\n";
  return h;
}

// The opening comment of dovecot-config's output.
std::string DovecotHead(const MailSetup& setup, std::string_view example) {
  bool v24 = setup.dovecot == DovecotSeries::k24;
  std::string h = "# Dovecot " + std::string(v24 ? "2.4" : "2.3") +
                  "'s side of rcptdb, printed by `rcptdb dovecot-config` from\n";
  h += "# doc/examples/" + std::string(example) + ". Install it as\n";
  if (v24) {
    h += "# /etc/dovecot/conf.d/90-rcptdb.conf.\n";
  } else {
    h += "# /etc/dovecot/conf.d/90-rcptdb.conf, and the file at the end as\n";
    h += "# " + std::string(kDovecotSqlPath) + ".\n";
  }
  h += "# Database " + setup.database + "; its recipient delimiter set is ";
  h += setup.delimiter.empty() ? "empty (no +detail)" : "\"" + setup.delimiter + "\"";
  return h + ".\n\n";
}

}  // namespace

std::string HostPort::str() const {
  return (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + port;
}

Result<HostPort> ParseHostPort(std::string_view option, std::string_view text) {
  auto bad = [option, text] {
    return Status::Invalid("--" + std::string(option) + " " + std::string(text) +
                           ": not HOST:PORT (e.g. 127.0.0.1:10027 or [::1]:10027)");
  };
  std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || !IsPortNumber(text.substr(colon + 1))) return bad();
  std::string_view host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (!AllOf(host, ":.") || host.find(':') == std::string_view::npos) return bad();
  } else if (!AllOf(host, ".-") || host.size() > 253) {
    return bad();
  }
  return HostPort{std::string(host), std::string(text.substr(colon + 1))};
}

std::string SocketmapServer::QueueRelativePath() const {
  if (unix_path.empty()) return "";
  // Lexically only: the path need not exist where the command runs.
  std::filesystem::path relative =
      std::filesystem::path(unix_path).lexically_normal().lexically_relative(
          std::filesystem::path(queue_directory).lexically_normal());
  // Not below it: nothing in common, the directory itself, or "../...".
  if (relative.empty() || relative == "." || *relative.begin() == "..") return "";
  return relative.string();
}

std::string SocketmapServer::MapPrefix() const {
  if (unix_path.empty()) return "socketmap:inet:" + inet.str() + ":";
  std::string relative = QueueRelativePath();
  if (!relative.empty()) return "socketmap:unix:" + relative + ":";
  return "proxy:socketmap:unix:" + unix_path + ":";
}

std::string SocketmapServer::Listener() const {
  return unix_path.empty() ? inet.str() : "unix:" + unix_path;
}

Result<SocketmapServer> ParseSocketmapServer(std::string_view option, std::string_view text) {
  constexpr std::string_view kUnix = "unix:";
  SocketmapServer server;
  if (text.starts_with(kUnix)) {
    std::string_view path = text.substr(kUnix.size());
    Status s = CheckConfigPath(option, path);
    if (!s.ok()) return s;
    // sockaddr_un's sun_path holds 108 bytes with the terminating NUL.
    if (path.size() > 107)
      return Status::Invalid("--" + std::string(option) + " " + std::string(text) +
                             ": too long for a unix socket (at most 107 bytes)");
    server.unix_path = std::string(path);
    return server;
  }
  Result<HostPort> inet = ParseHostPort(option, text);
  if (!inet.ok())
    return Status::Invalid(
        "--" + std::string(option) + " " + std::string(text) +
        ": not unix:PATH or HOST:PORT (e.g. unix:/var/spool/postfix/rcptdb/socketmap "
        "or 127.0.0.1:10027)");
  server.unix_path.clear();
  server.inet = *inet;
  return server;
}

Status CheckConfigPath(std::string_view option, std::string_view path) {
  if (path.empty() || path.front() != '/' || !AllOf(path, "/._-+=@~:"))
    return Status::Invalid("--" + std::string(option) + " " + std::string(path) +
                           ": must be an absolute path of letters, digits and /._-+=@~: "
                           "(Postfix and Dovecot would misread anything else)");
  return Status::Ok();
}

Result<std::string> RenderPostfixConfig(const MailSetup& setup) {
  std::string_view name = setup.verify ? "postfix-main-verify.cf" : "postfix-main.cf";
  Result<std::string> example = Example(name);
  if (!example.ok()) return example;
  std::string body = WithoutOpeningComment(*example);
  Status s = ReplaceAll(body, name, kExampleMapPrefix, setup.server.MapPrefix());
  if (s.ok()) s = ReplaceAll(body, name, kExampleHeaderChecks, setup.header_checks);
  if (!s.ok()) return s;
  if (setup.policy) s = WithQuotaPolicy(setup, name, body);
  if (!s.ok()) return s;
  Result<std::string> table = PostfixHeaderChecks(setup);
  if (!table.ok()) return table;
  return PostfixHead(setup, name) + body + *table;
}

Result<DovecotSeries> ParseDovecotVersion(std::string_view option, std::string_view text) {
  std::string_view version = text.substr(0, text.find_first_of(" \n"));
  for (auto [prefix, series] :
       {std::pair{"2.3", DovecotSeries::k23}, {"2.4", DovecotSeries::k24}}) {
    std::string_view p = prefix;
    if (version == p ||
        (version.starts_with(p) && version.size() > p.size() && version[p.size()] == '.'))
      return series;
  }
  return Status::Invalid("--" + std::string(option) + " " + std::string(text) +
                         ": not a Dovecot version rcptdb knows (2.3 or 2.4)");
}

Result<std::string> RenderDovecotConfig(const MailSetup& setup) {
  bool v24 = setup.dovecot == DovecotSeries::k24;
  std::string_view kName = v24 ? "dovecot-2.4-rcptdb.conf" : "dovecot-rcptdb.conf";
  Result<std::string> example = Example(kName);
  if (!example.ok()) return example;
  std::string body = WithoutOpeningComment(*example);
  std::string delimiter = DovecotValue(setup.delimiter);
  Status s = ReplaceAll(body, kName, kExampleLmtp, "lmtp:inet:" + setup.lmtp.str());
  if (s.ok())
    s = ReplaceAll(body, kName, v24 ? "listen = 127.0.0.1\n" : "address = 127.0.0.1\n",
                   (v24 ? "listen = " : "address = ") + setup.lmtp.host + "\n");
  if (s.ok()) s = ReplaceAll(body, kName, "port = 24\n", "port = " + setup.lmtp.port + "\n");
  if (s.ok()) s = ReplaceAll(body, kName, kExampleDatabase, setup.database);
  if (s.ok())
    s = ReplaceAll(body, kName, "\nrecipient_delimiter = +\n",
                   "\nrecipient_delimiter =" + (delimiter.empty() ? "" : " " + delimiter) + "\n");
  if (!s.ok()) return s;
  // dovecot-quota.conf is written in 2.3's quota syntax, which 2.4 replaced.
  if (v24 && setup.quota_status)
    return Status::Invalid("--quota-status: the quota example is for Dovecot 2.3 only");
  if (v24) return DovecotHead(setup, kName) + body;
  if (setup.quota_status) {
    constexpr std::string_view kQuota = "dovecot-quota.conf";
    Result<std::string> quota = Example(kQuota);
    if (!quota.ok()) return quota;
    std::string text = WithoutOpeningComment(*quota);
    s = ReplaceAll(text, kQuota, kExampleQuotaStatus,
                   "    address = " + setup.quota_status->host +
                       "\n    port = " + setup.quota_status->port + "\n");
    if (!s.ok()) return s;
    body +=
        "\n# Quota and quota-status for rcptdb-server's policy service\n"
        "# (doc/examples/dovecot-quota.conf).\n" +
        text;
  }
  Result<std::string> sql = DovecotSql(setup);
  if (!sql.ok()) return sql;
  return DovecotHead(setup, kName) + body + *sql;
}

}  // namespace rcptdb::admin
