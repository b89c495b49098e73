// SPDX-License-Identifier: MIT
// listener_stats.h - connections accepted, refused and closed, per listener
//
// One ListenerStats per bound listener, for the metrics endpoint's
// connection families. The accepting thread counts admissions and
// refusals; the worker serving a connection counts its close, once, with
// the reason it ended. Open connections are those accepted and not yet
// closed. Counts change once per connection, never per lookup, so shared
// atomic increments cost nothing that matters.
//
// Thread safety: all methods from any thread.
#ifndef RCPTDB_LISTENER_STATS_H
#define RCPTDB_LISTENER_STATS_H

#include <array>
#include <atomic>
#include <cstdint>

namespace rcptdb {

// Why a connection ended.
enum class CloseReason : std::uint8_t {
  kClient,    // the client closed it (or reset it)
  kIdle,      // idle past its protocol's idle timeout
  kLimit,     // reclaimed to make room under max_connections
  kPeerCap,   // reclaimed to make room under the peer's cap
  kError,     // an I/O error, or the protocol ended it (a broken request)
  kShutdown,  // the server drained (SIGTERM)
};
inline constexpr std::size_t kCloseReasonCount = 6;
// Returns "client", "idle", "limit", "peer_cap", "error" or "shutdown".
inline const char* CloseReasonLabel(CloseReason r) {
  constexpr const char* kLabels[] = {"client", "idle", "limit", "peer_cap", "error", "shutdown"};
  return kLabels[static_cast<std::size_t>(r)];
}

// Why a connection was refused at accept.
enum class RefuseReason : std::uint8_t {
  kNotAllowed,  // the peer is not on loopback or in allow_networks
  kLimit,       // the limit was reached and nothing could be reclaimed
};
inline constexpr std::size_t kRefuseReasonCount = 2;
// Returns "not_allowed" or "limit".
inline const char* RefuseReasonLabel(RefuseReason r) {
  return r == RefuseReason::kNotAllowed ? "not_allowed" : "limit";
}

class ListenerStats {
 public:
  void Accepted() { accepted_.fetch_add(1, std::memory_order_relaxed); }
  void Refused(RefuseReason r) {
    refused_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  void Closed(CloseReason r) {
    closed_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }

  std::uint64_t accepted() const { return accepted_.load(std::memory_order_relaxed); }
  std::uint64_t refused(RefuseReason r) const {
    return refused_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  std::uint64_t closed(CloseReason r) const {
    return closed_[static_cast<std::size_t>(r)].load(std::memory_order_relaxed);
  }
  // Returns the connections accepted and not yet closed.
  std::uint64_t active() const {
    std::uint64_t closed = 0;
    for (const auto& c : closed_) closed += c.load(std::memory_order_relaxed);
    std::uint64_t accepted = accepted_.load(std::memory_order_relaxed);
    return accepted > closed ? accepted - closed : 0;
  }

 private:
  std::atomic<std::uint64_t> accepted_{0};
  std::array<std::atomic<std::uint64_t>, kRefuseReasonCount> refused_{};
  std::array<std::atomic<std::uint64_t>, kCloseReasonCount> closed_{};
};

}  // namespace rcptdb

#endif
