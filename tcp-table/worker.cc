// SPDX-License-Identifier: MIT
// NAME
//   worker - one event loop thread with its own database connection
// DESCRIPTION
//   Lookup() is where every answer of rcptdb-server is made: it asks the
//   thread's ResolutionCache, which derives map answers (map_answers.h) from
//   the thread's LiveStore inside a read snapshot renewed at least once per
//   kVisibilityBound and released after each batch of ready requests, drops the connection after a
//   temporary failure (the next lookup reopens, which is how a replaced, restored or repaired file
//   is picked up), reports trouble and recovery to DatabaseHealth, and counts the answer:
//   by protocol, map and result, its time, and (when it read the database
//   rather than a kept answer) its time again as the database's.
// SEE ALSO
//   worker.h, live_store.h, map_answers.h
#include "worker.h"

#include <chrono>

#include "logger.h"

namespace rcptdb {

Worker::Worker(ServerState& state, std::size_t index, std::string database, int busy_timeout_ms)
    : state_(state),
      stats_(state.stats(index)),
      store_(std::make_unique<LiveStore>(std::move(database), busy_timeout_ms)),
      signal_(store_->NewChangeSignal()),
      engine_(IsPostgresSpec(store_->path()) ? Engine::kPostgresql : Engine::kSqlite),
      release_policy_(signal_->idle_hold()),
      loop_([this] { EndRound(); }) {}

void Worker::Warm() {
  Result<Store*> s = store_->Get();
  if (!s.ok()) state_.health().Failed(s.status().cause(), s.status().message(), "at startup");
}

MapAnswer Worker::Lookup(LookupProtocol protocol, MapId map, std::string_view key,
                         std::string_view peer) {
  auto start = std::chrono::steady_clock::now();
  stats_.Begin();
  MapAnswer answer;
  // The resolver's path notes only for the -v log that prints them.
  bool verbose = state_.verbose.load(std::memory_order_relaxed);
  cache_.SetNotes(verbose);
  std::optional<std::chrono::steady_clock::time_point> polled = cache_.polled_at();
  std::uint64_t derived = cache_.derived();
  // A kept answer while nothing changed: no snapshot, no batch to end.
  const MapAnswer* kept = cache_.Reuse(*signal_, map, key);
  Status ready = kept ? Status::Ok() : Refresh(start, map, key);
  bool renewed = cache_.polled_at() && cache_.polled_at() != polled;
  if (renewed) {
    stats_.RecordRenewal();
    NoteDataVersion();
  }
  last_lookup_ = start;
  if (kept) {
    answer = *kept;
  } else if (ready.ok()) {
    answer = cache_.Answer(*store_->current(), map, key);
    // No release posted: requests are sparse, this lookup is its batch.
    if (!release_posted_) EndBatch();
  } else {
    answer.kind = MapAnswer::Kind::kTemporary;
    answer.value = ready.message();
    answer.why = answer.value;
    answer.cause = ready.cause();
  }
#if defined(RCPTDB_MUTANT) && RCPTDB_MUTANT == 2
  // Test-only mutant (tests/mutants/run): +detail unknown to Postfix.
  if (map == MapId::kRecipients && key.find('+') != std::string_view::npos) answer = MapAnswer();
#endif
  auto elapsed = std::chrono::steady_clock::now() - start;
  stats_.Record(protocol, map, answer.kind, elapsed);
  if (renewed || cache_.derived() != derived) stats_.RecordDatabase(engine_, elapsed);
  if (answer.kind == MapAnswer::Kind::kTemporary && !IsDatabaseTrouble(answer.cause)) {
    // One key past a resolver bound: the database is fine, nothing to reopen.
    LogWarning("{} map {} key {}: {}", peer, MapName(map), Printable(key),
               Printable(answer.why, 300));
  } else if (answer.kind == MapAnswer::Kind::kTemporary) {
    // Every temporary failure names a trouble cause, even one made without.
    if (answer.cause == Status::Cause::kNone) answer.cause = Status::Cause::kOther;
    // Reopen on the next lookup: the file may be replaced or repaired.
    Reset();
    state_.health().Failed(answer.cause, answer.value,
                           fmt::format("{} map {} key {}", peer, MapName(map), Printable(key)));
  } else {
    state_.health().Succeeded();
  }
  if (verbose) {
    const char* kind = answer.kind == MapAnswer::Kind::kFound      ? "found"
                       : answer.kind == MapAnswer::Kind::kNotFound ? "not found"
                                                                   : "temporary failure";
    LogInfo("{} map {} key {}: {} {} ({})", peer, MapName(map), Printable(key), kind,
            Printable(answer.kind == MapAnswer::Kind::kFound ? answer.value : "", 200),
            Printable(answer.why, 200));
  }
  return answer;
}

Status Worker::Refresh(std::chrono::steady_clock::time_point now, MapId map, std::string_view key) {
  Result<Store*> store = store_->Get();
  if (!store.ok()) return store.status();
  // A new connection (a replaced or reopened file): nothing kept holds.
  if (store_->generation() != generation_) {
    cache_.Clear();
    generation_ = store_->generation();
  }
  std::optional<std::chrono::steady_clock::time_point> before = cache_.polled_at();
  // The key's first read may come with a poll's snapshot.
  cache_.Expect(**store, map, key, now);
  Status s = cache_.Refresh(*signal_, now);
  if (s.ok() && store_->current() == nullptr) s = Status::Temporary("database connection lost");
  if (!s.ok()) return s;
  // The first lookup of a batch tells the policy whether the snapshot
  // kept from an earlier batch served it (reused as it was, or renewed in
  // one step where the hold outlasts the bound).
  if (!release_posted_) {
    if (before) {
      release_policy_.Reused();
    } else {
      release_policy_.Began(now);
    }
  }
  // Sparse requests end their batch right after the lookup (Lookup):
  // no handler to post, no extra turn of the event loop.
  // Where releasing is a round trip (PostgreSQL), after the reply instead.
  if (!release_policy_.sparse() || !signal_->releases_locally()) PostRelease();
  return s;
}

void Worker::EndBatch() {
  std::optional<std::chrono::steady_clock::time_point> since = cache_.polled_at();
  if (!since) return;
  auto now = std::chrono::steady_clock::now();
  if (signal_->Keepable()) {
    // It holds nothing back until the next commit, which the next lookup
    // or the timer sees: keep it for the lookups to come.
    KeepQuiet(now);
    return;
  }
  if (release_policy_.AfterBatch(now, *since) == ReleasePolicy::Action::kRelease) {
    cache_.Release(*signal_);
  } else if (!release_armed_ || kept_quiet_) {
    // Kept: release it when it comes of age, unless renewed by then.
    ArmRelease(*since);
  }
}

void Worker::EndRound() {
  // Once the requests that were ready together are answered. A snapshot
  // younger than the signal's idle_hold() serves the next requests too
  // (renewing it per request would cost more than the lookup); an older
  // one is released. Readers that kept theirs for the whole bound lagged
  // every writer by up to 1 ms: two of them always held one, SQLite could
  // then never fully checkpoint and restart its WAL, and it grew for as
  // long as a fast writer wrote (test_visibility).
  if (!release_posted_) return;
  release_posted_ = false;
  EndBatch();
}

void Worker::KeepQuiet(std::chrono::steady_clock::time_point now) {
  // Checked every kQuietRecheck, not pushed back by each lookup: each
  // lookup checks the header itself, and a timer moved per lookup would
  // wake the loop once per lookup.
  if (kept_quiet_) return;
  kept_quiet_ = true;
  release_armed_ = true;
  loop_.SetTimer(now + kQuietRecheck, [this] {
    release_armed_ = false;
    kept_quiet_ = false;
    if (!cache_.polled_at()) return;  // released meanwhile
    auto at = std::chrono::steady_clock::now();
    if (signal_->Keepable() && at - last_lookup_ < kQuietIdle) {
      KeepQuiet(at);
    } else {
      // A commit came (its checkpoint waits for this), a store check is
      // due, or the worker is idle.
      cache_.Release(*signal_);
    }
  });
}

void Worker::ArmRelease(std::chrono::steady_clock::time_point since) {
  release_armed_ = true;
  kept_quiet_ = false;
  loop_.SetTimer(since + release_policy_.hold(), [this, since] {
    release_armed_ = false;
    std::optional<std::chrono::steady_clock::time_point> now_held = cache_.polled_at();
    if (now_held == since) {
      cache_.Release(*signal_);
      release_policy_.Expired();
    } else if (now_held) {
      // Renewed since the timer was set (a hold longer than the bound):
      // the renewed one comes of age later, and nothing else would
      // release it if no request follows.
      ArmRelease(*now_held);
    }
  });
}

void Worker::NoteDataVersion() {
  std::optional<std::uint64_t> token = cache_.token();
  if (!token || token == seen_version_) return;
  seen_version_ = token;
  // Only PostgreSQL's counter is the same for every reader. The token
  // also names the connection; the endpoint shows the counter itself.
  state_.freshness().Changed(
      engine_ == Engine::kPostgresql ? signal_->data_version() : std::nullopt,
      std::chrono::system_clock::now());
}

void Worker::Reset() {
  signal_->Release();
  cache_.Clear();
  store_->Invalidate();
}

void Worker::Run() {
  try {
    loop_.Run();
  } catch (const std::exception& e) {
    LogError("worker thread stopped: {}", e.what());
  }
}

void Worker::SetDatabase(std::string database, int busy_timeout_ms) {
  Post([this, database = std::move(database), busy_timeout_ms]() mutable {
    signal_.reset();
    cache_.Clear();
    store_ = std::make_unique<LiveStore>(std::move(database), busy_timeout_ms);
    engine_ = IsPostgresSpec(store_->path()) ? Engine::kPostgresql : Engine::kSqlite;
    seen_version_.reset();
    signal_ = store_->NewChangeSignal();
    // The other engine may hold its snapshots for another time.
    release_policy_ = ReleasePolicy(signal_->idle_hold());
  });
}

void Worker::Drain() {
  Post([this] { loop_.Drain(); });
}

}  // namespace rcptdb
