// SPDX-License-Identifier: MIT
// sqlite_snapshot_signal.h - SQLite's change signal: a renewed read snapshot
//
// Each Poll() ends the read snapshot held on the LiveStore's connection,
// begins a new one and returns its PRAGMA data_version, combined with the
// LiveStore's generation (a reopened or replaced file is a change too).
// Between polls every read on that connection shares the one snapshot: the
// WAL read lock is taken once per poll instead of once per lookup, which
// is what makes a cached reader cheap. Release() ends the snapshot so an
// idle reader holds nothing back.
//
// Thread safety: one per LiveStore, on the LiveStore's thread.
#ifndef RCPTDB_SQLITE_SNAPSHOT_SIGNAL_H
#define RCPTDB_SQLITE_SNAPSHOT_SIGNAL_H

#include <cstdint>

#include "change_signal.h"
#include "live_store.h"

namespace rcptdb {

class SqliteSnapshotSignal : public ChangeSignal {
 public:
  // REQUIRES: live outlives this object.
  explicit SqliteSnapshotSignal(LiveStore& live) : live_(live) {}
  ~SqliteSnapshotSignal() override { Release(); }
  SqliteSnapshotSignal(const SqliteSnapshotSignal&) = delete;
  SqliteSnapshotSignal& operator=(const SqliteSnapshotSignal&) = delete;

  Result<std::uint64_t> Poll() override;
  void Release() override;
  // Returns true iff a snapshot is held on the LiveStore's current store.
  bool holding() const;

 private:
  LiveStore& live_;
  bool open_ = false;
  std::uint64_t generation_ = 0;  // the LiveStore generation open_ refers to
};

}  // namespace rcptdb

#endif
