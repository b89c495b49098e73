// SPDX-License-Identifier: MIT
// worker.h - one map worker thread of rcptdb-server: event loop, database, sessions
//
// rcptdb-server runs one Worker per CPU for its map sessions (tcp_table,
// socketmap). A Worker owns a MapLoop (map_loop.h: its own epoll loop,
// without Asio) that runs on its own thread, a read-only LiveStore
// (SQLite connections are cheap and must not be shared between threads),
// and the sessions the accepting thread handed to it. A lookup runs on
// the worker's thread from start to finish: SQLite answers from the page
// cache in microseconds, so handing it to another thread would cost more
// than it saves. Policy sessions run on PolicyWorkers (policy_worker.h),
// which need Asio for the quota-status client.
//
// Answers come from a ResolutionCache (resolution_cache.h) validated by
// the database engine's ChangeSignal (LiveStore::NewChangeSignal; for
// SQLite a SnapshotSignal): a lookup reuses the worker's read snapshot and
// its kept answers for at most kVisibilityBound, so a commit is seen by
// every lookup that starts that long after it. Once the requests that
// were ready together have been answered (the loop's round ends), a
// snapshot older than the signal's idle_hold() is released, and a younger
// one either at once (requests come further apart than the hold) or when
// it reaches that age (release_policy.h; the loop's timer), so a worker
// never holds one for long, and SQLite
// finds the gaps it needs to checkpoint and restart its WAL even under
// continuous load. A kept answer is also given with no snapshot at all
// while the signal vouches that nothing was committed since it was read
// (ResolutionCache::Reuse; SQLite's WAL-index header): at Postfix's pace
// a repeated key then costs no SQLite lock. And a snapshot that holds
// nothing back (ChangeSignal::Keepable: SQLite's, begun when the WAL was
// wholly checkpointed, and nothing committed since) is kept past the hold
// for the next lookups, each of which checks the header first: while the
// data stands still, lookups at Postfix's pace take no snapshot of their
// own. It is released at the first commit (seen by the next lookup, or by
// the loop's timer, which checks it every kQuietRecheck) or once no lookup
// came for kQuietIdle.
//
// Drain(): sessions waiting for a request end at once; a session writing
// replies finishes the write and then ends; Run() returns when the last
// session has ended.
//
// Thread safety: Lookup(), Serve() and the loop belong to the worker's
// thread (or to the caller, before Run starts or without it). Post(),
// SetDatabase(), Drain() and Stop() may be called from any thread.
// Warm() runs before the thread starts.
#ifndef RCPTDB_WORKER_H
#define RCPTDB_WORKER_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "change_signal.h"
#include "live_store.h"
#include "map_loop.h"
#include "release_policy.h"
#include "resolution_cache.h"
#include "responder.h"
#include "server_state.h"
#include "status.h"

namespace rcptdb {

// How long after a commit a lookup may still see the data from before it.
inline constexpr std::chrono::microseconds kVisibilityBound = ResolutionCache::kDefaultBound;
// A kept quiet snapshot (see above) is checked this often, so a commit
// made while no lookup comes waits at most that long for it to be
// released (its checkpoint needs that). Each check wakes the worker; at
// Postfix's pace (a lookup every 0.7 ms per session) one per several
// lookups.
inline constexpr std::chrono::microseconds kQuietRecheck{10000};
// ... and released once no lookup came for this long: an idle worker
// holds nothing and wakes for nothing.
inline constexpr std::chrono::milliseconds kQuietIdle{20};

class Worker {
 public:
  // index selects this worker's LookupStats in state.
  Worker(ServerState& state, std::size_t index, std::string database, int busy_timeout_ms);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  ServerState& state() { return state_; }

  // Opens the database now, so that it happens before privileges drop.
  // Trouble is reported to the shared DatabaseHealth, not returned.
  void Warm();
  // Answers key on map, asked over protocol (kTcpTable or kSocketmap);
  // counts, times and (if verbose) logs it. peer is the client for log
  // lines.
  MapAnswer Lookup(LookupProtocol protocol, MapId map, std::string_view key, std::string_view peer);
  // This worker's counters (worker thread only for writing).
  LookupStats& stats() { return stats_; }

  // Serves the connected socket fd (owned from now on) with responder,
  // which answers through this worker; scope keeps the connection's
  // bookkeeping (session.h). Worker thread.
  void Serve(int fd, std::unique_ptr<Responder> responder, std::unique_ptr<SessionScope> scope) {
    loop_.Add(fd, std::move(responder), std::move(scope));
  }
  // Set once Drain() has begun, for SessionScope's close reason.
  const std::atomic<bool>& draining() const { return loop_.draining(); }

  // Runs the event loop until drained or stopped.
  void Run();
  // Runs f on the worker's thread. Any thread.
  void Post(std::function<void()> f) { loop_.Post(std::move(f)); }
  // Switches to another database file or busy timeout (SIGHUP).
  void SetDatabase(std::string database, int busy_timeout_ms);
  // Stops taking requests: see above.
  void Drain();
  // Ends the loop now, whatever runs.
  void Stop() { loop_.Stop(); }

 private:
  // Opens the store if needed and makes the cache current at now, for a
  // lookup of key in map.
  Status Refresh(std::chrono::steady_clock::time_point now, MapId map, std::string_view key);
  // Releases the read snapshot once the requests ready now are answered
  // (the loop's round ends: EndRound), or keeps it for the next batch as
  // release_policy_ says.
  void PostRelease() { release_posted_ = true; }
  // Ends the batch PostRelease asked to end; the loop's after_round.
  void EndRound();
  // The batch is answered: releases its snapshot or keeps it (arming the
  // release) as release_policy_ says. Called by EndRound, or by Lookup
  // itself when Refresh posted nothing (sparse requests, releasing costs
  // no round trip).
  void EndBatch();
  // Releases the snapshot taken at since when it comes of age, unless it
  // was renewed by then; a renewed one gets its own release.
  void ArmRelease(std::chrono::steady_clock::time_point since);
  // Keeps the quiet snapshot in force: unless it is already kept, sets
  // the loop's timer to check it kQuietRecheck after now, and again after
  // each check that keeps it.
  void KeepQuiet(std::chrono::steady_clock::time_point now);
  // Forgets the snapshot, the kept answers and the connection.
  void Reset();
  // Tells the server's DataFreshness when the change counter this worker
  // reads differs from the one it read before.
  void NoteDataVersion();

  ServerState& state_;
  LookupStats& stats_;
  std::unique_ptr<LiveStore> store_;
  // Declared after store_: it ends its snapshot on store_ when destroyed.
  std::unique_ptr<ChangeSignal> signal_;
  ResolutionCache cache_;
  std::uint64_t generation_ = 0;               // store_'s connection the cache is for
  Engine engine_;                              // store_'s, for the database histogram
  std::optional<std::uint64_t> seen_version_;  // NoteDataVersion's last
  bool release_posted_ = false;
  ReleasePolicy release_policy_;
  bool release_armed_ = false;  // the loop's timer is set for a release
  bool kept_quiet_ = false;     // the loop's timer checks a kept quiet snapshot
  std::chrono::steady_clock::time_point last_lookup_;
  // Declared last: its sessions' responders use the worker, and its
  // queue may hold handed-over sessions.
  MapLoop loop_;
};

}  // namespace rcptdb

#endif
