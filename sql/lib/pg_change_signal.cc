// SPDX-License-Identifier: MIT
// NAME
//   pg_change_signal - PostgreSQL's snapshot signal with the standby bound
// DESCRIPTION
//   SnapshotSignal renews the snapshot and reads the change counter; the
//   standby check runs inside the new snapshot, one more row per poll.
// SEE ALSO
//   pg_change_signal.h, change_signal.h, live_store.h, pg_store.h
#include "pg_change_signal.h"

#include "pg_store.h"

namespace rcptdb {

Status PgChangeSignal::CheckSnapshot(Store& store) {
  auto* pg = dynamic_cast<PgStore*>(&store);
  return pg ? pg->CheckStandbyLag(max_lag_) : Status::Ok();
}

}  // namespace rcptdb
