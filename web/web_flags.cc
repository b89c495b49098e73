// SPDX-License-Identifier: MIT
// NAME
//   web_flags - parse rcptdb-web's flags with CLI11
// DESCRIPTION
//   Each value flag becomes a Setting override, so that the file and the
//   flags are validated by the same code (ApplyWebSetting).
// SEE ALSO
//   web_flags.h, rcptdb-web(8)
#include "web_flags.h"

#include <CLI/CLI.hpp>

namespace rcptdb::web {

const char* WebUsageText() {
  return "usage: rcptdb-web [-c FILE] [--db PATH] [--listen ADDR:PORT|unix:PATH]...\n"
         "                  [-v] [--foreground] [--check-config] [--help] [--version]\n";
}

Result<WebFlags> ParseWebFlags(const std::vector<std::string>& args) {
  WebFlags flags;
  bool verbose = false;
  std::vector<std::string> db, listen;
  CLI::App app;
  app.set_help_flag();  // --help prints WebUsageText(), not CLI11's text
  app.allow_extras();   // so that an unknown argument is reported in our words
  app.add_option("-c,--config", flags.config_file)
      ->type_name("FILE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_flag("-f,--foreground", flags.foreground)->disable_flag_override();
  app.add_flag("--check-config", flags.check_config)->disable_flag_override();
  app.add_flag("-v,--verbose", verbose)->disable_flag_override();
  app.add_flag("-h,--help", flags.help)->disable_flag_override();
  app.add_flag("--version", flags.version)->disable_flag_override();
  app.add_option("--db", db)
      ->type_name("PATH")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--listen", listen)
      ->type_name("ADDR")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
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
  if (!db.empty()) flags.overrides.push_back({"database", db.back(), "--db"});
  if (!listen.empty()) {
    std::string list;
    for (const std::string& l : listen) list += (list.empty() ? "" : ", ") + l;
    flags.overrides.push_back({"listen", list, "--listen"});
  }
  return flags;
}

}  // namespace rcptdb::web
