// SPDX-License-Identifier: MIT
// NAME
//   server_flags - parse rcptdb-server's flags
// DESCRIPTION
//   CLI11 reads the flags: spellings, "--flag=value", values and
//   repetition. This file only maps each flag to the rcptdb.conf setting
//   it overrides, so that the file and the flags are validated by the
//   same code (ApplySetting). CLI11's App is a local value, so the unit
//   tests can parse many command lines in one process.
// SEE ALSO
//   server_flags.h, rcptdb-server(8)
#include "server_flags.h"

#include <CLI/CLI.hpp>

namespace rcptdb {
namespace {

// A flag that takes a value, and the setting it overrides.
struct ValueFlag {
  const char* flag;
  const char* setting;
  bool repeatable;
};

constexpr ValueFlag kValueFlags[] = {
    {"--db", "database", false},
    {"--tcp-table", "tcp_table", true},
    {"--socketmap", "socketmap", true},
    {"--policy", "policy", true},
    {"--metrics", "metrics", false},
    {"--allow", "allow_networks", true},
    {"--user", "user", false},
    {"--pid-file", "pid_file", false},
    {"--max-connections", "max_connections", false},
    {"--threads", "threads", false},
    {"--busy-timeout", "busy_timeout", false},
    {"--syslog-name", "syslog_name", false},
};

// Returns the overrides the value flags of app gave, in table order.
std::vector<Setting> ValueOverrides(const CLI::App& app) {
  std::vector<Setting> overrides;
  for (const ValueFlag& vf : kValueFlags) {
    const CLI::Option* o = app.get_option(vf.flag);
    if (o->count() == 0) continue;
    if (!vf.repeatable) {
      overrides.push_back({vf.setting, o->results().back(), vf.flag});
      continue;
    }
    std::string list;
    for (const std::string& value : o->results()) list += (list.empty() ? "" : ", ") + value;
    overrides.push_back({vf.setting, list, vf.flag});
  }
  return overrides;
}

}  // namespace

const char* ServerUsageText() {
  return "usage: rcptdb-server [-c FILE] [--db PATH] [--tcp-table MAP=ADDR:PORT]...\n"
         "                     [--socketmap ADDR:PORT|unix:PATH]...\n"
         "                     [--policy ADDR:PORT|unix:PATH]... [--allow CIDR]...\n"
         "                     [--metrics ADDR:PORT|unix:PATH]\n"
         "                     [--user USER] [--pid-file PATH] [--max-connections N]\n"
         "                     [--threads N] [--busy-timeout MS] [--syslog-name NAME]\n"
         "                     [-v] [--foreground] [--check-config] [--help] [--version]\n"
         "maps: domains transport recipients aliases senders access (socketmap also: stats)\n";
}

Result<ServerFlags> ParseServerFlags(const std::vector<std::string>& args) {
  ServerFlags flags;
  bool verbose = false;
  CLI::App app;
  app.set_help_flag();  // --help prints ServerUsageText(), not CLI11's text
  app.allow_extras();   // so that an unknown argument is reported in our words
  app.add_option("-c,--config", flags.config_file)
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("-f,--foreground", flags.foreground)->disable_flag_override();
  app.add_flag("--check-config", flags.check_config)->disable_flag_override();
  app.add_flag("-v,--verbose", verbose)->disable_flag_override();
  app.add_flag("-h,--help", flags.help)->disable_flag_override();
  app.add_flag("--version", flags.version)->disable_flag_override();
  for (const ValueFlag& vf : kValueFlags)
    app.add_option(vf.flag)->type_name("VALUE")->multi_option_policy(
        CLI::MultiOptionPolicy::TakeAll);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return Status::Invalid(e.what());
  }
  if (!app.remaining().empty())
    return Status::Invalid("unknown argument \"" + app.remaining().front() + "\"");
  flags.config_file_given = app.count("--config") > 0;
  if (verbose) flags.overrides.push_back({"verbose", "yes", "-v"});
  for (Setting& s : ValueOverrides(app)) flags.overrides.push_back(std::move(s));
  return flags;
}

}  // namespace rcptdb
