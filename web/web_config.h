// SPDX-License-Identifier: MIT
// web_config.h - rcptdb-web's settings: defaults, rcptdb-web.conf, flags
//
// The same "name = value" syntax as rcptdb.conf (config_syntax.h), in its
// own file, /etc/rcptdb/rcptdb-web.conf: the API daemon runs as its own
// user with its own database rights, so nothing of the lookup server's
// configuration concerns it. Layers, later ones winning: built-in
// defaults, the file, and command-line flags (--db, --listen, -v).
// rcptdb-web.conf(5) documents every name.
//
// A listener must be safe to expose before the daemon starts: a unix
// socket, a loopback address, TLS (tls_certificate and tls_key), or a
// plain TCP listener behind a trusted proxy (trusted_proxies; it then
// accepts connections only from those proxies). Anything else is
// refused in one line by ValidateWebConfig().
//
// Thread safety: plain values; LoadWebConfig reads the file.
#ifndef RCPTDB_WEB_WEB_CONFIG_H
#define RCPTDB_WEB_WEB_CONFIG_H

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "client_address.h"
#include "config_syntax.h"
#include "listen_address.h"
#include "status.h"

namespace rcptdb::web {

// The configuration file read unless -c names another.
std::string DefaultWebConfigFile();

struct WebConfig {
  std::string config_file;                          // the file read, "" if none existed
  std::string database;                             // database
  std::vector<ListenAddress> listen;                // listen (default 127.0.0.1:8025)
  ProxyTrust trusted_proxies;                       // trusted_proxies
  std::string tls_certificate;                      // tls_certificate (PEM file)
  std::string tls_key;                              // tls_key (PEM file)
  std::chrono::seconds session_lifetime{8 * 3600};  // session_lifetime
  unsigned login_limit = 10;                        // login_limit: failures per window
  std::chrono::seconds login_window{60};            // login_window
  std::size_t max_body_size = 1 << 20;              // max_body_size (bytes)
  std::size_t max_connections = 256;                // max_connections
  std::size_t max_connections_per_peer = 32;        // max_connections_per_peer
  std::chrono::seconds client_timeout{30};          // client_timeout
  unsigned threads = 0;                             // threads: 0 = one per CPU
  int busy_timeout_ms = 2000;                       // busy_timeout (milliseconds)
  std::string static_dir;                           // static_dir: the page's files
  std::string user;                                 // user: "" keeps the uid
  std::string pid_file;                             // pid_file: "" writes none
  std::string unix_socket_owner;                    // unix_socket_owner
  std::string unix_socket_group;                    // unix_socket_group
  unsigned unix_socket_mode = 0660;                 // unix_socket_mode
  std::string syslog_facility = "mail";             // syslog_facility
  std::string syslog_name = "rcptdb-web";           // syslog_name
  bool verbose = false;                             // verbose: log every request

  bool tls() const { return !tls_certificate.empty(); }
  // Returns true iff a SIGHUP can move from this to other: the listeners,
  // TLS files, threads, limits fixed at start, user and pid file agree.
  bool SameListeners(const WebConfig& other) const;
  // Returns the effective settings as rcptdb-web.conf lines (--check-config).
  std::string Dump() const;
};

// Applies one setting; Invalid names the origin and the cause.
Status ApplyWebSetting(WebConfig& config, const Setting& setting);

// Checks what no single setting can (see above).
Status ValidateWebConfig(const WebConfig& config);

// Returns the settings in a file's text (unknown names refused).
Result<std::vector<Setting>> ParseWebConfigText(std::string_view text, const std::string& origin);

// Builds the configuration: defaults, then file ("" is the default file,
// which may be missing unless file_given), then overrides; validated.
Result<WebConfig> LoadWebConfig(const std::string& file, bool file_given,
                                const std::vector<Setting>& overrides);

}  // namespace rcptdb::web

#endif
