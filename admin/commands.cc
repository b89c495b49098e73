// SPDX-License-Identifier: MIT
// NAME
//   commands - rcptdb's command table and dispatcher
// DESCRIPTION
//   The table is the single list of what rcptdb accepts; usage text and
//   command-line checks are both derived from it, so they cannot drift.
//   Dispatch: global options (--db, --json, --help, --version) first, then
//   the command words, then argument count and options per command. Only
//   then does the command run; its Outcome becomes one line on stderr and
//   the exit status.
// SEE ALSO
//   commands.h, argument_list.h, rcptdb(1)
#include "commands.h"

#include <cstdio>
#include <limits>
#include <vector>

namespace rcptdb::admin {
namespace {

constexpr std::size_t kMany = std::numeric_limits<std::size_t>::max();

// The tables below read better in columns than clang-format would make them.
// clang-format off
constexpr OptionSpec kOptions[] = {
    {"db", true},          {"json", false},           {"help", false},
    {"version", false},    {"kind", true},            {"transport", true},
    {"nexthop", true},     {"target", true},          {"no-transport", false},
    {"password-stdin", false}, {"password-hash", true}, {"no-password", false},
    {"quota", true},       {"format", true},          {"force", false},
    {"server", true},      {"lmtp", true},            {"database", true},
    {"header-checks", true}, {"verify", false},
    {"policy", true},      {"quota-status", true},    {"size", true},
    {"dovecot-version", true},
    {"role", true},        {"domain", true, true},    {"read-only", false},
    {"expires", true},     {"from", true, true},      {"actor", true},
    {"since", true},
    {"config-dir", true},  {"dovecot-passwd", true, true}, {"dry-run", false},
    {"force-partial", false}, {"postfix-config", true},  {"postfixadmin", true},
    {"accept", true, true}, {"keep", false}, {"once", false},
    {"description", true}, {"queue-directory", true},
};

// clang-format on

// Options every command accepts.
constexpr std::string_view kGlobalOptions[] = {"db", "json", "help"};

struct Command {
  std::string_view group;
  std::string_view verb;  // empty: the group alone is the command
  std::string_view synopsis;
  std::size_t min_args;
  std::size_t max_args;
  std::vector<std::string_view> options;
  Outcome (*run)(Cli&);
};

// clang-format off
const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"init", "", "", 0, 0, {}, Init},
      {"migrate", "", "", 0, 0, {}, Migrate},
      {"domain", "add",
       "DOMAIN [--kind hosted|relay|alias] [--transport T | --nexthop N] [--target DOMAIN]", 1, 1,
       {"kind", "transport", "nexthop", "target"}, DomainAdd},
      {"domain", "del", "DOMAIN [--force]", 1, 1, {"force"}, DomainDel},
      {"domain", "show", "DOMAIN", 1, 1, {}, DomainShow},
      {"domain", "enable", "DOMAIN", 1, 1, {}, DomainEnable},
      {"domain", "disable", "DOMAIN", 1, 1, {}, DomainDisable},
      {"domain", "list", "", 0, 0, {}, DomainList},
      {"domain", "set", "DOMAIN --transport T | --nexthop N | --no-transport", 1, 1,
       {"transport", "nexthop", "no-transport"}, DomainSet},
      {"mailbox", "add",
       "ADDRESS [--password-stdin | --password-hash HASH | --no-password] [--quota BYTES] "
       "[--transport T] [--description TEXT]",
       1, 1,
       {"password-stdin", "password-hash", "no-password", "quota", "transport", "description"},
       MailboxAdd},
      {"mailbox", "del", "ADDRESS", 1, 1, {}, MailboxDel},
      {"mailbox", "show", "ADDRESS", 1, 1, {}, MailboxShow},
      {"mailbox", "enable", "ADDRESS", 1, 1, {}, MailboxEnable},
      {"mailbox", "disable", "ADDRESS", 1, 1, {}, MailboxDisable},
      {"mailbox", "list", "[DOMAIN]", 0, 1, {}, MailboxList},
      {"mailbox", "passwd",
       "ADDRESS [--password-stdin | --password-hash HASH | --no-password]", 1, 1,
       {"password-stdin", "password-hash", "no-password"}, MailboxPasswd},
      {"mailbox", "quota", "ADDRESS BYTES", 2, 2, {}, MailboxQuota},
      {"mailbox", "set",
       "ADDRESS [--transport T | --no-transport] [--quota BYTES] [--description TEXT]", 1, 1,
       {"transport", "no-transport", "quota", "description"}, MailboxSet},
      {"alias", "add", "SOURCE TARGET...", 2, kMany, {}, AliasAdd},
      {"alias", "del", "SOURCE [TARGET]", 1, 2, {}, AliasDel},
      {"alias", "list", "[DOMAIN]", 0, 1, {}, AliasList},
      {"alias", "enable", "SOURCE", 1, 1, {}, AliasEnable},
      {"alias", "disable", "SOURCE", 1, 1, {}, AliasDisable},
      {"catchall", "set", "DOMAIN TARGET", 2, 2, {}, CatchallSet},
      {"catchall", "unset", "DOMAIN", 1, 1, {}, CatchallUnset},
      {"relay-recipient", "add", "ADDRESS", 1, 1, {}, RelayRecipientAdd},
      {"relay-recipient", "del", "ADDRESS", 1, 1, {}, RelayRecipientDel},
      {"relay-recipient", "list", "[DOMAIN]", 0, 1, {}, RelayRecipientList},
      {"sender", "allow", "ADDRESS LOGIN", 2, 2, {}, SenderAllow},
      {"sender", "deny", "ADDRESS LOGIN", 2, 2, {}, SenderDeny},
      {"sender", "del", "ADDRESS LOGIN", 2, 2, {}, SenderDel},
      {"sender", "list", "", 0, 0, {}, SenderList},
      {"admin", "add",
       "LOGIN [--role server|domain] [--domain D]... "
       "[--password-stdin | --password-hash HASH | --no-password]",
       1, 1, {"role", "domain", "password-stdin", "password-hash", "no-password"}, AdminAdd},
      {"admin", "del", "LOGIN", 1, 1, {}, AdminDel},
      {"admin", "list", "", 0, 0, {}, AdminList},
      {"admin", "passwd", "LOGIN [--password-stdin | --password-hash HASH | --no-password]", 1, 1,
       {"password-stdin", "password-hash", "no-password"}, AdminPasswd},
      {"admin", "enable", "LOGIN", 1, 1, {}, AdminEnable},
      {"admin", "disable", "LOGIN", 1, 1, {}, AdminDisable},
      {"token", "create",
       "LOGIN [--domain D]... [--read-only] [--expires DAYS] [--from CIDR]...", 1, 1,
       {"domain", "read-only", "expires", "from"}, TokenCreate},
      {"token", "list", "[LOGIN]", 0, 1, {}, TokenList},
      {"token", "revoke", "PREFIX", 1, 1, {}, TokenRevoke},
      {"audit", "", "[--domain D] [--actor A] [--since TIME]", 0, 0,
       {"domain", "actor", "since"}, AuditList},
      {"config", "set", "NAME VALUE", 2, 2, {}, ConfigSet},
      {"config", "get", "NAME", 1, 1, {}, ConfigGet},
      {"config", "list", "", 0, 0, {}, ConfigList},
      {"check", "", "ADDRESS [--size N] [--policy ADDR:PORT|unix:PATH]", 1, 1,
       {"size", "policy"}, Check},
      {"import", "", "FILE|- [--format csv|json]", 1, 1, {"format"}, Import},
      {"export", "", "[--format csv|json]", 0, 0, {"format"}, Export},
      {"backup", "", "DEST", 1, 1, {}, Backup},
      {"adopt", "postfix",
       "[--config-dir DIR] [--dovecot-passwd FILE]... [--dry-run] [--force-partial]", 0, 0,
       {"config-dir", "dovecot-passwd", "dry-run", "force-partial"}, AdoptPostfix},
      {"adopt", "postfixadmin", "URI [--transport T] [--dry-run] [--force-partial]", 1, 1,
       {"transport", "dry-run", "force-partial"}, AdoptPostfixAdmin},
      {"compare", "",
       "--postfix-config DIR [--postfixadmin URI] [--accept RULE]... [--keep]", 0, 0,
       {"postfix-config", "postfixadmin", "accept", "keep"}, Compare},
      {"postfix-config", "",
       "[--server unix:PATH|ADDR:PORT] [--queue-directory DIR] [--lmtp ADDR:PORT] "
       "[--header-checks PATH] [--verify] [--policy ADDR:PORT]", 0, 0,
       {"server", "queue-directory", "lmtp", "header-checks", "verify", "policy"}, PostfixConfig},
      {"dovecot-config", "",
       "[--database PATH] [--lmtp ADDR:PORT] [--quota-status ADDR:PORT] "
       "[--dovecot-version 2.3|2.4]", 0, 0,
       {"database", "lmtp", "quota-status", "dovecot-version"}, DovecotConfig},
      {"top", "", "ADDR:PORT|unix:PATH|http://URL... [--once]", 1, kMany, {"once"}, Top},
  };
  return kCommands;
}
// clang-format on

