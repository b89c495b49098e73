// SPDX-License-Identifier: MIT
// wal_index_watch.h - has any commit come since? Asked of SQLite's WAL index
//
// Every SQLite connection to a WAL database maps the database's -shm file,
// the WAL index. Its first 96 bytes are two copies of a 48-byte header
// that each commit rewrites (the second copy first, then the first), and
// the header's change counter differs after every commit. A reader that
// saves the header before it begins a snapshot can later tell, by reading
// that memory and no system call, whether the database may have changed
// since: if both copies still hold the saved bytes, no commit has been
// published since the save, so what the snapshot read is still the
// database's state. This is the check SQLite itself makes when a read
// transaction begins, without the lock it then takes.
//
// The checkpoint information follows the two copies; its first word is
// how many WAL frames have been copied into the database file. When it
// equals the header's last frame (mxFrame), the WAL was wholly
// checkpointed or empty at the save, and a snapshot begun after it reads
// the database file alone (SQLite's read mark 0; doc/DESIGN.md, "What a
// SQLite lookup costs"). Kept, such a snapshot holds back no WAL restart,
// and no checkpoint until the next commit, which the header then shows
// (Backfilled()).
//
// WalIndexWatch is that rule alone, over memory it is given: it knows
// nothing of SQLite's API (SqliteStore finds the mapping). A header caught
// while a commit rewrites it (the copies differ) saves nothing, and a
// check while one is rewritten answers "changed": the watch errs only
// towards a snapshot.
//
// Thread safety: one per connection, on the connection's thread; the
// memory it reads is written by other processes.
#ifndef RCPTDB_WAL_INDEX_WATCH_H
#define RCPTDB_WAL_INDEX_WATCH_H

#include <array>
#include <cstddef>
#include <cstdint>

namespace rcptdb {

class WalIndexWatch {
 public:
  // The size of one header copy; the copies lie back to back at offset 0.
  static constexpr std::size_t kHeaderBytes = 48;

  // header: the start of the WAL index (2 * kHeaderBytes + 4 readable
  // bytes: both copies and the checkpointed frame count; 4-byte
  // aligned), valid for as long as the watch is used; null: a watch that
  // never reports "unchanged".
  explicit WalIndexWatch(const volatile void* header = nullptr)
      : header_(static_cast<const volatile std::uint32_t*>(header)) {}

  // Saves the header as it is now. Call it before a snapshot begins.
  void Save();
  // Returns true iff a header was saved and both copies still hold it.
  bool Unchanged() const;
  // Returns true iff a header was saved and, when it was, every frame in
  // the WAL had been checkpointed (none at all counts).
  bool Backfilled() const { return saved_valid_ && saved_backfilled_; }
  // Forgets the saved header: Unchanged() is false until the next Save().
  void Forget() { saved_valid_ = false; }
  bool attached() const { return header_ != nullptr; }

 private:
  static constexpr std::size_t kWords = kHeaderBytes / 4;
  static constexpr std::size_t kMaxFrameWord = 4;           // the header's mxFrame
  static constexpr std::size_t kBackfillWord = 2 * kWords;  // nBackfill
  using Words = std::array<std::uint32_t, kWords>;
  // Reads copy 0 then copy 1 (the reverse of a writer's order); true iff
  // they agree, with copy 0 in out.
  bool Read(Words& out) const;

  const volatile std::uint32_t* header_;
  Words saved_{};
  bool saved_valid_ = false;
  bool saved_backfilled_ = false;
};

}  // namespace rcptdb

#endif
