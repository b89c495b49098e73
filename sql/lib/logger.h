// SPDX-License-Identifier: MIT
// logger.h - Postfix-style log lines on stderr or syslog
//
// Lines look like Postfix's: "rcptdb-server[1234]: warning: ...". With
// --foreground they go to stderr (systemd's journal, or a test's log file);
// otherwise to syslog with the configured facility (mail by default) and
// ident, where syslogd adds the pid. Levels are Postfix's: info (no
// prefix), "warning:", "error:", "fatal:". Network input that reaches a
// log line passes through Printable() first, so a hostile key cannot forge
// lines or flood the log.
//
// Thread safety: every function may be called from any thread; Configure*
// should run before the worker threads start or under SIGHUP reload, and
// takes the same lock as writers.
#ifndef RCPTDB_LOGGER_H
#define RCPTDB_LOGGER_H

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

namespace rcptdb {

enum class LogLevel { kInfo, kWarning, kError, kFatal };

class Logger {
 public:
  // Sends lines to stderr, prefixed with "ident[pid]: ".
  static void ToStderr(const std::string& ident);
  // Sends lines to syslog; facility is a name accepted by rcptdb.conf(5).
  static void ToSyslog(const std::string& ident, const std::string& facility);
  // Writes one line at level.
  static void Write(LogLevel level, std::string_view line);
};

// Returns s with control characters, DEL and non-ASCII bytes as '?', cut
// to max bytes with "..." appended; for network data in log lines.
std::string Printable(std::string_view s, std::size_t max = 100);

template <typename... A>
void LogInfo(fmt::format_string<A...> f, A&&... a) {
  Logger::Write(LogLevel::kInfo, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void LogWarning(fmt::format_string<A...> f, A&&... a) {
  Logger::Write(LogLevel::kWarning, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void LogError(fmt::format_string<A...> f, A&&... a) {
  Logger::Write(LogLevel::kError, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void LogFatal(fmt::format_string<A...> f, A&&... a) {
  Logger::Write(LogLevel::kFatal, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace rcptdb

#endif
