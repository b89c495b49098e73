// SPDX-License-Identifier: MIT
// connection_table_test - which idle connection gives way, and when
#include "connection_table.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

using Clock = ConnectionTable::Clock;
using P = Connection::Protocol;
using std::chrono::seconds;

TEST(ConnectionTable, CountsActiveConnectionsPerPeer) {
  ConnectionTable t;
  Clock::time_point now = Clock::now();
  auto a = t.Add("127.0.0.1", "a", P::kTcpTable, 0, now);
  auto b = t.Add("127.0.0.1", "b", P::kSocketmap, 1, now);
  auto c = t.Add("uid 1000", "c", P::kSocketmap, 0, now);
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.Active(), 3u);
  EXPECT_EQ(t.ActiveOf("127.0.0.1"), 2u);
  EXPECT_EQ(t.ActiveOf("uid 1000"), 1u);
  EXPECT_EQ(t.ActiveOf("uid 0"), 0u);
  t.Remove(b);
  EXPECT_EQ(t.ActiveOf("127.0.0.1"), 1u);
  t.Remove(a);
  t.Remove(c);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.ActiveOf("127.0.0.1"), 0u);
}

TEST(ConnectionTable, SocketmapGivesWayFirstThenLongestIdle) {
  ConnectionTable t;
  Clock::time_point now = Clock::now();
  auto old_tcp = t.Add("p", "old tcp", P::kTcpTable, 0, now - seconds(100));
  auto new_tcp = t.Add("p", "new tcp", P::kTcpTable, 0, now - seconds(5));
  auto new_sm = t.Add("p", "new sm", P::kSocketmap, 0, now - seconds(1));
  auto old_sm = t.Add("p", "old sm", P::kSocketmap, 0, now - seconds(50));
  EXPECT_EQ(t.PickVictim(), old_sm);
  EXPECT_TRUE(old_sm->reclaimed());
  EXPECT_EQ(t.PickVictim(), new_sm);
  EXPECT_EQ(t.PickVictim(), old_tcp);
  // A request answered restarts the idle time.
  new_tcp->Touch(now);
  EXPECT_EQ(t.Active(), 1u);
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.PickVictim(), new_tcp);
  EXPECT_EQ(t.PickVictim(), nullptr);
  EXPECT_EQ(t.Active(), 0u);
  for (auto& c : {old_tcp, new_tcp, new_sm, old_sm}) t.Remove(c);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.Active(), 0u);
}

TEST(ConnectionTable, PeerVictimComesFromThatPeer) {
  ConnectionTable t;
  Clock::time_point now = Clock::now();
  auto other = t.Add("uid 0", "postfix", P::kSocketmap, 0, now - seconds(500));
  auto mine = t.Add("uid 1000", "user", P::kTcpTable, 0, now);
  std::string peer = "uid 1000";
  EXPECT_EQ(t.PickVictim(&peer), mine);
  EXPECT_EQ(t.PickVictim(&peer), nullptr);
  EXPECT_EQ(t.ActiveOf("uid 1000"), 0u);
  EXPECT_FALSE(other->reclaimed());
  t.Remove(mine);
  t.Remove(other);
}

TEST(ConnectionTable, ExpiresEachProtocolByItsOwnTimeout) {
  ConnectionTable t;
  Clock::time_point now = Clock::now();
  auto sm = t.Add("p", "sm", P::kSocketmap, 0, now - seconds(31));
  auto sm_fresh = t.Add("p", "sm fresh", P::kSocketmap, 0, now - seconds(29));
  auto tcp = t.Add("p", "tcp", P::kTcpTable, 0, now - seconds(31));
  auto expired = t.Expired(now, seconds(30), seconds(3600));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], sm);
  // Expired once: not again.
  EXPECT_TRUE(t.Expired(now, seconds(30), seconds(3600)).empty());
  // A zero timeout never expires.
  EXPECT_TRUE(t.Expired(now + seconds(100000), seconds(0), seconds(0)).empty());
  expired = t.Expired(now + seconds(3600), seconds(0), seconds(3600));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], tcp);
  EXPECT_FALSE(sm_fresh->reclaimed());
  for (auto& c : {sm, sm_fresh, tcp}) t.Remove(c);
}

}  // namespace
}  // namespace rcptdb
