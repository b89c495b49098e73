// SPDX-License-Identifier: MIT
// NAME
//   rcptdb-server - Postfix lookup server for the rcptdb database
// SYNOPSIS
//   rcptdb-server [-c FILE] [--db PATH] [--tcp-table MAP=ADDR:PORT]...
//                 [--socketmap ADDR:PORT|unix:PATH]...
//                 [--policy ADDR:PORT|unix:PATH]... [--foreground] ...
// DESCRIPTION
//   Answers Postfix's tcp_table(5) (one listener per map) and socketmap(5)
//   (one listener, all maps) lookups from the rcptdb database, with the
//   same resolver the Dovecot plugin uses. Startup order matters:
//   configuration, file limit, listeners bound (errors still reach the
//   terminal), daemonize, pid file, privileges dropped, the database
//   checked and opened as that user (so that SQLite's -shm and -wal files
//   are the user's, and a reopen works as the first open did), then the
//   worker threads start.
// DIAGNOSTICS
//   Exit 0 after a drain (SIGTERM), 1 on a configuration or startup error.
// SEE ALSO
//   rcptdb-server(8), rcptdb.conf(5), server.h
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "listen_socket.h"
#include "logger.h"
#include "process_setup.h"
#include "server.h"
#include "server_config.h"
#include "server_flags.h"
#include "store.h"

