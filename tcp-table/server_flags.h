// SPDX-License-Identifier: MIT
// server_flags.h - rcptdb-server's command-line flags
//
//   rcptdb-server [-c FILE] [--db PATH] [--tcp-table MAP=ADDR:PORT]...
//                 [--socketmap ADDR:PORT|unix:PATH]... [--allow CIDR]...
//                 [--policy ADDR:PORT|unix:PATH]...
//                 [--user USER] [--pid-file PATH] [--max-connections N]
//                 [--threads N] [--busy-timeout MS] [-v] [--foreground]
//                 [--check-config] [--help] [--version]
//
// Flags that name a setting become Setting overrides (server_config.h),
// applied after the configuration file; a repeatable flag (--tcp-table,
// --socketmap, --policy, --allow) collects its values into one list that
// replaces the file's; a single-valued flag given twice counts once, with its
// last value. Both "--flag value" and "--flag=value" are accepted.
//
// Thread safety: pure function.
#ifndef RCPTDB_SERVER_FLAGS_H
#define RCPTDB_SERVER_FLAGS_H

#include <string>
#include <vector>

#include "server_config.h"
#include "status.h"

namespace rcptdb {

struct ServerFlags {
  std::string config_file;         // -c FILE; "" = DefaultConfigFile()
  bool config_file_given = false;  // -c was given (then the file must exist)
  std::vector<Setting> overrides;  // settings named by flags, in order
  bool foreground = false;         // --foreground: no fork, log to stderr
  bool check_config = false;       // --check-config: print, validate, exit
  bool help = false;               // --help
  bool version = false;            // --version
};

// Parses argv without argv[0]; Invalid names the flag and the cause.
Result<ServerFlags> ParseServerFlags(const std::vector<std::string>& args);

// The usage text printed by --help and after a command-line error.
const char* ServerUsageText();

}  // namespace rcptdb

#endif
