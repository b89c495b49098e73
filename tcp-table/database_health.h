// SPDX-License-Identifier: MIT
// database_health.h - log database trouble once per cause, and recovery
//
// When the database is locked, missing, corrupt or of the wrong schema
// version, every lookup fails the same way; one log line per lookup would
// bury the one line that matters. DatabaseHealth is shared by all worker
// threads: Failed() logs only when the cause changes (a new cause, or the
// first failure after a recovery), Succeeded() logs one recovery line with
// the duration and the number of failed lookups. The cause is the one the
// Store set on its Status (status.h), so that failures differing only in
// which query hit the lock count as one cause.
//
// For the metrics endpoint it also counts the failed lookups by cause
// (database_errors_total) and says whether the database works now
// (database_up: no failure since the last success).
//
// Thread safety: all methods from any thread. Succeeded() costs one relaxed
// atomic load while the database is healthy; the lock is taken only while
// it is in trouble.
#ifndef RCPTDB_DATABASE_HEALTH_H
#define RCPTDB_DATABASE_HEALTH_H

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb {

class DatabaseHealth {
 public:
  // Records a failed lookup: cause and message as the Store reported them,
  // context names the peer, map and key. Logs if the cause differs from
  // the current one.
  void Failed(Status::Cause cause, std::string_view message, std::string_view context);
  // Records a lookup that reached the database; logs the recovery if the
  // database was in trouble.
  void Succeeded() {
    if (troubled_.load(std::memory_order_relaxed)) Recover();
  }
  // Returns true iff no lookup failed since the last one that reached
  // the database (true before the first).
  bool up() const { return !troubled_.load(std::memory_order_relaxed); }
  // Returns the cause of the trouble now (kNone while up).
  Status::Cause cause() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cause_;
  }
  // Returns the failed lookups with cause since the start.
  std::uint64_t failures(Status::Cause cause) const {
    return by_cause_[static_cast<std::size_t>(cause)].load(std::memory_order_relaxed);
  }

 private:
  void Recover();
  std::atomic<bool> troubled_{false};
  std::mutex mutex_;
  Status::Cause cause_ = Status::Cause::kNone;  // the current cause
  std::chrono::steady_clock::time_point since_;
  std::uint64_t failures_ = 0;
  // One counter per Cause: kStale is the last.
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Status::Cause::kStale) + 1>
      by_cause_{};
};

}  // namespace rcptdb

#endif
