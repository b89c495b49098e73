// SPDX-License-Identifier: MIT
// NAME
//   exposition_reader - the sample lines of a metrics scrape
// DESCRIPTION
//   Grammar of a sample line (Prometheus text format 0.0.4, OpenMetrics
//   1.0):
//     name   [a-zA-Z_:][a-zA-Z0-9_:]*
//     labels "{" [ label ("," label)* [","] ] "}"
//     label  [a-zA-Z_][a-zA-Z0-9_]* "=" '"' (char | \\ | \" | \n)* '"'
//     value  a float, "+Inf", "-Inf" or "NaN"
//   separated by single spaces or tabs, optionally followed by a timestamp
//   (ignored).
// SEE ALSO
//   exposition_reader.h, tcp-table/exposition.h (the writing half)
#include "exposition_reader.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace rcptdb::admin {
namespace {

bool NameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool NameChar(char c) { return NameStart(c) || (c >= '0' && c <= '9'); }

// A cursor over one line; every Read* advances it on success only.
struct Line {
  std::string_view s;
  std::size_t pos = 0;

  bool Done() const { return pos >= s.size(); }
  char Peek() const { return Done() ? '\0' : s[pos]; }
  bool Take(char c) {
    if (Peek() != c) return false;
    ++pos;
    return true;
  }
  void SkipBlanks() {
    while (Peek() == ' ' || Peek() == '\t') ++pos;
  }
  bool ReadName(std::string& out, bool colon) {
    std::size_t start = pos;
    if (!(NameStart(Peek()) || (colon && Peek() == ':'))) return false;
    while (NameChar(Peek()) || (colon && Peek() == ':')) ++pos;
    out.assign(s.substr(start, pos - start));
    return true;
  }
  bool ReadQuoted(std::string& out) {
    if (!Take('"')) return false;
    out.clear();
    while (!Done()) {
      char c = s[pos++];
      if (c == '"') return true;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (Done()) return false;
      char e = s[pos++];
      if (e == 'n')
        out += '\n';
      else if (e == '\\' || e == '"')
        out += e;
      else
        return false;
    }
    return false;
  }
  bool ReadValue(double& out) {
    std::size_t start = pos;
    while (!Done() && Peek() != ' ' && Peek() != '\t') ++pos;
    std::string_view v = s.substr(start, pos - start);
    if (v == "+Inf" || v == "Inf") {
      out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (v == "-Inf") {
      out = -std::numeric_limits<double>::infinity();
      return true;
    }
    if (v == "NaN") {
      out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
    return !v.empty() && ec == std::errc() && end == v.data() + v.size();
  }
};

bool ReadSample(std::string_view text, ExposedSample& out) {
  Line l{text};
  if (!l.ReadName(out.name, true)) return false;
  if (l.Take('{')) {
    while (!l.Take('}')) {
      if (out.labels.size() >= kMaxLabels) return false;
      std::string name, value;
      l.SkipBlanks();
      if (!l.ReadName(name, false) || !l.Take('=') || !l.ReadQuoted(value)) return false;
      out.labels.emplace_back(std::move(name), std::move(value));
      l.SkipBlanks();
      if (!l.Take(',') && l.Peek() != '}') return false;
      l.SkipBlanks();
    }
  }
  if (l.Peek() != ' ' && l.Peek() != '\t') return false;
  l.SkipBlanks();
  if (!l.ReadValue(out.value)) return false;
  l.SkipBlanks();
  if (l.Done()) return true;
  double timestamp = 0;  // optional; not used
  if (!l.ReadValue(timestamp)) return false;
  l.SkipBlanks();
  return l.Done();
}

}  // namespace

std::string_view ExposedSample::Label(std::string_view label) const {
  for (const auto& [n, v] : labels)
    if (n == label) return v;
  return {};
}

Result<std::vector<ExposedSample>> ReadExposition(std::string_view text) {
  std::vector<ExposedSample> samples;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (samples.size() >= kMaxSamples)
      return Status::Invalid("more than " + std::to_string(kMaxSamples) + " samples");
    ExposedSample s;
    if (!ReadSample(line, s))
      return Status::Invalid("line " + std::to_string(line_no) + " is not a metric sample");
    samples.push_back(std::move(s));
  }
  return samples;
}

}  // namespace rcptdb::admin
