// SPDX-License-Identifier: MIT
// session.h - the bookkeeping every client session keeps
//
// A map session (tcp_table, socketmap) is served by its worker's MapLoop
// (map_loop.h), a policy session by RunPolicySession on a PolicyWorker
// (policy_session.h). Both are one entry of the server's ConnectionTable
// (connection_table.h) and keep it right through a SessionScope: when the
// session ends, for whatever reason, the scope removes the connection from
// the table, lowers the open connection count and counts the close by its
// reason. The session's owner sets Connection::on_reclaim, which the server
// calls on the session's thread to end it early.
//
// Thread safety: created anywhere, then used and destroyed on the
// session's thread.
#ifndef RCPTDB_SESSION_H
#define RCPTDB_SESSION_H

#include <atomic>
#include <memory>

#include "connection_table.h"
#include "server_state.h"

namespace rcptdb {

class SessionScope {
 public:
  // draining is the session's thread's: a session that ends while it is
  // set was closed for a shutdown. Both outlive the scope.
  SessionScope(ServerState& state, std::shared_ptr<Connection> connection,
               const std::atomic<bool>& draining);
  ~SessionScope();
  SessionScope(const SessionScope&) = delete;
  SessionScope& operator=(const SessionScope&) = delete;

  Connection& connection() { return *connection_; }
  // The session ends for an I/O error or a broken request, not the
  // client's close (the close reason counted for the metrics).
  void failed() { failed_ = true; }

 private:
  ServerState& state_;
  std::shared_ptr<Connection> connection_;
  const std::atomic<bool>& draining_;
  bool failed_ = false;
};

}  // namespace rcptdb

#endif
