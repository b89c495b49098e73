// SPDX-License-Identifier: MIT
// top_test.cc - rcptdb top's reading of a scrape (exposition_reader.h),
// its targets (metrics_fetch.h) and its 80x24 screen (top_screen.h).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "exposition_reader.h"
#include "metrics_fetch.h"
#include "top_screen.h"

namespace rcptdb::admin {
namespace {

TEST(ExpositionReader, ReadsSamplesOfBothFormats) {
  auto r = ReadExposition(
      "# HELP x_total n\n# TYPE x_total counter\n"
      "x_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 7\n"
      "y 0.25 1700000000000\n"
      "\n"
      "z{le=\"+Inf\",} +Inf\r\n"
      "w{} NaN\n"
      "v -Inf\n"
      "ns:sub_x 1e-05\n"
      "# EOF\n");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 6u);
  EXPECT_EQ((*r)[0].name, "x_total");
  EXPECT_EQ((*r)[0].Label("a"), "1");
  EXPECT_EQ((*r)[0].Label("b"), "q\"\\\n");
  EXPECT_EQ((*r)[0].Label("c"), "");
  EXPECT_EQ((*r)[0].value, 7);
  EXPECT_EQ((*r)[1].value, 0.25);
  EXPECT_TRUE(std::isinf((*r)[2].value));
  EXPECT_TRUE(std::isnan((*r)[3].value));
  EXPECT_EQ((*r)[4].value, -INFINITY);
  EXPECT_EQ((*r)[5].name, "ns:sub_x");
}

TEST(ExpositionReader, RefusesWhatIsNotASample) {
  for (const char* bad : {"x", "x{", "x{a=1} 2", "x{a=\"1} 2", "x{a=\"\\q\"} 2", "x 1 2 3", "1x 2",
                          "x{1a=\"\"} 2", "x  ", "x{a=\"1\"b=\"2\"} 3", "x abc", "x{a=\"1\"}2"}) {
    auto r = ReadExposition(std::string("ok 1\n") + bad + "\n");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << bad;
    }
  }
  std::string many;
  for (std::size_t i = 0; i <= kMaxSamples; ++i) many += "x 1\n";
  EXPECT_FALSE(ReadExposition(many).ok());
  std::string labels = "x{";
  for (std::size_t i = 0; i <= kMaxLabels; ++i) labels += "l" + std::to_string(i) + "=\"\",";
  EXPECT_FALSE(ReadExposition(labels + "} 1\n").ok());
}

TEST(MetricsFetch, Targets) {
  EXPECT_EQ(MetricsUrlOf("127.0.0.1:9163")->url, "http://127.0.0.1:9163/metrics");
  EXPECT_EQ(MetricsUrlOf("[::1]:9163")->url, "http://[::1]:9163/metrics");
  auto unix_socket = MetricsUrlOf("unix:/run/rcptdb/metrics.sock");
  EXPECT_EQ(unix_socket->url, "http://localhost/metrics");
  EXPECT_EQ(unix_socket->unix_socket, "/run/rcptdb/metrics.sock");
  EXPECT_EQ(MetricsUrlOf("http://mx2:9163/metrics")->url, "http://mx2:9163/metrics");
  for (const char* bad : {"", "host", ":9163", "host:", "unix:", "unix:relative", "a b:1",
                          "file:///etc/passwd", "user@host:1", "h:1/x"})
    EXPECT_FALSE(MetricsUrlOf(bad).ok()) << bad;
}

