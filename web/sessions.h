// SPDX-License-Identifier: MIT
// sessions.h - the page's signed-in sessions, held in memory
//
// POST /api/v1/session with a login and its password starts a session:
// the browser gets its identifier in a cookie (HttpOnly, SameSite=Strict,
// Path=/, Secure under TLS), and the page gets a CSRF token that it must
// send in the X-CSRF-Token header with every request that changes state.
// A session names its principal only by kind and login: who that is, and
// what it holds, is read from the database on every request, so that a
// disabled administrator or a changed domain list counts at once.
//
// Only the SHA-256 of an identifier is kept. A session ends at its
// lifetime after creation, at DELETE /api/v1/session, or when the daemon
// stops (sessions are not written anywhere). At most kMaxSessions live at
// once; when full, the oldest goes.
//
// Thread safety: all members may be called from any thread.
#ifndef RCPTDB_WEB_SESSIONS_H
#define RCPTDB_WEB_SESSIONS_H

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb::web {

struct Session {
  enum class Kind { kAdmin, kMailbox };
  Kind kind = Kind::kAdmin;
  std::string login;  // admin login, or mailbox address
  std::string csrf;   // the token the page sends in X-CSRF-Token
  std::chrono::system_clock::time_point expires;
};

class Sessions {
 public:
  using Clock = std::chrono::system_clock;
  static constexpr std::size_t kMaxSessions = 100000;

  explicit Sessions(std::chrono::seconds lifetime) : lifetime_(lifetime) {}
  void Configure(std::chrono::seconds lifetime);

  // Starts a session; returns its identifier (for the cookie) and sets
  // *session to what was stored. Temporary if no randomness was to be had.
  Result<std::string> Start(Session::Kind kind, const std::string& login, Session* session,
                            Clock::time_point now);
  // Returns the live session with this identifier.
  std::optional<Session> Find(std::string_view id, Clock::time_point now);
  // Ends the session with this identifier, if it exists.
  void End(std::string_view id);

 private:
  std::mutex mutex_;
  std::chrono::seconds lifetime_;
  std::map<std::string, Session, std::less<>> by_hash_;  // SHA-256 of the id -> session
};

}  // namespace rcptdb::web

#endif
