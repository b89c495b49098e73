// SPDX-License-Identifier: MIT
// change_signal.h - tells a reader's cache that the recipient data changed
//
// A ResolutionCache (resolution_cache.h) keeps answers only while the data
// they came from is unchanged. How a reader learns of a change depends on
// the backend: SQLite keeps a per-connection change counter (PRAGMA
// data_version, SqliteSnapshotSignal); a PostgreSQL backend would count
// LISTEN/NOTIFY messages instead. Each backend implements this interface;
// the cache and its time bound stay the same.
//
// Thread safety: one ChangeSignal per reader thread, like the Store.
#ifndef RCPTDB_CHANGE_SIGNAL_H
#define RCPTDB_CHANGE_SIGNAL_H

#include <cstdint>

#include "status.h"

namespace rcptdb {

class ChangeSignal {
 public:
  virtual ~ChangeSignal() = default;

  // Returns a token that differs from the one the previous call returned
  // iff the data may have changed in between; Temporary on trouble. After
  // it returns, reads see at least every change committed before the call.
  virtual Result<std::uint64_t> Poll() = 0;
  // The reader has gone idle: releases whatever Poll() holds (a read
  // snapshot), so that writers and WAL checkpoints are not held back.
  virtual void Release() {}
};

}  // namespace rcptdb

#endif
