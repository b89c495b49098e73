// SPDX-License-Identifier: MIT
// worker.h - one thread of rcptdb-server: event loop, database, sessions
//
// rcptdb-server runs one Worker per CPU. A Worker owns an Asio io_context
// that runs on its own thread, a read-only LiveStore (SQLite connections
// are cheap and must not be shared between threads), and the sessions the
// accepting thread handed to it. A lookup runs on the worker's thread from
// start to finish: SQLite answers from the page cache in microseconds, so
// handing it to another thread would cost more than it saves.
//
// Answers come from a ResolutionCache (resolution_cache.h) validated by
// the database engine's ChangeSignal (LiveStore::NewChangeSignal; for
// SQLite a SnapshotSignal): a lookup reuses the worker's read snapshot and
// its kept answers for at most kVisibilityBound, so a commit is seen by
// every lookup that starts that long after it. Once the requests that
// were ready together have been answered, a snapshot older than the
// signal's idle_hold() is released, and a younger one either at once
// (requests come further apart than the hold) or when it reaches that age
// (release_policy.h), so a worker never holds one for long, and SQLite
// finds the gaps it needs to checkpoint and restart its WAL even under
// continuous load.
//
// Drain(): sessions waiting for a request are cancelled at once; a session
// writing a reply finishes the write and then ends; the loop returns when
// the last session has ended.
//
// Thread safety: Lookup() and the session registry belong to
// the worker's thread. Post(), SetDatabase(), Drain() and Stop() may be
// called from any thread. Warm() runs before the thread starts.
#ifndef RCPTDB_WORKER_H
#define RCPTDB_WORKER_H

#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "change_signal.h"
#include "live_store.h"
#include "release_policy.h"
#include "resolution_cache.h"
#include "server_state.h"
#include "status.h"

namespace rcptdb {

using Socket = asio::generic::stream_protocol::socket;

// A session as the worker sees it, for Drain().
struct SessionEntry {
  Socket* socket = nullptr;
  bool reading = false;  // waiting for the next request (safe to cancel)
};

// How long after a commit a lookup may still see the data from before it.
inline constexpr std::chrono::microseconds kVisibilityBound = ResolutionCache::kDefaultBound;

class Worker {
 public:
  // index selects this worker's LookupStats in state.
  Worker(ServerState& state, std::size_t index, std::string database, int busy_timeout_ms);
  // Destroys the sessions still suspended (after Stop()) before the rest.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  asio::io_context& context() { return *context_; }
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

  // Runs the event loop until drained or stopped.
  void Run();
  // Switches to another database file or busy timeout (SIGHUP).
  void SetDatabase(std::string database, int busy_timeout_ms);
  // Stops taking requests: see above.
  void Drain();
  // Ends the loop now, whatever runs.
  void Stop() { context_->stop(); }

  // Session registry (worker thread only).
  using SessionList = std::list<SessionEntry>;
  SessionList::iterator Register(Socket* socket);
  void Unregister(SessionList::iterator it) { sessions_.erase(it); }
  bool draining() const { return draining_; }

 private:
  // Opens the store if needed and makes the cache current at now.
  Status Refresh(std::chrono::steady_clock::time_point now);
  // Releases the read snapshot once the requests ready now are answered,
  // or keeps it for the next batch as release_policy_ says.
  void PostRelease();
  // The batch is answered: releases its snapshot or keeps it (arming the
  // release) as release_policy_ says. Posted by PostRelease, or called by
  // Lookup itself when Refresh posted nothing (sparse requests, releasing
  // costs no round trip).
  void EndBatch();
  // Releases the snapshot taken at since when it comes of age, unless it
  // was renewed by then; a renewed one gets its own release.
  void ArmRelease(std::chrono::steady_clock::time_point since);
  // Forgets the snapshot, the kept answers and the connection.
  void Reset();
  // Tells the server's DataFreshness when the change counter this worker
  // reads differs from the one it read before.
  void NoteDataVersion();

  ServerState& state_;
  LookupStats& stats_;
  // A pointer, so that ~Worker can destroy suspended sessions (which
  // unregister themselves) while the registry still exists.
  std::unique_ptr<asio::io_context> context_ = std::make_unique<asio::io_context>(1);
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::unique_ptr<LiveStore> store_;
  // Declared after store_: it ends its snapshot on store_ when destroyed.
  std::unique_ptr<ChangeSignal> signal_;
  ResolutionCache cache_;
  std::uint64_t generation_ = 0;               // store_'s connection the cache is for
  Engine engine_;                              // store_'s, for the database histogram
  std::optional<std::uint64_t> seen_version_;  // NoteDataVersion's last
  bool release_posted_ = false;
  ReleasePolicy release_policy_;
  std::unique_ptr<asio::steady_timer> release_timer_;
  bool release_armed_ = false;
  SessionList sessions_;
  bool draining_ = false;
};

}  // namespace rcptdb

#endif
