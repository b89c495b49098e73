// SPDX-License-Identifier: MIT
// server_flags_test.cc - rcptdb-server's command line (server_flags.h):
// flags become the settings they override.
#include "server_flags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rcptdb {
namespace {

TEST(ServerFlags, MapsFlagsToSettings) {
  Result<ServerFlags> cl = ParseServerFlags(
      {"-c", "/etc/x.conf", "--db=/tmp/db", "--tcp-table", "domains=127.0.0.1:1", "--socketmap",
       "127.0.0.1:3", "--tcp-table=recipients=127.0.0.1:2", "--foreground", "--allow",
       "192.0.2.0/24", "--threads", "3", "-v", "--check-config"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->config_file, "/etc/x.conf");
  EXPECT_TRUE(cl->config_file_given);
  EXPECT_TRUE(cl->foreground);
  EXPECT_TRUE(cl->check_config);
  ServerConfig c;
  for (const Setting& s : cl->overrides) ASSERT_TRUE(ApplySetting(c, s).ok()) << s.origin;
  EXPECT_EQ(c.database, "/tmp/db");
  ASSERT_EQ(c.tcp_tables.size(), 2u);  // repeated flags collect into one list
  EXPECT_EQ(c.tcp_tables[1].map, MapId::kRecipients);
  EXPECT_EQ(c.socketmaps.size(), 1u);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_TRUE(c.verbose);
  EXPECT_FALSE(c.allow_networks.empty());
}

TEST(ServerFlags, RefusesUnknownAndIncompleteFlags) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"--db"}, {"-c"}, {"--foreground=yes"}, {"positional"}}) {
    EXPECT_FALSE(ParseServerFlags(args).ok()) << args[0];
  }
}

TEST(ServerFlags, NamesWhatItRefuses) {
  Result<ServerFlags> unknown = ParseServerFlags({"--foreground", "--bogus", "x"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "unknown argument \"--bogus\"");
  Result<ServerFlags> missing = ParseServerFlags({"--threads"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--threads"), std::string::npos)
      << missing.status().message();
}

TEST(ServerFlags, ReadsEverySpelling) {
  Result<ServerFlags> cl =
      ParseServerFlags({"--config=/c.conf", "-f", "--verbose", "--help", "--version",
                        "--socketmap=unix:/run/s", "--db", "/a", "--db=/b"});
  ASSERT_TRUE(cl.ok()) << cl.status().message();
  EXPECT_EQ(cl->config_file, "/c.conf");
  EXPECT_TRUE(cl->foreground);
  EXPECT_TRUE(cl->help);
  EXPECT_TRUE(cl->version);
  ServerConfig c;
  for (const Setting& s : cl->overrides) ASSERT_TRUE(ApplySetting(c, s).ok()) << s.origin;
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.database, "/b");  // a single-valued flag given twice: the last wins
  ASSERT_EQ(c.socketmaps.size(), 1u);
  EXPECT_EQ(c.socketmaps[0].str(), "unix:/run/s");
  Result<ServerFlags> none = ParseServerFlags({});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->config_file_given);
  EXPECT_TRUE(none->overrides.empty());
}

}  // namespace
}  // namespace rcptdb
