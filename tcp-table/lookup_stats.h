// SPDX-License-Identifier: MIT
// lookup_stats.h - lookup counters and latency histogram of one thread
//
// Each worker thread owns one LookupStats and is its only writer, so a
// count costs a relaxed load and store, never a locked instruction or a
// shared cache line. Readers (the stats map, the SIGUSR1 dump) sum all
// threads' counters into a StatsSnapshot; a sum read while lookups go on
// may be a few counts behind, which is all a monitoring figure needs.
//
// Latency is the time the server spent answering (store, resolver,
// encoding), not the network round trip; buckets are powers of two in
// microseconds: bucket 0 counts lookups under 1 µs, bucket i those from
// 2^(i-1) up to 2^i µs, the last one everything slower.
//
// Thread safety: Record() from the owning thread only; AddTo() from any.
#ifndef RCPTDB_LOOKUP_STATS_H
#define RCPTDB_LOOKUP_STATS_H

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "map_answers.h"

namespace rcptdb {

inline constexpr std::size_t kMapCount = std::size(kAllMaps);
inline constexpr std::size_t kLatencyBuckets = 24;  // up to ~8 s, then overflow

struct StatsSnapshot {
  struct MapCounts {
    std::uint64_t lookups = 0, found = 0, notfound = 0, temporary = 0;
  };
  std::array<MapCounts, kMapCount> maps{};
  std::array<std::uint64_t, kLatencyBuckets> latency{};
  std::uint64_t connections = 0;  // open now
  std::uint64_t accepted = 0;     // since start
  std::uint64_t refused = 0;      // over max_connections or not allowed

  // Returns the upper bound in µs of the bucket holding quantile q (0..1),
  // or 0 when nothing was counted.
  std::uint64_t LatencyQuantileUs(double q) const;
  // Returns one line: "connections=.. accepted=.. refused=.. domains:
  // lookups=.. found=.. ..., latency_us p50<=.. p99<=.. p999<=..
  // histogram <1:.. <2:.. ...". If only is set, that map's counters only.
  std::string Format(std::optional<MapId> only = std::nullopt) const;
};

class LookupStats {
 public:
  // Counts one answer on map that took elapsed.
  void Record(MapId map, MapAnswer::Kind kind, std::chrono::nanoseconds elapsed);
  // Adds this thread's counters to snap.
  void AddTo(StatsSnapshot& snap) const;

 private:
  struct Counters {
    std::atomic<std::uint64_t> lookups{0}, found{0}, notfound{0}, temporary{0};
  };
  static void Bump(std::atomic<std::uint64_t>& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::array<Counters, kMapCount> maps_;
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets> latency_{};
};

}  // namespace rcptdb

#endif
