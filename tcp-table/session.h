// SPDX-License-Identifier: MIT
// session.h - one client connection, from accept to close
//
// RunSession reads requests, lets a Responder answer them and writes the
// replies, one batch at a time: nothing more is read until every reply so
// far is written, so a client that never reads stops being served once the
// socket buffer is full and costs no more memory than one batch.
//
// The session marks its Connection (connection_table.h) active after each
// batch of replies is written, and ends when the server reclaims it: the
// server cancels the socket through Connection::on_reclaim on the worker's
// thread, and a session that had already received a request when the
// cancel came ends after it, without answering.
//
// While idle a session holds a 512-byte read buffer and an unfinished
// request, if any (bounded by the codec limits): thousands of idle
// connections stay cheap. Reads go through Asio's reactor, which reads as
// soon as epoll reports data, so a request costs one epoll wakeup, one
// read and one write.
//
// Thread safety: runs on the worker's thread; the socket belongs to it.
#ifndef RCPTDB_SESSION_H
#define RCPTDB_SESSION_H

#include <asio.hpp>
#include <memory>
#include <string>

#include "connection_table.h"
#include "responder.h"
#include "worker.h"

namespace rcptdb {

// Keeps a session's bookkeeping right on every exit, for the map and the
// policy sessions alike: registers the socket with the worker (for
// Drain()), lets the server's reclaim cancel it (Connection::on_reclaim),
// and on destruction removes the connection from the ConnectionTable and
// the open connection count. Worker thread only.
class SessionScope {
 public:
  SessionScope(Worker& worker, Socket& socket, const std::shared_ptr<Connection>& connection);
  ~SessionScope();
  SessionScope(const SessionScope&) = delete;
  SessionScope& operator=(const SessionScope&) = delete;
  // Marks the session as waiting for a request (safe to cancel) or not.
  void reading(bool on) { it_->reading = on; }
  // The session ends for an I/O error or a broken request, not the
  // client's close (the close reason counted for the metrics).
  void failed() { failed_ = true; }

 private:
  Worker& worker_;
  std::shared_ptr<Connection> connection_;
  Worker::SessionList::iterator it_;
  bool failed_ = false;
};

// Serves socket until the client closes, an I/O error, a Responder close,
// the worker drains or the connection is reclaimed. Never throws;
// decrements the open connection count and removes connection from the
// server's ConnectionTable when it ends. REQUIRES: socket was opened on
// worker.context(); connection came from worker.state().connection_table().
asio::awaitable<void> RunSession(Worker& worker, Socket socket,
                                 std::unique_ptr<Responder> responder,
                                 std::shared_ptr<Connection> connection);

}  // namespace rcptdb

#endif
