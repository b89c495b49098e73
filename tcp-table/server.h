// SPDX-License-Identifier: MIT
// server.h - rcptdb-server's threads, listeners and signals
//
// The Server adopts the listening sockets bound at startup and runs:
//   - the control thread (the caller of Run()): accepts connections on
//     every listener, checks allow_networks and max_connections, hands each
//     admitted connection to the next worker in turn, and handles signals;
//   - one Worker thread per CPU (threads), each with its own event loop and
//     database connection, serving the sessions it was handed.
// Idle connections are reclaimed to make room for new ones and after
// their idle timeout (server.cc, connection_table.h).
// Signals: SIGHUP reloads rcptdb.conf (database, busy timeout, logging,
// allow_networks, the connection limits and idle timeouts; listeners,
// user, threads, pid file and unix socket settings need a restart),
// SIGUSR1 logs the statistics, SIGTERM and SIGINT drain: stop accepting,
// cancel idle sessions, let replies being written finish, remove the unix
// sockets and the pid file, and return within about one second.
//
// Thread safety: construct, Prepare() and Run() from the main thread.
#ifndef RCPTDB_SERVER_H
#define RCPTDB_SERVER_H

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "listen_address.h"
#include "log_throttle.h"
#include "map_answers.h"
#include "monitoring.h"
#include "policy_worker.h"
#include "quota_status_health.h"
#include "server_config.h"
#include "server_state.h"
#include "worker.h"

namespace rcptdb {

// A listening descriptor bound at startup, and what it serves.
struct BoundListener {
  enum class Protocol { kTcpTable, kSocketmap, kPolicy };
  Protocol protocol = Protocol::kSocketmap;
  MapId map = MapId::kDomains;  // kTcpTable only
  ListenAddress address;
  int fd = -1;
  // Returns e.g. "tcp_table domains 127.0.0.1:10041", for log lines.
  std::string str() const;
};

class Server {
 public:
  using ConfigLoader = std::function<Result<ServerConfig>()>;

  // loader re-reads the configuration on SIGHUP; fd_limit is the file
  // descriptor limit, which caps max_connections. foreground keeps logging
  // on stderr across reloads.
  Server(ServerConfig config, ConfigLoader loader, std::vector<BoundListener> listeners,
         std::size_t fd_limit, bool foreground);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serves the metrics endpoint (monitoring.h) on fd, bound at startup to
  // the configuration's metrics address; Run() starts it. Call before Run().
  void ServeMetrics(int fd) { metrics_fd_ = fd; }
  // Creates the workers and opens the database on each. Call after
  // dropping privileges: every later reopen runs as that user too.
  void Prepare();
  // Serves until SIGTERM or SIGINT; returns the exit status (0).
  int Run();

 private:
  using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;
  using Endpoint = asio::generic::stream_protocol::endpoint;

  asio::awaitable<void> Accept(std::size_t index);
  asio::awaitable<void> HandleSignals();
  // Reclaims the connections idle past their timeout, once a second.
  asio::awaitable<void> SweepIdle();
  bool Admit(const Endpoint& peer, const std::string& peer_key, const std::string& peer_name,
             const BoundListener& listener);
  // Reclaims one idle connection (of *peer if given) for a newcomer;
  // false if there is none to reclaim.
  bool MakeRoom(const std::string* peer, Connection::Protocol protocol, const std::string& newcomer,
                const std::string& reason);
  // Logs the floods (log_throttle.h) whose last events no line named yet.
  void FlushFloodCounts(std::chrono::steady_clock::time_point now);
  // Has c's worker close it (the caller logs).
  void Reclaim(const std::shared_ptr<Connection>& c);
  // Hands socket, accepted on context (the control thread's for a map
  // listener, the policy worker's for a policy one), to worker_index.
  void StartSession(std::size_t worker_index, Socket socket, const BoundListener& listener,
                    std::string peer_key, std::string peer_name);
  // Stops the workers of both kinds.
  void StopWorkers();
  // Removes the unix sockets and the pid file (at exit).
  void RemoveRunFiles();
  void Reload();
  void Drain();
  void Finish();
  std::size_t ConnectionCap(std::size_t wanted) const;
  // Returns listener's index in listeners_ (and ServerState's stats).
  std::size_t IndexOf(const BoundListener& listener) const {
    return static_cast<std::size_t>(&listener - listeners_.data());
  }

  ServerConfig config_;
  ConfigLoader loader_;
  std::vector<BoundListener> listeners_;
  std::size_t fd_limit_;
  bool foreground_;

  asio::io_context control_{1};
  asio::signal_set signals_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unique_ptr<ServerState> state_;
  std::vector<std::unique_ptr<Worker>> workers_;
  // As many as workers_, iff a policy listener is set.
  QuotaStatusHealth quota_health_;
  std::vector<std::unique_ptr<PolicyWorker>> policy_workers_;
  std::vector<std::thread> threads_;  // one per worker of either kind
  // What operators watch; created by Prepare(), after the workers.
  std::unique_ptr<Monitoring> monitoring_;
  int metrics_fd_ = -1;
  std::atomic<std::size_t> workers_done_{0};  // of either kind
  std::size_t next_worker_ = 0;
  std::size_t next_policy_worker_ = 0;
  std::size_t max_connections_ = 0;
  bool draining_ = false;

  // Refusals over max_connections are logged once per burst.
  bool refusing_ = false;
  std::uint64_t refused_in_burst_ = 0;
  // Floods a client controls: at most one line a second each.
  LogThrottle acl_log_;                  // peers outside allow_networks
  LogThrottle room_log_;                 // idle connections closed to make room
  std::vector<LogThrottle> accept_log_;  // accept() failures, per listener
};

}  // namespace rcptdb

#endif
