// SPDX-License-Identifier: MIT
// monitoring.h - what operators watch: metrics endpoint, systemd, watchdog
//
// The Server tells Monitoring where it is in its life (ready, reloading,
// reloaded, stopping); Monitoring tells the outside:
//   - the metrics endpoint (metrics_endpoint.h) serves the counters of
//     ServerState as Prometheus metric families (server_metrics.h), plus
//     the standby lag its DatabaseProbe reads on PostgreSQL;
//   - systemd (sd_notify.h), if it asked: READY=1 once the listeners
//     accept and the workers have opened the database, STATUS= with a
//     one-line summary every few seconds, RELOADING=1 and READY=1 around
//     SIGHUP, STOPPING=1 at the drain;
//   - systemd's watchdog, if the unit sets WatchdogSec=: every tick (half
//     the timeout, at most 5 s) the control thread posts a heartbeat to
//     every worker's event loop, and sends WATCHDOG=1 only when every
//     worker ran the previous one. A worker whose loop is stuck (a lookup
//     that never returns) therefore stops the notifications, and systemd
//     restarts the server; so does a stuck control thread, which sends
//     them. The stuck worker is logged once, by index.
//
// A build configured with --enable-test-faults (never a release build)
// also has WedgeWorker(): a worker blocked on purpose, for the test that
// proves the watchdog fires.
//
// Thread safety: construct, call and destroy on the control thread (its
// io_context runs the ticks). The metrics endpoint's thread only reads.
#ifndef RCPTDB_MONITORING_H
#define RCPTDB_MONITORING_H

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "database_probe.h"
#include "listen_address.h"
#include "metrics_endpoint.h"
#include "network_list.h"
#include "sd_notify.h"
#include "server_metrics.h"
#include "server_state.h"

namespace rcptdb {

class Monitoring {
 public:
  // A worker's event loop, as the heartbeats see it.
  struct Loop {
    std::string name;                                 // for log lines: "worker 0"
    std::function<void(std::function<void()>)> post;  // runs work on the loop's thread
  };
  // workers are the workers' event loops; database and busy_timeout_ms are
  // the server's (the probe opens its own connection).
  Monitoring(asio::io_context& control, ServerState& state, std::vector<Loop> workers,
             MetricsLayout layout, std::string database, int busy_timeout_ms);
  ~Monitoring();
  Monitoring(const Monitoring&) = delete;
  Monitoring& operator=(const Monitoring&) = delete;

  // Serves the metrics endpoint on fd, bound at startup to address.
  // Call after any fork. On failure the server runs without it (logged).
  void StartMetrics(int fd, const ListenAddress& address, NetworkList allow);
  // The listeners accept and the workers run: READY=1, and the ticks.
  void Ready();
  // A SIGHUP is being handled: RELOADING=1.
  void Reloading();
  // The reload is done (applied or refused): READY=1, and the settings a
  // reload may change.
  void Reloaded(const std::string& database, int busy_timeout_ms, NetworkList allow);
  // The server drains: STOPPING=1; the ticks end. Idempotent.
  void Stopping();
  // Stops the metrics endpoint and removes its unix socket, if any.
  void Finish();

#ifdef RCPTDB_TEST_FAULTS
  // Test fault: blocks worker i's event loop until Stopping().
  void WedgeWorker(std::size_t i);
#endif

 private:
  asio::awaitable<void> Tick();
  // Returns true iff every worker ran the last heartbeat; posts the next.
  bool WorkersAlive();
  std::string StatusLine();
  std::string Render(ExpositionFormat format);

  asio::io_context& control_;
  ServerState& state_;
  std::vector<Loop> workers_;
  const MetricsLayout layout_;
  SystemdNotifier notifier_;
  std::atomic<Engine> engine_;
  DatabaseProbe probe_;
  std::unique_ptr<MetricsEndpoint> endpoint_;
  std::string endpoint_socket_;  // a unix socket path to remove at exit
  asio::steady_timer timer_;
  bool stopping_ = false;
  // Heartbeats: the number of the last one posted, and per worker the
  // number it last ran (written on that worker's thread).
  std::uint64_t heartbeat_ = 0;
  std::unique_ptr<std::atomic<std::uint64_t>[]> answered_;
  std::vector<bool> reported_stuck_;
  // For the STATUS line's rate.
  std::uint64_t last_finished_ = 0;
  std::chrono::steady_clock::time_point last_status_{};
#ifdef RCPTDB_TEST_FAULTS
  std::atomic<bool> unwedge_{false};
#endif
};

}  // namespace rcptdb

#endif
