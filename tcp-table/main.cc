// NAME
//   rcptdb-server - Postfix lookup server for the rcptdb database
// SYNOPSIS
//   rcptdb-server [-c FILE] [--db PATH] [--tcp-table MAP=ADDR:PORT]...
//                 [--socketmap ADDR:PORT|unix:PATH]... [--foreground] ...
// DESCRIPTION
//   Answers Postfix's tcp_table(5) (one listener per map) and socketmap(5)
//   (one listener, all maps) lookups from the rcptdb database, with the
//   same resolver the Dovecot plugin uses. Startup order matters:
//   configuration, file limit, listeners bound (errors still reach the
//   terminal), daemonize, pid file, database opened, privileges dropped,
//   then the worker threads start.
// DIAGNOSTICS
//   Exit 0 after a drain (SIGTERM), 1 on a configuration or startup error.
// SEE ALSO
//   rcptdb-server(8), rcptdb.conf(5), server.h
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

namespace rcptdb {
namespace {

int Fail(const std::string& message) {
  LogFatal("{}", message);
  return 1;
}

// Binds every configured listener, or returns the first failure.
Result<std::vector<BoundListener>> BindListeners(const ServerConfig& config) {
  std::vector<BoundListener> bound;
  auto bind = [&bound](BoundListener l) -> Status {
    Result<int> fd = OpenListenSocket(l.address);
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
    if (!s.ok()) return s;
  }
  return bound;
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
    std::puts("rcptdb-server " PACKAGE_VERSION);
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
  if (!cl->foreground) {
    Logger::ToSyslog(config->syslog_name, config->syslog_facility);
    Status s = Daemonize();
    if (!s.ok()) return Fail(s.message());
  }
  if (!config->pid_file.empty()) {
    Status s = WritePidFile(config->pid_file);
    if (!s.ok()) return Fail(s.message());
  }
  std::string summary;
  for (const BoundListener& l : *listeners) summary += (summary.empty() ? "" : ", ") + l.str();
  Server server(*config, loader, std::move(*listeners), fd_limit, cl->foreground);
  server.Prepare();
  if (!config->user.empty()) {
    Status s = DropPrivileges(config->user);
    if (!s.ok()) return Fail(s.message());
  }
  LogInfo("starting: {}; database {}; {} threads; max_connections {}", summary, config->database,
          config->threads, config->max_connections);
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