namespace rcptdb {
namespace {

int Fail(const std::string& message) {
  LogFatal("{}", message);
  return 1;
}

// Fails after the listeners were bound: the unix sockets go too.
int FailUnbinding(const std::vector<BoundListener>& listeners, const std::string& message) {
  for (const BoundListener& l : listeners)
    if (l.address.kind == ListenAddress::Kind::kUnix) unlink(l.address.path.c_str());
  return Fail(message);
}

// Returns who may connect to the unix sockets: unix_socket_owner (by
// default the user the server runs as), unix_socket_group, unix_socket_mode.
Result<UnixSocketAccess> SocketAccess(const ServerConfig& config) {
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
    // The packaged rcptdb.conf names group postfix, which a host without
    // Postfix lacks. Leaving the socket in the server's own group makes it
    // reachable by fewer clients, never more: start, and say so.
    if (gid.ok())
      access.gid = *gid;
    else
      LogWarning(
          "unix_socket_group {}: {}; the unix sockets keep the server's own group, so "
          "only their owner reaches them (create the group, or change unix_socket_group, and "
          "restart)",
          config.unix_socket_group, gid.status().message());
  }
  return access;
}

// Binds every configured listener, or returns the first failure (and
// removes the unix sockets it had created).
Result<std::vector<BoundListener>> BindListeners(const ServerConfig& config) {
  std::vector<BoundListener> bound;
  Result<UnixSocketAccess> access = SocketAccess(config);
  if (!access.ok()) return access.status();
  auto bind = [&bound, &access](BoundListener l) -> Status {
    Result<int> fd = OpenListenSocket(l.address, *access);
    if (!fd.ok()) return fd.status();
    l.fd = *fd;
    bound.push_back(std::move(l));
    return Status::Ok();
  };
  for (const TcpTableListener& t : config.tcp_tables) {
    Status s = bind({BoundListener::Protocol::kTcpTable, t.map, t.address, -1});
    if (!s.ok()) return s;
  }
  for (const ListenAddress& a : config.socketmaps) {
    Status s = bind({BoundListener::Protocol::kSocketmap, MapId::kDomains, a, -1});
    if (!s.ok()) {
      for (const BoundListener& b : bound)
        if (b.address.kind == ListenAddress::Kind::kUnix) unlink(b.address.path.c_str());
      return s;
    }
  }
  for (const ListenAddress& a : config.policy.listeners) {
    Status s = bind({BoundListener::Protocol::kPolicy, MapId::kDomains, a, -1});
    if (!s.ok()) return s;
  }
  return bound;
}

// Returns the files the server removes at exit: unix sockets, pid file.
std::vector<std::string> RunFiles(const ServerConfig& config,
                                  const std::vector<BoundListener>& listeners) {
  std::vector<std::string> files;
  for (const BoundListener& l : listeners)
    if (l.address.kind == ListenAddress::Kind::kUnix) files.push_back(l.address.path);
  if (!config.pid_file.empty()) files.push_back(config.pid_file);
  return files;
}

// Binds the metrics endpoint's listener, if metrics is set; -1 if not.
Result<int> BindMetrics(const ServerConfig& config) {
  if (!config.metrics) return -1;
  Result<UnixSocketAccess> access = SocketAccess(config);
  if (!access.ok()) return access.status();
  return OpenListenSocket(*config.metrics, *access, 64);
}

// Refuses to run as --user with a database that user cannot open (it would
// work until the first reopen), and warns about run files it could not
// remove at exit. Runs after the privilege drop, as that user.
Status CheckAsUser(const ServerConfig& config, const std::vector<BoundListener>& listeners) {
  Status db = CheckDatabaseAccess(config.database);
  if (db.ok()) {
    Result<std::unique_ptr<Store>> store =
        Store::Open(config.database, Store::Mode::kReadOnly, config.busy_timeout_ms);
    if (!store.ok() && store.status().cause() == Status::Cause::kAccess) db = store.status();
  }
  if (!db.ok())
    return Status::Io("user " + config.user + " cannot use the database: " + db.message() +
                          " (fix the permissions, or run without --user)",
                      db.cause() == Status::Cause::kAccess);
  for (const std::string& f : RunFiles(config, listeners)) {
    Status s = CheckRemovable(f);
    if (!s.ok())
      LogWarning("{}; put it in a directory user {} may write, such as /run/rcptdb", s.message(),
                 config.user);
  }
  return Status::Ok();
}

int Main(int argc, char** argv) {
  Result<ServerFlags> cl = ParseServerFlags(std::vector<std::string>(argv + 1, argv + argc));
  if (!cl.ok()) {
    std::fprintf(stderr, "rcptdb-server: fatal: %s\n%s", cl.status().message().c_str(),
                 ServerUsageText());
    return 1;
  }
  if (cl->help) {
    std::fputs(ServerUsageText(), stdout);
    return 0;
  }
  if (cl->version) {
#ifdef RCPTDB_TEST_FAULTS
    std::puts("rcptdb-server " PACKAGE_VERSION " (with test faults: not for production)");
#else
    std::puts("rcptdb-server " PACKAGE_VERSION);
#endif
    return 0;
  }
  Logger::ToStderr("rcptdb-server");
  ServerFlags flags = *cl;
  Server::ConfigLoader loader = [flags] {
    return LoadServerConfig(flags.config_file, flags.config_file_given, flags.overrides);
  };
  Result<ServerConfig> config = loader();
  if (!config.ok()) return Fail(config.status().message());
  if (config->threads == 0) config->threads = UsableCpus();
  if (cl->check_config) {
    std::fputs(config->Dump().c_str(), stdout);
    return 0;
  }
  Logger::ToStderr(config->syslog_name);
  std::signal(SIGPIPE, SIG_IGN);
  std::size_t fd_limit = RaiseFileLimit();

  Result<std::vector<BoundListener>> listeners = BindListeners(*config);
  if (!listeners.ok()) return Fail(listeners.status().message());
  Result<int> metrics_fd = BindMetrics(*config);
  if (!metrics_fd.ok()) return FailUnbinding(*listeners, metrics_fd.status().message());
  if (!cl->foreground) {
    Logger::ToSyslog(config->syslog_name, config->syslog_facility);
    Status s = Daemonize();
    if (!s.ok()) return FailUnbinding(*listeners, s.message());
  }
  uid_t run_uid = static_cast<uid_t>(-1);
  if (!config->user.empty()) {
    Result<std::pair<uid_t, gid_t>> ids = LookupUser(config->user);
    if (!ids.ok()) return FailUnbinding(*listeners, ids.status().message());
    run_uid = ids->first;
    Status s = AdoptRuntimeDirectories(RunFiles(*config, *listeners), ids->first, ids->second);
    if (!s.ok()) return FailUnbinding(*listeners, s.message());
  }
  if (!config->pid_file.empty()) {
    Status s = WritePidFile(config->pid_file, run_uid);
    if (!s.ok()) return FailUnbinding(*listeners, s.message());
  }
  std::string summary;
  for (const BoundListener& l : *listeners) summary += (summary.empty() ? "" : ", ") + l.str();
  if (config->metrics) summary += ", metrics " + config->metrics->str();
  std::vector<BoundListener> bound_copy = *listeners;
  Server server(*config, loader, std::move(*listeners), fd_limit, cl->foreground);
  server.ServeMetrics(*metrics_fd);
  if (!config->user.empty()) {
    Status s = DropPrivileges(config->user);
    if (s.ok()) s = CheckAsUser(*config, bound_copy);
    if (!s.ok()) {
      // Cleaned up as root would need: try, and say what is left.
      for (const BoundListener& l : bound_copy)
        if (l.address.kind == ListenAddress::Kind::kUnix) unlink(l.address.path.c_str());
      if (!config->pid_file.empty()) unlink(config->pid_file.c_str());
      return Fail(s.message());
    }
  }
  server.Prepare();
  LogInfo("starting: {}; database {}; {} threads; max_connections {}", summary,
          RedactSpec(config->database), config->threads, config->max_connections);
  return server.Run();
}

}  // namespace
}  // namespace rcptdb

int main(int argc, char** argv) {
  try {
    return rcptdb::Main(argc, argv);
  } catch (const std::exception& e) {
    rcptdb::LogFatal("{}", e.what());
    return 1;
  }
}
