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
  EXPECT_EQ(t.ActiveOf("127.0.0.1", P::kTcpTable), 2u);
  EXPECT_EQ(t.ActiveOf("uid 1000", P::kSocketmap), 1u);
  EXPECT_EQ(t.ActiveOf("uid 0", P::kSocketmap), 0u);
  t.Remove(b);
  EXPECT_EQ(t.ActiveOf("127.0.0.1", P::kSocketmap), 1u);
  t.Remove(a);
  t.Remove(c);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.ActiveOf("127.0.0.1", P::kTcpTable), 0u);
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
  EXPECT_EQ(t.PickVictim(&peer, P::kTcpTable), mine);
  EXPECT_EQ(t.PickVictim(&peer, P::kTcpTable), nullptr);
  EXPECT_EQ(t.ActiveOf("uid 1000", P::kTcpTable), 0u);
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
  auto pol = t.Add("p", "policy", P::kPolicy, 0, now - seconds(331));
  auto expired = t.Expired(now, {seconds(30), seconds(3600), seconds(330)});
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(expired[0], sm);
  EXPECT_EQ(expired[1], pol);
  // Expired once: not again.
  EXPECT_TRUE(t.Expired(now, {seconds(30), seconds(3600), seconds(330)}).empty());
  // A zero timeout never expires.
  EXPECT_TRUE(t.Expired(now + seconds(100000), {}).empty());
  expired = t.Expired(now + seconds(3600), {seconds(0), seconds(3600), seconds(0)});
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0], tcp);
  EXPECT_FALSE(sm_fresh->reclaimed());
  for (auto& c : {sm, sm_fresh, tcp, pol}) t.Remove(c);
  EXPECT_EQ(t.size(), 0u);
}

// Policy connections are counted against their own per-peer cap, give way
// among themselves for it, and after socketmap but before tcp_table ones
// for max_connections. Before issue 26 they were filed as tcp_table and
// never removed.
TEST(ConnectionTable, PolicyConnectionsHaveTheirOwnPool) {
  ConnectionTable t;
  Clock::time_point now = Clock::now();
  auto tcp = t.Add("p", "tcp", P::kTcpTable, 0, now - seconds(900));
  auto pol_old = t.Add("p", "policy old", P::kPolicy, 0, now - seconds(60));
  auto pol_new = t.Add("p", "policy new", P::kPolicy, 0, now - seconds(1));
  auto sm = t.Add("p", "sm", P::kSocketmap, 0, now);
  EXPECT_EQ(t.ActiveOf("p", P::kPolicy), 2u);
  EXPECT_EQ(t.ActiveOf("p", P::kSocketmap), 2u);
  EXPECT_EQ(t.ActiveOf("p", P::kTcpTable), 2u);
  EXPECT_EQ(t.Active(), 4u);
  std::string peer = "p";
  // The per-peer cap of the policy pool takes a policy connection only.
  EXPECT_EQ(t.PickVictim(&peer, P::kPolicy), pol_old);
  EXPECT_EQ(t.ActiveOf("p", P::kPolicy), 1u);
  EXPECT_EQ(t.ActiveOf("p", P::kTcpTable), 2u);
  // max_connections: socketmap, then policy, then tcp_table.
  EXPECT_EQ(t.PickVictim(), sm);
  EXPECT_EQ(t.PickVictim(), pol_new);
  EXPECT_EQ(t.PickVictim(), tcp);
  for (auto& c : {tcp, pol_old, pol_new, sm}) t.Remove(c);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.ActiveOf("p", P::kPolicy), 0u);
}

TEST(ConnectionTable, ProtocolNames) {
  EXPECT_STREQ(ProtocolName(P::kTcpTable), "tcp_table");
  EXPECT_STREQ(ProtocolName(P::kSocketmap), "socketmap");
  EXPECT_STREQ(ProtocolName(P::kPolicy), "policy");
}

}  // namespace
}  // namespace rcptdb
