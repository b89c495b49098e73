// SPDX-License-Identifier: MIT
// pg_change_signal.h - PostgreSQL's change signal: the rcptdb_version row
//
// Each Poll() ends the read snapshot held on the LiveStore's connection,
// begins a new one (REPEATABLE READ READ ONLY) and returns the change
// counter of the rcptdb_version row, which the schema's statement-level
// triggers bump before the first write of each transaction, combined with the LiveStore's
// generation (a new connection is a change too). Between polls every read on that connection shares
// the one snapshot, so a cached answer and the counter it is kept under come from the same state.
// Polling one row works on a streaming standby too, where LISTEN/NOTIFY does not. Release() ends
// the snapshot, so an idle reader holds back no vacuum.
//
// On a standby whose data may be older than its bound, the new snapshot
// does not begin (PgStore::BeginRead, pg_store.h "Standbys"), so Poll() is
// Temporary naming the lag: the reader defers rather than answer "not
// found" from stale data.
//
// Thread safety: one per LiveStore, on the LiveStore's thread.
#ifndef RCPTDB_PG_CHANGE_SIGNAL_H
#define RCPTDB_PG_CHANGE_SIGNAL_H

#include <chrono>

#include "live_store.h"
#include "snapshot_signal.h"

namespace rcptdb {

class PgChangeSignal : public SnapshotSignal {
 public:
  // REQUIRES: live outlives this object, and opens PgStores.
  explicit PgChangeSignal(LiveStore& live) : SnapshotSignal(live) {}

  // Longer than a reader's visibility bound, so that a busy reader always
  // renews a snapshot it holds (COMMIT, BEGIN and the probe in one round
  // trip) instead of ending it alone first. A snapshot held this long
  // delays no writer and holds back vacuum by no more than this.
  std::chrono::microseconds idle_hold() const override { return std::chrono::milliseconds(100); }
  // Ending a snapshot is a COMMIT: a round trip.
  bool releases_locally() const override { return false; }
};

}  // namespace rcptdb

#endif
