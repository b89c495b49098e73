// SPDX-License-Identifier: MIT
// NAME
//   logger - Postfix-style logging to stderr or syslog
// DESCRIPTION
//   One line per call, written with a single write(2) to stderr (so lines
//   from different threads never interleave) or one syslog(3) call.
//   openlog() keeps a pointer to its ident, so the ident lives in static
//   storage for the life of the process.
// SEE ALSO
//   logger.h, syslog(3), postlog(1)
#include "logger.h"

#include <syslog.h>
#include <unistd.h>

#include <map>
#include <mutex>

namespace rcptdb {
namespace {

std::mutex g_mutex;
bool g_syslog = false;
std::string g_ident = "rcptdb-server";

const char* Prefix(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "";
    case LogLevel::kWarning:
      return "warning: ";
    case LogLevel::kError:
      return "error: ";
    case LogLevel::kFatal:
      return "fatal: ";
  }
  return "";
}

int Priority(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kFatal:
      return LOG_CRIT;
  }
  return LOG_INFO;
}

int FacilityCode(const std::string& name) {
  static const std::map<std::string, int> kCodes = {
      {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
      {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
  auto it = kCodes.find(name);
  return it == kCodes.end() ? LOG_MAIL : it->second;
}

}  // namespace

void Logger::ToStderr(const std::string& ident) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_syslog) closelog();
  g_syslog = false;
  g_ident = ident;
}

void Logger::ToSyslog(const std::string& ident, const std::string& facility) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_syslog) closelog();
  g_ident = ident;
  openlog(g_ident.c_str(), LOG_PID | LOG_NDELAY, FacilityCode(facility));
  g_syslog = true;
}

void Logger::Write(LogLevel level, std::string_view line) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_syslog) {
    syslog(Priority(level), "%s%.*s", Prefix(level), static_cast<int>(line.size()), line.data());
    return;
  }
  std::string out = fmt::format("{}[{}]: {}{}\n", g_ident, getpid(), Prefix(level), line);
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::write(STDERR_FILENO, out.data() + done, out.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

std::string Printable(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(s.size() < max ? s.size() : max + 3);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == max) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
  }
  return out;
}

}  // namespace rcptdb
