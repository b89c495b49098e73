// SPDX-License-Identifier: MIT
// policy_session.h - one Postfix policy client connection
//
// Postfix's smtpd keeps its policy connection open and sends one request
// at a time, waiting for each answer. RunPolicySession reads request blocks
// (policy_codec.h), lets the worker's PolicyService answer each one (which
// may wait for quota-status services, without blocking the worker's other
// sessions) and writes the replies in order. A malformed block gets DUNNO;
// an oversized one closes the connection, since no safe place to resume
// exists. Idle connections are never closed by the server.
//
// Thread safety: runs on the worker's thread; the socket belongs to it.
#ifndef RCPTDB_POLICY_SESSION_H
#define RCPTDB_POLICY_SESSION_H

#include <asio.hpp>
#include <string>

#include "policy_service.h"
#include "worker.h"

namespace rcptdb {

// Serves socket until the client closes, an I/O error, an oversized
// request or the worker drains. Never throws; decrements the open
// connection count when it ends. REQUIRES: socket was opened on
// worker.context(); service belongs to worker and outlives the session's
// I/O (it is destroyed only after the worker stopped).
asio::awaitable<void> RunPolicySession(Worker& worker, Socket socket, PolicyService& service,
                                       std::string peer);

}  // namespace rcptdb

#endif
