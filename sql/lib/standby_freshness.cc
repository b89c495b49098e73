// SPDX-License-Identifier: MIT
// NAME
//   standby_freshness - may a PostgreSQL standby's data be answered from?
// DESCRIPTION
//   See standby_freshness.h for the rules. Replay is judged first: a
//   standby that is in contact but lags in replay says so. The wording
//   names what was measured, so that an admin reading "TEMP ... lags" in
//   Postfix's log knows whether to look at replay or at the link.
// SEE ALSO
//   standby_freshness.h, pg_store.cc (PG_PROBE), rcptdb-server(8)
#include "standby_freshness.h"

#include <algorithm>

namespace rcptdb {
namespace {

std::string Bound(std::int64_t bound_ms) { return " (bound " + std::to_string(bound_ms) + " ms)"; }

// When the standby last heard from its primary, by its WAL receiver
// alone: now if a receiver is connected and not silent for longer than
// a connected primary ever is, else its last message; nullopt without a
// receiver or without a message.
std::optional<std::int64_t> ReceiverContact(const StandbyState& s, std::int64_t now_ms) {
  if (!s.receiver) return std::nullopt;
  // Details hidden from this role, or no message yet: connected is all
  // there is to know, and PostgreSQL drops a silent link itself.
  if (s.receiver_status.empty() || s.receipt_age_ms < 0) return now_ms;
  bool pinged = s.receiver_timeout_ms > 0;
  if (s.receiver_status == "streaming" &&
      (!pinged || s.receipt_age_ms <= s.receiver_timeout_ms / 2 + kPingSlackMs))
    return now_ms;
  return now_ms - s.receipt_age_ms;
}

}  // namespace

StandbyVerdict JudgeStandby(const StandbyState& s, std::int64_t now_ms,
                            std::optional<std::int64_t> remembered_at_ms, std::int64_t bound_ms) {
  StandbyVerdict v;
  // Every lower bound of the last contact that is known: the receiver's,
  // the last replayed commit (made on the primary before it was
  // received), and what was seen before.
  std::optional<std::int64_t> contact = ReceiverContact(s, now_ms);
  for (std::optional<std::int64_t> other :
       {s.replay_age_ms >= 0 ? std::optional<std::int64_t>(now_ms - s.replay_age_ms) : std::nullopt,
        remembered_at_ms})
    if (other) contact = contact ? std::max(*contact, *other) : *other;
  v.contact_at_ms = contact;
  // WAL waits to be replayed: the data is as old as the last commit
  // replayed, and of unknown age if none was since the standby started.
  if (s.replay_pending && (s.replay_age_ms < 0 || s.replay_age_ms > bound_ms)) {
    v.status = Status::Temporary(
        Status::Cause::kStale,
        s.replay_age_ms < 0
            ? "standby replay lags behind its primary, no commit replayed since it started" +
                  Bound(bound_ms)
            : "standby replay lags " + std::to_string(s.replay_age_ms) + " ms behind its primary" +
                  Bound(bound_ms));
    return v;
  }
  if (contact && now_ms - *contact <= bound_ms) return v;
  std::string how = s.receiver ? "standby lags: nothing heard from its primary"
                               : "standby lags: no WAL receiver streaming from its primary";
  v.status = Status::Temporary(Status::Cause::kStale,
                               how +
                                   (contact ? " for " + std::to_string(now_ms - *contact) + " ms"
                                            : ", last contact unknown") +
                                   Bound(bound_ms));
  return v;
}

StandbyContacts& StandbyContacts::Process() {
  static StandbyContacts contacts;
  return contacts;
}

std::optional<std::int64_t> StandbyContacts::Recall(std::string_view server) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = at_.find(std::string(server));
  if (it == at_.end()) return std::nullopt;
  return it->second;
}

void StandbyContacts::Remember(std::string_view server, std::int64_t at_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = at_.find(std::string(server));
  if (it != at_.end()) {
    it->second = std::max(it->second, at_ms);
    return;
  }
  if (at_.size() >= kMaxServers) at_.clear();
  at_.emplace(std::string(server), at_ms);
}

}  // namespace rcptdb
