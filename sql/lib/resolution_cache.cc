// SPDX-License-Identifier: MIT
// NAME
//   resolution_cache - keep a reader's answers while its data is unchanged
// DESCRIPTION
//   Refresh() is the only place that decides whether kept answers may still
//   be given: once per bound it asks the ChangeSignal, and a different
//   token empties the cache. Answer() resolves a key at most once while it
//   is kept, whichever maps are asked for it.
// SEE ALSO
//   resolution_cache.h, change_signal.h, map_answers.h
#include "resolution_cache.h"

namespace rcptdb {

Status ResolutionCache::Refresh(ChangeSignal& signal, Clock::time_point now) {
  if (polled_at_ && now - *polled_at_ < bound_) return Status::Ok();
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

void ResolutionCache::Release(ChangeSignal& signal) {
  signal.Release();
  polled_at_.reset();
}

void ResolutionCache::Clear() {
  entries_.clear();
  polled_at_.reset();
  token_.reset();
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
      Result<Resolution> r = Resolver(store).Resolve(key);
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
