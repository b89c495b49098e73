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

std::shared_ptr<Connection> ConnectionTable::Add(std::string peer, std::string name,
                                                 Connection::Protocol protocol, std::size_t worker,
                                                 Clock::time_point now) {
  auto c = std::make_shared<Connection>(std::move(peer), std::move(name), protocol, worker, now);
  std::lock_guard<std::mutex> lock(mutex_);
  c->self_ = all_.insert(all_.end(), c);
  ++active_by_peer_[c->peer_];
  return c;
}

void ConnectionTable::Remove(const std::shared_ptr<Connection>& c) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (c->reclaimed_.load(std::memory_order_relaxed)) {
    --reclaiming_;
  } else {
    auto it = active_by_peer_.find(c->peer_);
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

std::size_t ConnectionTable::ActiveOf(const std::string& peer) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_by_peer_.find(peer);
  return it == active_by_peer_.end() ? 0 : it->second;
}

void ConnectionTable::MarkLocked(Connection& c, CloseReason why) {
  c.reclaim_reason_.store(why, std::memory_order_relaxed);
  c.reclaimed_.store(true, std::memory_order_relaxed);
  ++reclaiming_;
  auto it = active_by_peer_.find(c.peer_);
  if (it != active_by_peer_.end() && --it->second == 0) active_by_peer_.erase(it);
}

std::shared_ptr<Connection> ConnectionTable::PickVictim(const std::string* peer) {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::shared_ptr<Connection>* best = nullptr;
  for (const std::shared_ptr<Connection>& c : all_) {
    if (c->reclaimed() || (peer != nullptr && c->peer_ != *peer)) continue;
    if (best == nullptr) {
      best = &c;
      continue;
    }
    const Connection& b = **best;
    bool c_sm = c->protocol_ == Connection::Protocol::kSocketmap;
    bool b_sm = b.protocol_ == Connection::Protocol::kSocketmap;
    if (c_sm != b_sm) {
      if (c_sm) best = &c;
    } else if (c->last_active() < b.last_active()) {
      best = &c;
    }
  }
  if (best == nullptr) return nullptr;
  std::shared_ptr<Connection> victim = *best;
  MarkLocked(*victim, peer != nullptr ? CloseReason::kPeerCap : CloseReason::kLimit);
  return victim;
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::Expired(
    Clock::time_point now, std::chrono::seconds socketmap_timeout,
    std::chrono::seconds tcp_table_timeout) {
  std::vector<std::shared_ptr<Connection>> out;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const std::shared_ptr<Connection>& c : all_) {
    if (c->reclaimed()) continue;
    std::chrono::seconds limit =
        c->protocol_ == Connection::Protocol::kSocketmap ? socketmap_timeout : tcp_table_timeout;
    if (limit.count() == 0 || now - c->last_active() <= limit) continue;
    MarkLocked(*c, CloseReason::kIdle);
    out.push_back(c);
  }
  return out;
}

}  // namespace rcptdb
