// SPDX-License-Identifier: MIT
// NAME
//   live_store - reopen the database when it changes under a reader
// DESCRIPTION
//   stat(2) is the only reliable way to notice a database file replaced by
//   rename: the old descriptor would otherwise serve the old data forever.
//   It runs at most once per check interval while the store is healthy,
//   together with the schema version re-check (Store::
//   RecheckSchemaIfChanged, a PRAGMA that costs nothing when the file is
//   unchanged).
// SEE ALSO
//   live_store.h
#include "live_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace rcptdb {

Result<Store*> LiveStore::Get() {
  auto now = std::chrono::steady_clock::now();
  if (store_ && now < next_check_) return store_.get();
  next_check_ = now + check_interval_;
  struct stat st;
  if (stat(path_.c_str(), &st) != 0) {
    store_.reset();
    int err = errno;
    Status::Cause cause = err == ENOENT || err == ENOTDIR ? Status::Cause::kMissing
                          : err == EACCES                 ? Status::Cause::kAccess
                                                          : Status::Cause::kIo;
    return Status::Temporary(cause, "cannot open database " + path_ + ": " + std::strerror(err));
  }
  if (store_ && (st.st_dev != dev_ || st.st_ino != ino_)) store_.reset();
  if (store_) {
    // A file changed in place (a migration, a restore by copy) may now
    // hold another schema: defer rather than read it with the wrong rules.
    Status same = store_->RecheckSchemaIfChanged();
    if (!same.ok()) {
      store_.reset();
      return same;
    }
  }
  if (!store_) {
    Result<std::unique_ptr<Store>> opened =
        Store::Open(path_, Store::Mode::kReadOnly, busy_timeout_ms_);
    if (!opened.ok()) return opened.status();
    store_ = std::move(*opened);
    ++generation_;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
  }
  return store_.get();
}

}  // namespace rcptdb
