// SPDX-License-Identifier: MIT
// NAME
//   config_syntax - main.cf-style settings files, shared by the daemons
// DESCRIPTION
//   rcptdb.conf and rcptdb-web.conf follow Postfix's main.cf syntax so
//   that mail admins need learn nothing new. Unknown names are errors, so
//   that a typo cannot silently leave a default in force.
// SEE ALSO
//   config_syntax.h, rcptdb.conf(5), rcptdb-web.conf(5), postconf(5)
#include "config_syntax.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>

namespace rcptdb {

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> SplitList(std::string_view value) {
  std::vector<std::string> items;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t end = value.find_first_of(", \t\n\r", i);
    if (end == std::string_view::npos) end = value.size();
    if (end > i) items.emplace_back(value.substr(i, end - i));
    i = end + 1;
  }
  return items;
}

Status BadSetting(const Setting& s, const std::string& why) {
  return Status::Invalid(s.origin + ": " + s.name + " = " + s.value + ": " + why);
}

Result<long> SettingNumber(const Setting& s, long min, long max) {
  long v = 0;
  std::string_view t = TrimBlanks(s.value);
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < min || v > max)
    return BadSetting(
        s, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
  return v;
}

Result<std::chrono::seconds> SettingDuration(const Setting& s, long max_seconds) {
  std::string_view t = TrimBlanks(s.value);
  long unit = 1;
  if (!t.empty()) {
    switch (t.back()) {
      case 's':
        t.remove_suffix(1);
        break;
      case 'm':
        unit = 60;
        t.remove_suffix(1);
        break;
      case 'h':
        unit = 3600;
        t.remove_suffix(1);
        break;
      case 'd':
        unit = 86400;
        t.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  long v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < 0 ||
      v > max_seconds / unit)
    return BadSetting(s, "expected a time from 0 to " + std::to_string(max_seconds) +
                             " seconds, with an optional unit s, m, h or d (0 = never)");
  return std::chrono::seconds(v * unit);
}

Result<unsigned> SettingMode(const Setting& s) {
  std::string_view t = TrimBlanks(s.value);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v, 8);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v > 0777)
    return BadSetting(s, "expected an octal mode from 0 to 0777, such as 0660");
  return v;
}

Result<bool> SettingBool(const Setting& s) {
  std::string_view t = TrimBlanks(s.value);
  if (t == "yes" || t == "true" || t == "1") return true;
  if (t == "no" || t == "false" || t == "0") return false;
  return BadSetting(s, "expected yes or no");
}

bool IsPlainName(std::string_view t) {
  if (t.empty() || t.size() > 64 || t.front() == '-') return false;
  for (char c : t)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == '$'))
      return false;
  return true;
}

int ReadConfigFile(const std::string& path, std::string& out) {
  FILE* f = std::fopen(path.c_str(), "re");
  if (f == nullptr) return errno;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    // A configuration file is small; refuse to slurp a wrong, huge one.
    if (out.size() > (1u << 20)) {
      std::fclose(f);
      return EFBIG;
    }
  }
  int err = std::ferror(f) ? EIO : 0;
  std::fclose(f);
  return err;
}

Result<std::vector<Setting>> ParseSettings(std::string_view text, const std::string& origin,
                                           std::span<const std::string_view> known) {
  std::vector<Setting> settings;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    std::string_view trimmed = TrimBlanks(line);
    if (trimmed.empty() || trimmed.front() == '#') continue;
    std::string where = origin + ":" + std::to_string(line_no);
    if (line.front() == ' ' || line.front() == '\t') {
      // Continuation of the previous logical line, as in main.cf.
      if (settings.empty())
        return Status::Invalid(where + ": continuation line without a setting before it");
      settings.back().value += " ";
      settings.back().value += trimmed;
      continue;
    }
    std::size_t eq = trimmed.find('=');
    if (eq == std::string_view::npos) return Status::Invalid(where + ": expected name = value");
    std::string name(TrimBlanks(trimmed.substr(0, eq)));
    bool is_known = false;
    for (std::string_view k : known) is_known = is_known || k == name;
    if (!is_known) return Status::Invalid(where + ": unknown setting \"" + name + "\"");
    settings.push_back({name, std::string(TrimBlanks(trimmed.substr(eq + 1))), where});
  }
  return settings;
}

}  // namespace rcptdb
