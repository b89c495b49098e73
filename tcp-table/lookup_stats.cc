// SPDX-License-Identifier: MIT
// NAME
//   lookup_stats - per-thread counters, summed on demand
// DESCRIPTION
//   Single-writer counters: the worker thread adds with a relaxed load
//   and store; a reader on another thread sums them with relaxed loads.
//   Nothing is reset: monitoring takes differences between two reads.
//   A bucket is found by a linear scan from the fastest: almost every
//   lookup ends in the first few.
// SEE ALSO
//   lookup_stats.h, rcptdb-server(8) STATISTICS and METRICS
#include "lookup_stats.h"

#include <fmt/format.h>

namespace rcptdb {

const char* ProtocolLabel(LookupProtocol p) {
  switch (p) {
    case LookupProtocol::kTcpTable:
      return "tcp_table";
    case LookupProtocol::kSocketmap:
      return "socketmap";
    case LookupProtocol::kPolicy:
      return "policy";
  }
  return "?";
}

const char* ResultLabel(LookupResult r) {
  switch (r) {
    case LookupResult::kFound:
      return "found";
    case LookupResult::kNotFound:
      return "notfound";
    case LookupResult::kTempFail:
      return "tempfail";
    case LookupResult::kPermFail:
      return "permfail";
  }
  return "?";
}

LookupResult ResultOf(MapAnswer::Kind kind) {
  switch (kind) {
    case MapAnswer::Kind::kFound:
      return LookupResult::kFound;
    case MapAnswer::Kind::kNotFound:
      return LookupResult::kNotFound;
    case MapAnswer::Kind::kTemporary:
      break;
  }
  return LookupResult::kTempFail;
}

const char* ProtocolErrorLabel(ProtocolError e) {
  switch (e) {
    case ProtocolError::kTooLong:
      return "too_long";
    case ProtocolError::kMalformed:
      return "malformed";
    case ProtocolError::kBadFrame:
      return "bad_frame";
    case ProtocolError::kReplyTooLong:
      return "reply_too_long";
  }
  return "?";
}

const char* PolicyActionLabel(PolicyAction a) {
  switch (a) {
    case PolicyAction::kDunno:
      return "dunno";
    case PolicyAction::kReject:
      return "reject";
    case PolicyAction::kDefer:
      return "defer";
    case PolicyAction::kTrouble:
      return "trouble";
  }
  return "?";
}

const char* EngineLabel(Engine e) { return e == Engine::kPostgresql ? "postgresql" : "sqlite"; }

std::uint64_t LatencyCounts::count() const {
  std::uint64_t n = 0;
  for (std::uint64_t b : buckets) n += b;
  return n;
}

void LatencyCounts::Add(const LatencyCounts& other) {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i) buckets[i] += other.buckets[i];
  sum_ns += other.sum_ns;
}

void LookupStats::Observe(Histogram& h, std::chrono::nanoseconds elapsed) {
  auto ns = static_cast<std::uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count());
  std::size_t bucket = 0;
  while (bucket < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[bucket]) ++bucket;
  Bump(h.buckets[bucket]);
  h.sum_ns.store(h.sum_ns.load(std::memory_order_relaxed) + ns, std::memory_order_relaxed);
}

void LookupStats::Read(const Histogram& h, LatencyCounts& into) {
  for (std::size_t i = 0; i < kLatencyBuckets; ++i)
    into.buckets[i] += h.buckets[i].load(std::memory_order_relaxed);
  into.sum_ns += h.sum_ns.load(std::memory_order_relaxed);
}

void LookupStats::Record(LookupProtocol protocol, std::size_t map_slot, LookupResult result,
                         std::chrono::nanoseconds elapsed) {
  auto p = static_cast<std::size_t>(protocol);
  Bump(lookups_[p][map_slot][static_cast<std::size_t>(result)]);
  Observe(latency_[p], elapsed);
}

void LookupStats::RecordPolicy(PolicyAction action, std::chrono::nanoseconds elapsed) {
  Bump(policy_[static_cast<std::size_t>(action)]);
  Observe(latency_[static_cast<std::size_t>(LookupProtocol::kPolicy)], elapsed);
}

