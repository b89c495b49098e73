// SPDX-License-Identifier: MIT
// lookup_stats_test.cc - per-map counters and the latency histogram
// (lookup_stats.h).
#include "lookup_stats.h"

#include <gtest/gtest.h>

#include <string>

namespace rcptdb {
namespace {

TEST(LookupStats, CountsPerMapAndBucketsLatency) {
  LookupStats s;
  using K = MapAnswer::Kind;
  using std::chrono::microseconds;
  s.Record(MapId::kRecipients, K::kFound, microseconds(0));
  s.Record(MapId::kRecipients, K::kNotFound, microseconds(3));
  s.Record(MapId::kRecipients, K::kTemporary, microseconds(3));
  s.Record(MapId::kDomains, K::kFound, microseconds(1500));
  StatsSnapshot snap;
  s.AddTo(snap);
  s.AddTo(snap);  // two threads' worth
  const auto& r = snap.maps[static_cast<std::size_t>(MapId::kRecipients)];
  EXPECT_EQ(r.lookups, 6u);
  EXPECT_EQ(r.found, 2u);
  EXPECT_EQ(r.notfound, 2u);
  EXPECT_EQ(r.temporary, 2u);
  EXPECT_EQ(snap.latency[0], 2u);   // < 1 µs
  EXPECT_EQ(snap.latency[2], 4u);   // 2..3 µs
  EXPECT_EQ(snap.latency[11], 2u);  // 1024..2047 µs
  EXPECT_EQ(snap.LatencyQuantileUs(0.5), 4u);
  EXPECT_EQ(snap.LatencyQuantileUs(0.99), 2048u);
  std::string line = snap.Format();
  EXPECT_NE(line.find("recipients: lookups=6 found=2 notfound=2 temporary=2"), std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  std::string only = snap.Format(MapId::kDomains);
  EXPECT_NE(only.find("domains: lookups=2"), std::string::npos);
  EXPECT_EQ(only.find("recipients:"), std::string::npos);
}

}  // namespace
}  // namespace rcptdb
