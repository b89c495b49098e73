// SPDX-License-Identifier: MIT
// server_metrics.h - rcptdb-server's metric families, from its counters
//
// The metrics endpoint (metrics_endpoint.h) shows the same counters the
// stats map does, and more, as Prometheus metric families. Reading them
// happens in two steps, so that the second is a pure function the unit
// tests can feed:
//   ReadServerFigures()    sums every worker's and listener's counters
//                          and reads the database health, the data's
//                          freshness and the process's figures (/proc);
//   ServerMetricFamilies() turns one such reading into families.
// Every family has the rcptdb_ prefix (the process_* families excepted,
// which are Prometheus's standard ones), base units and fixed label sets:
// protocols, maps, results, reasons, causes, listener addresses from the
// configuration. Nothing that comes from a request (address, domain,
// sender, login, client) is ever a label: those belong in the -v log.
//
// Thread safety: ReadServerFigures from any thread (it reads atomics);
// the rest are pure.
#ifndef RCPTDB_SERVER_METRICS_H
#define RCPTDB_SERVER_METRICS_H

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "exposition.h"
#include "listener_stats.h"
#include "lookup_stats.h"
#include "server_state.h"
#include "status.h"

namespace rcptdb {

// What the server listens on, in the order of ServerState's
// ListenerStats; fixed at start.
struct MetricsLayout {
  struct Listener {
    LookupProtocol protocol = LookupProtocol::kSocketmap;
    std::optional<MapId> map;  // a tcp_table listener's map
    std::string address;       // ListenAddress::str()
  };
  std::vector<Listener> listeners;
};

// The Status causes that are database trouble: database_errors_total's
// label values (their CauseName()).
inline constexpr Status::Cause kTroubleCauses[] = {
    Status::Cause::kMissing,      Status::Cause::kLocked,  Status::Cause::kCorrupt,
    Status::Cause::kWrongVersion, Status::Cause::kAccess,  Status::Cause::kIo,
    Status::Cause::kUnreachable,  Status::Cause::kTimeout, Status::Cause::kOther,
    Status::Cause::kStale};

struct ProcessFigures {
  bool ok = false;  // false: /proc could not be read; no process_* samples
  double cpu_seconds = 0;
  double start_time_seconds = 0;
  std::uint64_t open_fds = 0, max_fds = 0, virtual_bytes = 0, resident_bytes = 0;
};
// Reads this process's figures from /proc/self and getrlimit.
ProcessFigures ReadProcessFigures();

struct ServerFigures {
  struct ListenerFigures {
    std::uint64_t accepted = 0, active = 0;
    std::array<std::uint64_t, kCloseReasonCount> closed{};
    std::array<std::uint64_t, kRefuseReasonCount> refused{};
  };
  StatsSnapshot stats;
  std::vector<ListenerFigures> listeners;
  bool database_up = true;
  std::array<std::uint64_t, std::size(kTroubleCauses)> database_errors{};
  Engine engine = Engine::kSqlite;
  std::optional<std::uint64_t> data_version;
  std::optional<double> last_change_seconds;
  std::optional<double> standby_lag_seconds;  // only while reading a standby
  ProcessFigures process;
};

// Reads the counters and gauges of state (engine names the database in
// use). The standby lag is not read here (DatabaseProbe).
ServerFigures ReadServerFigures(ServerState& state, Engine engine);

// Returns the families of one reading, for EncodeExposition().
std::vector<MetricFamily> ServerMetricFamilies(const MetricsLayout& layout,
                                               const ServerFigures& figures);

// Returns the versions for rcptdb_build_info: {version, sqlite, libpq}
// ("none" for libpq in a build without PostgreSQL).
std::array<std::string, 3> BuildVersions();

}  // namespace rcptdb

#endif
