// SPDX-License-Identifier: MIT
// NAME
//   exposition - write metric families in Prometheus text or OpenMetrics
// DESCRIPTION
//   Prometheus text format 0.0.4 (prometheus/docs, exposition_formats.md):
//     # HELP name help        help escapes \ and newline
//     # TYPE name counter|gauge|histogram
//     name{label="value",...} value
//   A counter's name ends in _total in every line. OpenMetrics 1.0
//   (OpenMetrics specification): # TYPE and # HELP name the family, a
//   counter's samples add _total and an info family's _info, # UNIT names
//   the unit, help also escapes the double quote, and the body ends with
//   "# EOF". Label values escape \, " and newline in both. Values are
//   integers where they are counts, else the shortest text that reads
//   back as the same double; infinities are +Inf and -Inf.
//
//   Accept: a comma-separated list of media ranges, each with optional
//   parameters, among them q (0 to 1, default 1). Unreadable parts are
//   skipped: a scraper that sends garbage gets the default format.
// SEE ALSO
//   exposition.h, rcptdb-server(8) METRICS
#include "exposition.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>

namespace rcptdb {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// Returns the q parameter of a media range's parameters (1 if absent, 0
// if unreadable: a range we cannot read is not wanted).
double Quality(std::string_view params) {
  while (!params.empty()) {
    std::size_t semi = params.find(';');
    std::string_view p = Trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
    std::size_t eq = p.find('=');
    if (eq == std::string_view::npos || !EqualsNoCase(Trim(p.substr(0, eq)), "q")) continue;
    std::string_view v = Trim(p.substr(eq + 1));
    double q = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), q);
    if (ec != std::errc() || end != v.data() + v.size() || !(q >= 0 && q <= 1)) return 0;
    return q;
  }
  return 1;
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string EscapeHelp(std::string_view v, bool quote) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

std::string FormatValue(const MetricSample& s) {
  if (s.integer && s.value >= 0 && s.value < 9007199254740992.0)
    return fmt::format("{}", static_cast<std::uint64_t>(s.value));
  if (std::isnan(s.value)) return "NaN";
  if (std::isinf(s.value)) return s.value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", s.value);
}

const char* TypeWord(MetricType t, ExpositionFormat f) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kInfo:
      return f == ExpositionFormat::kOpenMetrics ? "info" : "gauge";
  }
  return "untyped";
}

// The name in # HELP and # TYPE lines, and the samples' base name.
std::pair<std::string, std::string> Names(const MetricFamily& family, ExpositionFormat f) {
  std::string sample = family.name;
  if (family.type == MetricType::kCounter) sample += "_total";
  if (family.type == MetricType::kInfo) sample += "_info";
  return {f == ExpositionFormat::kOpenMetrics ? family.name : sample, sample};
}

}  // namespace

ExpositionFormat ChooseExposition(std::string_view accept) {
  double openmetrics = 0, text = 0;
  while (!accept.empty()) {
    std::size_t comma = accept.find(',');
    std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    std::size_t semi = range.find(';');
    std::string_view type = Trim(range.substr(0, semi));
    double q = semi == std::string_view::npos ? 1.0 : Quality(range.substr(semi + 1));
    if (EqualsNoCase(type, "application/openmetrics-text")) {
      openmetrics = std::max(openmetrics, q);
    } else if (EqualsNoCase(type, "text/plain") || EqualsNoCase(type, "text/*") || type == "*/*") {
      text = std::max(text, q);
    }
  }
  return openmetrics > 0 && openmetrics > text ? ExpositionFormat::kOpenMetrics
                                               : ExpositionFormat::kPrometheusText;
}

const char* ContentTypeOf(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics
             ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
             : "text/plain; version=0.0.4; charset=utf-8";
}

void MetricFamily::Add(MetricLabels labels, std::uint64_t value) {
  samples.push_back({"", std::move(labels), static_cast<double>(value), true});
}

void MetricFamily::AddReal(MetricLabels labels, double value) {
  samples.push_back({"", std::move(labels), value, false});
}

std::string EncodeExposition(const std::vector<MetricFamily>& families, ExpositionFormat format) {
  bool om = format == ExpositionFormat::kOpenMetrics;
  std::string out;
  for (const MetricFamily& family : families) {
    auto [meta, sample_name] = Names(family, format);
    out += fmt::format("# HELP {} {}\n", meta, EscapeHelp(family.help, om));
    out += fmt::format("# TYPE {} {}\n", meta, TypeWord(family.type, format));
    if (om && !family.unit.empty()) out += fmt::format("# UNIT {} {}\n", meta, family.unit);
    for (const MetricSample& s : family.samples) {
      out += family.type == MetricType::kHistogram ? family.name + s.suffix : sample_name;
      if (!s.labels.empty()) {
        out += '{';
        for (std::size_t i = 0; i < s.labels.size(); ++i)
          out += fmt::format("{}{}=\"{}\"", i ? "," : "", s.labels[i].first,
                             EscapeLabelValue(s.labels[i].second));
        out += '}';
      }
      out += ' ';
      out += FormatValue(s);
      out += '\n';
    }
  }
  if (om) out += "# EOF\n";
  return out;
}

}  // namespace rcptdb
