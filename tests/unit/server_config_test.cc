// SPDX-License-Identifier: MIT
// server_config_test.cc - rcptdb-server's settings (server_config.h):
// rcptdb.conf text, each setting's values, validation, and loading the
// file with the command line's overrides on top.
#include "server_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "server_flags.h"

namespace rcptdb {
namespace {

TEST(ConfigText, ReadsPostfixStyleLines) {
  const char* text =
      "# rcptdb.conf\n"
      "\n"
      "database = /var/lib/rcptdb/x.sqlite\n"
      "tcp_table = domains=127.0.0.1:10041,\n"
      "    recipients=127.0.0.1:10043\n"
      "\t  # a comment line inside is skipped\n"
      "socketmap=unix:/run/rcptdb/socketmap\n"
      "verbose = yes   \r\n"
      "max_connections = 100\n"
      "max_connections = 200\n";
  Result<std::vector<Setting>> s = ParseConfigText(text, "t.conf");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->size(), 6u);
  EXPECT_EQ((*s)[1].name, "tcp_table");
  EXPECT_EQ((*s)[1].value, "domains=127.0.0.1:10041, recipients=127.0.0.1:10043");
  EXPECT_EQ((*s)[1].origin, "t.conf:4");
  EXPECT_EQ((*s)[2].value, "unix:/run/rcptdb/socketmap");
  ServerConfig c;
  for (const Setting& one : *s) ASSERT_TRUE(ApplySetting(c, one).ok()) << one.origin;
  EXPECT_EQ(c.database, "/var/lib/rcptdb/x.sqlite");
  ASSERT_EQ(c.tcp_tables.size(), 2u);
  EXPECT_EQ(c.tcp_tables[0].map, MapId::kDomains);
  EXPECT_EQ(c.tcp_tables[1].map, MapId::kRecipients);
  EXPECT_EQ(c.tcp_tables[1].address.port, 10043);
  ASSERT_EQ(c.socketmaps.size(), 1u);
  EXPECT_EQ(c.socketmaps[0].kind, ListenAddress::Kind::kUnix);
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.max_connections, 200u);  // the later line wins, as in main.cf
  EXPECT_TRUE(ValidateConfig(c).ok());
}

TEST(ConfigText, NamesTheLineOfEveryError) {
  struct Case {
    const char* text;
    const char* fragment;
  } cases[] = {
      {"databse = /x\n", "t.conf:1: unknown setting \"databse\""},
      {"\n  leading continuation\n", "t.conf:2: continuation line"},
      {"database\n", "t.conf:1: expected name = value"},
  };
  for (const Case& c : cases) {
    Result<std::vector<Setting>> s = ParseConfigText(c.text, "t.conf");
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_NE(s.status().message().find(c.fragment), std::string::npos) << s.status().message();
  }
}

TEST(ConfigSettings, RefuseBadValues) {
  const Setting bad[] = {
      {"tcp_table", "stats=127.0.0.1:1", "x"},   // stats is socketmap-only
      {"tcp_table", "users=127.0.0.1:1", "x"},   // no such map
      {"tcp_table", "domains127.0.0.1:1", "x"},  // no '='
      {"tcp_table", "domains=host:1", "x"},      // names are not resolved
      {"socketmap", "127.0.0.1", "x"},
      {"allow_networks", "192.0.2.1/24", "x"},
      {"max_connections", "0", "x"},
      {"max_connections", "12abc", "x"},
      {"threads", "-1", "x"},
      {"busy_timeout", "60001", "x"},
      {"verbose", "maybe", "x"},
      {"pid_file", "relative.pid", "x"},
      {"syslog_facility", "kern", "x"},
      {"syslog_name", "a b", "x"},
      {"database", "", "x"},
  };
  for (const Setting& s : bad) {
    ServerConfig c;
    Status st = ApplySetting(c, s);
    EXPECT_FALSE(st.ok()) << s.name << " = " << s.value;
    EXPECT_EQ(st.message().rfind("x: ", 0), 0u) << st.message();
  }
}

TEST(ConfigValidate, NeedsListenersOnceEachAndFencesRemoteOnes) {
  ServerConfig c;
  EXPECT_FALSE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplySetting(c, {"socketmap", "127.0.0.1:10040", "x"}).ok());
  EXPECT_TRUE(ValidateConfig(c).ok());
  ASSERT_TRUE(ApplySetting(c, {"tcp_table", "domains=127.0.0.1:10040", "x"}).ok());
  Status twice = ValidateConfig(c);
  EXPECT_FALSE(twice.ok());
  EXPECT_NE(twice.message().find("twice"), std::string::npos);
  ASSERT_TRUE(ApplySetting(c, {"tcp_table", "domains=0.0.0.0:10041", "x"}).ok());
  Status open = ValidateConfig(c);
  EXPECT_FALSE(open.ok());
  EXPECT_NE(open.message().find("allow_networks"), std::string::npos);
  ASSERT_TRUE(ApplySetting(c, {"allow_networks", "192.0.2.0/24", "x"}).ok());
  EXPECT_TRUE(ValidateConfig(c).ok());
}

// --- loading: file, then flags -------------------------------------------------------

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rcptdb-conf-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/rcptdb.conf";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& text) { std::ofstream(path_) << text; }
  std::string dir_, path_;
};

