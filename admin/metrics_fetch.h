// SPDX-License-Identifier: MIT
// metrics_fetch.h - fetch one rcptdb-server's /metrics, for rcptdb top
//
// HTTP is libcurl's (no HTTP code of our own). A target is what an admin
// writes in rcptdb.conf's metrics setting, or a URL:
//   127.0.0.1:9163, [::1]:9163, host:9163   http://HOST:PORT/metrics
//   unix:/run/rcptdb/metrics.sock           /metrics over that socket
//   http://host:9163/metrics                as given
// The scrape asks for the Prometheus text format, waits at most the
// timeout, and refuses a reply over kMaxScrapeBytes or a status other
// than 200.
//
// Thread safety: call from one thread (rcptdb is single-threaded).
#ifndef RCPTDB_ADMIN_METRICS_FETCH_H
#define RCPTDB_ADMIN_METRICS_FETCH_H

#include <chrono>
#include <string>

#include "status.h"

namespace rcptdb::admin {

inline constexpr std::size_t kMaxScrapeBytes = 16 << 20;

// Returns the URL (and, for unix:PATH, the socket path) of target.
struct MetricsUrl {
  std::string url;
  std::string unix_socket;  // empty: TCP
};
Result<MetricsUrl> MetricsUrlOf(const std::string& target);

// Returns the body of target's /metrics; Temporary naming the target and
// the cause if it cannot be read.
Result<std::string> FetchMetrics(const std::string& target, std::chrono::milliseconds timeout);

}  // namespace rcptdb::admin

#endif
