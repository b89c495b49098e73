// SPDX-License-Identifier: MIT
// NAME
//   web_config - rcptdb-web.conf and the command line's settings
// SEE ALSO
//   web_config.h, config_syntax.h, rcptdb-web.conf(5)
#include "web_config.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <sstream>

#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef RCPTDB_WEB_STATIC_DIR
#define RCPTDB_WEB_STATIC_DIR "/usr/share/rcptdb/web"
#endif

namespace rcptdb::web {

std::string DefaultWebConfigFile() { return std::string(SYSCONFDIR) + "/rcptdb/rcptdb-web.conf"; }

namespace {

constexpr std::string_view kNames[] = {"database",
                                       "listen",
                                       "trusted_proxies",
                                       "tls_certificate",
                                       "tls_key",
                                       "session_lifetime",
                                       "login_limit",
                                       "login_window",
                                       "max_body_size",
                                       "max_connections",
                                       "max_connections_per_peer",
                                       "client_timeout",
                                       "threads",
                                       "busy_timeout",
                                       "static_dir",
                                       "user",
                                       "pid_file",
                                       "unix_socket_owner",
                                       "unix_socket_group",
                                       "unix_socket_mode",
                                       "syslog_facility",
                                       "syslog_name",
                                       "verbose"};

Status AbsolutePath(const Setting& s, std::string& out, bool may_be_empty) {
  std::string v(TrimBlanks(s.value));
  if (v.empty() && may_be_empty) {
    out.clear();
    return Status::Ok();
  }
  if (v.empty() || v.front() != '/') return BadSetting(s, "expected an absolute path");
  out = v;
  return Status::Ok();
}

}  // namespace

bool WebConfig::SameListeners(const WebConfig& o) const {
  return listen == o.listen && tls_certificate == o.tls_certificate && tls_key == o.tls_key &&
         threads == o.threads && max_connections == o.max_connections &&
         max_connections_per_peer == o.max_connections_per_peer &&
         client_timeout == o.client_timeout && user == o.user && pid_file == o.pid_file &&
         unix_socket_owner == o.unix_socket_owner && unix_socket_group == o.unix_socket_group &&
         unix_socket_mode == o.unix_socket_mode && static_dir == o.static_dir;
}

std::string WebConfig::Dump() const {
  std::ostringstream out;
  out << "config_file = " << config_file << "\n";
  out << "database = " << RedactSpec(database) << "\n";
  out << "listen =";
  for (std::size_t i = 0; i < listen.size(); ++i) out << (i ? ", " : " ") << listen[i].str();
  out << "\ntrusted_proxies = " << trusted_proxies.str() << "\n";
  out << "tls_certificate = " << tls_certificate << "\n";
  out << "tls_key = " << tls_key << "\n";
  out << "session_lifetime = " << session_lifetime.count() << "s\n";
  out << "login_limit = " << login_limit << "\n";
  out << "login_window = " << login_window.count() << "s\n";
  out << "max_body_size = " << max_body_size << "\n";
  out << "max_connections = " << max_connections << "\n";
  out << "max_connections_per_peer = " << max_connections_per_peer << "\n";
  out << "client_timeout = " << client_timeout.count() << "s\n";
  out << "threads = " << threads << "\n";
  out << "busy_timeout = " << busy_timeout_ms << "\n";
  out << "static_dir = " << static_dir << "\n";
  out << "user = " << user << "\n";
  out << "pid_file = " << pid_file << "\n";
  out << "unix_socket_owner = " << unix_socket_owner << "\n";
  out << "unix_socket_group = " << unix_socket_group << "\n";
  out << "unix_socket_mode = 0" << std::oct << unix_socket_mode << std::dec << "\n";
  out << "syslog_facility = " << syslog_facility << "\n";
  out << "syslog_name = " << syslog_name << "\n";
  out << "verbose = " << (verbose ? "yes" : "no") << "\n";
  return out.str();
}

Status ApplyWebSetting(WebConfig& c, const Setting& s) {
  const std::string& n = s.name;
  std::string value(TrimBlanks(s.value));
  if (n == "database") {
    if (value.empty()) return BadSetting(s, "empty path");
    Status path = CheckDatabasePath(value);
    if (!path.ok()) return BadSetting(s, path.message());
    c.database = value;
  } else if (n == "listen") {
    std::vector<ListenAddress> listeners;
    for (const std::string& item : SplitList(value)) {
      Result<ListenAddress> a = ParseListenAddress(item);
      if (!a.ok()) return BadSetting(s, a.status().message());
      listeners.push_back(*a);
    }
    c.listen = std::move(listeners);
  } else if (n == "trusted_proxies") {
    Result<ProxyTrust> t = ProxyTrust::Parse(value);
    if (!t.ok()) return BadSetting(s, t.status().message());
    c.trusted_proxies = *t;
  } else if (n == "tls_certificate") {
    return AbsolutePath(s, c.tls_certificate, true);
  } else if (n == "tls_key") {
    return AbsolutePath(s, c.tls_key, true);
  } else if (n == "static_dir") {
    return AbsolutePath(s, c.static_dir, true);
  } else if (n == "session_lifetime" || n == "login_window" || n == "client_timeout") {
    Result<std::chrono::seconds> v = SettingDuration(s, 30 * 86400);
    if (!v.ok()) return v.status();
    if (v->count() == 0) return BadSetting(s, "must be more than 0");
    (n == "session_lifetime" ? c.session_lifetime
     : n == "login_window"   ? c.login_window
                             : c.client_timeout) = *v;
  } else if (n == "login_limit") {
    Result<long> v = SettingNumber(s, 0, 100000);
    if (!v.ok()) return v.status();
    c.login_limit = static_cast<unsigned>(*v);
  } else if (n == "max_body_size") {
    Result<long> v = SettingNumber(s, 1024, 64L << 20);
    if (!v.ok()) return v.status();
    c.max_body_size = static_cast<std::size_t>(*v);
  } else if (n == "max_connections") {
    Result<long> v = SettingNumber(s, 1, 100000);
    if (!v.ok()) return v.status();
    c.max_connections = static_cast<std::size_t>(*v);
  } else if (n == "max_connections_per_peer") {
    Result<long> v = SettingNumber(s, 0, 100000);
    if (!v.ok()) return v.status();
    c.max_connections_per_peer = static_cast<std::size_t>(*v);
  } else if (n == "threads") {
    Result<long> v = SettingNumber(s, 0, 256);
    if (!v.ok()) return v.status();
    c.threads = static_cast<unsigned>(*v);
  } else if (n == "busy_timeout") {
    Result<long> v = SettingNumber(s, 0, 60000);
    if (!v.ok()) return v.status();
    c.busy_timeout_ms = static_cast<int>(*v);
  } else if (n == "user" || n == "unix_socket_owner" || n == "unix_socket_group") {
    if (!value.empty() && !IsPlainName(value))
      return BadSetting(s, "expected a user or group name");
    (n == "user"                ? c.user
     : n == "unix_socket_owner" ? c.unix_socket_owner
                                : c.unix_socket_group) = value;
  } else if (n == "pid_file") {
    return AbsolutePath(s, c.pid_file, true);
  } else if (n == "unix_socket_mode") {
    Result<unsigned> v = SettingMode(s);
    if (!v.ok()) return v.status();
    c.unix_socket_mode = *v;
  } else if (n == "syslog_facility") {
    static const std::set<std::string, std::less<>> kFacilities = {
        "mail",   "daemon", "user",   "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7"};
    if (!kFacilities.contains(value))
      return BadSetting(s, "expected mail, daemon, user or local0..local7");
    c.syslog_facility = value;
  } else if (n == "syslog_name") {
    if (value.empty() || value.find_first_of(" \t/") != std::string::npos)
      return BadSetting(s, "expected a name without spaces or '/'");
    c.syslog_name = value;
  } else if (n == "verbose") {
    Result<bool> v = SettingBool(s);
    if (!v.ok()) return v.status();
    c.verbose = *v;
  } else {
    return Status::Invalid(s.origin + ": unknown setting \"" + n + "\"");
  }
  return Status::Ok();
}

Status ValidateWebConfig(const WebConfig& c) {
  if (c.listen.empty()) return Status::Invalid("nothing to listen on: set listen");
  if (c.tls_certificate.empty() != c.tls_key.empty())
    return Status::Invalid("tls_certificate and tls_key go together: set both, or neither");
  std::set<std::string> seen;
  for (const ListenAddress& a : c.listen) {
    if (!seen.insert(a.str()).second)
      return Status::Invalid("listen " + a.str() + " is configured twice");
    // Passwords and tokens cross this socket: only where nobody else can
    // read them, or encrypted, or from a proxy that terminates TLS.
    if (a.loopback() || c.tls() || !c.trusted_proxies.networks.empty()) continue;
    return Status::Invalid("listen " + a.str() +
                           " is neither loopback, unix, TLS nor behind a trusted proxy: set "
                           "tls_certificate and tls_key, or trusted_proxies to the proxy's "
                           "address, or listen on 127.0.0.1 or unix:PATH");
  }
  return Status::Ok();
}

Result<std::vector<Setting>> ParseWebConfigText(std::string_view text, const std::string& origin) {
  return ParseSettings(text, origin, kNames);
}

Result<WebConfig> LoadWebConfig(const std::string& file, bool file_given,
                                const std::vector<Setting>& overrides) {
  WebConfig config;
  config.database = DatabasePath("");
  config.listen.push_back(*ParseListenAddress("127.0.0.1:8025"));
  config.static_dir = RCPTDB_WEB_STATIC_DIR;
  std::string path = file.empty() ? DefaultWebConfigFile() : file;
  std::string text;
  int err = ReadConfigFile(path, text);
  if (err == 0) {
    Result<std::vector<Setting>> settings = ParseWebConfigText(text, path);
    if (!settings.ok()) return settings.status();
    for (const Setting& s : *settings) {
      Status st = ApplyWebSetting(config, s);
      if (!st.ok()) return st;
    }
    config.config_file = path;
  } else if (file_given || err != ENOENT) {
    return Status::Invalid("cannot read configuration file " + path + ": " + std::strerror(err));
  }
  for (const Setting& s : overrides) {
    Status st = ApplyWebSetting(config, s);
    if (!st.ok()) return st;
  }
  Status st = ValidateWebConfig(config);
  if (!st.ok()) return st;
  return config;
}

}  // namespace rcptdb::web