TEST_F(ConfigFile, FlagsOverrideTheFileAndListsReplace) {
  Write("database = /file.sqlite\nsocketmap = 127.0.0.1:1, 127.0.0.1:2\nthreads = 2\n");
  Result<ServerFlags> cl = ParseServerFlags({"-c", path_, "--socketmap", "127.0.0.1:9"});
  ASSERT_TRUE(cl.ok());
  Result<ServerConfig> c = LoadServerConfig(cl->config_file, true, cl->overrides);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->config_file, path_);
  EXPECT_EQ(c->database, "/file.sqlite");
  ASSERT_EQ(c->socketmaps.size(), 1u);
  EXPECT_EQ(c->socketmaps[0].port, 9);
  EXPECT_EQ(c->threads, 2u);
  EXPECT_NE(c->Dump().find("socketmap = 127.0.0.1:9\n"), std::string::npos) << c->Dump();
}

TEST_F(ConfigFile, AGivenFileMustExistTheDefaultNeedNot) {
  std::vector<Setting> flags = {{"socketmap", "127.0.0.1:9", "--socketmap"}};
  Result<ServerConfig> missing = LoadServerConfig(dir_ + "/nope.conf", true, flags);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.conf"), std::string::npos);
  // Not given: a missing file means built-in defaults.
  Result<ServerConfig> defaults = LoadServerConfig(dir_ + "/nope.conf", false, flags);
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->config_file, "");
  EXPECT_EQ(defaults->max_connections, 4096u);
}

TEST_F(ConfigFile, ErrorsInTheFileAreFatal) {
  Write("socketmap = 127.0.0.1:1\nmax_connections = lots\n");
  Result<ServerConfig> c = LoadServerConfig(path_, true, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("rcptdb.conf:2"), std::string::npos) << c.status().message();
}

TEST_F(ConfigFile, SameListenersTellsWhatNeedsARestart) {
  Write("socketmap = 127.0.0.1:1\ndatabase = /a\n");
  Result<ServerConfig> a = LoadServerConfig(path_, true, {});
  Write("socketmap = 127.0.0.1:1\ndatabase = /b\nverbose = yes\n");
  Result<ServerConfig> b = LoadServerConfig(path_, true, {});
  Write("socketmap = 127.0.0.1:2\n");
  Result<ServerConfig> c = LoadServerConfig(path_, true, {});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(a->SameListeners(*b));
  EXPECT_FALSE(a->SameListeners(*c));
}

TEST_F(ConfigFile, PolicySettings) {
  Write(
      "policy = 127.0.0.1:10028\nquota_status = 127.0.0.1:10029\n"
      "quota_status_routes = lmtp:inet:10.0.0.2:24=unix:/run/q2\npolicy_refuse = all\n"
      "policy_trouble_action = DEFER_IF_PERMIT quota check unavailable\n"
      "quota_status_timeout = 500\nquota_status_connections = 2\npolicy_cache_time = 30\n");
  Result<ServerConfig> c = LoadServerConfig(path_, true, {});
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->policy.listeners.size(), 1u);
  EXPECT_EQ(c->policy.listeners[0].port, 10028);
  ASSERT_TRUE(c->policy.quota_status.fallback);
  EXPECT_EQ(c->policy.quota_status.fallback->port, 10029);
  ASSERT_EQ(c->policy.quota_status.routes.size(), 1u);
  EXPECT_EQ(c->policy.quota_status.For("lmtp:inet:10.0.0.2:24")->str(), "unix:/run/q2");
  EXPECT_EQ(c->policy.rule, QuotaRule::kAll);
  EXPECT_EQ(c->policy.trouble_action, "DEFER_IF_PERMIT quota check unavailable");
  EXPECT_EQ(c->policy.timeout_ms, 500);
  EXPECT_EQ(c->policy.max_idle, 2u);
  EXPECT_EQ(c->policy.cache_seconds, 30);
  EXPECT_NE(c->Dump().find("policy = 127.0.0.1:10028\n"), std::string::npos) << c->Dump();
  EXPECT_NE(c->Dump().find("policy_refuse = all\n"), std::string::npos) << c->Dump();
  // The policy listener alone is enough to listen on.
  EXPECT_TRUE(c->tcp_tables.empty() && c->socketmaps.empty());
}

TEST_F(ConfigFile, PolicyNeedsAQuotaStatusAndASafeTroubleAction) {
  Write("policy = 127.0.0.1:10028\n");
  EXPECT_FALSE(LoadServerConfig(path_, true, {}).ok());
  for (const char* bad : {"policy_trouble_action = 552 5.2.2 no\n", "policy_trouble_action = OK\n",
                          "policy_refuse = some\n", "quota_status_timeout = 0\n"}) {
    Write(std::string("policy = 127.0.0.1:10028\nquota_status = 127.0.0.1:10029\n") + bad);
    EXPECT_FALSE(LoadServerConfig(path_, true, {}).ok()) << bad;
  }
  Result<ServerFlags> cl =
      ParseServerFlags({"--policy", "unix:/run/p", "--socketmap", "127.0.0.1:9"});
  ASSERT_TRUE(cl.ok());
  Write("quota_status = 127.0.0.1:10029\n");
  Result<ServerConfig> c = LoadServerConfig(path_, true, cl->overrides);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->policy.listeners.at(0).str(), "unix:/run/p");
}

}  // namespace
}  // namespace rcptdb
