// SPDX-License-Identifier: MIT
// server_config.h - rcptdb-server's settings: defaults, rcptdb.conf, flags
//
// The server's settings say how it runs (where it listens, which database
// file, how many threads), never what an address means: that lives in the
// database (doc/DESIGN.md). They come from three layers, later ones winning:
// built-in defaults, the configuration file (rcptdb.conf(5): Postfix-style
// "name = value" lines, '#' comment lines, a line that starts with white
// space continues the previous one), and command-line flags (ServerFlags,
// server_flags.h), which name the same settings. A list setting given on
// the command line replaces the file's list; it does not extend it.
//
// Thread safety: plain values; the functions are pure except
// LoadServerConfig, which reads the file.
#ifndef RCPTDB_SERVER_CONFIG_H
#define RCPTDB_SERVER_CONFIG_H

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config_syntax.h"
#include "listen_address.h"
#include "map_answers.h"
#include "network_list.h"
#include "quota_policy.h"
#include "status.h"

namespace rcptdb {

// The configuration file read unless -c names another.
std::string DefaultConfigFile();

struct TcpTableListener {
  MapId map = MapId::kDomains;
  ListenAddress address;
  bool operator==(const TcpTableListener&) const = default;
};

// The policy service (policy_service.h, rcptdb-server(8) "POLICY SERVICE").
struct PolicyConfig {
  std::vector<ListenAddress> listeners;  // policy: ADDRESS, ...
  QuotaRoutes quota_status;              // quota_status, quota_status_routes
  QuotaRule rule = QuotaRule::kAny;      // policy_refuse: any | all
  std::string trouble_action = "DUNNO";  // policy_trouble_action
  int timeout_ms = 3000;                 // quota_status_timeout (milliseconds)
  std::size_t max_idle = 4;              // quota_status_connections (per thread)
  int cache_seconds = 0;                 // policy_cache_time: 0 = no cache
  bool operator==(const PolicyConfig&) const = default;
};

struct ServerConfig {
  std::string config_file;                            // the file read, or "" if none existed
  std::string database;                               // database
  std::vector<TcpTableListener> tcp_tables;           // tcp_table: MAP=ADDRESS, ...
  std::vector<ListenAddress> socketmaps;              // socketmap: ADDRESS, ...
  NetworkList allow_networks;                         // allow_networks: CIDR, ...
  std::string user;                                   // user: "" keeps the uid
  std::string pid_file;                               // pid_file: "" writes none
  std::size_t max_connections = 4096;                 // max_connections
  std::size_t max_connections_per_peer = 0;           // max_connections_per_peer: 0 = no cap
  std::size_t policy_max_connections_per_peer = 0;    // policy_max_connections_per_peer: 0 = no cap
  std::chrono::seconds socketmap_idle_timeout{30};    // socketmap_idle_timeout: 0 = never
  std::chrono::seconds tcp_table_idle_timeout{3600};  // tcp_table_idle_timeout: 0 = never
  // policy_idle_timeout: 0 = never. Longer than the 300 s after which
  // Postfix closes an idle policy connection itself
  // (smtpd_policy_service_max_idle), so Postfix normally closes first.
  std::chrono::seconds policy_idle_timeout{330};
  std::string unix_socket_owner;              // unix_socket_owner: "" = the user running
  std::string unix_socket_group;              // unix_socket_group: "" = its group
  unsigned unix_socket_mode = 0666;           // unix_socket_mode (octal)
  unsigned threads = 0;                       // threads: 0 = one per CPU
  int busy_timeout_ms = 500;                  // busy_timeout (milliseconds)
  std::string syslog_facility = "mail";       // syslog_facility
  std::string syslog_name = "rcptdb-server";  // syslog_name
  bool verbose = false;                       // verbose: log every lookup
  PolicyConfig policy;                        // policy, quota_status, ...
  std::optional<ListenAddress> metrics;       // metrics: unset = no endpoint

  // Returns true iff both listen on the same listeners as the same user
  // with the same threads: what a SIGHUP cannot change.
  bool SameListeners(const ServerConfig& other) const;
  // Returns the effective settings as rcptdb.conf lines (--check-config),
  // with the database URI's secrets masked (RedactSpec).
  std::string Dump() const;
};

// Returns the settings in a configuration file's text; origin names the
// file in error messages. Unknown names are refused (they are typos).
Result<std::vector<Setting>> ParseConfigText(std::string_view text, const std::string& origin);

// Applies one setting to config; Invalid names the origin and the cause.
Status ApplySetting(ServerConfig& config, const Setting& setting);

// Checks what no single setting can: at least one listener, no listener
// twice, and a non-loopback listener only with allow_networks.
Status ValidateConfig(const ServerConfig& config);

// Builds the configuration: defaults, then file (if it is "" the default
// file, which may be missing), then overrides; validated.
Result<ServerConfig> LoadServerConfig(const std::string& file, bool file_given,
                                      const std::vector<Setting>& overrides);

}  // namespace rcptdb

#endif
