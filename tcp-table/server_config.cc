// SPDX-License-Identifier: MIT
// NAME
//   server_config - defaults, rcptdb.conf and command-line settings
// DESCRIPTION
//   rcptdb.conf follows Postfix's main.cf syntax so that mail admins need
//   learn nothing new: "name = value"; blank lines and lines whose first
//   non-blank character is '#' are ignored; a line that starts with white
//   space continues the previous logical line; a later setting of the same
//   name wins. Lists (tcp_table, socketmap, allow_networks) are separated
//   by commas and/or white space. Unknown names are errors, so that a typo
//   cannot silently leave a default in force.
// SEE ALSO
//   server_config.h, rcptdb.conf(5), postconf(5)
#include "server_config.h"

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

namespace rcptdb {

std::string DefaultConfigFile() { return std::string(SYSCONFDIR) + "/rcptdb/rcptdb.conf"; }

namespace {

constexpr std::string_view kNames[] = {
    "database", "tcp_table", "socketmap", "allow_networks", "user", "pid_file", "max_connections",
    "max_connections_per_peer", "socketmap_idle_timeout", "tcp_table_idle_timeout",
    "policy_idle_timeout", "policy_max_connections_per_peer", "unix_socket_owner",
    "unix_socket_group", "unix_socket_mode", "threads", "busy_timeout", "syslog_facility",
    "syslog_name", "verbose", "metrics",
    // The policy service (ApplyPolicySetting).
    "policy", "quota_status", "quota_status_routes", "policy_refuse", "policy_trouble_action",
    "quota_status_timeout", "quota_status_connections", "policy_cache_time"};

Status ApplyTcpTables(ServerConfig& config, const Setting& s) {
  std::vector<TcpTableListener> listeners;
  for (const std::string& item : SplitList(s.value)) {
    std::size_t eq = item.find('=');
    if (eq == std::string::npos) return BadSetting(s, "expected MAP=ADDRESS, got \"" + item + "\"");
    std::optional<MapId> map = ParseMapName(item.substr(0, eq));
    if (!map) {
      std::string known;
      for (MapId m : kAllMaps) known += (known.empty() ? "" : ", ") + std::string(MapName(m));
      return BadSetting(s, "unknown map \"" + item.substr(0, eq) + "\" (" + known + ")");
    }
    Result<ListenAddress> addr = ParseListenAddress(item.substr(eq + 1));
    if (!addr.ok()) return BadSetting(s, addr.status().message());
    listeners.push_back({*map, *addr});
  }
  config.tcp_tables = std::move(listeners);
  return Status::Ok();
}

Status ApplySocketmaps(ServerConfig& config, const Setting& s) {
  std::vector<ListenAddress> listeners;
  for (const std::string& item : SplitList(s.value)) {
    Result<ListenAddress> addr = ParseListenAddress(item);
    if (!addr.ok()) return BadSetting(s, addr.status().message());
    listeners.push_back(*addr);
  }
  config.socketmaps = std::move(listeners);
  return Status::Ok();
}

Status ApplyFacility(ServerConfig& config, const Setting& s) {
  static const std::set<std::string, std::less<>> kFacilities = {
      "mail",   "daemon", "user",   "local0", "local1", "local2",
      "local3", "local4", "local5", "local6", "local7"};
  std::string_view t = TrimBlanks(s.value);
  if (!kFacilities.contains(t))
    return BadSetting(s, "expected mail, daemon, user or local0..local7");
  config.syslog_facility = std::string(t);
  return Status::Ok();
}

// Applies one of the policy service's settings; nullopt if the name is
// not one of them.
std::optional<Status> ApplyPolicySetting(PolicyConfig& p, const Setting& s) {
  const std::string& n = s.name;
  std::string value(TrimBlanks(s.value));
  if (n == "policy") {
    std::vector<ListenAddress> listeners;
    for (const std::string& item : SplitList(value)) {
      Result<ListenAddress> addr = ParseListenAddress(item);
      if (!addr.ok()) return BadSetting(s, addr.status().message());
      listeners.push_back(*addr);
    }
    p.listeners = std::move(listeners);
  } else if (n == "quota_status") {
    p.quota_status.fallback.reset();
    if (value.empty()) return Status::Ok();
    Result<ListenAddress> addr = ParseListenAddress(value);
    if (!addr.ok()) return BadSetting(s, addr.status().message());
    p.quota_status.fallback = *addr;
  } else if (n == "quota_status_routes") {
    auto routes = ParseQuotaRoutes(value);
    if (!routes.ok()) return BadSetting(s, routes.status().message());
    p.quota_status.routes = std::move(*routes);
  } else if (n == "policy_refuse") {
    if (value != "any" && value != "all") return BadSetting(s, "expected any or all");
    p.rule = value == "any" ? QuotaRule::kAny : QuotaRule::kAll;
  } else if (n == "policy_trouble_action") {
    Status st = CheckTroubleAction(value);
    if (!st.ok()) return BadSetting(s, st.message());
    p.trouble_action = value;
  } else if (n == "quota_status_timeout") {
    Result<long> v = SettingNumber(s, 10, 60000);
    if (!v.ok()) return v.status();
    p.timeout_ms = static_cast<int>(*v);
  } else if (n == "quota_status_connections") {
    Result<long> v = SettingNumber(s, 0, 1000);
    if (!v.ok()) return v.status();
    p.max_idle = static_cast<std::size_t>(*v);
  } else if (n == "policy_cache_time") {
    Result<long> v = SettingNumber(s, 0, 3600);
    if (!v.ok()) return v.status();
    p.cache_seconds = static_cast<int>(*v);
  } else {
    return std::nullopt;
  }
  return Status::Ok();
}

}  // namespace

bool ServerConfig::SameListeners(const ServerConfig& other) const {
  return tcp_tables == other.tcp_tables && socketmaps == other.socketmaps && user == other.user &&
         threads == other.threads && pid_file == other.pid_file &&
         unix_socket_owner == other.unix_socket_owner &&
         unix_socket_group == other.unix_socket_group &&
         unix_socket_mode == other.unix_socket_mode && policy.listeners == other.policy.listeners &&
         metrics == other.metrics;
}

std::string ServerConfig::Dump() const {
  std::ostringstream out;
  out << "config_file = " << config_file << "\n";
  // Printed where logs keep it (the unit's ExecStartPre): no secrets.
  out << "database = " << RedactSpec(database) << "\n";
  out << "tcp_table =";
  for (std::size_t i = 0; i < tcp_tables.size(); ++i)
    out << (i ? ", " : " ") << MapName(tcp_tables[i].map) << "=" << tcp_tables[i].address.str();
  out << "\nsocketmap =";
  for (std::size_t i = 0; i < socketmaps.size(); ++i)
    out << (i ? ", " : " ") << socketmaps[i].str();
  out << "\nallow_networks = " << allow_networks.str() << "\n";
  out << "user = " << user << "\n";
  out << "pid_file = " << pid_file << "\n";
  out << "max_connections = " << max_connections << "\n";
  out << "max_connections_per_peer = " << max_connections_per_peer << "\n";
  out << "socketmap_idle_timeout = " << socketmap_idle_timeout.count() << "s\n";
  out << "tcp_table_idle_timeout = " << tcp_table_idle_timeout.count() << "s\n";
  out << "policy_idle_timeout = " << policy_idle_timeout.count() << "s\n";
  out << "policy_max_connections_per_peer = " << policy_max_connections_per_peer << "\n";
  out << "unix_socket_owner = " << unix_socket_owner << "\n";
  out << "unix_socket_group = " << unix_socket_group << "\n";
  out << "unix_socket_mode = 0" << std::oct << unix_socket_mode << std::dec << "\n";
  out << "threads = " << threads << "\n";
  out << "busy_timeout = " << busy_timeout_ms << "\n";
  out << "syslog_facility = " << syslog_facility << "\n";
  out << "syslog_name = " << syslog_name << "\n";
  out << "verbose = " << (verbose ? "yes" : "no") << "\n";
  out << "policy =";
  for (std::size_t i = 0; i < policy.listeners.size(); ++i)
    out << (i ? ", " : " ") << policy.listeners[i].str();
  out << "\nquota_status = "
      << (policy.quota_status.fallback ? policy.quota_status.fallback->str() : "") << "\n";
  out << "quota_status_routes =";
  for (std::size_t i = 0; i < policy.quota_status.routes.size(); ++i)
    out << (i ? ", " : " ") << policy.quota_status.routes[i].first << "="
        << policy.quota_status.routes[i].second.str();
  out << "\npolicy_refuse = " << (policy.rule == QuotaRule::kAny ? "any" : "all") << "\n";
  out << "policy_trouble_action = " << policy.trouble_action << "\n";
  out << "quota_status_timeout = " << policy.timeout_ms << "\n";
  out << "quota_status_connections = " << policy.max_idle << "\n";
  out << "policy_cache_time = " << policy.cache_seconds << "\n";
  out << "metrics = " << (metrics ? metrics->str() : "") << "\n";
  return out.str();
}

Result<std::vector<Setting>> ParseConfigText(std::string_view text, const std::string& origin) {
  return ParseSettings(text, origin, kNames);
}

Status ApplySetting(ServerConfig& config, const Setting& s) {
  const std::string& n = s.name;
  std::string value(TrimBlanks(s.value));
  if (std::optional<Status> st = ApplyPolicySetting(config.policy, s)) return *st;
  if (n == "database") {
    if (value.empty()) return BadSetting(s, "empty path");
    Status path = CheckDatabasePath(value);
    if (!path.ok()) return BadSetting(s, path.message());
    config.database = value;
  } else if (n == "tcp_table") {
    return ApplyTcpTables(config, s);
  } else if (n == "socketmap") {
    return ApplySocketmaps(config, s);
  } else if (n == "allow_networks") {
    Result<NetworkList> list = NetworkList::Parse(value);
    if (!list.ok()) return BadSetting(s, list.status().message());
    config.allow_networks = *list;
  } else if (n == "user") {
    config.user = value;
  } else if (n == "pid_file") {
    if (!value.empty() && value.front() != '/')
      return BadSetting(s, "pid file path must be absolute");
    config.pid_file = value;
  } else if (n == "max_connections") {
    Result<long> v = SettingNumber(s, 1, 1000000);
    if (!v.ok()) return v.status();
    config.max_connections = static_cast<std::size_t>(*v);
  } else if (n == "max_connections_per_peer" || n == "policy_max_connections_per_peer") {
    Result<long> v = SettingNumber(s, 0, 1000000);
    if (!v.ok()) return v.status();
    (n == "max_connections_per_peer" ? config.max_connections_per_peer
                                     : config.policy_max_connections_per_peer) =
        static_cast<std::size_t>(*v);
  } else if (n == "socketmap_idle_timeout" || n == "tcp_table_idle_timeout" ||
             n == "policy_idle_timeout") {
    Result<std::chrono::seconds> v = SettingDuration(s, 30 * 86400);
    if (!v.ok()) return v.status();
    (n == "socketmap_idle_timeout"   ? config.socketmap_idle_timeout
     : n == "tcp_table_idle_timeout" ? config.tcp_table_idle_timeout
                                     : config.policy_idle_timeout) = *v;
  } else if (n == "unix_socket_owner" || n == "unix_socket_group") {
    if (!value.empty() && !IsPlainName(value))
      return BadSetting(s, "expected a user or group name");
    (n == "unix_socket_owner" ? config.unix_socket_owner : config.unix_socket_group) = value;
  } else if (n == "unix_socket_mode") {
    Result<unsigned> v = SettingMode(s);
    if (!v.ok()) return v.status();
    config.unix_socket_mode = *v;
  } else if (n == "threads") {
    Result<long> v = SettingNumber(s, 0, 256);
    if (!v.ok()) return v.status();
    config.threads = static_cast<unsigned>(*v);
  } else if (n == "busy_timeout") {
    Result<long> v = SettingNumber(s, 0, 60000);
    if (!v.ok()) return v.status();
    config.busy_timeout_ms = static_cast<int>(*v);
  } else if (n == "syslog_facility") {
    return ApplyFacility(config, s);
  } else if (n == "syslog_name") {
    if (value.empty() || value.find_first_of(" \t/") != std::string::npos)
      return BadSetting(s, "expected a name without spaces or '/'");
    config.syslog_name = value;
  } else if (n == "verbose") {
    Result<bool> v = SettingBool(s);
    if (!v.ok()) return v.status();
    config.verbose = *v;
  } else if (n == "metrics") {
    config.metrics.reset();
    if (value.empty()) return Status::Ok();
    Result<ListenAddress> addr = ParseListenAddress(value);
    if (!addr.ok()) return BadSetting(s, addr.status().message());
    config.metrics = *addr;
  } else {
    return Status::Invalid(s.origin + ": unknown setting \"" + n + "\"");
  }
  return Status::Ok();
}

Status ValidateConfig(const ServerConfig& config) {
  if (config.tcp_tables.empty() && config.socketmaps.empty() && config.policy.listeners.empty())
    return Status::Invalid("nothing to listen on: set tcp_table, socketmap and/or policy");
  if (!config.policy.listeners.empty() && !config.policy.quota_status.fallback &&
      config.policy.quota_status.routes.empty())
    return Status::Invalid(
        "policy is set but quota_status is not: the policy service has "
        "no quota-status service to ask");
  std::set<std::string> seen;
  std::vector<ListenAddress> all = config.socketmaps;
  all.insert(all.end(), config.policy.listeners.begin(), config.policy.listeners.end());
  for (const TcpTableListener& t : config.tcp_tables) all.push_back(t.address);
  if (config.metrics) all.push_back(*config.metrics);
  for (const ListenAddress& a : all) {
    if (!seen.insert(a.str()).second)
      return Status::Invalid("listener " + a.str() + " is configured twice");
    // Neither protocol authenticates: a reachable listener must be fenced.
    if (!a.loopback() && config.allow_networks.empty())
      return Status::Invalid("listener " + a.str() +
                             " is not on a loopback address: set allow_networks to the "
                             "client networks it may serve");
  }
  return Status::Ok();
}

Result<ServerConfig> LoadServerConfig(const std::string& file, bool file_given,
                                      const std::vector<Setting>& overrides) {
  ServerConfig config;
  config.database = DatabasePath("");
  std::string path = file.empty() ? DefaultConfigFile() : file;
  std::string text;
  int err = ReadConfigFile(path, text);
  if (err == 0) {
    Result<std::vector<Setting>> settings = ParseConfigText(text, path);
    if (!settings.ok()) return settings.status();
    for (const Setting& s : *settings) {
      Status st = ApplySetting(config, s);
      if (!st.ok()) return st;
    }
    config.config_file = path;
  } else if (file_given || err != ENOENT) {
    return Status::Invalid("cannot read configuration file " + path + ": " + std::strerror(err));
  }
  for (const Setting& s : overrides) {
    Status st = ApplySetting(config, s);
    if (!st.ok()) return st;
  }
  Status st = ValidateConfig(config);
  if (!st.ok()) return st;
  return config;
}

}  // namespace rcptdb
