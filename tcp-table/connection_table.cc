// SPDX-License-Identifier: MIT
// NAME
//   connection_table - open connections, and the choice of which to reclaim
// DESCRIPTION
//   A list under one mutex: connections are added and removed at accept
//   and close (rare next to lookups), and the choosing scans are linear but
//   run only when a limit is reached or once a second for the timeouts, so
//   a lookup never takes the lock. Per-peer counts exclude connections
//   being reclaimed, so that a peer at its cap gets the place of the
//   connection it gives up at once, not after the close.
// SEE ALSO
//   connection_table.h, server.cc, session.cc
#include "connection_table.h"

namespace rcptdb {
namespace {

bool IsPolicy(Connection::Protocol p) { return p == Connection::Protocol::kPolicy; }

// The order in which idle connections give way (see the header).
int ReclaimRank(Connection::Protocol p) {
  switch (p) {
    case Connection::Protocol::kSocketmap:
      return 0;
    case Connection::Protocol::kPolicy:
      return 1;
    case Connection::Protocol::kTcpTable:
      break;
  }
  return 2;
}

}  // namespace

const char* ProtocolName(Connection::Protocol p) {
  switch (p) {
    case Connection::Protocol::kSocketmap:
      return "socketmap";
    case Connection::Protocol::kPolicy:
      return "policy";
    case Connection::Protocol::kTcpTable:
      break;
  }
  return "tcp_table";
}

std::chrono::seconds IdleTimeouts::For(Connection::Protocol p) const {
  switch (p) {
    case Connection::Protocol::kSocketmap:
      return socketmap;
    case Connection::Protocol::kPolicy:
      return policy;
    case Connection::Protocol::kTcpTable:
      break;
  }
  return tcp_table;
}

std::string ConnectionTable::PoolKey(const std::string& peer, Connection::Protocol protocol) {
  return (IsPolicy(protocol) ? "policy " : "map ") + peer;
}

std::shared_ptr<Connection> ConnectionTable::Add(std::string peer, std::string name,
                                                 Connection::Protocol protocol, std::size_t worker,
                                                 Clock::time_point now) {
  auto c = std::make_shared<Connection>(std::move(peer), std::move(name), protocol, worker, now);
  std::lock_guard<std::mutex> lock(mutex_);
  c->self_ = all_.insert(all_.end(), c);
  ++active_by_peer_[PoolKey(c->peer_, c->protocol_)];
  return c;
}

void ConnectionTable::Remove(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (c->reclaimed_.load(std::memory_order_relaxed)) {
    --reclaiming_;
  } else {
    auto it = active_by_peer_.find(PoolKey(c->peer_, c->protocol_));
    if (it != active_by_peer_.end() && --it->second == 0) active_by_peer_.erase(it);
  }
  all_.erase(c->self_);
}

std::size_t ConnectionTable::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_.size();
}

std::size_t ConnectionTable::Active() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_.size() - reclaiming_;
}

std::size_t ConnectionTable::ActiveOf(const std::string& peer,
                                      Connection::Protocol protocol) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_by_peer_.find(PoolKey(peer, protocol));
  return it == active_by_peer_.end() ? 0 : it->second;
}

void ConnectionTable::MarkLocked(Connection& c, CloseReason why) {
  c.reclaim_reason_.store(why, std::memory_order_relaxed);
  c.reclaimed_.store(true, std::memory_order_relaxed);
  ++reclaiming_;
  auto it = active_by_peer_.find(PoolKey(c.peer_, c.protocol_));
  if (it != active_by_peer_.end() && --it->second == 0) active_by_peer_.erase(it);
}

std::shared_ptr<Connection> ConnectionTable::PickVictim(const std::string* peer,
                                                        Connection::Protocol protocol) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::shared_ptr<Connection>* best = nullptr;
  for (const std::shared_ptr<Connection>& c : all_) {
    if (c->reclaimed()) continue;
    if (peer != nullptr && (c->peer_ != *peer || IsPolicy(c->protocol_) != IsPolicy(protocol)))
      continue;
    if (best == nullptr) {
      best = &c;
      continue;
    }
    const Connection& b = **best;
    int c_rank = ReclaimRank(c->protocol_);
    int b_rank = ReclaimRank(b.protocol_);
    if (c_rank != b_rank) {
      if (c_rank < b_rank) best = &c;
    } else if (c->last_active() < b.last_active()) {
      best = &c;
    }
  }
  if (best == nullptr) return nullptr;
  std::shared_ptr<Connection> victim = *best;
  MarkLocked(*victim, peer != nullptr ? CloseReason::kPeerCap : CloseReason::kLimit);
  return victim;
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::Expired(Clock::time_point now,
                                                                  const IdleTimeouts& timeouts) {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::shared_ptr<Connection>& c : all_) {
    if (c->reclaimed()) continue;
    std::chrono::seconds limit = timeouts.For(c->protocol_);
    if (limit.count() == 0 || now - c->last_active() <= limit) continue;
    MarkLocked(*c, CloseReason::kIdle);
    out.push_back(c);
  }
  return out;
}

}  // namespace rcptdb
