// SPDX-License-Identifier: MIT
// NAME
//   rcptdb-web - the REST API for delegated, audited provisioning
// SYNOPSIS
//   rcptdb-web [-c FILE] [--db PATH] [--listen ADDR:PORT|unix:PATH]...
//              [-v] [--foreground] [--check-config] [--help] [--version]
// DESCRIPTION
//   Serves /api/v1 (api.h) on each listener of rcptdb-web.conf(5). The
//   startup order is rcptdb-server's: configuration (a listener that is
//   neither loopback, unix, TLS nor behind a trusted proxy is refused
//   here), TLS files read, listeners bound (errors still reach the
//   terminal), daemonize, pid file, privileges dropped, the database
//   checked as that user, then the HTTP threads start. The main thread
//   then waits for signals: SIGHUP reloads the configuration (database,
//   trusted proxies, limits, session lifetime; a changed listener needs a
//   restart and is said so in the log), SIGTERM and SIGINT stop.
// DIAGNOSTICS
//   Exit 0 after SIGTERM, 1 on a configuration or startup error.
// SEE ALSO
//   rcptdb-web(8), rcptdb-web.conf(5), api.h, http_server.h
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "api.h"
#include "config_syntax.h"
#include "http_server.h"
#include "listen_socket.h"
#include "logger.h"
#include "process_setup.h"
#include "store.h"
#include "web_config.h"
#include "web_flags.h"

namespace rcptdb::web {
namespace {

int Fail(const std::string& message) {
  LogFatal("{}", message);
  return 1;
}

struct Bound {
  ListenAddress address;
  int fd;
};

void Unbind(const std::vector<Bound>& bound) {
  for (const Bound& b : bound) {
    close(b.fd);
    if (b.address.kind == ListenAddress::Kind::kUnix) unlink(b.address.path.c_str());
  }
}

Result<std::vector<Bound>> BindAll(const WebConfig& config) {
  UnixSocketAccess access;
  access.mode = config.unix_socket_mode;
  const std::string& owner =
      config.unix_socket_owner.empty() ? config.user : config.unix_socket_owner;
  if (!owner.empty()) {
    Result<std::pair<uid_t, gid_t>> ids = LookupUser(owner);
    if (!ids.ok()) return ids.status();
    access.uid = ids->first;
  }
  if (!config.unix_socket_group.empty()) {
    Result<gid_t> gid = LookupGroup(config.unix_socket_group);
    if (!gid.ok()) return gid.status();
    access.gid = *gid;
  }
  std::vector<Bound> bound;
  for (const ListenAddress& a : config.listen) {
    Result<int> fd = OpenListenSocket(a, access, 128);
    if (!fd.ok()) {
      Unbind(bound);
      return fd.status();
    }
    bound.push_back({a, *fd});
  }
  return bound;
}

// Reads a TLS file as root, before privileges drop.
Result<std::string> ReadTlsFile(const std::string& path, const char* what) {
  std::string text;
  int err = ReadConfigFile(path, text);
  if (err != 0)
    return Status::Io(std::string("cannot read ") + what + " " + path + ": " + std::strerror(err),
                      err == EACCES);
  return text;
}

sigset_t WaitedSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

int Main(int argc, char** argv) {
  Result<WebFlags> cl = ParseWebFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.ok()) {
    std::fprintf(stderr, "rcptdb-web: fatal: %s\n%s", cl.status().message().c_str(),
                 WebUsageText());
    return 1;
  }
  if (cl->help) {
    std::fputs(WebUsageText(), stdout);
    return 0;
  }
  if (cl->version) {
    std::puts("rcptdb-web " PACKAGE_VERSION);
    return 0;
  }
  Logger::ToStderr("rcptdb-web");
  WebFlags flags = *cl;
  auto load = [&flags] {
    return LoadWebConfig(flags.config_file, flags.config_file_given, flags.overrides);
  };
  Result<WebConfig> config = load();
  if (!config.ok()) return Fail(config.status().message());
  if (config->threads == 0) config->threads = UsableCpus();
  if (flags.check_config) {
    std::fputs(config->Dump().c_str(), stdout);
    return 0;
  }
  Logger::ToStderr(config->syslog_name);
  std::signal(SIGPIPE, SIG_IGN);
  // Signals are taken by sigwait below, never by a handler. Block them
  // now, before the pid file exists and before any thread starts: a
  // SIGTERM that comes while the daemon starts is then answered by the
  // clean stop (pid file and sockets removed), not by the default death.
  sigset_t waited = WaitedSignals();
  pthread_sigmask(SIG_BLOCK, &waited, nullptr);

