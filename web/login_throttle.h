// SPDX-License-Identifier: MIT
// login_throttle.h - failed logins counted per login and per client
//
// A password guesser is slowed by two counters: one per login (a
// distributed attack on one account) and one per client address (one
// client trying many accounts). Each counts the failures of the last
// window; at limit failures a key is refused until its oldest failure
// leaves the window, and the API answers 429 with Retry-After. A refused
// attempt is not checked at all, so it costs no password hash. Success
// clears nothing: an attacker who knows one password must not be able to
// reset the counter for the account it is guessing.
//
// IPv6 clients are counted per /64, since one host usually holds a whole
// /64. Memory is bounded: at most kMaxKeys keys; when full, keys whose
// failures have all left the window go first, then the oldest.
//
// Thread safety: all members may be called from any thread.
#ifndef RCPTDB_WEB_LOGIN_THROTTLE_H
#define RCPTDB_WEB_LOGIN_THROTTLE_H

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace rcptdb::web {

class LoginThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxKeys = 100000;

  // limit 0: no throttling.
  LoginThrottle(unsigned limit, std::chrono::seconds window) : limit_(limit), window_(window) {}

  // Changes the limits (SIGHUP); counts so far are kept.
  void Configure(unsigned limit, std::chrono::seconds window);

  // Returns 0 if an attempt for login from client may be checked now, else
  // the whole seconds (at least 1) until it may.
  std::chrono::seconds Wait(std::string_view login, std::string_view client, Clock::time_point now);
  // Counts a failed attempt. login may be empty (a bad token: only the
  // client is counted).
  void Failure(std::string_view login, std::string_view client, Clock::time_point now);

  // The key a client address is counted under ("2001:db8:1:2::/64").
  static std::string ClientKey(std::string_view client);

 private:
  std::chrono::seconds WaitLocked(const std::string& key, Clock::time_point now);
  void Add(const std::string& key, Clock::time_point now);
  void Trim(std::deque<Clock::time_point>& times, Clock::time_point now) const;

  std::mutex mutex_;
  unsigned limit_;
  std::chrono::seconds window_;
  std::map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace rcptdb::web

#endif