// A scrape as rcptdb-server sends it, with lookups counted n times.
std::vector<ExposedSample> Scrape(double n, double up = 1) {
  std::string text =
      "rcptdb_lookups_total{protocol=\"tcp_table\",map=\"recipients\",result=\"found\"} " +
      std::to_string(3 * n) +
      "\n"
      "rcptdb_lookups_total{protocol=\"socketmap\",map=\"recipients\",result=\"notfound\"} " +
      std::to_string(n) +
      "\n"
      "rcptdb_lookups_total{protocol=\"socketmap\",map=\"unknown\",result=\"permfail\"} 0\n"
      "rcptdb_lookups_total{protocol=\"tcp_table\",map=\"domains\",result=\"tempfail\"} " +
      std::to_string(n / 2) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"5e-05\"} " +
      std::to_string(3 * n) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"0.001\"} " +
      std::to_string(3.5 * n) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"+Inf\"} " +
      std::to_string(3.5 * n) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"socketmap\",le=\"5e-05\"} 0\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"socketmap\",le=\"0.001\"} " +
      std::to_string(n) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"socketmap\",le=\"+Inf\"} " +
      std::to_string(n) +
      "\n"
      "rcptdb_lookup_duration_seconds_bucket{protocol=\"policy\",le=\"+Inf\"} 99999\n"
      "rcptdb_connections_active{protocol=\"tcp_table\",listener=\"127.0.0.1:1\"} 7\n"
      "rcptdb_database_up " +
      std::to_string(up) +
      "\n"
      "rcptdb_data_version 1234\n"
      "rcptdb_data_last_change_timestamp_seconds 1000\n"
      "rcptdb_protocol_errors_total{protocol=\"tcp_table\",reason=\"malformed\"} " +
      std::to_string(n) + "\n";
  auto r = ReadExposition(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return *r;
}

TopServer Server(std::string name, double n0, double n1, double seconds) {
  TopServer s;
  s.name = std::move(name);
  s.before.at = 100;
  s.before.wall = 1000;
  s.before.samples = Scrape(n0);
  s.after.at = 100 + seconds;
  s.after.wall = 1000 + seconds;
  s.after.samples = Scrape(n1);
  return s;
}

std::vector<std::string> Lines(const std::string& screen) {
  std::vector<std::string> lines;
  std::istringstream in(screen);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

TEST(TopScreen, RatesQuantilesAndServers) {
  std::string screen = RenderTopScreen({Server("127.0.0.1:9163", 100, 300, 2)}, "T");
  std::vector<std::string> lines = Lines(screen);
  // 200 more per 2 s: recipients 300/s found, 100/s notfound; domains 50/s tempfail.
  EXPECT_NE(screen.find("recipients           300.0     100.0       0.0       0.0     400.0\n"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("domains                0.0       0.0      50.0       0.0      50.0\n"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("all                  300.0     100.0      50.0       0.0     450.0\n"),
            std::string::npos)
      << screen;
  // 600 of 900 table lookups within 50 us, all within 1 ms; policy's not counted.
  EXPECT_NE(screen.find("latency  p50 <=50us  p99 <=1ms  p99.9 <=1ms"), std::string::npos)
      << screen;
  EXPECT_NE(screen.find("127.0.0.1:9163             450.0 <=50us  <=1ms      50.0     7 ok   v1234 "
                        "2s\n"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("protocol 100.0"), std::string::npos) << screen;
  EXPECT_NE(screen.find("rates over 2.0s"), std::string::npos) << screen;
}

TEST(TopScreen, FitsEightyByTwentyFourWhateverComes) {
  std::vector<TopServer> servers;
  for (int i = 0; i < 20; ++i)
    servers.push_back(
        Server("a-very-long-server-name-that-goes-on-and-on-" + std::to_string(i) + ".example:9163",
               1e9, 2e9 + i, 0.5));
  TopServer down;
  down.name = "unix:/run/rcptdb/metrics.sock";
  down.after.error = std::string(300, 'e');
  servers.insert(servers.begin(), down);
  std::string screen = RenderTopScreen(servers, "2026-12-06 03:17:52");
  std::vector<std::string> lines = Lines(screen);
  EXPECT_LE(lines.size(), kScreenLines);
  for (const std::string& l : lines) EXPECT_LE(l.size(), kScreenColumns) << l;
  EXPECT_NE(screen.find("unreachable: eee"), std::string::npos);
  EXPECT_NE(screen.find("... and 16 more servers"), std::string::npos) << screen;
}

TEST(TopScreen, ARestartedServerCountsFromZero) {
  std::string screen = RenderTopScreen({Server("s", 1000, 10, 1)}, "T");
  // After a restart the counters restart: 10 found... 30 found/s, not -2970.
  EXPECT_NE(screen.find("recipients            30.0      10.0"), std::string::npos) << screen;
  TopServer idle = Server("s", 5, 5, 1);
  screen = RenderTopScreen({idle}, "T");
  EXPECT_NE(screen.find("latency  p50 -  p99 -"), std::string::npos) << screen;
  idle.after.samples = Scrape(5, 0);
  EXPECT_NE(RenderTopScreen({idle}, "T").find(" DOWN "), std::string::npos);
}

}  // namespace
}  // namespace rcptdb::admin
