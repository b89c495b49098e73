// SPDX-License-Identifier: MIT
// change_signal.h - tells a reader's cache that the recipient data changed
//
// A ResolutionCache (resolution_cache.h) keeps answers only while the data
// they came from is unchanged. Both engines read a change counter inside a
// renewed read snapshot (snapshot_signal.h: SQLite's PRAGMA data_version;
// PostgreSQL's rcptdb_version row, which also works on a standby, where
// LISTEN/NOTIFY does not, pg_change_signal.h). Another way of learning of a
// change would implement this interface; the cache and its time bound stay
// the same.
//
// Thread safety: one ChangeSignal per reader thread, like the Store.
#ifndef RCPTDB_CHANGE_SIGNAL_H
#define RCPTDB_CHANGE_SIGNAL_H

#include <chrono>
#include <cstdint>
#include <optional>

#include "status.h"

namespace rcptdb {

class ChangeSignal {
 public:
  virtual ~ChangeSignal() = default;

  // Returns a token that differs from the one the previous call returned
  // iff the data may have changed in between; Temporary on trouble. After
  // it returns, reads see at least every change committed before the call.
  virtual Result<std::uint64_t> Poll() = 0;
  // The data's own change counter as the last successful Poll() read it
  // (Store::DataVersion), where the signal reads one; the token Poll()
  // returns may mix in more (which connection read it).
  virtual std::optional<std::uint64_t> data_version() const { return std::nullopt; }
  // The reader has gone idle: releases whatever Poll() holds (a read
  // snapshot), so that writers and WAL checkpoints are not held back.
  virtual void Release() {}
  // Returns true only if nothing the last Poll() returned its token for
  // can have changed since, at no cost (no system call, no round trip:
  // SQLite's WAL-index header). Answers kept under that token may then be
  // given without a poll, hence without a snapshot. False when unsure.
  virtual bool Unchanged() const { return false; }
  // Returns true only if the snapshot the last Poll() holds may be kept
  // by an idle reader past idle_hold(): Unchanged(), and keeping it holds
  // back no writer, checkpoint or WAL restart until the next commit, which
  // makes this false (SQLite: the WAL was wholly checkpointed when it
  // began). False when unsure.
  virtual bool Keepable() const { return false; }
  // How long an idle reader may keep what Poll() holds before it calls
  // Release(). Short by default: a SQLite reader's snapshot stops the
  // WAL from being checkpointed and restarted.
  virtual std::chrono::microseconds idle_hold() const { return std::chrono::microseconds(250); }
  // True if Release() costs no round trip to a server (SQLite), so that a
  // reader may release before it writes its reply rather than after.
  virtual bool releases_locally() const { return true; }
};

}  // namespace rcptdb

#endif
