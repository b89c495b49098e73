// SPDX-License-Identifier: MIT
// NAME
//   adopt_map_text - Postfix table specifications and map source text
// DESCRIPTION
//   Reads the text that postmap(1) builds indexed tables from, and the
//   table lists and inline tables of main.cf, the way Postfix reads them.
//   Nothing here opens a file: the caller reads it (bounded) and hands
//   over the text, so the fuzz target (tests/fuzz/fuzz_adopt.cc) sees
//   exactly what adopt sees.
//
//   What Postfix would warn about and skip (a key without a value) is a
//   problem here, named by its line: adopt refuses to write when a map
//   says something it did not understand.
// SEE ALSO
//   adopt_map_text.h, adopt_plan.h, postmap(1), postconf(5)
#include "adopt_map_text.h"

namespace rcptdb::admin {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Turns one logical line into an entry or a problem.
void ReadLogical(std::string_view line, std::size_t number, MapText& out) {
  if (line.size() > kMaxMapLine) {
    out.problems.push_back({number, "line longer than " + std::to_string(kMaxMapLine) + " bytes"});
    return;
  }
  if (line.find('\0') != std::string_view::npos) {
    out.problems.push_back({number, "a NUL byte"});
    return;
  }
  line = Trim(line);
  if (line.front() == '"') {
    out.problems.push_back({number, "a quoted key"});
    return;
  }
  std::size_t end = 0;
  while (end < line.size() && !IsBlank(line[end])) ++end;
  std::string_view value = Trim(line.substr(end));
  if (value.empty()) {
    out.problems.push_back({number, "expected format: key whitespace value (" +
                                        std::string(line.substr(0, 80)) + ")"});
    return;
  }
  out.entries.push_back({Lower(line.substr(0, end)), std::string(value), number});
}

}  // namespace

MapText ParseMapSource(std::string_view text) {
  MapText out;
  std::string logical;
  std::size_t logical_line = 0, number = 0;
  bool too_long = false;
  auto flush = [&] {
    if (logical_line == 0) return;
    if (too_long)
      out.problems.push_back(
          {logical_line, "line longer than " + std::to_string(kMaxMapLine) + " bytes"});
    else
      ReadLogical(logical, logical_line, out);
    logical.clear();
    logical_line = 0;
    too_long = false;
  };
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++number;
    std::string_view body = Trim(line);
    if (body.empty() || body.front() == '#') continue;
    if (IsBlank(line.front()) && logical_line != 0) {
      // A continuation joins with one space, as postmap's readlline does.
      if (logical.size() + 1 + body.size() > kMaxMapLine) {
        too_long = true;
      } else if (!too_long) {
        logical += ' ';
        logical.append(body);
      }
      continue;
    }
    flush();
    logical_line = number;
    if (line.size() > kMaxMapLine)
      too_long = true;
    else
      logical.assign(line);
  }
  flush();
  return out;
}

Result<std::vector<TableSpec>> SplitTableList(std::string_view value) {
  std::vector<TableSpec> out;
  std::size_t i = 0;
  while (i < value.size()) {
    char c = value[i];
    if (c == ',' || IsBlank(c) || c == '\n') {
      ++i;
      continue;
    }
    std::size_t start = i;
    int depth = 0;
    for (; i < value.size(); ++i) {
      char d = value[i];
      if (d == '{') {
        ++depth;
      } else if (d == '}') {
        if (--depth < 0) return Status::Invalid("unbalanced '}' in " + std::string(value));
      } else if (depth == 0 && (d == ',' || IsBlank(d) || d == '\n')) {
        break;
      }
    }
    if (depth != 0) return Status::Invalid("unbalanced '{' in " + std::string(value));
    std::string_view item = value.substr(start, i - start);
    TableSpec spec;
    spec.text = std::string(item);
    std::string_view rest = item;
    if (rest.starts_with("proxy:")) rest.remove_prefix(6);
    std::size_t colon = rest.find(':');
    // A bare word has no ':' before any '{' or '/' ("/etc/x" is a file of words).
    std::size_t brace = rest.find_first_of("{/");
    if (colon == std::string_view::npos || (brace != std::string_view::npos && brace < colon)) {
      spec.name = std::string(rest);
    } else {
      spec.type = Lower(rest.substr(0, colon));
      spec.name = std::string(rest.substr(colon + 1));
    }
    out.push_back(std::move(spec));
  }
  return out;
}

bool IsFileTableType(std::string_view type) {
  return type == "hash" || type == "btree" || type == "lmdb" || type == "cdb" || type == "dbm" ||
         type == "sdbm" || type == "texthash";
}

Result<std::vector<MapEntry>> ParseInlineTable(std::string_view body) {
  body = Trim(body);
  if (body.size() < 2 || body.front() != '{' || body.back() != '}')
    return Status::Invalid("inline table " + std::string(body) + ": expected {key=value, ...}");
  body = body.substr(1, body.size() - 2);
  std::vector<MapEntry> out;
  std::size_t i = 0;
  while (i < body.size()) {
    char c = body[i];
    if (c == ',' || IsBlank(c) || c == '\n') {
      ++i;
      continue;
    }
    std::string_view item;
    if (c == '{') {
      std::size_t close = body.find('}', i);
      if (close == std::string_view::npos) return Status::Invalid("inline table: unbalanced '{'");
      item = Trim(body.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      std::size_t start = i;
      while (i < body.size() && body[i] != ',' && !IsBlank(body[i]) && body[i] != '\n') ++i;
      item = body.substr(start, i - start);
    }
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return Status::Invalid("inline table: " + std::string(item) + ": expected key=value");
    std::string_view key = Trim(item.substr(0, eq));
    std::string_view value = Trim(item.substr(eq + 1));
    if (key.empty() || value.empty())
      return Status::Invalid("inline table: " + std::string(item) + ": empty key or value");
    out.push_back({Lower(key), std::string(value), 0});
  }
  return out;
}

Result<std::string> ParseStaticTable(std::string_view name) {
  std::string_view v = Trim(name);
  if (!v.empty() && v.front() == '{') {
    if (v.back() != '}') return Status::Invalid("static table " + std::string(name) + ": no '}'");
    v = Trim(v.substr(1, v.size() - 2));
  }
  if (v.empty()) return Status::Invalid("static table without a value");
  return std::string(v);
}

std::vector<std::string> SplitAddressList(std::string_view value) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ',' || IsBlank(value[i]) || value[i] == '\n')) ++i;
    std::size_t start = i;
    while (i < value.size() && value[i] != ',' && !IsBlank(value[i]) && value[i] != '\n') ++i;
    if (i > start) out.emplace_back(value.substr(start, i - start));
  }
  return out;
}

}  // namespace rcptdb::admin
