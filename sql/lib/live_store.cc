// SPDX-License-Identifier: MIT
// NAME
//   live_store - reopen the database when it changes under a reader
// DESCRIPTION
//   Store::StillCurrent says whether the open connection still serves the
//   database (SQLite: stat(2), the only reliable way to notice a file
//   replaced by rename, plus a schema version re-check that costs nothing
//   when the file is unchanged; PostgreSQL: the connection is up). It runs
//   at most once per check interval while the store is healthy.
// SEE ALSO
//   live_store.h
#include "live_store.h"

namespace rcptdb {

Result<Store*> LiveStore::Get() {
  auto now = std::chrono::steady_clock::now();
  if (store_ && now < next_check_) return store_.get();
  next_check_ = now + check_interval_;
  if (store_) {
    Result<bool> current = store_->StillCurrent();
    if (!current.ok()) {
      store_.reset();
      return current.status();
    }
    if (!*current) store_.reset();  // replaced: open the new one below
  }
  if (!store_) {
    Result<std::unique_ptr<Store>> opened =
        Store::Open(path_, Store::Mode::kReadOnly, busy_timeout_ms_);
    if (!opened.ok()) return opened.status();
    store_ = std::move(*opened);
    ++generation_;
  }
  return store_.get();
}

}  // namespace rcptdb
