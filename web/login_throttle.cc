// SPDX-License-Identifier: MIT
// NAME
//   login_throttle - a sliding window of failures per login and per client
// SEE ALSO
//   login_throttle.h
#include "login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>

namespace rcptdb::web {

void LoginThrottle::Configure(unsigned limit, std::chrono::seconds window) {
  std::lock_guard<std::mutex> lock(mutex_);
  limit_ = limit;
  window_ = window;
}

std::string LoginThrottle::ClientKey(std::string_view client) {
  std::string text(client);
  in6_addr a6{};
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    bool mapped = true;  // ::ffff:a.b.c.d is an IPv4 client
    for (int i = 0; i < 10; ++i) mapped = mapped && a6.s6_addr[i] == 0;
    mapped = mapped && a6.s6_addr[10] == 0xff && a6.s6_addr[11] == 0xff;
    if (mapped) {
      char v4[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &a6.s6_addr[12], v4, sizeof v4);
      return "client:" + std::string(v4);
    }
    std::fill(a6.s6_addr + 8, a6.s6_addr + 16, 0);
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &a6, buf, sizeof buf);
    return "client:" + std::string(buf) + "/64";
  }
  return "client:" + text;
}

void LoginThrottle::Trim(std::deque<Clock::time_point>& times, Clock::time_point now) const {
  while (!times.empty() && times.front() + window_ <= now) times.pop_front();
}

std::chrono::seconds LoginThrottle::WaitLocked(const std::string& key, Clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) return std::chrono::seconds(0);
  Trim(it->second, now);
  if (it->second.size() < limit_) return std::chrono::seconds(0);
  // Free again when enough failures have left the window for one more.
  Clock::time_point free_at = it->second[it->second.size() - limit_] + window_;
  auto wait = std::chrono::ceil<std::chrono::seconds>(free_at - now);
  return std::max(wait, std::chrono::seconds(1));
}

std::chrono::seconds LoginThrottle::Wait(std::string_view login, std::string_view client,
                                         Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (limit_ == 0) return std::chrono::seconds(0);
  std::chrono::seconds by_client = WaitLocked(ClientKey(client), now);
  std::chrono::seconds by_login =
      login.empty() ? std::chrono::seconds(0) : WaitLocked("login:" + std::string(login), now);
  return std::max(by_client, by_login);
}

void LoginThrottle::Add(const std::string& key, Clock::time_point now) {
  auto it = failures_.find(key);
  if (it == failures_.end()) {
    if (failures_.size() >= kMaxKeys) {
      // Full: drop keys with nothing left in the window; if none, the one
      // whose last failure is oldest.
      for (auto k = failures_.begin(); k != failures_.end();) {
        Trim(k->second, now);
        k = k->second.empty() ? failures_.erase(k) : std::next(k);
      }
      if (failures_.size() >= kMaxKeys) {
        auto oldest = std::min_element(
            failures_.begin(), failures_.end(),
            [](const auto& a, const auto& b) { return a.second.back() < b.second.back(); });
        failures_.erase(oldest);
      }
    }
    it = failures_.emplace(key, std::deque<Clock::time_point>()).first;
  }
  Trim(it->second, now);
  it->second.push_back(now);
  // Only the newest limit failures decide a wait: keep no more.
  while (it->second.size() > std::max(limit_, 1u)) it->second.pop_front();
}

void LoginThrottle::Failure(std::string_view login, std::string_view client,
                            Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (limit_ == 0) return;
  Add(ClientKey(client), now);
  if (!login.empty()) Add("login:" + std::string(login), now);
}

}  // namespace rcptdb::web