  HttpServerOptions options;
  options.threads = config->threads;
  options.max_connections = config->max_connections;
  options.max_connections_per_peer = config->max_connections_per_peer;
  options.client_timeout = config->client_timeout;
  if (config->tls()) {
    Result<std::string> cert = ReadTlsFile(config->tls_certificate, "tls_certificate");
    if (!cert.ok()) return Fail(cert.status().message());
    Result<std::string> key = ReadTlsFile(config->tls_key, "tls_key");
    if (!key.ok()) return Fail(key.status().message());
    options.tls_certificate_pem = *cert;
    options.tls_key_pem = *key;
  }
  Result<std::vector<Bound>> bound = BindAll(*config);
  if (!bound.ok()) return Fail(bound.status().message());
  if (!cl->foreground) {
    Logger::ToSyslog(config->syslog_name, config->syslog_facility);
    Status s = Daemonize();
    if (!s.ok()) {
      Unbind(*bound);
      return Fail(s.message());
    }
  }
  uid_t run_uid = static_cast<uid_t>(-1);
  if (!config->user.empty()) {
    Result<std::pair<uid_t, gid_t>> ids = LookupUser(config->user);
    if (!ids.ok()) {
      Unbind(*bound);
      return Fail(ids.status().message());
    }
    run_uid = ids->first;
    // The directory systemd made for the socket and pid file becomes the
    // user's, so that it can remove them at exit.
    std::vector<std::string> run_files;
    for (const Bound& b : *bound)
      if (b.address.kind == ListenAddress::Kind::kUnix) run_files.push_back(b.address.path);
    if (!config->pid_file.empty()) run_files.push_back(config->pid_file);
    Status s = AdoptRuntimeDirectories(run_files, ids->first, ids->second);
    if (!s.ok()) {
      Unbind(*bound);
      return Fail(s.message());
    }
  }
  if (!config->pid_file.empty()) {
    Status s = WritePidFile(config->pid_file, run_uid);
    if (!s.ok()) {
      Unbind(*bound);
      return Fail(s.message());
    }
  }
  if (!config->user.empty()) {
    Status s = DropPrivileges(config->user);
    if (!s.ok()) {
      Unbind(*bound);
      return Fail(s.message());
    }
  }
  // Say at once, as the user that will write it, if the database cannot
  // be used; requests are answered 503 until it can.
  if (Result<std::unique_ptr<Store>> probe =
          Store::Open(config->database, Store::Mode::kReadWrite, config->busy_timeout_ms);
      !probe.ok())
    LogWarning("{}; requests are answered 503 until it can be used", probe.status().message());
  Api api(*config);
  std::vector<std::unique_ptr<HttpServer>> servers;
  std::string summary;
  for (const Bound& b : *bound) {
    HttpServerOptions o = options;
    o.proxies_only =
        b.address.kind == ListenAddress::Kind::kTcp && !b.address.loopback() && !config->tls();
    Result<std::unique_ptr<HttpServer>> s = HttpServer::Start(b.fd, b.address, o, api);
    if (!s.ok()) {
      servers.clear();
      return Fail(s.status().message());
    }
    summary += (summary.empty() ? "" : ", ") + b.address.str() + ((*s)->tls() ? " (TLS)" : "");
    servers.push_back(std::move(*s));
  }
  LogInfo("starting: {}; database {}; {} threads", summary, RedactSpec(config->database),
          config->threads);

  for (;;) {
    int sig = 0;
    if (sigwait(&waited, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Result<WebConfig> fresh = load();
      if (!fresh.ok()) {
        LogWarning("reload refused, keeping the running configuration: {}",
                   fresh.status().message());
        continue;
      }
      if (fresh->threads == 0) fresh->threads = UsableCpus();
      if (!fresh->SameListeners(*api.config()))
        LogWarning(
            "reload: listeners, TLS files, threads, connection limits, client_timeout, user, "
            "pid_file and unix socket settings take effect only at a restart");
      api.Configure(*fresh);
      LogInfo("reloaded: database {}", RedactSpec(fresh->database));
      continue;
    }
    LogInfo("stopping on signal {}", sig);
    break;
  }
  servers.clear();
  if (!config->pid_file.empty()) unlink(config->pid_file.c_str());
  return 0;
}

}  // namespace
}  // namespace rcptdb::web

int main(int argc, char** argv) {
  try {
    return rcptdb::web::Main(argc, argv);
  } catch (const std::exception& e) {
    rcptdb::LogFatal("{}", e.what());
    return 1;
  }
}
