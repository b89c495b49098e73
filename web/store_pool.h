// SPDX-License-Identifier: MIT
// store_pool.h - read-write database connections, one per request at a time
//
// A Store serves one thread at a time, and rcptdb-web's requests run on
// libmicrohttpd's threads. Opening a PostgreSQL connection costs round
// trips, so connections are kept between requests: a request borrows one
// (Lease), and gives it back when done, unless it saw database trouble,
// in which case the connection is dropped and the next borrower opens a
// fresh one. At most max_idle are kept; a kept connection whose database
// was replaced (Store::StillCurrent) is dropped when next borrowed.
//
// Thread safety: all members may be called from any thread; a Lease is
// used by one thread.
#ifndef RCPTDB_WEB_STORE_POOL_H
#define RCPTDB_WEB_STORE_POOL_H

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "status.h"
#include "store.h"

namespace rcptdb::web {

class StorePool {
 public:
  StorePool(std::string spec, int busy_timeout_ms, std::size_t max_idle)
      : spec_(std::move(spec)), busy_timeout_ms_(busy_timeout_ms), max_idle_(max_idle) {}

  // Uses spec from now on (SIGHUP); idle connections to another go.
  void Configure(const std::string& spec, int busy_timeout_ms);

  class Lease {
   public:
    Lease(StorePool& pool, std::unique_ptr<Store> store, unsigned generation)
        : pool_(&pool), store_(std::move(store)), generation_(generation) {}
    Lease(Lease&&) = default;
    ~Lease();
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }
    // Drops the connection instead of giving it back (after trouble).
    void Discard() { store_.reset(); }

   private:
    StorePool* pool_;
    std::unique_ptr<Store> store_;
    unsigned generation_;
  };

  // Borrows an open read-write connection; Temporary if none can be opened.
  Result<Lease> Borrow();

 private:
  void GiveBack(std::unique_ptr<Store> store, unsigned generation);

  std::mutex mutex_;
  std::string spec_;
  int busy_timeout_ms_;
  std::size_t max_idle_;
  unsigned generation_ = 0;  // bumped when spec_ changes
  std::vector<std::unique_ptr<Store>> idle_;
};

}  // namespace rcptdb::web

#endif
