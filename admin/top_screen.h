// SPDX-License-Identifier: MIT
// top_screen.h - the screen of `rcptdb top`, from two scrapes per server
//
// rcptdb top shows what one or more rcptdb-server metrics endpoints say,
// like varnishstat or pg_top: rates over the last interval (the difference
// between two scrapes, divided by the time between them), the latency
// quantiles of that interval, connections, database health and the data
// version. The screen fits an 80x24 terminal: at most 80 columns, at most
// 24 lines, whatever the servers send (names are cut to fit, at most
// kMaxServerLines servers are listed one per line, the rest counted).
//
//   rcptdb top  2026-12-06 03:17:52  1 server  every 1s
//
//   LOOKUPS/s          found  notfound  tempfail  permfail     total
//   domains            120.0      35.0       0.0       0.0     155.0
//   ...                (each map, the unknown-map PERMs, all)
//
//   SERVER                 lookups/s p50     p99     tempf/s conns db   data
//   127.0.0.1:9163            1520.0 <=50us  <=1ms       0.0    12 ok   v1234 2s
//
//   policy/s  dunno 0.0  reject 0.0  defer 0.0  trouble 0.0
//   errors/s  protocol 0.0  database 0.0
//
// A counter that went down (the server restarted) counts from zero, as
// Prometheus's rate() does.
//
// Thread safety: pure function.
#ifndef RCPTDB_ADMIN_TOP_SCREEN_H
#define RCPTDB_ADMIN_TOP_SCREEN_H

#include <optional>
#include <string>
#include <vector>

#include "exposition_reader.h"

namespace rcptdb::admin {

inline constexpr std::size_t kScreenColumns = 80;
inline constexpr std::size_t kScreenLines = 24;
inline constexpr std::size_t kMaxServerLines = 6;

// One scrape of one server: when it was taken and what it said (or why
// it could not be read).
struct TopReading {
  double at = 0;      // seconds on a monotonic clock
  double wall = 0;    // seconds since the epoch, for the data's age
  std::string error;  // non-empty: the scrape failed
  std::vector<ExposedSample> samples;
};

// Two scrapes of one server, interval apart.
struct TopServer {
  std::string name;  // as the user named it
  TopReading before, after;
};

// Returns the screen: lines of at most kScreenColumns, at most
// kScreenLines of them, each ending in '\n'. clock is the time to show
// ("2026-12-06 03:17:52").
std::string RenderTopScreen(const std::vector<TopServer>& servers, const std::string& clock);

}  // namespace rcptdb::admin

#endif
