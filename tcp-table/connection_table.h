// SPDX-License-Identifier: MIT
// connection_table.h - every open connection, and which to reclaim
//
// Idle clients must never lock out a new one (a local user can open
// thousands of connections and send nothing). The ConnectionTable knows
// every open connection: its peer (the per-peer cap's key), its protocol
// and when it last finished a request. Map connections (tcp_table and
// socketmap) and policy connections are counted per peer separately, since
// each kind has its own per-peer cap (max_connections_per_peer,
// policy_max_connections_per_peer); max_connections counts them all. It
// answers the two questions the server's reclaim policy asks:
//   - PickVictim(): the limit (max_connections, or a peer's cap for the
//     newcomer's kind) is reached and a client is knocking: which open
//     connection gives way? The longest-idle socketmap connection first
//     (Postfix's socketmap client reconnects transparently: it closes idle
//     connections itself after 10 s and retries once on EOF), then the
//     longest-idle policy connection (Postfix's policy client retries once
//     on a connection the server closed, without a warning), then the
//     longest-idle tcp_table connection (Postfix's tcp_table client logs a
//     warning and sleeps 1 s before it reconnects).
//   - Expired(): which connections have been idle past their protocol's
//     idle timeout (socketmap: short; policy: longer than Postfix's own
//     300 s; tcp_table: long; 0 = never).
// A connection is idle from its accept, or from the moment its last reply
// was written, until the next request is complete: a client trickling
// bytes of a request stays idle. The table only chooses; the server closes
// (by cancelling the session's socket on its worker) and logs.
//
// Thread safety: every method may be called from any thread. Add, Remove
// and the choosing methods take a mutex; Connection::Touch() and the
// reclaimed flag are atomics, so a session marks progress without a lock.
#ifndef RCPTDB_CONNECTION_TABLE_H
#define RCPTDB_CONNECTION_TABLE_H

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "listener_stats.h"

namespace rcptdb {

class ConnectionTable;

// One open connection. The strings and numbers are fixed at Add().
class Connection {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Protocol { kTcpTable, kSocketmap, kPolicy };

  Connection(std::string peer, std::string name, Protocol protocol, std::size_t worker,
             Clock::time_point now)
      : peer_(std::move(peer)), name_(std::move(name)), protocol_(protocol), worker_(worker) {
    Touch(now);
  }

  // The per-peer cap's key: an IP address, or "uid N" on a unix socket.
  const std::string& peer() const { return peer_; }
  // The peer and the listener, for log lines.
  const std::string& name() const { return name_; }
  Protocol protocol() const { return protocol_; }
  // The index of the worker serving it.
  std::size_t worker() const { return worker_; }

  // Records that a request was answered at now: the idle time restarts.
  void Touch(Clock::time_point now) {
    last_active_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
  }
  Clock::time_point last_active() const {
    return Clock::time_point(Clock::duration(last_active_.load(std::memory_order_relaxed)));
  }
  // True once the table chose it: the session must end at its next step.
  bool reclaimed() const { return reclaimed_.load(std::memory_order_relaxed); }
  // Why the table chose it (kIdle, kLimit or kPeerCap), once reclaimed.
  CloseReason reclaim_reason() const { return reclaim_reason_.load(std::memory_order_relaxed); }

  // The index of the listener that accepted it (ServerState's
  // listener_stats), for counting its close; set before the session runs.
  std::size_t listener = 0;

  // Set by the session to cancel its socket; set, cleared and run on the
  // serving worker's thread only.
  std::function<void()> on_reclaim;

 private:
  friend class ConnectionTable;
  std::string peer_;
  std::string name_;
  Protocol protocol_;
  std::size_t worker_;
  std::atomic<Clock::duration::rep> last_active_{0};
  std::atomic<bool> reclaimed_{false};
  std::atomic<CloseReason> reclaim_reason_{CloseReason::kClient};
  std::list<std::shared_ptr<Connection>>::iterator self_;  // under the table's mutex
};

// Returns "tcp_table", "socketmap" or "policy", for log lines.
const char* ProtocolName(Connection::Protocol p);

// How long each protocol's connections may stay idle (0 = forever).
struct IdleTimeouts {
  std::chrono::seconds socketmap{0};
  std::chrono::seconds tcp_table{0};
  std::chrono::seconds policy{0};
  std::chrono::seconds For(Connection::Protocol p) const;
};

class ConnectionTable {
 public:
  using Clock = Connection::Clock;

  // Registers a new connection; Remove() it when it closes.
  std::shared_ptr<Connection> Add(std::string peer, std::string name, Connection::Protocol protocol,
                                  std::size_t worker, Clock::time_point now);
  // Forgets c. REQUIRES: c came from Add() on this table, not yet removed.
  void Remove(const std::shared_ptr<Connection>& c);

  // Returns the number of open connections, reclaimed ones included.
  std::size_t size() const;
  // Returns the number of open connections that are not being reclaimed:
  // what counts against max_connections.
  std::size_t Active() const;
  // Returns how many of peer's connections of protocol's kind (map or
  // policy) are not being reclaimed.
  std::size_t ActiveOf(const std::string& peer, Connection::Protocol protocol) const;

  // Chooses the connection to close to make room (see above), among all
  // (peer null) or only among peer's connections of protocol's kind; marks
  // it reclaimed. Returns null if every candidate is already being
  // reclaimed.
  std::shared_ptr<Connection> PickVictim(const std::string* peer = nullptr,
                                         Connection::Protocol protocol = {});
  // Returns the connections idle at now longer than their protocol's
  // timeout (a zero timeout never expires), marked reclaimed.
  std::vector<std::shared_ptr<Connection>> Expired(Clock::time_point now,
                                                   const IdleTimeouts& timeouts);

 private:
  // The per-peer count's key: the peer and its kind.
  static std::string PoolKey(const std::string& peer, Connection::Protocol protocol);
  void MarkLocked(Connection& c, CloseReason why);
  mutable std::mutex mutex_;
  std::list<std::shared_ptr<Connection>> all_;
  std::unordered_map<std::string, std::size_t> active_by_peer_;  // by PoolKey
  std::size_t reclaiming_ = 0;
};

}  // namespace rcptdb

#endif