std::string Words(const Command& c) {
  return c.verb.empty() ? std::string(c.group) : std::string(c.group) + " " + std::string(c.verb);
}

std::string UsageLine(const Command& c) {
  std::string line = "usage: rcptdb [--db PATH] [--json] " + Words(c);
  if (!c.synopsis.empty()) line += " " + std::string(c.synopsis);
  return line;
}

// Prints the usage of every command whose group is group (all if empty).
void PrintUsage(std::FILE* to, std::string_view group) {
  if (group.empty())
    std::fputs(
        "usage: rcptdb [--db PATH] [--json] COMMAND ARGS...\n"
        "Provision the rcptdb recipient database. Commands:\n",
        to);
  else
    std::fprintf(to, "usage: rcptdb [--db PATH] [--json] %s COMMAND ARGS...\n",
                 std::string(group).c_str());
  for (const Command& c : Commands())
    if (group.empty() || c.group == group)
      std::fprintf(to, "  rcptdb %s%s%s\n", Words(c).c_str(), c.synopsis.empty() ? "" : " ",
                   std::string(c.synopsis).c_str());
  if (group.empty())
    std::fputs(
        "Database: --db PATH, else $RCPTDB_DB, else /var/lib/rcptdb/rcptdb.sqlite.\n"
        "See rcptdb(1).\n",
        to);
}

