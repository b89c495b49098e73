// SPDX-License-Identifier: MIT
// log_throttle.h - at most one log line a second for an event that repeats
//
// Some events come in floods that a hostile or broken client controls: a
// refused peer reconnecting, accept() failing while descriptors run out,
// idle connections closed one by one to make room. One line per event
// would bury the lines that matter (and fill the disk), so each such event
// has a LogThrottle: the first event logs, later ones within the interval
// are only counted, and the next line that is logged names that count.
// Flush() reports a count that no later event came to name, once the
// interval has passed, so that the end of a flood is logged too.
//
// Thread safety: none; use from one thread (the server's control thread).
#ifndef RCPTDB_LOG_THROTTLE_H
#define RCPTDB_LOG_THROTTLE_H

#include <chrono>
#include <cstdint>
#include <optional>

namespace rcptdb {

class LogThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogThrottle(Clock::duration interval = std::chrono::seconds(1)) : interval_(interval) {}

  // Records one event at now. Returns nullopt if it is not to be logged,
  // else how many events went unlogged since the last line (0 for the
  // first).
  std::optional<std::uint64_t> Note(Clock::time_point now) {
    if (logged_ && now - last_ < interval_) {
      ++unlogged_;
      return std::nullopt;
    }
    std::uint64_t n = unlogged_;
    logged_ = true;
    last_ = now;
    unlogged_ = 0;
    return n;
  }

  // Returns the events unlogged since the last line if there are any and
  // the interval has passed since that line (the caller logs them), else
  // nullopt.
  std::optional<std::uint64_t> Flush(Clock::time_point now) {
    if (unlogged_ == 0 || now - last_ < interval_) return std::nullopt;
    std::uint64_t n = unlogged_;
    last_ = now;
    unlogged_ = 0;
    return n;
  }

 private:
  Clock::duration interval_;
  bool logged_ = false;
  Clock::time_point last_{};
  std::uint64_t unlogged_ = 0;
};

}  // namespace rcptdb

#endif
