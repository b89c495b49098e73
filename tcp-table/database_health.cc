// NAME
//   database_health - once-per-cause logging of database trouble
// DESCRIPTION
//   The causes are told apart by SQLite's and Store's message texts
//   ("database is locked", "no such file", "file is not a database",
//   "database disk image is malformed", "schema version"), the only
//   information that survives the Status a Store returns.
// SEE ALSO
//   database_health.h, store.h, live_store.h
#include "database_health.h"

#include "logger.h"

namespace rcptdb {

const char* DatabaseHealth::CauseOf(std::string_view m) {
  auto has = [m](std::string_view s) { return m.find(s) != std::string_view::npos; };
  if (has("no such file") || has("No such file")) return "database missing";
  if (has("locked") || has("busy")) return "database locked";
  // Before "schema version": reading the version of a damaged file fails.
  if (has("not a database") || has("malformed") || has("corrupt")) return "database corrupt";
  if (has("schema version")) return "wrong schema version";
  if (has("cannot open") || has("unable to open") || has("Permission denied"))
    return "cannot open database";
  return "database error";
}

void DatabaseHealth::Failed(std::string_view message, std::string_view context) {
  const char* cause = CauseOf(message);
  std::lock_guard<std::mutex> lock(mutex_);
  ++failures_;
  if (cause_ == cause) return;
  if (cause_.empty()) {
    since_ = std::chrono::steady_clock::now();
    failures_ = 1;
  }
  cause_ = cause;
  troubled_.store(true, std::memory_order_relaxed);
  LogWarning("{}: {}; answering temporary failures until it recovers (first: {})", cause, message,
             context);
}

void DatabaseHealth::Recover() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (cause_.empty()) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
  LogInfo(
      "database works again after {:.1f}s of trouble ({}); {} lookups were answered with a "
      "temporary failure",
      seconds, cause_, failures_);
  cause_.clear();
  failures_ = 0;
  troubled_.store(false, std::memory_order_relaxed);
}

}  // namespace rcptdb
