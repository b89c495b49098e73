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
