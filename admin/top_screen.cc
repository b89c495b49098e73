// SPDX-License-Identifier: MIT
// NAME
//   top_screen - lay out rcptdb top's 80x24 screen
// DESCRIPTION
//   Every figure is a difference between the two scrapes of a server:
//   rates divide it by the time between them, quantiles read it from the
//   cumulative latency buckets (the smallest bucket bound that holds the
//   quantile, as the stats map does: "<=50us"), summed over the servers
//   for the totals. Lines are formatted to fixed widths and then cut at
//   80 columns, so that a long server name or error never wraps.
// SEE ALSO
//   top_screen.h, tcp-table/server_metrics.h (what the figures are),
//   rcptdb(1) TOP
#include "top_screen.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

namespace rcptdb::admin {
namespace {

using Filter = std::function<bool(const ExposedSample&)>;

constexpr const char* kMaps[] = {"domains", "transport", "recipients",
                                 "aliases", "senders",   "access"};
constexpr const char* kResults[] = {"found", "notfound", "tempfail", "permfail"};

bool Ok(const TopServer& s) { return s.before.error.empty() && s.after.error.empty(); }

double Seconds(const TopServer& s) { return std::max(1e-3, s.after.at - s.before.at); }

double Sum(const TopReading& r, std::string_view name, const Filter& keep) {
  double total = 0;
  for (const ExposedSample& x : r.samples)
    if (x.name == name && (!keep || keep(x)) && std::isfinite(x.value)) total += x.value;
  return total;
}

bool Has(const TopReading& r, std::string_view name) {
  for (const ExposedSample& x : r.samples)
    if (x.name == name) return true;
  return false;
}

// The increase of a counter between the two scrapes; a counter that went
// down (a restart) counts from zero.
double Increase(const TopServer& s, std::string_view name, const Filter& keep = nullptr) {
  double before = Sum(s.before, name, keep), after = Sum(s.after, name, keep);
  return after >= before ? after - before : after;
}

double Rate(const TopServer& s, std::string_view name, const Filter& keep = nullptr) {
  return Increase(s, name, keep) / Seconds(s);
}

Filter LabelIs(std::string label, std::string value) {
  return [label = std::move(label), value = std::move(value)](const ExposedSample& x) {
    return x.Label(label) == value;
  };
}

Filter TableLookups() {
  return [](const ExposedSample& x) {
    return x.Label("protocol") == "tcp_table" || x.Label("protocol") == "socketmap";
  };
}

// Cumulative latency counts of the interval, by bucket bound.
using Buckets = std::map<double, double>;

void AddBuckets(const TopServer& s, Buckets& into) {
  Buckets before, after;
  auto read = [](const TopReading& r, Buckets& b) {
    for (const ExposedSample& x : r.samples) {
      if (x.name != "rcptdb_lookup_duration_seconds_bucket" || !TableLookups()(x)) continue;
      double le = 0;
      std::string_view t = x.Label("le");
      if (t == "+Inf") {
        le = std::numeric_limits<double>::infinity();
      } else {
        try {
          le = std::stod(std::string(t));
        } catch (const std::exception&) {
          continue;
        }
      }
      b[le] += x.value;
    }
  };
  read(s.before, before);
  read(s.after, after);
  for (const auto& [le, n] : after) {
    double was = before.count(le) ? before[le] : 0;
    into[le] += n >= was ? n - was : n;
  }
}

std::string Duration(double seconds) {
  if (seconds < 1e-3) return fmt::format("{:g}us", std::round(seconds * 1e6));
  if (seconds < 1) return fmt::format("{:g}ms", std::round(seconds * 1e4) / 10);
  return fmt::format("{:g}s", seconds);
}

std::string Quantile(const Buckets& b, double q) {
  if (b.empty()) return "-";
  double total = b.rbegin()->second;
  if (total <= 0) return "-";
  double last_finite = 0;
  for (const auto& [le, n] : b) {
    if (std::isinf(le)) break;
    last_finite = le;
    if (n >= q * total) return "<=" + Duration(le);
  }
  return ">" + Duration(last_finite);
}

std::string Figure(double v) {
  if (v >= 999999.5) return fmt::format("{:.2f}M", v / 1e6);
  if (v >= 99999.95) return fmt::format("{:.0f}", v);
  return fmt::format("{:.1f}", v);
}

std::string Age(double seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return fmt::format("{:.0f}s", seconds);
  if (seconds < 7200) return fmt::format("{:.0f}m", seconds / 60);
  if (seconds < 172800) return fmt::format("{:.0f}h", seconds / 3600);
  return fmt::format("{:.0f}d", seconds / 86400);
}

void AddLine(std::string& out, std::string line) {
  if (line.size() > kScreenColumns) line.resize(kScreenColumns);
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

std::string ServerLine(const TopServer& s) {
  std::string name = s.name.size() > 22 ? s.name.substr(0, 21) + "~" : s.name;
  if (!Ok(s)) {
    const std::string& error = s.after.error.empty() ? s.before.error : s.after.error;
    return fmt::format("{:<22} unreachable: {}", name, error);
  }
  Buckets b;
  AddBuckets(s, b);
  double lookups = Rate(s, "rcptdb_lookups_total");
  double tempfail = Rate(s, "rcptdb_lookups_total", LabelIs("result", "tempfail"));
  double conns = Sum(s.after, "rcptdb_connections_active", nullptr);
  std::string db = !Has(s.after, "rcptdb_database_up")                ? "?"
                   : Sum(s.after, "rcptdb_database_up", nullptr) >= 1 ? "ok"
                                                                      : "DOWN";
  std::string data = Has(s.after, "rcptdb_data_version")
                         ? fmt::format("v{:.0f}", Sum(s.after, "rcptdb_data_version", nullptr))
                         : std::string("-");
  if (Has(s.after, "rcptdb_data_last_change_timestamp_seconds"))
    data += " " +
            Age(s.after.wall - Sum(s.after, "rcptdb_data_last_change_timestamp_seconds", nullptr));
  return fmt::format("{:<22} {:>9} {:<7} {:<7} {:>7} {:>5} {:<4} {}", name, Figure(lookups),
                     Quantile(b, 0.5), Quantile(b, 0.99), Figure(tempfail),
                     fmt::format("{:.0f}", conns), db, data);
}

}  // namespace

std::string RenderTopScreen(const std::vector<TopServer>& servers, const std::string& clock) {
  std::vector<const TopServer*> ok;
  for (const TopServer& s : servers)
    if (Ok(s)) ok.push_back(&s);
  auto total = [&ok](std::string_view name, const Filter& keep = nullptr) {
    double r = 0;
    for (const TopServer* s : ok) r += Rate(*s, name, keep);
    return r;
  };
  double interval = ok.empty() ? 0 : Seconds(*ok.front());

  std::string out;
  AddLine(out, fmt::format("rcptdb top  {}  {} server{}  rates over {:.1f}s  (q quits)", clock,
                           servers.size(), servers.size() == 1 ? "" : "s", interval));
  AddLine(out, "");
  AddLine(out, fmt::format("{:<16}{:>10}{:>10}{:>10}{:>10}{:>10}", "LOOKUPS/s", "found", "notfound",
                           "tempfail", "permfail", "total"));
  auto map_line = [&](const std::string& label, const Filter& keep) {
    std::string line = fmt::format("{:<16}", label);
    double sum = 0;
    for (const char* result : kResults) {
      Filter both = [&keep, result](const ExposedSample& x) {
        return keep(x) && x.Label("result") == result;
      };
      double r = total("rcptdb_lookups_total", both);
      sum += r;
      line += fmt::format("{:>10}", Figure(r));
    }
    line += fmt::format("{:>10}", Figure(sum));
    AddLine(out, line);
  };
  for (const char* map : kMaps) map_line(map, LabelIs("map", map));
  map_line("unknown map", LabelIs("map", "unknown"));
  map_line("all", [](const ExposedSample&) { return true; });
  Buckets all;
  for (const TopServer* s : ok) AddBuckets(*s, all);
  AddLine(out, fmt::format("latency  p50 {}  p99 {}  p99.9 {}  (tcp_table and socketmap)",
                           Quantile(all, 0.5), Quantile(all, 0.99), Quantile(all, 0.999)));
  AddLine(out, "");
  AddLine(out, fmt::format("{:<22} {:>9} {:<7} {:<7} {:>7} {:>5} {:<4} {}", "SERVER", "lookups/s",
                           "p50", "p99", "tempf/s", "conns", "db", "data"));
  std::size_t shown = servers.size() > kMaxServerLines ? kMaxServerLines - 1 : servers.size();
  for (std::size_t i = 0; i < shown; ++i) AddLine(out, ServerLine(servers[i]));
  if (shown < servers.size())
    AddLine(out, fmt::format("... and {} more servers", servers.size() - shown));
  AddLine(out, "");
  bool policy = false;
  for (const TopServer* s : ok) policy = policy || Has(s->after, "rcptdb_policy_actions_total");
  if (policy) {
    std::string line = "policy/s";
    for (const char* action : {"dunno", "reject", "defer", "trouble"})
      line += fmt::format("  {} {}", action,
                          Figure(total("rcptdb_policy_actions_total", LabelIs("action", action))));
    AddLine(out, line);
  } else {
    AddLine(out, "policy/s  (no policy listener)");
  }
  AddLine(out, fmt::format("errors/s  protocol {}  database {}  connections refused {}",
                           Figure(total("rcptdb_protocol_errors_total")),
                           Figure(total("rcptdb_database_errors_total")),
                           Figure(total("rcptdb_connections_refused_total"))));
  return out;
}

}  // namespace rcptdb::admin
