// server_config_test.cc - rcptdb-server's configuration: addresses,
// networks, rcptdb.conf, flags, and the small pure helpers beside them.
#include "server_config.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "command_line.h"
#include "database_health.h"
#include "listen_address.h"
#include "lookup_stats.h"
#include "network_list.h"

namespace rcptdb {
namespace {

// --- ListenAddress ----------------------------------------------------------

TEST(ListenAddress, ParsesTheSpellingsAdminsWrite) {
  struct Case {
    const char* text;
    const char* canonical;
    bool loopback;
  } cases[] = {
      {"127.0.0.1:10041", "127.0.0.1:10041", true},
      {"inet:127.0.0.1:10041", "127.0.0.1:10041", true},
      {"localhost:25", "127.0.0.1:25", true},
      {"127.8.9.10:1", "127.8.9.10:1", true},
      {"[::1]:65535", "[::1]:65535", true},
      {"0.0.0.0:10041", "0.0.0.0:10041", false},
      {"192.0.2.7:10041", "192.0.2.7:10041", false},
      {"[2001:db8::1]:7", "[2001:db8::1]:7", false},
      {"[::]:7", "[::]:7", false},
      {"unix:/run/rcptdb/socketmap", "unix:/run/rcptdb/socketmap", true},
  };
  for (const Case& c : cases) {
    Result<ListenAddress> a = ParseListenAddress(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().message();
    EXPECT_EQ(a->str(), c.canonical) << c.text;
    EXPECT_EQ(a->loopback(), c.loopback) << c.text;
  }
}

TEST(ListenAddress, RefusesWhatWouldSurpriseAtBoot) {
  for (const char* text :
       {"", "10041", ":10041", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:80x", "mail.example:25", "::1:25", "[::1]25", "[::1:25",
        "unix:", "unix:relative/path", "999.0.0.1:25"}) {
    EXPECT_FALSE(ParseListenAddress(text).ok()) << text;
  }
  EXPECT_FALSE(ParseListenAddress("unix:/" + std::string(107, 'x')).ok());
  EXPECT_TRUE(ParseListenAddress("unix:/" + std::string(106, 'x')).ok());
}

// --- NetworkList --------------------------------------------------------------

sockaddr_storage V4(const char* ip) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &in->sin_addr);
  return ss;
}

sockaddr_storage V6(const char* ip) {
  sockaddr_storage ss{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &in6->sin6_addr);
  return ss;
}

bool In(const NetworkList& list, const sockaddr_storage& ss) {
  return list.Contains(reinterpret_cast<const sockaddr*>(&ss));
}

TEST(NetworkList, MatchesIpv4Ipv6AndMappedPeers) {
  Result<NetworkList> list =
      NetworkList::Parse("192.0.2.0/24, 10.1.2.3 2001:db8::/32,\t198.51.100.128/25");
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_TRUE(In(*list, V4("192.0.2.0")));
  EXPECT_TRUE(In(*list, V4("192.0.2.255")));
  EXPECT_FALSE(In(*list, V4("192.0.3.0")));
  EXPECT_TRUE(In(*list, V4("10.1.2.3")));
  EXPECT_FALSE(In(*list, V4("10.1.2.4")));
  EXPECT_TRUE(In(*list, V4("198.51.100.200")));
  EXPECT_FALSE(In(*list, V4("198.51.100.127")));
  EXPECT_TRUE(In(*list, V6("2001:db8:ffff::1")));
  EXPECT_FALSE(In(*list, V6("2001:db9::1")));
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  EXPECT_TRUE(In(*list, V6("::ffff:192.0.2.9")));
  EXPECT_FALSE(In(*list, V6("::ffff:192.0.3.9")));
  EXPECT_EQ(list->str(), "192.0.2.0/24, 10.1.2.3/32, 2001:db8::/32, 198.51.100.128/25");
}

TEST(NetworkList, ZeroPrefixMatchesEverythingOfItsFamily) {
  Result<NetworkList> v4 = NetworkList::Parse("0.0.0.0/0");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(In(*v4, V4("203.0.113.1")));
  EXPECT_FALSE(In(*v4, V6("2001:db8::1")));
  Result<NetworkList> v6 = NetworkList::Parse("::/0");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(In(*v6, V6("2001:db8::1")));
}

TEST(NetworkList, RefusesTyposAndHostBits) {
  for (const char* text : {"192.0.2.1/24", "192.0.2.0/33", "2001:db8::/129", "2001:db8::1/32",
                           "example.com", "192.0.2.0/", "192.0.2.0/x", "300.0.0.0/8"}) {
    EXPECT_FALSE(NetworkList::Parse(text).ok()) << text;
  }
  Result<NetworkList> empty = NetworkList::Parse(" , ");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(NetworkList, KnowsLoopback) {
  auto lo = [](const sockaddr_storage& ss) {
    return NetworkList::IsLoopback(reinterpret_cast<const sockaddr*>(&ss));
  };
  EXPECT_TRUE(lo(V4("127.0.0.1")));
  EXPECT_TRUE(lo(V4("127.255.0.9")));
  EXPECT_FALSE(lo(V4("128.0.0.1")));
  EXPECT_TRUE(lo(V6("::1")));
  EXPECT_TRUE(lo(V6("::ffff:127.0.0.1")));
  EXPECT_FALSE(lo(V6("::2")));
}

// --- rcptdb.conf ----------------------------------------------------------------

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

// --- command line ------------------------------------------------------------------

TEST(CommandLine, MapsFlagsToSettings) {
  Result<CommandLine> cl = ParseCommandLine(
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

TEST(CommandLine, RefusesUnknownAndIncompleteFlags) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--bogus"}, {"--db"}, {"-c"}, {"--foreground=yes"}, {"positional"}}) {
    EXPECT_FALSE(ParseCommandLine(args).ok()) << args[0];
  }
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
  Result<CommandLine> cl = ParseCommandLine({"-c", path_, "--socketmap", "127.0.0.1:9"});
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

// --- statistics and trouble causes -------------------------------------------------

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
