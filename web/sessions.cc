// SPDX-License-Identifier: MIT
// NAME
//   sessions - cookie sessions with a CSRF token each, in memory
// SEE ALSO
//   sessions.h, secrets.h
#include "sessions.h"

#include <algorithm>

#include "secrets.h"

namespace rcptdb::web {

void Sessions::Configure(std::chrono::seconds lifetime) {
  std::lock_guard<std::mutex> lock(mutex_);
  lifetime_ = lifetime;
}

Result<std::string> Sessions::Start(Session::Kind kind, const std::string& login, Session* session,
                                    Clock::time_point now) {
  Result<std::string> id = RandomToken();
  if (!id.ok()) return id.status();
  Result<std::string> csrf = RandomToken();
  if (!csrf.ok()) return csrf.status();
  std::lock_guard<std::mutex> lock(mutex_);
  if (by_hash_.size() >= kMaxSessions) {
    std::erase_if(by_hash_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (by_hash_.size() >= kMaxSessions)
      by_hash_.erase(std::min_element(
          by_hash_.begin(), by_hash_.end(),
          [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; }));
  }
  Session s{kind, login, *csrf, now + lifetime_};
  by_hash_[Sha256Hex(*id)] = s;
  *session = s;
  return *id;
}

std::optional<Session> Sessions::Find(std::string_view id, Clock::time_point now) {
  std::string key = Sha256Hex(id);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    by_hash_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void Sessions::End(std::string_view id) {
  std::string key = Sha256Hex(id);
  std::lock_guard<std::mutex> lock(mutex_);
  by_hash_.erase(key);
}

}  // namespace rcptdb::web
