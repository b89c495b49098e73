// SPDX-License-Identifier: MIT
// snapshot_signal.h - a change signal from a renewed read snapshot
//
// Each Poll() ends the read snapshot held on the LiveStore's connection,
// begins a new one (Store::BeginRead) and returns the Store's change
// counter (Store::DataVersion: SQLite's PRAGMA data_version, PostgreSQL's
// rcptdb_version row), combined with the LiveStore's generation (a
// reopened or replaced database is a change too). Between polls every read
// on that connection shares the one snapshot, so a kept answer and the
// counter it is kept under come from one state, and SQLite takes its WAL
// read lock once per poll instead of once per lookup. Release() ends the
// snapshot so an idle reader holds nothing back. A poll while the
// reader still holds its snapshot renews it in one step (Store::RenewRead;
// on PostgreSQL one round trip), unless the LiveStore's health check is
// due, which runs between snapshots.
//
// An engine may refuse a snapshot that is too old to answer from (a
// PostgreSQL standby that lags: pg_store.h): the snapshot then does not
// begin, and that failure is the poll's.
//
// Thread safety: one per LiveStore, on the LiveStore's thread.
#ifndef RCPTDB_SNAPSHOT_SIGNAL_H
#define RCPTDB_SNAPSHOT_SIGNAL_H

#include <cstdint>

#include "change_signal.h"
#include "live_store.h"

namespace rcptdb {

class SnapshotSignal : public ChangeSignal {
 public:
  // REQUIRES: live outlives this object.
  explicit SnapshotSignal(LiveStore& live) : live_(live) {}
  ~SnapshotSignal() override { Release(); }
  SnapshotSignal(const SnapshotSignal&) = delete;
  SnapshotSignal& operator=(const SnapshotSignal&) = delete;

  Result<std::uint64_t> Poll() override;
  void Release() override;
  // The Store's MarkState(), saved before the last successful poll's own
  // snapshot began, still holds (Store::UnchangedSinceMark), and no
  // LiveStore check is due (a replaced file is found by that check).
  bool Unchanged() const override;
  // Unchanged(), the snapshot is held, and the Store's mark says keeping
  // it holds nothing back (Store::KeepableSinceMark).
  bool Keepable() const override;
  std::optional<std::uint64_t> data_version() const override { return version_; }
  // Returns true iff a snapshot is held on the LiveStore's current store.
  bool holding() const;

 private:
  LiveStore& live_;
  bool open_ = false;
  bool marked_ = false;           // the last poll marked the state and began its own snapshot
  std::uint64_t generation_ = 0;  // the LiveStore generation open_ refers to
  std::optional<std::uint64_t> version_;  // the last DataVersion() Poll() read
};

}  // namespace rcptdb

#endif
