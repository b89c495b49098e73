// SPDX-License-Identifier: MIT
// NAME
//   store_pool - keep read-write Store connections between requests
// SEE ALSO
//   store_pool.h, store.h
#include "store_pool.h"

namespace rcptdb::web {

void StorePool::Configure(const std::string& spec, int busy_timeout_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (spec != spec_ || busy_timeout_ms != busy_timeout_ms_) {
    spec_ = spec;
    busy_timeout_ms_ = busy_timeout_ms;
    ++generation_;
    idle_.clear();
  }
}

Result<StorePool::Lease> StorePool::Borrow() {
  std::string spec;
  int busy = 0;
  unsigned generation = 0;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!idle_.empty()) {
      std::unique_ptr<Store> s = std::move(idle_.back());
      idle_.pop_back();
      unsigned g = generation_;
      lock.unlock();
      // A replaced database file (a restored backup) or a changed schema:
      // open afresh rather than write to what is no longer the database.
      Result<bool> current = s->StillCurrent();
      if (current.ok() && *current) return Lease(*this, std::move(s), g);
      lock.lock();
    }
    spec = spec_;
    busy = busy_timeout_ms_;
    generation = generation_;
  }
  // Open outside the lock: connecting may take a while.
  Result<std::unique_ptr<Store>> s = Store::Open(spec, Store::Mode::kReadWrite, busy);
  if (!s.ok()) return s.status();
  return Lease(*this, std::move(*s), generation);
}

void StorePool::GiveBack(std::unique_ptr<Store> store, unsigned generation) {
  std::lock_guard<std::mutex> lock(mutex_);
  // A connection left inside a transaction, or to a database no longer
  // configured, is not reused.
  if (generation != generation_ || store->InTransaction() || idle_.size() >= max_idle_) return;
  idle_.push_back(std::move(store));
}

StorePool::Lease::~Lease() {
  if (store_) pool_->GiveBack(std::move(store_), generation_);
}

}  // namespace rcptdb::web
