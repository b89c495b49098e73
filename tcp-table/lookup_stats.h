// SPDX-License-Identifier: MIT
// lookup_stats.h - lookup counters and latency histograms of one thread
//
// Each worker thread owns one LookupStats and is its only writer, so a
// count costs a relaxed load and store, never a locked instruction or a
// shared cache line. Readers (the stats map, the SIGUSR1 dump, the metrics
// endpoint) sum all threads' counters into a StatsSnapshot; a sum read
// while lookups go on may be a few counts behind, which is all a
// monitoring figure needs. Nothing is ever reset: monitoring takes
// differences between two reads.
//
// What is counted, per thread:
//   - every finished lookup by protocol (tcp_table, socketmap), map and
//     result as the client was told it (found, notfound, tempfail,
//     permfail), and every policy request by the action class answered;
//   - the time each took to answer, in one histogram per protocol;
//     latency is the time the server spent answering (store, resolver,
//     quota-status services for policy), not the network round trip;
//   - lookups begun, so that begun minus finished is what is in flight;
//   - requests refused by the protocol codecs, by reason;
//   - the time of the lookups that read the database (not answered from
//     the thread's kept answers), per engine, and the snapshots renewed.
//
// Histogram buckets are inclusive upper bounds (a lookup of exactly 50 µs
// counts in the 50 µs bucket), fine below 50 µs for the stats map's
// quantiles, then the Prometheus buckets from 50 µs to 5 s, then
// everything slower.
//
// Thread safety: the Record and Begin methods from the owning thread only;
// AddTo() from any.
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
// Map slots: the known maps, then one for a socketmap request naming a map
// the server does not know (answered PERM).
inline constexpr std::size_t kMapSlots = kMapCount + 1;
inline constexpr std::size_t kUnknownMapSlot = kMapCount;

// How a request reached the server.
enum class LookupProtocol : std::uint8_t { kTcpTable, kSocketmap, kPolicy };
inline constexpr std::size_t kProtocolCount = 3;
inline constexpr std::size_t kMapProtocolCount = 2;  // tcp_table, socketmap
// Returns "tcp_table", "socketmap" or "policy".
const char* ProtocolLabel(LookupProtocol p);

// What the client was told.
enum class LookupResult : std::uint8_t { kFound, kNotFound, kTempFail, kPermFail };
inline constexpr std::size_t kResultCount = 4;
// Returns "found", "notfound", "tempfail" or "permfail".
const char* ResultLabel(LookupResult r);
LookupResult ResultOf(MapAnswer::Kind kind);

// Why a codec refused a request, or a reply could not be sent as found.
enum class ProtocolError : std::uint8_t { kTooLong, kMalformed, kBadFrame, kReplyTooLong };
inline constexpr std::size_t kProtocolErrorCount = 4;
// Returns "too_long", "malformed", "bad_frame" or "reply_too_long".
const char* ProtocolErrorLabel(ProtocolError e);

// The policy service's answer, by class (the text itself is Dovecot's).
enum class PolicyAction : std::uint8_t { kDunno, kReject, kDefer, kTrouble };
inline constexpr std::size_t kPolicyActionCount = 4;
// Returns "dunno", "reject", "defer" or "trouble".
const char* PolicyActionLabel(PolicyAction a);

// The database engines, for the database time histogram.
enum class Engine : std::uint8_t { kSqlite, kPostgresql };
inline constexpr std::size_t kEngineCount = 2;
// Returns "sqlite" or "postgresql".
const char* EngineLabel(Engine e);

