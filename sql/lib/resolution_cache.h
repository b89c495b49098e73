// SPDX-License-Identifier: MIT
// resolution_cache.h - a reader's answers, reused while the data is unchanged
//
// A long-running reader (one rcptdb-server thread) keeps the answers it
// gave, keyed by lookup key, and reuses them while its ChangeSignal
// (change_signal.h) reports no change. The signal is asked at most once per
// bound (default 1 ms): a change committed at time T is seen by every
// lookup that starts at T + bound or later, and by some that start sooner.
// Past the bound, the poll in force (and its snapshot) stays current
// without a new one while the signal vouches at no cost that nothing was
// committed since it (ChangeSignal::Unchanged): a new poll would read the
// same, and the first lookup after a commit polls.
// That bound is the reader's documented visibility promise. Between polls,
// with no snapshot in force, a kept answer is given only while the signal
// vouches, at no cost, that no commit came since its poll (Reuse(); for
// SQLite the WAL-index header, wal_index_watch.h): such a lookup sees every
// commit made before it starts, and takes no snapshot.
//
// One Resolution per key serves every address map asked for that key
// (Postfix asks recipients, access, aliases and transport for the same
// recipient within milliseconds); each map's answer is derived from it on
// first use (map_answers.h) and kept. Temporary failures are never kept.
//
// The cache holds at most capacity keys and forgets them all when full:
// cheaper than an LRU list, and a reader whose keys do not repeat loses
// nothing it would have used.
//
// Thread safety: one ResolutionCache per reader thread, like the Store.
#ifndef RCPTDB_RESOLUTION_CACHE_H
#define RCPTDB_RESOLUTION_CACHE_H

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "change_signal.h"
#include "map_answers.h"
#include "resolver.h"
#include "status.h"
#include "store.h"
#include "string_map.h"

namespace rcptdb {

class ResolutionCache {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::microseconds kDefaultBound{1000};
  static constexpr std::size_t kDefaultCapacity = 4096;

  explicit ResolutionCache(std::chrono::microseconds bound = kDefaultBound,
                           std::size_t capacity = kDefaultCapacity)
      : bound_(bound), capacity_(capacity) {}

  // Makes the cache current for a lookup at now: polls signal if bound has
  // passed since the last poll (or none is in force), and forgets every
  // answer if the signal reports a change. On trouble returns the status,
  // forgets everything and polls again next time.
  Status Refresh(ChangeSignal& signal, Clock::time_point now);
  // Before Refresh(now) for a lookup of key in map: if that Refresh polls
  // and the answer needs a resolution not kept, names the address it
  // reads first to store (Store::ExpectLookup), so that an engine whose
  // snapshot is a round trip (PostgreSQL) reads it with the snapshot.
  void Expect(Store& store, MapId map, std::string_view key, Clock::time_point now) const;
  // Releases the signal (its read snapshot) now. The kept answers stay:
  // the next Refresh() polls again, and its token says whether they hold.
  void Release(ChangeSignal& signal);
  // Returns when the poll in force was made; nullopt if none is in force.
  std::optional<Clock::time_point> polled_at() const { return polled_at_; }
  // Whether answers carry the resolver's path notes in their why (the
  // server's -v log; default on). Without them a lookup formats no note
  // and a why is the verdict alone. A change forgets every answer, so
  // none is given with the other kind of why.
  void SetNotes(bool notes) {
    if (notes == notes_) return;
    notes_ = notes;
    entries_.clear();
  }
  // Forgets every answer; the next Refresh() polls.
  void Clear();

  // Returns the answer to key on map if one is kept and signal says that
  // nothing changed since the poll it is kept under (ChangeSignal::
  // Unchanged): given so, without Refresh(), it needs no snapshot. Null
  // otherwise. The pointer is valid until the next call on this cache.
  const MapAnswer* Reuse(const ChangeSignal& signal, MapId map, std::string_view key) const;
  // Returns the answer to key on map: kept, or derived now and kept.
  // The reference is valid until the next call on this cache.
  // REQUIRES: the last Refresh() returned Ok; store is what it polled.
  const MapAnswer& Answer(Store& store, MapId map, std::string_view key);

  std::chrono::microseconds bound() const { return bound_; }
  std::size_t size() const { return entries_.size(); }
  // Returns the token of the poll in force (the change counter read by
  // the signal); nullopt if none is in force.
  std::optional<std::uint64_t> token() const { return token_; }
  // Returns how many answers Answer() derived from the store rather than
  // gave from those kept: it grows iff a call read the database.
  std::uint64_t derived() const { return derived_; }

 private:
  // Whether the poll in force (REQUIRES: one is) was made less than bound
  // before now: no new poll is due.
  bool WithinBound(Clock::time_point now) const { return now - *polled_at_ < bound_; }
  struct Entry {
    std::optional<Result<Resolution>> resolution;  // never a Temporary one
    std::array<std::optional<MapAnswer>, std::size(kAllMaps)> answers;
  };
  std::chrono::microseconds bound_;
  std::size_t capacity_;
  bool notes_ = true;
  StringMap<Entry> entries_;                    // find() by view: no allocation for a hit
  std::optional<Clock::time_point> polled_at_;  // the poll in force
  std::optional<std::uint64_t> token_;          // what that poll returned
  MapAnswer uncached_;                          // a Temporary answer
  std::uint64_t derived_ = 0;                   // answers not given from kept ones
};

}  // namespace rcptdb

#endif
