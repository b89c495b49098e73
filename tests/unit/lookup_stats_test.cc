// SPDX-License-Identifier: MIT
// lookup_stats_test.cc - per-map counters and the latency histograms
// (lookup_stats.h).
#include "lookup_stats.h"

#include <gtest/gtest.h>

#include <string>

namespace rcptdb {
namespace {

using K = MapAnswer::Kind;
using std::chrono::microseconds;
using std::chrono::nanoseconds;
constexpr auto kTcp = LookupProtocol::kTcpTable;
constexpr auto kSm = LookupProtocol::kSocketmap;

std::size_t Bucket(std::uint64_t ns) {
  std::size_t i = 0;
  while (i < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[i]) ++i;
  return i;
}

TEST(LookupStats, CountsPerProtocolMapAndResult) {
  LookupStats s;
  s.Record(kTcp, MapId::kRecipients, K::kFound, microseconds(0));
  s.Record(kTcp, MapId::kRecipients, K::kNotFound, microseconds(3));
  s.Record(kSm, MapId::kRecipients, K::kTemporary, microseconds(3));
  s.Record(kSm, MapId::kDomains, K::kFound, microseconds(1500));
  s.Record(kSm, kUnknownMapSlot, LookupResult::kPermFail, nanoseconds(0));
  StatsSnapshot snap;
  s.AddTo(snap);
  s.AddTo(snap);  // two threads' worth
  auto r = snap.Map(MapId::kRecipients);
  EXPECT_EQ(r.lookups, 6u);
  EXPECT_EQ(r.found, 2u);
  EXPECT_EQ(r.notfound, 2u);
  EXPECT_EQ(r.temporary, 2u);
  auto rec = static_cast<std::size_t>(MapId::kRecipients);
  EXPECT_EQ(snap.lookups[0][rec][static_cast<std::size_t>(LookupResult::kFound)], 2u);
  EXPECT_EQ(snap.lookups[1][rec][static_cast<std::size_t>(LookupResult::kTempFail)], 2u);
  EXPECT_EQ(snap.lookups[1][kUnknownMapSlot][static_cast<std::size_t>(LookupResult::kPermFail)],
            2u);
  EXPECT_EQ(snap.Finished(), 10u);
  // Every lookup is in its protocol's histogram, once.
  EXPECT_EQ(snap.latency[0].count(), 4u);
  EXPECT_EQ(snap.latency[1].count(), 6u);
  EXPECT_EQ(snap.latency[2].count(), 0u);
  EXPECT_EQ(snap.latency[0].sum_ns, 2u * 3000u);
}

TEST(LookupStats, BucketsAreInclusiveUpperBounds) {
  LookupStats s;
  s.Record(kTcp, MapId::kDomains, K::kFound, nanoseconds(1000));        // <= 1 µs
  s.Record(kTcp, MapId::kDomains, K::kFound, nanoseconds(1001));        // <= 2 µs
  s.Record(kTcp, MapId::kDomains, K::kFound, microseconds(50));         // <= 50 µs
  s.Record(kTcp, MapId::kDomains, K::kFound, microseconds(51));         // <= 100 µs
  s.Record(kTcp, MapId::kDomains, K::kFound, std::chrono::seconds(5));  // <= 5 s
  s.Record(kTcp, MapId::kDomains, K::kFound, std::chrono::seconds(6));  // above
  s.Record(kTcp, MapId::kDomains, K::kFound, nanoseconds(-5));          // clock step: 0
  StatsSnapshot snap;
  s.AddTo(snap);
  const LatencyCounts& h = snap.latency[0];
  EXPECT_EQ(h.buckets[0], 2u);
  EXPECT_EQ(h.buckets[1], 1u);
  EXPECT_EQ(h.buckets[Bucket(50'000)], 1u);
  EXPECT_EQ(Bucket(50'000), kFirstExposedBucket);
  EXPECT_EQ(h.buckets[Bucket(51'000)], 1u);
  EXPECT_EQ(h.buckets[kLatencyBuckets - 2], 1u);
  EXPECT_EQ(h.buckets[kLatencyBuckets - 1], 1u);
  EXPECT_EQ(kLatencyBoundsNs[kFirstExposedBucket], 50'000u);
  EXPECT_EQ(kLatencyBoundsNs.back(), 5'000'000'000u);
}

TEST(LookupStats, QuantilesAndTheStatsLine) {
  LookupStats s;
  for (int i = 0; i < 98; ++i) s.Record(kTcp, MapId::kRecipients, K::kFound, microseconds(3));
  s.Record(kSm, MapId::kRecipients, K::kNotFound, microseconds(1500));
  s.Record(kSm, MapId::kDomains, K::kNotFound, std::chrono::seconds(9));
  StatsSnapshot snap;
  s.AddTo(snap);
  EXPECT_EQ(snap.LatencyQuantileUs(0.5), std::optional<std::uint64_t>(4));
  EXPECT_EQ(snap.LatencyQuantileUs(0.985), std::optional<std::uint64_t>(2500));
  EXPECT_EQ(snap.LatencyQuantileUs(0.999), std::nullopt);
  std::string line = snap.Format();
  EXPECT_NE(line.find("recipients: lookups=99 found=98 notfound=1 temporary=0"), std::string::npos)
      << line;
  EXPECT_NE(line.find("latency_us: p50<=4 p99>5000000 p999>5000000 histogram <=4:98 <=2500:1 "
                      ">5000000:1"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  std::string only = snap.Format(MapId::kDomains);
  EXPECT_NE(only.find("domains: lookups=1"), std::string::npos);
  EXPECT_EQ(only.find("recipients:"), std::string::npos);
  StatsSnapshot empty;
  EXPECT_EQ(empty.LatencyQuantileUs(0.5), std::optional<std::uint64_t>(0));
}

TEST(LookupStats, InFlightIsBegunMinusFinished) {
  LookupStats s;
  s.Begin();
  s.Begin();
  s.Begin();
  s.Record(kTcp, MapId::kDomains, K::kFound, microseconds(1));
  s.RecordPolicy(PolicyAction::kReject, microseconds(700));
  StatsSnapshot snap;
  s.AddTo(snap);
  EXPECT_EQ(snap.InFlight(), 1u);
  EXPECT_EQ(snap.policy[static_cast<std::size_t>(PolicyAction::kReject)], 1u);
  EXPECT_EQ(snap.latency[static_cast<std::size_t>(LookupProtocol::kPolicy)].count(), 1u);
  // Policy requests are not table lookups: not in the stats map's figures.
  EXPECT_EQ(snap.TableLatency().count(), 1u);
}

TEST(LookupStats, ErrorsDatabaseTimeAndRenewals) {
  LookupStats s;
  s.RecordError(kSm, ProtocolError::kBadFrame);
  s.RecordError(kSm, ProtocolError::kBadFrame);
  s.RecordError(kTcp, ProtocolError::kTooLong);
  s.RecordDatabase(Engine::kPostgresql, microseconds(800));
  s.RecordRenewal();
  StatsSnapshot snap;
  s.AddTo(snap);
  EXPECT_EQ(snap.errors[1][static_cast<std::size_t>(ProtocolError::kBadFrame)], 2u);
  EXPECT_EQ(snap.errors[0][static_cast<std::size_t>(ProtocolError::kTooLong)], 1u);
  EXPECT_EQ(snap.database[1].count(), 1u);
  EXPECT_EQ(snap.database[0].count(), 0u);
  EXPECT_EQ(snap.snapshot_renewals, 1u);
}

TEST(LookupStats, LabelsAreFixedWords) {
  EXPECT_STREQ(ProtocolLabel(LookupProtocol::kPolicy), "policy");
  EXPECT_STREQ(ResultLabel(LookupResult::kTempFail), "tempfail");
  EXPECT_STREQ(ProtocolErrorLabel(ProtocolError::kReplyTooLong), "reply_too_long");
  EXPECT_STREQ(PolicyActionLabel(PolicyAction::kTrouble), "trouble");
  EXPECT_STREQ(EngineLabel(Engine::kPostgresql), "postgresql");
  EXPECT_EQ(ResultOf(K::kTemporary), LookupResult::kTempFail);
}

}  // namespace
}  // namespace rcptdb
