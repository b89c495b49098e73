// SPDX-License-Identifier: MIT
// data_freshness.h - which data the server serves, and since when
//
// Every worker reads the database's change counter when it begins or
// renews a read snapshot (ChangeSignal). When the value differs from the
// one it read before, it tells DataFreshness, which keeps:
//   - the change counter being served, where the engine has one that all
//     readers share (PostgreSQL's rcptdb_version row: the server and every
//     Dovecot store reading the same database report the same number);
//     SQLite's counter (PRAGMA data_version) belongs to each connection and
//     says only that something changed, so it is not kept;
//   - the wall-clock time the server last saw the data change (or first
//     read it, after a start or a reopen).
// A worker tells it at most once per change (plus once per reopen), so the
// atomics here are never on the lookup path.
//
// Thread safety: all methods from any thread.
#ifndef RCPTDB_DATA_FRESHNESS_H
#define RCPTDB_DATA_FRESHNESS_H

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

namespace rcptdb {

class DataFreshness {
 public:
  // A worker read a different change counter at now; version is the
  // shared counter, nullopt where the engine has none.
  void Changed(std::optional<std::uint64_t> version, std::chrono::system_clock::time_point now) {
    if (version) {
      std::uint64_t v = version_.load(std::memory_order_relaxed);
      while (*version > v && !version_.compare_exchange_weak(v, *version)) {
      }
      has_version_.store(true, std::memory_order_relaxed);
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
    std::int64_t t = changed_ns_.load(std::memory_order_relaxed);
    while (ns > t && !changed_ns_.compare_exchange_weak(t, ns)) {
    }
  }
  // Returns the highest shared change counter any worker served, if any.
  std::optional<std::uint64_t> version() const {
    if (!has_version_.load(std::memory_order_relaxed)) return std::nullopt;
    return version_.load(std::memory_order_relaxed);
  }
  // Returns when a worker last saw the data change, in seconds since the
  // epoch; nullopt before the first read.
  std::optional<double> last_change_seconds() const {
    std::int64_t ns = changed_ns_.load(std::memory_order_relaxed);
    if (ns == 0) return std::nullopt;
    return static_cast<double>(ns) / 1e9;
  }

 private:
  std::atomic<std::uint64_t> version_{0};
  std::atomic<bool> has_version_{false};
  std::atomic<std::int64_t> changed_ns_{0};
};

}  // namespace rcptdb

#endif
