// SPDX-License-Identifier: MIT
// config_syntax.h - the "name = value" files of rcptdb's daemons
//
// rcptdb.conf(5) and rcptdb-web.conf(5) share one syntax, Postfix's
// main.cf: "name = value" lines, blank lines and '#' comment lines
// ignored, a line that starts with white space continues the previous
// one, a later setting of the same name wins. Each daemon owns its names
// and what they mean; this module owns only the syntax and the spelling
// of the value kinds they share (numbers, times with a unit, yes/no,
// octal modes, lists), so that both daemons refuse a bad value with the
// same words: "FILE:LINE: name = value: why".
//
// Thread safety: pure functions, except ReadConfigFile, which reads a file.
#ifndef RCPTDB_CONFIG_SYNTAX_H
#define RCPTDB_CONFIG_SYNTAX_H

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace rcptdb {

// One "name = value" pair and where it came from ("rcptdb.conf:12",
// "--db"), for error messages.
struct Setting {
  std::string name;
  std::string value;
  std::string origin;
};

// Returns the settings in a configuration file's text; origin names the
// file in error messages. A name not in known is refused (it is a typo).
Result<std::vector<Setting>> ParseSettings(std::string_view text, const std::string& origin,
                                           std::span<const std::string_view> known);

// Reads a whole configuration file (at most 1 MiB) into out; returns 0 or
// the errno of the failure (EFBIG for a larger file).
int ReadConfigFile(const std::string& path, std::string& out);

// Returns s without leading and trailing blanks (space, tab, CR).
std::string_view TrimBlanks(std::string_view s);
// Splits a list value at commas and white space, dropping empty items.
std::vector<std::string> SplitList(std::string_view value);

// Invalid "ORIGIN: name = value: why".
Status BadSetting(const Setting& s, const std::string& why);
// A whole number from min to max.
Result<long> SettingNumber(const Setting& s, long min, long max);
// A time as Postfix writes it: a number with an optional unit, s (seconds,
// the default), m, h or d; from 0 to max_seconds.
Result<std::chrono::seconds> SettingDuration(const Setting& s, long max_seconds);
// A file mode in octal, as chmod(1) takes it, without set-id or sticky bits.
Result<unsigned> SettingMode(const Setting& s);
// yes/true/1 or no/false/0.
Result<bool> SettingBool(const Setting& s);
// Returns true iff t is spelled like a user or group name (no lookup).
bool IsPlainName(std::string_view t);

}  // namespace rcptdb

#endif
