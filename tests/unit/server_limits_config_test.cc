// SPDX-License-Identifier: MIT
// server_limits_config_test - the connection limit and unix socket settings
#include <gtest/gtest.h>

#include "server_config.h"

namespace rcptdb {
namespace {

Status Apply(ServerConfig& c, const std::string& name, const std::string& value) {
  return ApplySetting(c, {name, value, "test:1"});
}

TEST(ServerLimitsConfig, DefaultsReclaimSocketmapSoonTcpTableLate) {
  ServerConfig c;
  EXPECT_EQ(c.socketmap_idle_timeout, std::chrono::seconds(30));
  EXPECT_EQ(c.tcp_table_idle_timeout, std::chrono::seconds(3600));
  EXPECT_EQ(c.max_connections_per_peer, 0u);
  EXPECT_EQ(c.unix_socket_mode, 0666u);
}

TEST(ServerLimitsConfig, TimesTakePostfixUnits) {
  ServerConfig c;
  ASSERT_TRUE(Apply(c, "socketmap_idle_timeout", "45").ok());
  EXPECT_EQ(c.socketmap_idle_timeout, std::chrono::seconds(45));
  ASSERT_TRUE(Apply(c, "socketmap_idle_timeout", "10s").ok());
  EXPECT_EQ(c.socketmap_idle_timeout, std::chrono::seconds(10));
  ASSERT_TRUE(Apply(c, "tcp_table_idle_timeout", "2h").ok());
  EXPECT_EQ(c.tcp_table_idle_timeout, std::chrono::seconds(7200));
  ASSERT_TRUE(Apply(c, "tcp_table_idle_timeout", "1d").ok());
  EXPECT_EQ(c.tcp_table_idle_timeout, std::chrono::seconds(86400));
  ASSERT_TRUE(Apply(c, "tcp_table_idle_timeout", "0").ok());
  EXPECT_EQ(c.tcp_table_idle_timeout, std::chrono::seconds(0));
  ASSERT_TRUE(Apply(c, "socketmap_idle_timeout", "3m").ok());
  EXPECT_EQ(c.socketmap_idle_timeout, std::chrono::seconds(180));
  for (const char* bad : {"", "s", "-1", "5x", "1.5", "31d", "99999999999999999999"}) {
    Status s = Apply(c, "socketmap_idle_timeout", bad);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("test:1: socketmap_idle_timeout"), std::string::npos) << s.message();
  }
  EXPECT_EQ(c.socketmap_idle_timeout, std::chrono::seconds(180));
}

TEST(ServerLimitsConfig, PerPeerCapAndSocketAccess) {
  ServerConfig c;
  ASSERT_TRUE(Apply(c, "max_connections_per_peer", "50").ok());
  EXPECT_EQ(c.max_connections_per_peer, 50u);
  EXPECT_FALSE(Apply(c, "max_connections_per_peer", "-1").ok());
  ASSERT_TRUE(Apply(c, "unix_socket_mode", "0660").ok());
  EXPECT_EQ(c.unix_socket_mode, 0660u);
  ASSERT_TRUE(Apply(c, "unix_socket_mode", "600").ok());
  EXPECT_EQ(c.unix_socket_mode, 0600u);
  for (const char* bad : {"", "8", "0999", "01777", "rw"})
    EXPECT_FALSE(Apply(c, "unix_socket_mode", bad).ok()) << bad;
  ASSERT_TRUE(Apply(c, "unix_socket_group", "postfix").ok());
  EXPECT_EQ(c.unix_socket_group, "postfix");
  ASSERT_TRUE(Apply(c, "unix_socket_owner", "rcptdb").ok());
  for (const char* bad : {"a b", "-x", "a/b", "a:b"})
    EXPECT_FALSE(Apply(c, "unix_socket_group", bad).ok()) << bad;
}

// Policy connections have their own idle timeout (longer than Postfix's
// own 300 s) and per-peer cap (issue 26, item 1).
TEST(ServerLimitsConfig, PolicyConnectionsHaveTheirOwnTimeoutAndCap) {
  ServerConfig c;
  EXPECT_EQ(c.policy_idle_timeout, std::chrono::seconds(330));
  EXPECT_EQ(c.policy_max_connections_per_peer, 0u);
  ASSERT_TRUE(Apply(c, "policy_idle_timeout", "10m").ok());
  EXPECT_EQ(c.policy_idle_timeout, std::chrono::seconds(600));
  ASSERT_TRUE(Apply(c, "policy_max_connections_per_peer", "200").ok());
  EXPECT_EQ(c.policy_max_connections_per_peer, 200u);
  EXPECT_EQ(c.max_connections_per_peer, 0u);
  EXPECT_FALSE(Apply(c, "policy_idle_timeout", "-3").ok());
  EXPECT_FALSE(Apply(c, "policy_max_connections_per_peer", "x").ok());
  std::string d = c.Dump();
  EXPECT_NE(d.find("policy_idle_timeout = 600s\n"), std::string::npos) << d;
  EXPECT_NE(d.find("policy_max_connections_per_peer = 200\n"), std::string::npos) << d;
  Result<std::vector<Setting>> parsed =
      ParseConfigText("policy_idle_timeout = 5m\npolicy_max_connections_per_peer = 3\n", "x");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
}

// --check-config's output lands in the journal (the unit's ExecStartPre).
TEST(ServerLimitsConfig, DumpHidesTheDatabasePassword) {
  ServerConfig c;
  ASSERT_TRUE(Apply(c, "database", "postgresql://rcptdb:s3cret@db.example/rcptdb").ok());
  std::string d = c.Dump();
  EXPECT_EQ(d.find("s3cret"), std::string::npos) << d;
  EXPECT_NE(d.find("database = postgresql://rcptdb:***@db.example/rcptdb\n"), std::string::npos)
      << d;
}

TEST(ServerLimitsConfig, SocketSettingsNeedARestartTimeoutsDoNot) {
  ServerConfig a;
  ServerConfig b;
  ASSERT_TRUE(Apply(b, "socketmap_idle_timeout", "5").ok());
  ASSERT_TRUE(Apply(b, "max_connections_per_peer", "5").ok());
  EXPECT_TRUE(a.SameListeners(b));
  ASSERT_TRUE(Apply(b, "unix_socket_mode", "0660").ok());
  EXPECT_FALSE(a.SameListeners(b));
}

TEST(ServerLimitsConfig, DumpShowsTheNewSettings) {
  ServerConfig c;
  ASSERT_TRUE(Apply(c, "unix_socket_mode", "0660").ok());
  std::string d = c.Dump();
  EXPECT_NE(d.find("socketmap_idle_timeout = 30s\n"), std::string::npos) << d;
  EXPECT_NE(d.find("tcp_table_idle_timeout = 3600s\n"), std::string::npos) << d;
  EXPECT_NE(d.find("max_connections_per_peer = 0\n"), std::string::npos) << d;
  EXPECT_NE(d.find("unix_socket_mode = 0660\n"), std::string::npos) << d;
  // What the file reads back is what was dumped.
  Result<std::vector<Setting>> parsed = ParseConfigText("unix_socket_mode = 0660\n", "x");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
}

}  // namespace
}  // namespace rcptdb
