// SPDX-License-Identifier: MIT
// policy_worker.h - one policy thread of rcptdb-server: Asio loop and sessions
//
// Policy sessions (policy_session.h) wait for Dovecot's quota-status
// services through an Asio client (quota_status_client.h), so they run on
// threads of their own, one PolicyWorker each, beside the map workers'
// own loops (worker.h). A PolicyWorker owns an io_context run on its
// thread, the PolicyService that answers its sessions (with its own
// database connection), and the list of its sessions for Drain().
//
// Drain(): sessions waiting for a request are cancelled at once; a session
// writing a reply or waiting for quota-status finishes that request and
// then ends; Run() returns when the last session has ended.
//
// Thread safety: the registry and the service belong to the worker's
// thread. Post(), Reconfigure(), Drain() and Stop() may be called from any
// thread.
#ifndef RCPTDB_POLICY_WORKER_H
#define RCPTDB_POLICY_WORKER_H

#include <asio.hpp>
#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>

#include "policy_service.h"
#include "quota_status_health.h"
#include "server_config.h"
#include "server_state.h"

namespace rcptdb {

using Socket = asio::generic::stream_protocol::socket;

class PolicyWorker {
 public:
  // index selects this thread's LookupStats in state (after the map
  // workers').
  PolicyWorker(ServerState& state, std::size_t index, QuotaStatusHealth& health,
               PolicyConfig config, std::string database, int busy_timeout_ms);
  // Destroys the sessions still suspended (after Stop()) before the rest.
  ~PolicyWorker();
  PolicyWorker(const PolicyWorker&) = delete;
  PolicyWorker& operator=(const PolicyWorker&) = delete;

  asio::io_context& context() { return *context_; }
  ServerState& state() { return state_; }
  PolicyService& service() { return *service_; }
  const std::atomic<bool>& draining() const { return draining_; }

  // Runs the event loop until drained or stopped.
  void Run();
  // Runs f on the worker's thread. Any thread.
  void Post(std::function<void()> f) { asio::post(*context_, std::move(f)); }
  // Stops taking requests: see above.
  void Drain();
  // Ends the loop now, whatever runs.
  void Stop() { context_->stop(); }

  // Session registry, for Drain() (worker thread only).
  struct Entry {
    Socket* socket = nullptr;
    bool reading = false;  // waiting for the next request (safe to cancel)
  };
  using SessionList = std::list<Entry>;
  SessionList::iterator Register(Socket* socket) {
    return sessions_.insert(sessions_.end(), Entry{socket, false});
  }
  void Unregister(SessionList::iterator it) { sessions_.erase(it); }

 private:
  ServerState& state_;
  // A pointer, so that ~PolicyWorker can destroy suspended sessions (which
  // unregister themselves) while the registry still exists.
  std::unique_ptr<asio::io_context> context_ = std::make_unique<asio::io_context>(1);
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::unique_ptr<PolicyService> service_;
  SessionList sessions_;
  std::atomic<bool> draining_{false};
};

}  // namespace rcptdb

#endif
