// SPDX-License-Identifier: MIT
// web_flags.h - rcptdb-web's command-line flags
//
//   rcptdb-web [-c FILE] [--db PATH] [--listen ADDR:PORT|unix:PATH]...
//              [-v] [--foreground] [--check-config] [--help] [--version]
//
// --db and --listen override the settings of the same meaning
// (web_config.h): --listen, repeatable, replaces the file's list.
//
// Thread safety: pure function.
#ifndef RCPTDB_WEB_WEB_FLAGS_H
#define RCPTDB_WEB_WEB_FLAGS_H

#include <string>
#include <vector>

#include "config_syntax.h"
#include "status.h"

namespace rcptdb::web {

struct WebFlags {
  std::string config_file;         // -c FILE; "" = DefaultWebConfigFile()
  bool config_file_given = false;  // -c was given (then the file must exist)
  std::vector<Setting> overrides;  // settings named by flags, in order
  bool foreground = false;         // --foreground: no fork, log to stderr
  bool check_config = false;       // --check-config: print, validate, exit
  bool help = false;
  bool version = false;
};

// Parses argv without argv[0]; Invalid names the flag and the cause.
Result<WebFlags> ParseWebFlags(const std::vector<std::string>& args);

// The usage text printed by --help and after a command-line error.
const char* WebUsageText();

}  // namespace rcptdb::web

#endif
