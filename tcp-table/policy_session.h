// SPDX-License-Identifier: MIT
// policy_session.h - one Postfix policy client connection
//
// Postfix's smtpd keeps its policy connection open and sends one request
// at a time, waiting for each answer. RunPolicySession reads request blocks
// (policy_codec.h), lets the worker's PolicyService answer each one (which
// may wait for quota-status services, without blocking the worker's other
// sessions) and writes the replies in order. A malformed block gets DUNNO;
// an oversized one closes the connection, since no safe place to resume
// exists. Like the map sessions (map_loop.h), a policy session is one entry
// of the server's ConnectionTable: idle from its accept or its last reply
// until its next request is complete, reclaimed to make room or after
// policy_idle_timeout (Postfix's policy client reconnects on its own), and
// removed when it ends.
//
// Thread safety: runs on the PolicyWorker's thread; the socket belongs to it.
#ifndef RCPTDB_POLICY_SESSION_H
#define RCPTDB_POLICY_SESSION_H

#include <asio.hpp>
#include <memory>

#include "policy_worker.h"
#include "session.h"

namespace rcptdb {

// Serves socket until the client closes, an I/O error, an oversized
// request, the worker drains or the connection is reclaimed. Never
// throws; scope does the connection's bookkeeping when it ends.
// REQUIRES: socket was opened on worker.context(); scope was made with
// worker.draining().
asio::awaitable<void> RunPolicySession(PolicyWorker& worker, Socket socket,
                                       std::unique_ptr<SessionScope> scope);

}  // namespace rcptdb

#endif
