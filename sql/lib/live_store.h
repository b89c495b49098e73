// SPDX-License-Identifier: MIT
// live_store.h - a read-only Store that follows the database it names
//
// Long-running readers (rcptdb-server threads, Dovecot lmtp processes) must
// start without a database, survive it being locked, broken or unreachable,
// and pick up a file that appears or is replaced (a restored backup), or a
// PostgreSQL server that comes back, without a restart. LiveStore opens
// lazily, asks the Store whether it still serves the database
// (Store::StillCurrent: for a file its identity, device and inode) at most
// every check_interval (a stat(2) per lookup is measurable at tens of
// thousands of lookups per second), and reopens after a failure or a
// replacement. Ordinary changes need no check: they are visible at once.
// At the same moments, a database that changed since the last check has
// its schema version read again: a version other than kSchemaVersion is a
// temporary failure (the reader defers) until it is right again.
//
// Thread safety: one LiveStore per thread, like Store.
#ifndef RCPTDB_LIVE_STORE_H
#define RCPTDB_LIVE_STORE_H

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "change_signal.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

class LiveStore {
 public:
  explicit LiveStore(std::string path, int busy_timeout_ms = 1000,
                     std::chrono::milliseconds check_interval = std::chrono::milliseconds(50))
      : path_(std::move(path)),
        busy_timeout_ms_(busy_timeout_ms),
        check_interval_(check_interval) {}

  // Returns the open Store, (re)opening it if needed; Temporary on trouble.
  // The LiveStore keeps ownership. The pointer stays valid until the next
  // Get() or Invalidate() on this LiveStore, or its destruction, whichever
  // comes first: a later Get() may close it to follow a replaced file. So
  // use it for one lookup (or one transaction) and call Get() again.
  Result<Store*> Get();
  // Drops the connection after a temporary failure; Get() opens afresh.
  // Invalidates the pointer the last Get() returned.
  void Invalidate() { store_.reset(); }
  const std::string& path() const { return path_; }
  // Returns the open Store without checking the file; null if none.
  Store* current() const { return store_.get(); }
  // Returns true iff the next Get() checks the open Store (or opens one).
  bool check_due() const { return !store_ || std::chrono::steady_clock::now() >= next_check_; }
  // Returns a number that changes whenever Get() opens a new connection,
  // so that state tied to the old one (a snapshot, a cache) can be dropped.
  std::uint64_t generation() const { return generation_; }
  // Returns the change signal that fits this database's engine
  // (Store::NewChangeSignal). REQUIRES: this LiveStore outlives it.
  std::unique_ptr<ChangeSignal> NewChangeSignal() { return Store::NewChangeSignal(*this); }

 private:
  std::string path_;
  int busy_timeout_ms_;
  std::chrono::milliseconds check_interval_;
  std::chrono::steady_clock::time_point next_check_;
  std::unique_ptr<Store> store_;
  std::uint64_t generation_ = 0;
};

}  // namespace rcptdb

#endif