// Finds the command named by words; sets *used to the words it took.
const Command* FindCommand(const std::vector<std::string>& words, std::size_t* used) {
  for (const Command& c : Commands()) {
    if (words.empty() || c.group != words[0]) continue;
    if (c.verb.empty()) {
      *used = 1;
      return &c;
    }
    if (words.size() > 1 && c.verb == words[1]) {
      *used = 2;
      return &c;
    }
  }
  return nullptr;
}

bool IsGroup(std::string_view word) {
  for (const Command& c : Commands())
    if (c.group == word) return true;
  return false;
}

// Checks argument count and options against the table.
Outcome CheckShape(const Command& c, const Cli& cli) {
  if (cli.args.size() < c.min_args) return Outcome::Usage("missing argument");
  if (cli.args.size() > c.max_args)
    return Outcome::Usage("unexpected argument " + cli.args[c.max_args]);
  for (const auto& [name, value] : cli.arguments.options) {
    bool allowed = false;
    for (std::string_view g : kGlobalOptions) allowed = allowed || g == name;
    for (std::string_view o : c.options) allowed = allowed || o == name;
    if (!allowed) return Outcome::Usage("option --" + name + " does not apply here");
  }
  return Outcome();
}

// Prints why name failed, and its usage line if the command line was wrong.
int Report(const Outcome& o, const std::string& name, const Command* c) {
  if (o.ok()) return 0;
  std::fprintf(stderr, "rcptdb: %s%s%s\n", name.c_str(), name.empty() ? "" : ": ",
               o.message().c_str());
  if (o.usage()) {
    if (c != nullptr)
      std::fprintf(stderr, "%s\n", UsageLine(*c).c_str());
    else
      PrintUsage(stderr, name);
  }
  return o.ExitCode();
}

// Selects and runs the command; returns its exit status.
int Dispatch(ArgumentList line) {
  std::size_t used = 0;
  const Command* c = FindCommand(line.words, &used);
  if (c == nullptr) {
    const std::string& first = line.words[0];
    if (!IsGroup(first)) return Report(Outcome::Usage("unknown command " + first), "", nullptr);
    std::string why =
        line.words.size() > 1 ? "unknown command " + line.words[1] : "missing command";
    return Report(Outcome::Usage(why), first, nullptr);
  }
  Cli cli;
  cli.name = Words(*c);
  cli.args.assign(line.words.begin() + static_cast<std::ptrdiff_t>(used), line.words.end());
  cli.json = line.Has("json");
  cli.db_path = DatabasePath(line.Value("db").value_or(""));
  cli.arguments = std::move(line);
  if (Status path = CheckDatabasePath(cli.db_path); !path.ok())
    return Report(Outcome::Usage(path.message()), cli.name, c);
  if (cli.Has("help")) {
    std::printf("%s\n", UsageLine(*c).c_str());
    return 0;
  }
  Outcome shape = CheckShape(*c, cli);
  if (!shape.ok()) return Report(shape, cli.name, c);
  return Report(c->run(cli), cli.name, c);
}

}  // namespace

int Main(std::span<const std::string> args) {
  Result<ArgumentList> line = ParseArgumentList(args, kOptions);
  if (!line.ok()) {
    std::fprintf(stderr, "rcptdb: %s\n", line.status().message().c_str());
    PrintUsage(stderr, "");
    return kExitUsage;
  }
  if (line->Has("version")) {
    std::printf("rcptdb %s (schema version %d)\n", PACKAGE_VERSION, kSchemaVersion);
    return 0;
  }
  if (line->words.empty()) {
    bool help = line->Has("help");
    PrintUsage(help ? stdout : stderr, "");
    return help ? 0 : kExitUsage;
  }
  if (line->Value("db") && line->Value("db")->empty()) {
    std::fprintf(stderr, "rcptdb: --db needs a path\n");
    return kExitUsage;
  }
  int code = Dispatch(std::move(*line));
  // Output that did not reach its reader is a failure, not a success.
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    std::fprintf(stderr, "rcptdb: cannot write to standard output\n");
    if (code == 0) code = 1;
  }
  return code;
}

}  // namespace rcptdb::admin
