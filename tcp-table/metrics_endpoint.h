// SPDX-License-Identifier: MIT
// metrics_endpoint.h - GET /metrics over HTTP, for Prometheus
//
// With `metrics = ADDR:PORT | unix:PATH` set, rcptdb-server answers
// GET /metrics on that one listener with its counters in the Prometheus
// text format, or OpenMetrics when the scraper's Accept asks for it
// (exposition.h). HTTP is libmicrohttpd's, the library rcptdb-web uses:
// no HTTP parsing of our own. It runs on libmicrohttpd's own thread, not
// in a worker's event loop: a scrape reads the workers' atomic counters
// and never waits on a lookup, and a lookup never waits on a scrape.
//
// Bounded like every other listener: TCP clients must be on loopback or
// in allow_networks (checked at accept; a unix socket is guarded by its
// file mode), at most kMaxClients connections (8 per client address),
// requests over 16 KiB and connections idle 10 s are dropped. Only GET
// is answered (405 with "Allow: GET" otherwise), only /metrics (404).
// Reading changes nothing: no counter is reset by a scrape.
//
// Thread safety: construct and destroy from one thread; SetAllowNetworks
// from any. The render callback runs on libmicrohttpd's thread.
#ifndef RCPTDB_METRICS_ENDPOINT_H
#define RCPTDB_METRICS_ENDPOINT_H

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "exposition.h"
#include "network_list.h"
#include "status.h"

struct MHD_Daemon;

namespace rcptdb {

class MetricsEndpoint {
 public:
  using Render = std::function<std::string(ExpositionFormat)>;
  static constexpr unsigned kMaxClients = 16;

  // Serves the listening descriptor fd (bound at startup; the endpoint
  // takes it over and closes it) as name (for log lines), with render
  // producing each scrape's body. Fails if libmicrohttpd cannot start.
  static Result<std::unique_ptr<MetricsEndpoint>> Start(int fd, std::string name, Render render,
                                                        NetworkList allow);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // Replaces the networks whose clients may scrape (SIGHUP).
  void SetAllowNetworks(NetworkList allow);

 private:
  struct Callbacks;  // libmicrohttpd's, with this endpoint as their closure
  MetricsEndpoint(std::string name, Render render, NetworkList allow);
  // Returns true iff a client at addr may connect; logs refusals, at most
  // one line a second.
  bool Allowed(const struct sockaddr* addr);

  std::string name_;
  Render render_;
  std::mutex mutex_;  // guards allow_ and the refusal log's state
  NetworkList allow_;
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::uint64_t unlogged_refusals_ = 0;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace rcptdb

#endif