void LookupStats::AddTo(StatsSnapshot& snap) const {
  // Finished counts first, begun last: a lookup finishing meanwhile can
  // then only make the in-flight figure larger, never negative.
  for (std::size_t p = 0; p < kMapProtocolCount; ++p)
    for (std::size_t m = 0; m < kMapSlots; ++m)
      for (std::size_t r = 0; r < kResultCount; ++r)
        snap.lookups[p][m][r] += lookups_[p][m][r].load(std::memory_order_relaxed);
  for (std::size_t a = 0; a < kPolicyActionCount; ++a)
    snap.policy[a] += policy_[a].load(std::memory_order_relaxed);
  for (std::size_t p = 0; p < kProtocolCount; ++p) {
    Read(latency_[p], snap.latency[p]);
    for (std::size_t e = 0; e < kProtocolErrorCount; ++e)
      snap.errors[p][e] += errors_[p][e].load(std::memory_order_relaxed);
  }
  for (std::size_t e = 0; e < kEngineCount; ++e) Read(database_[e], snap.database[e]);
  snap.snapshot_renewals += renewals_.load(std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_acquire);
  snap.begun += begun_.load(std::memory_order_relaxed);
}

StatsSnapshot::MapCounts StatsSnapshot::Map(MapId map) const {
  MapCounts c;
  auto m = static_cast<std::size_t>(map);
  for (std::size_t p = 0; p < kMapProtocolCount; ++p) {
    const auto& r = lookups[p][m];
    c.found += r[static_cast<std::size_t>(LookupResult::kFound)];
    c.notfound += r[static_cast<std::size_t>(LookupResult::kNotFound)];
    c.temporary += r[static_cast<std::size_t>(LookupResult::kTempFail)] +
                   r[static_cast<std::size_t>(LookupResult::kPermFail)];
  }
  c.lookups = c.found + c.notfound + c.temporary;
  return c;
}

std::uint64_t StatsSnapshot::Finished() const {
  std::uint64_t n = 0;
  for (const auto& per_protocol : lookups)
    for (const auto& per_map : per_protocol)
      for (std::uint64_t v : per_map) n += v;
  for (std::uint64_t v : policy) n += v;
  return n;
}

std::uint64_t StatsSnapshot::InFlight() const {
  std::uint64_t done = Finished();
  return begun > done ? begun - done : 0;
}

LatencyCounts StatsSnapshot::TableLatency() const {
  LatencyCounts all = latency[static_cast<std::size_t>(LookupProtocol::kTcpTable)];
  all.Add(latency[static_cast<std::size_t>(LookupProtocol::kSocketmap)]);
  return all;
}

std::optional<std::uint64_t> StatsSnapshot::LatencyQuantileUs(double q) const {
  LatencyCounts all = TableLatency();
  std::uint64_t total = all.count();
  if (total == 0) return 0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total));
  if (rank >= total) rank = total - 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kLatencyBoundsNs.size(); ++i) {
    seen += all.buckets[i];
    if (seen > rank) return kLatencyBoundsNs[i] / 1000;
  }
  return std::nullopt;
}

std::string StatsSnapshot::Format(std::optional<MapId> only) const {
  std::string out =
      fmt::format("connections={} accepted={} refused={}", connections, accepted, refused);
  for (MapId m : kAllMaps) {
    if (only && *only != m) continue;
    MapCounts c = Map(m);
    out += fmt::format(" {}: lookups={} found={} notfound={} temporary={}", MapName(m), c.lookups,
                       c.found, c.notfound, c.temporary);
  }
  auto quantile = [this](double q) {
    std::optional<std::uint64_t> us = LatencyQuantileUs(q);
    return us ? fmt::format("<={}", *us) : std::string(">5000000");
  };
  out += fmt::format(" latency_us: p50{} p99{} p999{} histogram", quantile(0.5), quantile(0.99),
                     quantile(0.999));
  LatencyCounts all = TableLatency();
  for (std::size_t i = 0; i < kLatencyBoundsNs.size(); ++i)
    if (all.buckets[i] != 0)
      out += fmt::format(" <={}:{}", kLatencyBoundsNs[i] / 1000, all.buckets[i]);
  if (all.buckets.back() != 0) out += fmt::format(" >5000000:{}", all.buckets.back());
  return out;
}

}  // namespace rcptdb
