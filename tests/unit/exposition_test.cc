// SPDX-License-Identifier: MIT
// exposition_test.cc - Prometheus text and OpenMetrics writing, the
// Accept negotiation (exposition.h), and the server's families
// (server_metrics.h): fixed label sets, nothing from a request.
#include "exposition.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "server_metrics.h"

namespace rcptdb {
namespace {

constexpr auto kText = ExpositionFormat::kPrometheusText;
constexpr auto kOm = ExpositionFormat::kOpenMetrics;

TEST(Exposition, AcceptNegotiation) {
  // What Prometheus 2.x sends: OpenMetrics preferred.
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;version=1.0.0,application/"
                             "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
                             "q=0.5,*/*;q=0.1"),
            kOm);
  EXPECT_EQ(ChooseExposition(""), kText);
  EXPECT_EQ(ChooseExposition("*/*"), kText);  // curl
  EXPECT_EQ(ChooseExposition("text/plain;version=0.0.4"), kText);
  EXPECT_EQ(ChooseExposition("Application/OpenMetrics-Text"), kOm);
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;q=0"), kText);
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;q=0.5, text/plain"), kText);
  EXPECT_EQ(ChooseExposition("text/plain;q=0.2, application/openmetrics-text ; q=0.3"), kOm);
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;q=1, */*"), kText);  // a tie: text
  // Garbage never reads as a preference.
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;q=high"), kText);
  EXPECT_EQ(ChooseExposition("application/openmetrics-text;q=2"), kText);
  EXPECT_EQ(ChooseExposition(",,;;==,"), kText);
  EXPECT_STREQ(ContentTypeOf(kText), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_STREQ(ContentTypeOf(kOm), "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

std::vector<MetricFamily> Sample() {
  MetricFamily c;
  c.name = "x_requests";
  c.type = MetricType::kCounter;
  c.help = "Requests \\ answered\nby \"kind\".";
  c.Add({{"kind", "a\"b\\c\nd"}}, 7);
  MetricFamily g;
  g.name = "x_ratio";
  g.help = "A ratio.";
  g.AddReal({}, 0.25);
  MetricFamily i;
  i.name = "x_build";
  i.type = MetricType::kInfo;
  i.help = "Build.";
  i.Add({{"version", "1"}}, 1);
  MetricFamily h;
  h.name = "x_seconds";
  h.type = MetricType::kHistogram;
  h.unit = "seconds";
  h.help = "Time.";
  h.samples.push_back({"_bucket", {{"le", "+Inf"}}, 3, true});
  h.samples.push_back({"_sum", {}, 1.5, false});
  h.samples.push_back({"_count", {}, 3, true});
  return {c, g, i, h};
}

TEST(Exposition, PrometheusText) {
  EXPECT_EQ(EncodeExposition(Sample(), kText),
            "# HELP x_requests_total Requests \\\\ answered\\nby \"kind\".\n"
            "# TYPE x_requests_total counter\n"
            "x_requests_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
            "# HELP x_ratio A ratio.\n"
            "# TYPE x_ratio gauge\n"
            "x_ratio 0.25\n"
            "# HELP x_build_info Build.\n"
            "# TYPE x_build_info gauge\n"
            "x_build_info{version=\"1\"} 1\n"
            "# HELP x_seconds Time.\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_seconds_sum 1.5\n"
            "x_seconds_count 3\n");
}

TEST(Exposition, OpenMetrics) {
  EXPECT_EQ(EncodeExposition(Sample(), kOm),
            "# HELP x_requests Requests \\\\ answered\\nby \\\"kind\\\".\n"
            "# TYPE x_requests counter\n"
            "x_requests_total{kind=\"a\\\"b\\\\c\\nd\"} 7\n"
            "# HELP x_ratio A ratio.\n"
            "# TYPE x_ratio gauge\n"
            "x_ratio 0.25\n"
            "# HELP x_build Build.\n"
            "# TYPE x_build info\n"
            "x_build_info{version=\"1\"} 1\n"
            "# HELP x_seconds Time.\n"
            "# TYPE x_seconds histogram\n"
            "# UNIT x_seconds seconds\n"
            "x_seconds_bucket{le=\"+Inf\"} 3\n"
            "x_seconds_sum 1.5\n"
            "x_seconds_count 3\n"
            "# EOF\n");
}

TEST(Exposition, Values) {
  MetricFamily g;
  g.name = "v";
  g.help = "v";
  g.Add({}, 18446744073709551615ull);  // beyond 2^53: written as a float
  g.AddReal({}, std::numeric_limits<double>::infinity());
  g.AddReal({}, -std::numeric_limits<double>::infinity());
  g.AddReal({}, std::numeric_limits<double>::quiet_NaN());
  g.Add({}, 9007199254740991ull);
  std::string out = EncodeExposition({g}, kText);
  EXPECT_NE(out.find("v 1.8446744073709552e+19\nv +Inf\nv -Inf\nv NaN\nv 9007199254740991\n"),
            std::string::npos)
      << out;
}

MetricsLayout Layout() {
  MetricsLayout layout;
  layout.listeners.push_back({LookupProtocol::kTcpTable, MapId::kRecipients, "127.0.0.1:10041"});
  layout.listeners.push_back({LookupProtocol::kSocketmap, std::nullopt, "unix:/run/rcptdb/sm"});
  layout.listeners.push_back({LookupProtocol::kPolicy, std::nullopt, "127.0.0.1:10050"});
  return layout;
}

ServerFigures Figures() {
  ServerFigures f;
  f.listeners.resize(3);
  LookupStats s;
  s.Begin();
  s.Record(LookupProtocol::kTcpTable, MapId::kRecipients, MapAnswer::Kind::kFound,
           std::chrono::microseconds(3));
  s.Begin();
  s.Record(LookupProtocol::kTcpTable, MapId::kRecipients, MapAnswer::Kind::kFound,
           std::chrono::microseconds(70));
  s.Begin();
  s.Record(LookupProtocol::kSocketmap, kUnknownMapSlot, LookupResult::kPermFail,
           std::chrono::nanoseconds(0));
  s.Begin();
  s.RecordPolicy(PolicyAction::kReject, std::chrono::milliseconds(2));
  s.Begin();  // still in flight
  s.AddTo(f.stats);
  f.listeners[0].accepted = 5;
  f.listeners[0].active = 2;
  f.listeners[0].closed[static_cast<std::size_t>(CloseReason::kIdle)] = 3;
  f.database_up = false;
  f.database_errors[1] = 4;  // locked
  f.data_version = 42;
  f.last_change_seconds = 1700000000.5;
  f.standby_lag_seconds = 1.25;
  f.engine = Engine::kPostgresql;
  return f;
}

TEST(ServerMetrics, FamiliesFromOneReading) {
  std::string out = EncodeExposition(ServerMetricFamilies(Layout(), Figures()), kText);
  for (const char* line : {
           "rcptdb_lookups_total{protocol=\"tcp_table\",map=\"recipients\",result=\"found\"} 2\n",
           "rcptdb_lookups_total{protocol=\"socketmap\",map=\"unknown\",result=\"permfail\"} 1\n",
           "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"5e-05\"} 1\n",
           "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"0.0001\"} 2\n",
           "rcptdb_lookup_duration_seconds_bucket{protocol=\"tcp_table\",le=\"+Inf\"} 2\n",
           "rcptdb_lookup_duration_seconds_count{protocol=\"tcp_table\"} 2\n",
           "rcptdb_lookup_duration_seconds_sum{protocol=\"tcp_table\"} 7.3e-05\n",
           "rcptdb_lookup_duration_seconds_bucket{protocol=\"policy\",le=\"0.0025\"} 1\n",
           "rcptdb_lookups_in_flight 1\n",
           "rcptdb_policy_actions_total{action=\"reject\"} 1\n",
           "rcptdb_connections_accepted_total{protocol=\"tcp_table\",listener=\"127.0.0.1:10041\"} "
           "5\n",
           "rcptdb_connections_active{protocol=\"tcp_table\",listener=\"127.0.0.1:10041\"} 2\n",
           "rcptdb_connections_closed_total{protocol=\"tcp_table\",listener=\"127.0.0.1:10041\","
           "reason=\"idle\"} 3\n",
           "rcptdb_connections_active{protocol=\"socketmap\",listener=\"unix:/run/rcptdb/sm\"} 0\n",
           "rcptdb_database_up 0\n",
           "rcptdb_database_errors_total{cause=\"database locked\"} 4\n",
           "rcptdb_database_query_duration_seconds_count{engine=\"postgresql\"} 0\n",
           "rcptdb_standby_lag_seconds 1.25\n",
           "rcptdb_data_version 42\n",
           "rcptdb_data_last_change_timestamp_seconds 1700000000.5\n",
           "rcptdb_build_info{version=\"",
       })
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  // Only the tcp_table map that listens has tcp_table series.
  EXPECT_EQ(out.find("protocol=\"tcp_table\",map=\"domains\""), std::string::npos);
}

TEST(ServerMetrics, EveryLabelValueIsFixed) {
  // Every label value comes from a closed set or the configuration: no
  // address, domain or client can grow the series.
  std::set<std::string> allowed = {
      "tcp_table",      "socketmap", "policy",          "found",
      "notfound",       "tempfail",  "permfail",        "unknown",
      "too_long",       "malformed", "bad_frame",       "reply_too_long",
      "dunno",          "reject",    "defer",           "trouble",
      "client",         "idle",      "limit",           "peer_cap",
      "error",          "shutdown",  "not_allowed",     "sqlite",
      "postgresql",     "+Inf",      "127.0.0.1:10041", "unix:/run/rcptdb/sm",
      "127.0.0.1:10050"};
  for (MapId m : kAllMaps) allowed.insert(MapName(m));
  for (Status::Cause c : kTroubleCauses) allowed.insert(CauseName(c));
  for (const std::string& v : BuildVersions()) allowed.insert(v);
  for (const MetricFamily& f : ServerMetricFamilies(Layout(), Figures()))
    for (const MetricSample& s : f.samples)
      for (const auto& [name, value] : s.labels) {
        if (name == "le") continue;
        EXPECT_TRUE(allowed.count(value)) << f.name << " " << name << "=" << value;
      }
}

TEST(ServerMetrics, NoPolicyFamilyWithoutAPolicyListener) {
  MetricsLayout layout = Layout();
  layout.listeners.pop_back();
  ServerFigures f = Figures();
  f.listeners.pop_back();
  f.standby_lag_seconds.reset();
  f.data_version.reset();
  std::string out = EncodeExposition(ServerMetricFamilies(layout, f), kText);
  EXPECT_EQ(out.find("rcptdb_policy_actions"), std::string::npos);
  EXPECT_EQ(out.find("protocol=\"policy\""), std::string::npos);
  // The families stay, without a sample.
  EXPECT_NE(out.find("# TYPE rcptdb_data_version gauge\n# HELP"), std::string::npos) << out;
  EXPECT_EQ(out.find("\nrcptdb_standby_lag_seconds "), std::string::npos);
}

}  // namespace
}  // namespace rcptdb
