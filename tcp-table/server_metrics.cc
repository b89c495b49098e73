// SPDX-License-Identifier: MIT
// NAME
//   server_metrics - the metric families of rcptdb-server
// DESCRIPTION
//   One function per group of families (lookups, connections, database,
//   process), each reading only the figures it shows. Series are listed
//   even while they are zero, so that rate() works from the first scrape:
//   lookups by every map and result for each protocol that has a listener,
//   the unknown-map permfail only where socketmap listens.
//
//   Histograms show the buckets from 50 µs to 5 s (lookup_stats.h keeps
//   finer ones below 50 µs for the stats map; they are summed into the
//   first one here), then +Inf; _sum is in seconds.
//
//   Process figures follow the Prometheus client libraries: CPU time
//   (utime + stime) and start time from /proc/self/stat, the start time
//   against btime in /proc/stat, open descriptors counted in /proc/self/fd,
//   the soft RLIMIT_NOFILE.
// SEE ALSO
//   server_metrics.h, exposition.h, rcptdb-server(8) METRICS
#include "server_metrics.h"

#include <dirent.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#ifdef RCPTDB_WITH_PGSQL
#include <libpq-fe.h>
#endif

namespace rcptdb {
namespace {

constexpr std::size_t Index(auto e) { return static_cast<std::size_t>(e); }

MetricFamily Family(std::string name, MetricType type, std::string help, std::string unit = "") {
  MetricFamily f;
  f.name = std::move(name);
  f.type = type;
  f.help = std::move(help);
  f.unit = std::move(unit);
  return f;
}

// Adds one histogram's samples with labels, from the 50 µs bucket up.
void AddHistogram(MetricFamily& f, const MetricLabels& labels, const LatencyCounts& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kFirstExposedBucket; ++i) cumulative += h.buckets[i];
  for (std::size_t i = kFirstExposedBucket; i < kLatencyBoundsNs.size(); ++i) {
    cumulative += h.buckets[i];
    MetricLabels l = labels;
    l.emplace_back("le", fmt::format("{}", static_cast<double>(kLatencyBoundsNs[i]) / 1e9));
    f.samples.push_back({"_bucket", std::move(l), static_cast<double>(cumulative), true});
  }
  cumulative += h.buckets.back();
  MetricLabels inf = labels;
  inf.emplace_back("le", "+Inf");
  f.samples.push_back({"_bucket", std::move(inf), static_cast<double>(cumulative), true});
  f.samples.push_back({"_sum", labels, static_cast<double>(h.sum_ns) / 1e9, false});
  f.samples.push_back({"_count", labels, static_cast<double>(cumulative), true});
}

bool Has(const MetricsLayout& layout, LookupProtocol p) {
  for (const auto& l : layout.listeners)
    if (l.protocol == p) return true;
  return false;
}

bool HasTcpMap(const MetricsLayout& layout, MapId map) {
  for (const auto& l : layout.listeners)
    if (l.protocol == LookupProtocol::kTcpTable && l.map == map) return true;
  return false;
}

void LookupFamilies(const MetricsLayout& layout, const StatsSnapshot& s,
                    std::vector<MetricFamily>& out) {
  MetricFamily lookups = Family("rcptdb_lookups", MetricType::kCounter,
                                "Table lookups answered, by protocol, map and the result the "
                                "client was told.");
  constexpr LookupResult kTableResults[] = {LookupResult::kFound, LookupResult::kNotFound,
                                            LookupResult::kTempFail};
  for (LookupProtocol p : {LookupProtocol::kTcpTable, LookupProtocol::kSocketmap}) {
    if (!Has(layout, p)) continue;
    for (MapId m : kAllMaps) {
      if (p == LookupProtocol::kTcpTable && !HasTcpMap(layout, m)) continue;
      for (LookupResult r : kTableResults)
        lookups.Add(
            {{"protocol", ProtocolLabel(p)}, {"map", MapName(m)}, {"result", ResultLabel(r)}},
            s.lookups[Index(p)][Index(m)][Index(r)]);
    }
    if (p == LookupProtocol::kSocketmap)
      lookups.Add({{"protocol", "socketmap"}, {"map", "unknown"}, {"result", "permfail"}},
                  s.lookups[Index(p)][kUnknownMapSlot][Index(LookupResult::kPermFail)]);
  }
  out.push_back(std::move(lookups));

  MetricFamily duration = Family(
      "rcptdb_lookup_duration_seconds", MetricType::kHistogram,
      "Time the server spent answering a lookup or policy request (not the network).", "seconds");
  for (LookupProtocol p :
       {LookupProtocol::kTcpTable, LookupProtocol::kSocketmap, LookupProtocol::kPolicy})
    if (Has(layout, p))
      AddHistogram(duration, {{"protocol", ProtocolLabel(p)}}, s.latency[Index(p)]);
  out.push_back(std::move(duration));

  MetricFamily in_flight = Family("rcptdb_lookups_in_flight", MetricType::kGauge,
                                  "Lookups and policy requests being answered now.");
  in_flight.Add({}, s.InFlight());
  out.push_back(std::move(in_flight));

  MetricFamily errors = Family("rcptdb_protocol_errors", MetricType::kCounter,
                               "Requests the protocol refused, and found values too long "
                               "for a reply, by protocol and reason.");
  auto add_errors = [&](LookupProtocol p, std::initializer_list<ProtocolError> reasons) {
    if (!Has(layout, p)) return;
    for (ProtocolError e : reasons)
      errors.Add({{"protocol", ProtocolLabel(p)}, {"reason", ProtocolErrorLabel(e)}},
                 s.errors[Index(p)][Index(e)]);
  };
  add_errors(LookupProtocol::kTcpTable,
             {ProtocolError::kTooLong, ProtocolError::kMalformed, ProtocolError::kReplyTooLong});
  add_errors(LookupProtocol::kSocketmap, {ProtocolError::kTooLong, ProtocolError::kBadFrame,
                                          ProtocolError::kMalformed, ProtocolError::kReplyTooLong});
  add_errors(LookupProtocol::kPolicy, {ProtocolError::kTooLong, ProtocolError::kMalformed});
  out.push_back(std::move(errors));

  if (Has(layout, LookupProtocol::kPolicy)) {
    MetricFamily actions = Family("rcptdb_policy_actions", MetricType::kCounter,
                                  "Policy requests answered, by the kind of action.");
    for (PolicyAction a : {PolicyAction::kDunno, PolicyAction::kReject, PolicyAction::kDefer,
                           PolicyAction::kTrouble})
      actions.Add({{"action", PolicyActionLabel(a)}}, s.policy[Index(a)]);
    out.push_back(std::move(actions));
  }
}

void ConnectionFamilies(const MetricsLayout& layout, const ServerFigures& f,
                        std::vector<MetricFamily>& out) {
  MetricFamily active = Family("rcptdb_connections_active", MetricType::kGauge,
                               "Client connections open now, by listener.");
  MetricFamily accepted = Family("rcptdb_connections_accepted", MetricType::kCounter,
                                 "Client connections admitted, by listener.");
  MetricFamily closed = Family("rcptdb_connections_closed", MetricType::kCounter,
                               "Client connections ended, by listener and reason.");
  MetricFamily refused = Family("rcptdb_connections_refused", MetricType::kCounter,
                                "Client connections refused at accept, by listener and reason.");
  for (std::size_t i = 0; i < layout.listeners.size() && i < f.listeners.size(); ++i) {
    const auto& l = layout.listeners[i];
    const auto& n = f.listeners[i];
    MetricLabels labels = {{"protocol", ProtocolLabel(l.protocol)}, {"listener", l.address}};
    active.Add(labels, n.active);
    accepted.Add(labels, n.accepted);
    for (std::size_t r = 0; r < kCloseReasonCount; ++r) {
      MetricLabels with = labels;
      with.emplace_back("reason", CloseReasonLabel(static_cast<CloseReason>(r)));
      closed.Add(std::move(with), n.closed[r]);
    }
    for (std::size_t r = 0; r < kRefuseReasonCount; ++r) {
      MetricLabels with = labels;
      with.emplace_back("reason", RefuseReasonLabel(static_cast<RefuseReason>(r)));
      refused.Add(std::move(with), n.refused[r]);
    }
  }
  out.push_back(std::move(active));
  out.push_back(std::move(accepted));
  out.push_back(std::move(closed));
  out.push_back(std::move(refused));
}

void DatabaseFamilies(const ServerFigures& f, std::vector<MetricFamily>& out) {
  MetricFamily up = Family("rcptdb_database_up", MetricType::kGauge,
                           "1 if the last lookup that needed the database could read it, else 0.");
  up.Add({}, f.database_up ? 1 : 0);
  out.push_back(std::move(up));

  MetricFamily errors = Family("rcptdb_database_errors", MetricType::kCounter,
                               "Lookups answered with a temporary failure because of the "
                               "database, by cause.");
  for (std::size_t i = 0; i < std::size(kTroubleCauses); ++i)
    errors.Add({{"cause", CauseName(kTroubleCauses[i])}}, f.database_errors[i]);
  out.push_back(std::move(errors));

  MetricFamily query = Family("rcptdb_database_query_duration_seconds", MetricType::kHistogram,
                              "Time of the lookups that read the database (began or renewed a "
                              "snapshot, or resolved a key not kept), by engine.",
                              "seconds");
  AddHistogram(query, {{"engine", EngineLabel(f.engine)}}, f.stats.database[Index(f.engine)]);
  out.push_back(std::move(query));

  MetricFamily renewals = Family("rcptdb_snapshot_renewals", MetricType::kCounter,
                                 "Read snapshots begun or renewed by the workers.");
  renewals.Add({}, f.stats.snapshot_renewals);
  out.push_back(std::move(renewals));

  MetricFamily lag = Family("rcptdb_standby_lag_seconds", MetricType::kGauge,
                            "On a PostgreSQL standby: how far its replay lags behind what it "
                            "received (0 when caught up).",
                            "seconds");
  if (f.standby_lag_seconds) lag.AddReal({}, *f.standby_lag_seconds);
  out.push_back(std::move(lag));

  MetricFamily version = Family("rcptdb_data_version", MetricType::kGauge,
                                "The change counter of the data being served (PostgreSQL's "
                                "rcptdb_version, the same on every reader).");
  if (f.data_version) version.Add({}, *f.data_version);
  out.push_back(std::move(version));

  MetricFamily changed = Family("rcptdb_data_last_change_timestamp_seconds", MetricType::kGauge,
                                "When the server last saw the data change (or first read it), "
                                "in seconds since the epoch.",
                                "seconds");
  if (f.last_change_seconds) changed.AddReal({}, *f.last_change_seconds);
  out.push_back(std::move(changed));
}

void ProcessFamilies(const ProcessFigures& p, std::vector<MetricFamily>& out) {
  std::array<std::string, 3> v = BuildVersions();
  MetricFamily build =
      Family("rcptdb_build", MetricType::kInfo, "The rcptdb version and its database libraries.");
  build.Add({{"version", v[0]}, {"sqlite", v[1]}, {"libpq", v[2]}}, 1);
  out.push_back(std::move(build));
  if (!p.ok) return;
  MetricFamily cpu = Family("process_cpu_seconds", MetricType::kCounter,
                            "Total user and system CPU time spent in seconds.", "seconds");
  cpu.AddReal({}, p.cpu_seconds);
  out.push_back(std::move(cpu));
  MetricFamily fds =
      Family("process_open_fds", MetricType::kGauge, "Number of open file descriptors.");
  fds.Add({}, p.open_fds);
  out.push_back(std::move(fds));
  MetricFamily max_fds =
      Family("process_max_fds", MetricType::kGauge, "Maximum number of open file descriptors.");
  max_fds.Add({}, p.max_fds);
  out.push_back(std::move(max_fds));
  MetricFamily vsz = Family("process_virtual_memory_bytes", MetricType::kGauge,
                            "Virtual memory size in bytes.", "bytes");
  vsz.Add({}, p.virtual_bytes);
  out.push_back(std::move(vsz));
  MetricFamily rss = Family("process_resident_memory_bytes", MetricType::kGauge,
                            "Resident memory size in bytes.", "bytes");
  rss.Add({}, p.resident_bytes);
  out.push_back(std::move(rss));
  MetricFamily start = Family("process_start_time_seconds", MetricType::kGauge,
                              "Start time of the process since unix epoch in seconds.", "seconds");
  start.AddReal({}, p.start_time_seconds);
  out.push_back(std::move(start));
}

}  // namespace