// Inclusive upper bounds of the latency buckets in nanoseconds; one more
// bucket counts everything slower.
inline constexpr std::array<std::uint64_t, 22> kLatencyBoundsNs = {
    1'000,       2'000,         4'000,         8'000,        16'000,      32'000,
    50'000,      100'000,       250'000,       500'000,      1'000'000,   2'500'000,
    5'000'000,   10'000'000,    25'000'000,    50'000'000,   100'000'000, 250'000'000,
    500'000'000, 1'000'000'000, 2'500'000'000, 5'000'000'000};
inline constexpr std::size_t kLatencyBuckets = kLatencyBoundsNs.size() + 1;
// The first bucket the metrics endpoint shows (50 µs): the finer ones
// below it are summed into it there.
inline constexpr std::size_t kFirstExposedBucket = 6;

// A latency histogram: counts per bucket, and the sum of all observations.
struct LatencyCounts {
  std::array<std::uint64_t, kLatencyBuckets> buckets{};
  std::uint64_t sum_ns = 0;
  std::uint64_t count() const;
  void Add(const LatencyCounts& other);
};

struct StatsSnapshot {
  // One map's lookups over both protocols, for the stats map.
  struct MapCounts {
    std::uint64_t lookups = 0, found = 0, notfound = 0, temporary = 0;
  };
  // [protocol][map slot][result]
  std::array<std::array<std::array<std::uint64_t, kResultCount>, kMapSlots>, kMapProtocolCount>
      lookups{};
  std::array<LatencyCounts, kProtocolCount> latency{};
  std::array<std::array<std::uint64_t, kProtocolErrorCount>, kProtocolCount> errors{};
  std::array<std::uint64_t, kPolicyActionCount> policy{};
  std::array<LatencyCounts, kEngineCount> database{};
  std::uint64_t begun = 0;              // lookups and policy requests begun
  std::uint64_t snapshot_renewals = 0;  // read snapshots begun or renewed
  std::uint64_t connections = 0;        // open now
  std::uint64_t accepted = 0;           // since start
  std::uint64_t refused = 0;            // over max_connections or not allowed

  // Returns map's lookups over tcp_table and socketmap.
  MapCounts Map(MapId map) const;
  // Returns the lookups and policy requests finished.
  std::uint64_t Finished() const;
  // Returns what is being answered now (begun, not finished).
  std::uint64_t InFlight() const;
  // Returns the table lookups' (tcp_table and socketmap) latency histogram.
  LatencyCounts TableLatency() const;
  // Returns the upper bound in µs of the bucket of the table lookups'
  // latency histogram holding quantile q (0..1): 0 when nothing was
  // counted, nullopt if it is the bucket above the last bound.
  std::optional<std::uint64_t> LatencyQuantileUs(double q) const;
  // Returns one line: "connections=.. accepted=.. refused=.. domains:
  // lookups=.. found=.. ..., latency_us p50<=.. p99<=.. p999<=..
  // histogram <=1:.. <=2:.. ...". If only is set, that map's counters only.
  std::string Format(std::optional<MapId> only = std::nullopt) const;
};

class LookupStats {
 public:
  // A lookup or policy request begins (counted in flight until recorded).
  void Begin() { Bump(begun_); }
  // Counts one finished table lookup on map slot (a MapId, or
  // kUnknownMapSlot) answered with result, that took elapsed.
  // REQUIRES: protocol is kTcpTable or kSocketmap.
  void Record(LookupProtocol protocol, std::size_t map_slot, LookupResult result,
              std::chrono::nanoseconds elapsed);
  void Record(LookupProtocol protocol, MapId map, MapAnswer::Kind kind,
              std::chrono::nanoseconds elapsed) {
    Record(protocol, static_cast<std::size_t>(map), ResultOf(kind), elapsed);
  }
  // Counts one finished policy request.
  void RecordPolicy(PolicyAction action, std::chrono::nanoseconds elapsed);
  // Counts a request a codec refused, or a reply too long to send.
  void RecordError(LookupProtocol protocol, ProtocolError error) {
    Bump(errors_[static_cast<std::size_t>(protocol)][static_cast<std::size_t>(error)]);
  }
  // Counts a lookup that read the database on engine, with its time.
  void RecordDatabase(Engine engine, std::chrono::nanoseconds elapsed) {
    Observe(database_[static_cast<std::size_t>(engine)], elapsed);
  }
  // Counts a read snapshot begun or renewed.
  void RecordRenewal() { Bump(renewals_); }
  // Adds this thread's counters to snap.
  void AddTo(StatsSnapshot& snap) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  struct Histogram {
    std::array<Counter, kLatencyBuckets> buckets{};
    Counter sum_ns{0};
  };
  static void Bump(Counter& c) {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  static void Observe(Histogram& h, std::chrono::nanoseconds elapsed);
  static void Read(const Histogram& h, LatencyCounts& into);

  std::array<std::array<std::array<Counter, kResultCount>, kMapSlots>, kMapProtocolCount>
      lookups_{};
  std::array<Histogram, kProtocolCount> latency_{};
  std::array<std::array<Counter, kProtocolErrorCount>, kProtocolCount> errors_{};
  std::array<Counter, kPolicyActionCount> policy_{};
  std::array<Histogram, kEngineCount> database_{};
  Counter begun_{0};
  Counter renewals_{0};
};

}  // namespace rcptdb

#endif
