// SPDX-License-Identifier: MIT
// NAME
//   resolution_cache - keep a reader's answers while its data is unchanged
// DESCRIPTION
//   Refresh() and Reuse() are the only places that decide whether kept
//   answers may still be given: once per bound Refresh() asks the
//   ChangeSignal (unless it vouches for free that nothing changed), and
//   a different token empties the cache; Reuse() gives a kept answer only
//   while the signal vouches that nothing changed since that token was
//   read. Answer() resolves a key at most once while it is kept,
//   whichever maps are asked for it.
// SEE ALSO
//   resolution_cache.h, change_signal.h, map_answers.h
#include "resolution_cache.h"

namespace rcptdb {

Status ResolutionCache::Refresh(ChangeSignal& signal, Clock::time_point now) {
  // Past the bound, a poll in force still holds while the signal vouches
  // that nothing was committed since it: a new one would read the same.
  if (polled_at_ && (WithinBound(now) || signal.Unchanged())) return Status::Ok();
  Result<std::uint64_t> token = signal.Poll();
  if (!token.ok()) {
    Clear();
    return token.status();
  }
  if (token_ != *token) entries_.clear();
  token_ = *token;
  polled_at_ = now;
  return Status::Ok();
}

void ResolutionCache::Expect(Store& store, MapId map, std::string_view key,
                             Clock::time_point now) const {
  // Within the bound no poll, hence no snapshot to read with.
  if (polled_at_ && WithinBound(now)) return;
  if (map == MapId::kDomains) return;
  // A kept resolution is read again only if the data changed: rarely.
  auto it = entries_.find(key);
  if (it != entries_.end() && it->second.resolution) return;
  if (std::optional<std::string> first = Resolver::FirstLocalLookup(store, key))
    store.ExpectLookup(*first);
}

void ResolutionCache::Release(ChangeSignal& signal) {
  signal.Release();
  polled_at_.reset();
}

void ResolutionCache::Clear() {
  entries_.clear();
  polled_at_.reset();
  token_.reset();
}

const MapAnswer* ResolutionCache::Reuse(const ChangeSignal& signal, MapId map,
                                        std::string_view key) const {
  if (!token_) return nullptr;
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  const std::optional<MapAnswer>& kept = it->second.answers[static_cast<std::size_t>(map)];
  if (!kept || !signal.Unchanged()) return nullptr;
  return &*kept;
}

const MapAnswer& ResolutionCache::Answer(Store& store, MapId map, std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= capacity_) entries_.clear();
    it = entries_.emplace(std::string(key), Entry{}).first;
  }
  Entry& e = it->second;
  std::optional<MapAnswer>& kept = e.answers[static_cast<std::size_t>(map)];
  if (kept) return *kept;
  ++derived_;
  MapAnswer answer;
  if (map == MapId::kDomains || key.find('@') == std::string_view::npos) {
    // No address, no resolution: AnswerMap decides without one.
    answer = AnswerMap(store, map, key);
  } else {
    if (!e.resolution) {
      Result<Resolution> r = Resolver(store, notes_).Resolve(key);
      if (!r.ok()) {
        uncached_ = AnswerFromResolution(store, map, key, r);
        return uncached_;
      }
      e.resolution = std::move(r);
    }
    answer = AnswerFromResolution(store, map, key, *e.resolution);
  }
  if (answer.kind == MapAnswer::Kind::kTemporary) {
    uncached_ = std::move(answer);
    return uncached_;
  }
  kept = std::move(answer);
  return *kept;
}

}  // namespace rcptdb