std::array<std::string, 3> BuildVersions() {
#ifdef RCPTDB_WITH_PGSQL
  int pq = PQlibVersion();
  std::string libpq = fmt::format("{}.{}", pq / 10000, pq % 10000);
#else
  std::string libpq = "none";
#endif
  return {PACKAGE_VERSION, sqlite3_libversion(), libpq};
}

ProcessFigures ReadProcessFigures() {
  ProcessFigures p;
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name may hold spaces and parentheses: fields start after
  // the last ')'. Field 3 (state) is the first after it.
  std::size_t close = stat.rfind(')');
  if (close == std::string::npos) return p;
  std::istringstream fields(stat.substr(close + 2));
  std::vector<std::string> f;
  for (std::string w; fields >> w;) f.push_back(w);
  // 0-based from field 3: utime 14 -> 11, stime 15 -> 12, starttime 22
  // -> 19, vsize 23 -> 20, rss 24 -> 21.
  if (f.size() < 22) return p;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  long page = sysconf(_SC_PAGESIZE);
  try {
    p.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    p.virtual_bytes = std::stoull(f[20]);
    p.resident_bytes = std::stoull(f[21]) * static_cast<std::uint64_t>(page);
    double start_ticks = std::stod(f[19]);
    std::ifstream proc_stat("/proc/stat");
    for (std::string line; std::getline(proc_stat, line);)
      if (line.rfind("btime ", 0) == 0)
        p.start_time_seconds = std::stod(line.substr(6)) + start_ticks / ticks;
  } catch (const std::exception&) {
    return p;
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    std::uint64_t n = 0;
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    p.open_fds = n > 0 ? n - 1 : 0;  // not the one opendir holds
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) p.max_fds = rl.rlim_cur;
  p.ok = true;
  return p;
}

