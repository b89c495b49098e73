// session.h - one client connection, from accept to close
//
// RunSession reads requests, lets a Responder answer them and writes the
// replies, one batch at a time: nothing more is read until every reply so
// far is written, so a client that never reads stops being served once the
// socket buffer is full and costs no more memory than one batch. Idle
// clients are never closed: Postfix keeps its table connections for the
// life of its processes and logs an error when they break.
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

#include "responder.h"
#include "worker.h"

namespace rcptdb {

// Serves socket until the client closes, an I/O error, a Responder close,
// or the worker drains. Never throws; decrements the open connection count
// when it ends. REQUIRES: socket was opened on worker.context().
asio::awaitable<void> RunSession(Worker& worker, Socket socket,
                                 std::unique_ptr<Responder> responder, std::string peer);

}  // namespace rcptdb

#endif
