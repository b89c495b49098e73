// SPDX-License-Identifier: MIT
// NAME
//   database_health - once-per-cause logging of database trouble
// DESCRIPTION
//   The cause is the Status's own (set by store.cc and live_store.cc where
//   SQLite or the system reported the error); its wording is CauseName().
// SEE ALSO
//   database_health.h, status.h, store.h, live_store.h
#include "database_health.h"

#include "logger.h"

namespace rcptdb {

void DatabaseHealth::Failed(Status::Cause cause, std::string_view message,
                            std::string_view context) {
  // A temporary failure always has a trouble cause; never let one that
  // lacks it read as "healthy".
  if (cause == Status::Cause::kNone) cause = Status::Cause::kOther;
  by_cause_[static_cast<std::size_t>(cause)].fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mutex_);
  ++failures_;
  if (cause_ == cause) return;
  if (cause_ == Status::Cause::kNone) {
    since_ = std::chrono::steady_clock::now();
    failures_ = 1;
  }
  cause_ = cause;
  troubled_.store(true, std::memory_order_relaxed);
  LogWarning("{}: {}; answering temporary failures until it recovers (first: {})", CauseName(cause),
             message, context);
}

void DatabaseHealth::Recover() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cause_ == Status::Cause::kNone) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
  LogInfo(
      "database works again after {:.1f}s of trouble ({}); {} lookups were answered with a "
      "temporary failure",
      seconds, CauseName(cause_), failures_);
  cause_ = Status::Cause::kNone;
  failures_ = 0;
  troubled_.store(false, std::memory_order_relaxed);
}

}  // namespace rcptdb
