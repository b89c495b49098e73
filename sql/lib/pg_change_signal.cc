// SPDX-License-Identifier: MIT
// NAME
//   pg_change_signal - renew a read snapshot and report the change counter
// DESCRIPTION
//   The snapshot belongs to one connection of the LiveStore. If the
//   LiveStore has since reopened (a lost connection), the old connection
//   and its snapshot are gone with it: nothing to end then. The standby
//   check runs inside the new snapshot, one more row per poll.
// SEE ALSO
//   pg_change_signal.h, change_signal.h, live_store.h, pg_store.h
#include "pg_change_signal.h"

#include "pg_store.h"

namespace rcptdb {

void PgChangeSignal::Release() {
  if (open_ && generation_ == live_.generation() && live_.current() != nullptr) {
    Store* store = live_.current();
    if (!store->Commit().ok()) store->Rollback();
  }
  open_ = false;
}

Result<std::uint64_t> PgChangeSignal::Poll() {
  Release();
  Result<Store*> got = live_.Get();
  if (!got.ok()) return got.status();
  Store& store = **got;
  // A caller's own transaction is its own business: read inside it.
  bool own = !store.InTransaction();
  if (own) {
    Status begun = store.BeginRead();
    if (!begun.ok()) return begun;
  }
  auto* pg = dynamic_cast<PgStore*>(&store);
  Status fresh = pg ? pg->CheckStandbyLag(max_lag_) : Status::Ok();
  Result<std::uint64_t> version = fresh.ok() ? store.DataVersion() : Result<std::uint64_t>(fresh);
  if (!version.ok()) {
    if (own) store.Rollback();
    return version.status();
  }
  open_ = own;
  generation_ = live_.generation();
  // The generation goes in the high bits: the counter of a new connection
  // is the same row's, but a reopened connection must still drop the cache.
  return (generation_ << 40) ^ *version;
}

}  // namespace rcptdb
