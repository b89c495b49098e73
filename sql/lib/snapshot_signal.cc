// SPDX-License-Identifier: MIT
// NAME
//   snapshot_signal - renew a read snapshot and report its version
// DESCRIPTION
//   The snapshot belongs to one connection of the LiveStore. If the
//   LiveStore has since reopened (a failure, a replaced file), the old
//   connection and its snapshot are gone with it: nothing to end then.
// SEE ALSO
//   snapshot_signal.h, change_signal.h, live_store.h
#include "snapshot_signal.h"

namespace rcptdb {

bool SnapshotSignal::holding() const {
  return open_ && generation_ == live_.generation() && live_.current() != nullptr;
}

void SnapshotSignal::Release() {
  if (holding()) {
    Store* store = live_.current();
    if (!store->Commit().ok()) store->Rollback();
  }
  open_ = false;
}

bool SnapshotSignal::Unchanged() const {
  return marked_ && generation_ == live_.generation() && live_.current() != nullptr &&
         !live_.check_due() && live_.current()->UnchangedSinceMark();
}

bool SnapshotSignal::Keepable() const {
  return holding() && Unchanged() && live_.current()->KeepableSinceMark();
}

Result<std::uint64_t> SnapshotSignal::Poll() {
  marked_ = false;
  Store* store = nullptr;
  bool own = true;
  Status begun;
  if (holding() && !live_.check_due()) {
    // Ours, on a store that needs no check now: end it and begin the next
    // in one step where the engine can.
    store = live_.current();
    // Before the snapshot: a commit in between then reads as a change.
    store->MarkState();
    begun = store->RenewRead();
  } else {
    Release();
    Result<Store*> got = live_.Get();
    if (!got.ok()) return got.status();
    store = *got;
    // A caller's own transaction is its own business: read inside it.
    own = !store->InTransaction();
    if (own) {
      store->MarkState();
      begun = store->BeginRead();
    }
  }
  open_ = false;
  // Reading the version starts the snapshot (a deferred BEGIN reads
  // nothing); the store keeps it for the snapshot memo.
  Result<std::uint64_t> version =
      begun.ok() ? store->SnapshotVersion() : Result<std::uint64_t>(begun);
  if (!version.ok()) {
    if (own && store->InTransaction()) store->Rollback();
    return version.status();
  }
  open_ = own;
  marked_ = own;
  generation_ = live_.generation();
  version_ = *version;
  // The generation goes in the high bits: a new connection may restart
  // its counter at a value the old one had.
  return (generation_ << 40) ^ *version;
}

}  // namespace rcptdb
