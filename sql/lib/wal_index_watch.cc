// SPDX-License-Identifier: MIT
// NAME
//   wal_index_watch - tell from SQLite's WAL-index header whether a commit came
// DESCRIPTION
//   A writer rewrites copy 1, then (after a memory barrier) copy 0. Reading
//   copy 0 first and copy 1 second, with a barrier between, a reader that
//   finds both equal to the saved bytes knows no rewrite had begun when it
//   read copy 1, hence none had ended since the save. The checkpointed
//   frame count is read after the header and compared with its last frame.
// SEE ALSO
//   wal_index_watch.h, sqlite_store.cc
#include "wal_index_watch.h"

#include <atomic>

namespace rcptdb {

bool WalIndexWatch::Read(Words& out) const {
  for (std::size_t i = 0; i < kWords; ++i) out[i] = header_[i];
  std::atomic_thread_fence(std::memory_order_seq_cst);
  bool same = true;
  for (std::size_t i = 0; i < kWords; ++i) same &= header_[kWords + i] == out[i];
  return same;
}

void WalIndexWatch::Save() {
  saved_valid_ = header_ != nullptr && Read(saved_);
  // Read after the header, as SQLite's readers do: a checkpoint only ever
  // raises it towards the mxFrame of a header already published.
  saved_backfilled_ = saved_valid_ && header_[kBackfillWord] == saved_[kMaxFrameWord];
}

bool WalIndexWatch::Unchanged() const {
  if (!saved_valid_) return false;
  Words now;
  return Read(now) && now == saved_;
}

}  // namespace rcptdb
