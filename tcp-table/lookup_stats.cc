// SPDX-License-Identifier: MIT
// NAME
//   lookup_stats - per-thread counters, summed on demand
// DESCRIPTION
//   Single-writer counters: the worker thread adds with a relaxed load
//   and store; a reader on another thread sums them with relaxed loads.
//   Nothing is reset: monitoring takes differences between two reads.
// SEE ALSO
//   lookup_stats.h, rcptdb-server(8) STATISTICS
#include "lookup_stats.h"

#include <fmt/format.h>

#include <bit>

namespace rcptdb {

void LookupStats::Record(MapId map, MapAnswer::Kind kind, std::chrono::nanoseconds elapsed) {
  Counters& c = maps_[static_cast<std::size_t>(map)];
  Bump(c.lookups);
  switch (kind) {
    case MapAnswer::Kind::kFound:
      Bump(c.found);
      break;
    case MapAnswer::Kind::kNotFound:
      Bump(c.notfound);
      break;
    case MapAnswer::Kind::kTemporary:
      Bump(c.temporary);
      break;
  }
  auto us = static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count() / 1000);
  std::size_t bucket = static_cast<std::size_t>(std::bit_width(us));
  if (bucket >= kLatencyBuckets) bucket = kLatencyBuckets - 1;
  Bump(latency_[bucket]);
}

void LookupStats::AddTo(StatsSnapshot& snap) const {
  for (std::size_t i = 0; i < kMapCount; ++i) {
    snap.maps[i].lookups += maps_[i].lookups.load(std::memory_order_relaxed);
    snap.maps[i].found += maps_[i].found.load(std::memory_order_relaxed);
    snap.maps[i].notfound += maps_[i].notfound.load(std::memory_order_relaxed);
    snap.maps[i].temporary += maps_[i].temporary.load(std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < kLatencyBuckets; ++i)
    snap.latency[i] += latency_[i].load(std::memory_order_relaxed);
}

std::uint64_t StatsSnapshot::LatencyQuantileUs(double q) const {
  std::uint64_t total = 0;
  for (std::uint64_t n : latency) total += n;
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) {
    seen += latency[i];
    if (seen > rank) return std::uint64_t{1} << i;
  }
  return std::uint64_t{1} << (kLatencyBuckets - 1);
}

std::string StatsSnapshot::Format(std::optional<MapId> only) const {
  std::string out =
      fmt::format("connections={} accepted={} refused={}", connections, accepted, refused);
  for (MapId m : kAllMaps) {
    if (only && *only != m) continue;
    const MapCounts& c = maps[static_cast<std::size_t>(m)];
    out += fmt::format(" {}: lookups={} found={} notfound={} temporary={}", MapName(m), c.lookups,
                       c.found, c.notfound, c.temporary);
  }
  out += fmt::format(" latency_us: p50<={} p99<={} p999<={} histogram", LatencyQuantileUs(0.5),
                     LatencyQuantileUs(0.99), LatencyQuantileUs(0.999));
  for (std::size_t i = 0; i < kLatencyBuckets; ++i)
    if (latency[i] != 0) out += fmt::format(" <{}:{}", std::uint64_t{1} << i, latency[i]);
  return out;
}

}  // namespace rcptdb
