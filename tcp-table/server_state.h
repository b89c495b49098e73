// SPDX-License-Identifier: MIT
// server_state.h - what every thread of rcptdb-server shares
//
// ServerState holds the few things that are not per thread: the database
// health (to log trouble once, not once per thread), the table of open
// connections (which idle one to reclaim), one LookupStats per
// worker (written by that worker only), the connection counters (written
// by the accepting thread and by sessions ending), one ListenerStats per
// listener, the data's freshness and the verbose switch that SIGHUP may
// flip.
//
// Thread safety: the members are atomics or thread-safe types; the stats
// vectors are fixed at construction.
#ifndef RCPTDB_SERVER_STATE_H
#define RCPTDB_SERVER_STATE_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "connection_table.h"
#include "data_freshness.h"
#include "database_health.h"
#include "listener_stats.h"
#include "lookup_stats.h"

namespace rcptdb {

class ServerState {
 public:
  explicit ServerState(std::size_t workers, std::size_t listeners = 0) {
    for (std::size_t i = 0; i < workers; ++i) stats_.push_back(std::make_unique<LookupStats>());
    for (std::size_t i = 0; i < listeners; ++i)
      listener_stats_.push_back(std::make_unique<ListenerStats>());
  }

  DatabaseHealth& health() { return health_; }
  ConnectionTable& connection_table() { return connection_table_; }
  DataFreshness& freshness() { return freshness_; }
  // REQUIRES: i < the worker count given at construction
  LookupStats& stats(std::size_t i) { return *stats_[i]; }
  // REQUIRES: i < the listener count given at construction
  ListenerStats& listener_stats(std::size_t i) { return *listener_stats_[i]; }
  std::size_t listener_count() const { return listener_stats_.size(); }
  // Returns the sum of every worker's counters and the connection counts.
  StatsSnapshot Snapshot() const {
    StatsSnapshot snap;
    for (const auto& s : stats_) s->AddTo(snap);
    snap.connections = connections.load(std::memory_order_relaxed);
    snap.accepted = accepted.load(std::memory_order_relaxed);
    snap.refused = refused.load(std::memory_order_relaxed);
    return snap;
  }

  std::atomic<std::uint64_t> connections{0};  // open sessions
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<bool> verbose{false};

 private:
  DatabaseHealth health_;
  ConnectionTable connection_table_;
  DataFreshness freshness_;
  std::vector<std::unique_ptr<LookupStats>> stats_;
  std::vector<std::unique_ptr<ListenerStats>> listener_stats_;
};

}  // namespace rcptdb

#endif