ServerFigures ReadServerFigures(ServerState& state, Engine engine) {
  ServerFigures f;
  f.stats = state.Snapshot();
  for (std::size_t i = 0; i < state.listener_count(); ++i) {
    const ListenerStats& l = state.listener_stats(i);
    ServerFigures::ListenerFigures n;
    for (std::size_t r = 0; r < kCloseReasonCount; ++r)
      n.closed[r] = l.closed(static_cast<CloseReason>(r));
    for (std::size_t r = 0; r < kRefuseReasonCount; ++r)
      n.refused[r] = l.refused(static_cast<RefuseReason>(r));
    n.accepted = l.accepted();
    n.active = l.active();
    f.listeners.push_back(n);
  }
  f.database_up = state.health().up();
  for (std::size_t i = 0; i < std::size(kTroubleCauses); ++i)
    f.database_errors[i] = state.health().failures(kTroubleCauses[i]);
  f.engine = engine;
  f.data_version = state.freshness().version();
  f.last_change_seconds = state.freshness().last_change_seconds();
  f.process = ReadProcessFigures();
  return f;
}

std::vector<MetricFamily> ServerMetricFamilies(const MetricsLayout& layout,
                                               const ServerFigures& figures) {
  std::vector<MetricFamily> out;
  LookupFamilies(layout, figures.stats, out);
  ConnectionFamilies(layout, figures, out);
  DatabaseFamilies(figures, out);
  ProcessFamilies(figures.process, out);
  return out;
}

}  // namespace rcptdb
