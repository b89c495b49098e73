// SPDX-License-Identifier: MIT
// database_probe.h - the standby's replay lag, for the metrics endpoint
//
// rcptdb_standby_lag_seconds says how far a PostgreSQL standby that the
// server reads lags behind its primary. The workers never pay for it: the
// metrics endpoint's thread asks through a read-only connection of its
// own, when scraped and at most once a second (a faster scraper gets the
// last value). On SQLite, on a primary, or while the database cannot be
// read, there is no value.
//
// Thread safety: all methods from any thread (one mutex).
#ifndef RCPTDB_DATABASE_PROBE_H
#define RCPTDB_DATABASE_PROBE_H

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "live_store.h"

namespace rcptdb {

class DatabaseProbe {
 public:
  DatabaseProbe(std::string database, int busy_timeout_ms);
  ~DatabaseProbe();

  // Switches to another database (SIGHUP); the next read connects anew.
  void SetDatabase(std::string database, int busy_timeout_ms);
  // Returns the standby lag in seconds (see above), read at most once
  // per second.
  std::optional<double> StandbyLagSeconds();

 private:
  std::mutex mutex_;
  std::string database_;
  int busy_timeout_ms_;
  std::unique_ptr<LiveStore> store_;  // opened at the first read
  std::chrono::steady_clock::time_point read_at_{};
  std::optional<double> lag_;
};

}  // namespace rcptdb

#endif
