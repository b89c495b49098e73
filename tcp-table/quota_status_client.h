// SPDX-License-Identifier: MIT
// quota_status_client.h - asks Dovecot's quota-status services, over pooled connections
//
// Dovecot's quota-status service speaks the policy protocol
// (policy_codec.h): given recipient, size and protocol_state=RCPT it
// answers quota_status_success, _nouser or _overquota. Its recommended
// client_limit = 1 means one Dovecot process per connection, and starting
// that process is most of the cost of a question, so connections are kept
// open and reused: each worker thread has one QuotaStatusClient with a pool
// of idle connections per endpoint (at most max_idle each; connections over
// that are closed after their question). A pooled connection that the
// service closed meanwhile is noticed on use: Dovecot closes its idle
// connections when its quota-status processes end (at every restart, for
// one), so the others pooled for that endpoint are as dead, and the whole
// pool of that endpoint is dropped and the question asked once more on a
// new connection.
//
// A question in flight owns its connection, never a reference into the
// pool: Clear() (a SIGHUP that changed the endpoints) may run while a
// question waits, and the connection of a question asked before a Clear()
// is closed after it instead of pooled.
//
// Every question is bounded by a deadline: connecting, writing and reading
// together; a late answer is trouble, and its connection is closed (it may
// still deliver the answer to the next question otherwise).
//
// Thread safety: one per worker; use on the worker's thread only.
#ifndef RCPTDB_QUOTA_STATUS_CLIENT_H
#define RCPTDB_QUOTA_STATUS_CLIENT_H

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "listen_address.h"
#include "quota_policy.h"

namespace rcptdb {

class QuotaStatusClient {
 public:
  // REQUIRES: io outlives the client; the client is destroyed on io's thread
  // or after io stopped.
  QuotaStatusClient(asio::io_context& io, std::size_t max_idle) : io_(io), max_idle_(max_idle) {}

  // Asks endpoint whether mailbox can take a message of size octets.
  // Returns the action it answered, or answered == false with the cause
  // ("connection refused", "timed out", "closed the connection", ...).
  asio::awaitable<QuotaAnswer> Ask(const ListenAddress& endpoint, const std::string& mailbox,
                                   std::uint64_t size,
                                   std::chrono::steady_clock::time_point deadline);

  // Changes the pool bound (SIGHUP); extra idle connections close on use.
  void set_max_idle(std::size_t n) { max_idle_ = n; }
  // Closes every idle connection (e.g. after the endpoints changed).
  void Clear() {
    idle_.clear();
    ++generation_;
  }

 private:
  using Socket = asio::generic::stream_protocol::socket;
  asio::io_context& io_;
  std::size_t max_idle_;
  std::uint64_t generation_ = 0;                                      // bumped by Clear()
  std::map<std::string, std::vector<std::unique_ptr<Socket>>> idle_;  // by endpoint
};

}  // namespace rcptdb

#endif
