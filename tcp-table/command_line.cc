// NAME
//   command_line - parse rcptdb-server's flags
// DESCRIPTION
//   A small hand parser rather than getopt_long: it has no global state,
//   so the unit tests can run it many times, and it maps each flag to the
//   rcptdb.conf setting it overrides, so that the file and the flags are
//   validated by the same code (ApplySetting).
// SEE ALSO
//   command_line.h, rcptdb-server(8)
#include "command_line.h"

#include <map>

namespace rcptdb {
namespace {

struct ValueFlag {
  const char* setting;
  bool repeatable;
};

// Flags that take a value, by the setting they override.
const std::map<std::string, ValueFlag>& ValueFlags() {
  static const std::map<std::string, ValueFlag> kFlags = {
      {"--db", {"database", false}},
      {"--tcp-table", {"tcp_table", true}},
      {"--socketmap", {"socketmap", true}},
      {"--policy", {"policy", true}},
      {"--allow", {"allow_networks", true}},
      {"--user", {"user", false}},
      {"--pid-file", {"pid_file", false}},
      {"--max-connections", {"max_connections", false}},
      {"--threads", {"threads", false}},
      {"--busy-timeout", {"busy_timeout", false}},
      {"--syslog-name", {"syslog_name", false}},
  };
  return kFlags;
}

}  // namespace

const char* UsageText() {
  return "usage: rcptdb-server [-c FILE] [--db PATH] [--tcp-table MAP=ADDR:PORT]...\n"
         "                     [--socketmap ADDR:PORT|unix:PATH]... [--allow CIDR]...\n"
         "                     [--policy ADDR:PORT|unix:PATH]...\n"
         "                     [--user USER] [--pid-file PATH] [--max-connections N]\n"
         "                     [--threads N] [--busy-timeout MS] [--syslog-name NAME]\n"
         "                     [-v] [--foreground] [--check-config] [--help] [--version]\n"
         "maps: domains transport recipients aliases senders access (socketmap also: stats)\n";
}

Result<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  // Repeatable flags collect here and become one setting at the end.
  std::map<std::string, Setting> lists;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (flag.starts_with("--") && flag.find('=') != std::string::npos) {
      value = flag.substr(flag.find('=') + 1);
      flag = flag.substr(0, flag.find('='));
      has_value = true;
    }
    bool wants_value = flag == "-c" || flag == "--config" || ValueFlags().contains(flag);
    if (has_value && !wants_value) return Status::Invalid(flag + " takes no value");
    auto take_value = [&]() -> bool {
      if (has_value) return true;
      if (i + 1 >= args.size()) return false;
      value = args[++i];
      return true;
    };
    if (flag == "-c" || flag == "--config") {
      if (!take_value()) return Status::Invalid(flag + " needs a file name");
      cl.config_file = value;
      cl.config_file_given = true;
    } else if (flag == "--foreground" || flag == "-f") {
      cl.foreground = true;
    } else if (flag == "--check-config") {
      cl.check_config = true;
    } else if (flag == "-v" || flag == "--verbose") {
      cl.overrides.push_back({"verbose", "yes", flag});
    } else if (flag == "-h" || flag == "--help") {
      cl.help = true;
    } else if (flag == "--version") {
      cl.version = true;
    } else if (auto it = ValueFlags().find(flag); it != ValueFlags().end()) {
      if (!take_value()) return Status::Invalid(flag + " needs a value");
      const ValueFlag& vf = it->second;
      if (!vf.repeatable) {
        cl.overrides.push_back({vf.setting, value, flag});
        continue;
      }
      Setting& s = lists[vf.setting];
      if (s.name.empty()) s = {vf.setting, "", flag};
      s.value += s.value.empty() ? value : ", " + value;
    } else {
      return Status::Invalid("unknown argument \"" + flag + "\"");
    }
  }
  for (auto& [name, setting] : lists) cl.overrides.push_back(setting);
  return cl;
}

}  // namespace rcptdb
