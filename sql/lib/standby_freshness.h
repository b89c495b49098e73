// SPDX-License-Identifier: MIT
// standby_freshness.h - may a PostgreSQL standby's data be answered from?
//
// A streaming standby is as fresh as the last word it had from its
// primary, plus what it has received but not yet replayed. JudgeStandby()
// decides from what the standby says of itself (StandbyState, read by
// PgStore's snapshot probe) whether that is within the reader's bound:
//
//   replay   WAL received and not replayed, and the last replayed commit
//            older than the bound (or none replayed since the standby
//            started): the standby lags in replay;
//   contact  the standby heard nothing from its primary for longer than
//            the bound: its WAL receiver is down (primary stopped, link
//            cut, primary_conninfo wrong), or connected but silent.
//
// An idle primary sends nothing, so silence alone is no lag: a connected
// WAL receiver pings its primary after half of wal_receiver_timeout
// without a message, and the reply follows. A receiver that is streaming
// and has heard from its primary within that half (plus kPingSlackMs) is
// in contact now. One silent for longer is not: it is in contact as of
// its last message. A role that may not see the receiver's details
// (pg_stat_wal_receiver needs pg_read_all_stats) sees only that one is
// connected, which PostgreSQL itself keeps true until wal_receiver_timeout
// of silence; that is taken as contact now.
//
// Without a WAL receiver the standby does not say when it last heard from
// its primary. The last contact is then at least the latest of: the last
// replayed commit (it was received after it was made), and the last
// contact this process saw itself on that server (StandbyContacts). If
// neither is known, or it is older than the bound, the standby lags.
//
// Thread safety: JudgeStandby is a pure function; StandbyContacts is
// shared by every thread of the process and locks.
#ifndef RCPTDB_STANDBY_FRESHNESS_H
#define RCPTDB_STANDBY_FRESHNESS_H

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "status.h"

namespace rcptdb {

// What a standby says of itself; times in ms on the standby's clock, -1
// when not known.
struct StandbyState {
  bool replay_pending = false;           // WAL received and not yet replayed
  std::int64_t replay_age_ms = -1;       // since the last replayed commit was made
  bool receiver = false;                 // a WAL receiver is connected to the primary
  std::string receiver_status;           // its pg_stat_wal_receiver.status; "" if hidden
  std::int64_t receipt_age_ms = -1;      // since it last heard from the primary
  std::int64_t receiver_timeout_ms = 0;  // wal_receiver_timeout; 0: none
};

// How long after half of wal_receiver_timeout a connected primary's answer
// to the standby's ping may take to arrive.
inline constexpr std::int64_t kPingSlackMs = 2000;

struct StandbyVerdict {
  // Ok, or Temporary (Cause::kStale) saying how the standby lags and the
  // bound ("standby replay lags 812 ms behind its primary (bound 500
  // ms)"); the caller prefixes the database's name.
  Status status;
  // When the standby last heard from its primary, as far as known (ms,
  // the now_ms clock): what StandbyContacts should remember.
  std::optional<std::int64_t> contact_at_ms;
};

// Judges state, read at now_ms, against bound_ms; remembered_at_ms is the
// last contact seen before on the same server, if any.
StandbyVerdict JudgeStandby(const StandbyState& state, std::int64_t now_ms,
                            std::optional<std::int64_t> remembered_at_ms, std::int64_t bound_ms);

// The last contact with its primary that this process saw on each standby
// (keyed by the server's host and port), for JudgeStandby. At most
// kMaxServers are kept; one more empties the table.
class StandbyContacts {
 public:
  static constexpr std::size_t kMaxServers = 64;
  // The one table of the process.
  static StandbyContacts& Process();
  std::optional<std::int64_t> Recall(std::string_view server);
  // Keeps at_ms for server unless a later contact is kept already.
  void Remember(std::string_view server, std::int64_t at_ms);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::int64_t> at_;
};

}  // namespace rcptdb

#endif
