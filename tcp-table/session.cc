// SPDX-License-Identifier: MIT
// NAME
//   session - read, answer, write: one connection's life
// DESCRIPTION
//   The loop: answer every complete request already received, write the
//   replies (a non-blocking write first; waiting for writability only if
//   the socket buffer is full), then read what arrives next. A read of 0 bytes is the client
//   closing (a half-closed socket still gets the replies to what it sent). The session registers
//   with its worker so that a drain can cancel it while it waits for a request, never while it
//   writes a reply.
// SEE ALSO
//   session.h, responder.h, worker.h
#include "session.h"

#include <array>
#include <chrono>

#include "logger.h"

namespace rcptdb {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

// Writes all of out; returns false on an error (the client is gone).
asio::awaitable<bool> WriteAll(Socket& socket, const std::string& out) {
  std::size_t done = 0;
  while (done < out.size()) {
    asio::error_code ec;
    done += socket.write_some(asio::buffer(out.data() + done, out.size() - done), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      co_await socket.async_wait(Socket::wait_write, redirect_error(use_awaitable, ec));
      if (ec) co_return false;
    } else if (ec) {
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<void> Serve(Worker& worker, Socket& socket, Responder& responder,
                            const std::shared_ptr<Connection>& connection) {
  SessionScope scope(worker, socket, connection);
  asio::error_code ec;
  socket.non_blocking(true, ec);
  // Requests are small and one is in flight at a time, so a small read
  // buffer costs few reads; an idle connection holds only this.
  std::array<char, 512> buf;
  std::string pending;  // received, not yet consumed
  std::string out;
  for (;;) {
    for (;;) {
      Responder::Step step = responder.Feed(pending, out);
      pending.erase(0, step.consumed);
      if (!out.empty()) {
        if (!co_await WriteAll(socket, out)) {
          scope.failed();
          co_return;
        }
        out.clear();
        connection->Touch(std::chrono::steady_clock::now());
      }
      if (step.close) {
        scope.failed();
        socket.shutdown(Socket::shutdown_both, ec);
        co_return;
      }
      if (step.consumed == 0) break;
    }
    // Give back the memory a hostile client made us hold.
    if (pending.capacity() > 4096 && pending.size() < 1024) pending.shrink_to_fit();
    if (worker.draining() || connection->reclaimed()) co_return;
    scope.reading(true);
    std::size_t n =
        co_await socket.async_read_some(asio::buffer(buf), redirect_error(use_awaitable, ec));
    scope.reading(false);
    // EOF, reset, cancelled by a drain or a reclaim; a reclaim that came
    // with the request wins too: the server counted this connection gone.
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) scope.failed();
    if (ec || connection->reclaimed()) co_return;
    pending.append(buf.data(), n);
  }
}

}  // namespace

SessionScope::SessionScope(Worker& worker, Socket& socket,
                           const std::shared_ptr<Connection>& connection)
    : worker_(worker), connection_(connection), it_(worker.Register(&socket)) {
  connection_->on_reclaim = [&socket] {
    asio::error_code ec;
    socket.cancel(ec);
  };
}

SessionScope::~SessionScope() {
  connection_->on_reclaim = nullptr;
  worker_.state().connection_table().Remove(connection_);
  worker_.Unregister(it_);
  worker_.state().connections.fetch_sub(1, std::memory_order_relaxed);
  CloseReason why = connection_->reclaimed() ? connection_->reclaim_reason()
                    : worker_.draining()     ? CloseReason::kShutdown
                    : failed_                ? CloseReason::kError
                                             : CloseReason::kClient;
  worker_.state().listener_stats(connection_->listener).Closed(why);
}

asio::awaitable<void> RunSession(Worker& worker, Socket socket,
                                 std::unique_ptr<Responder> responder,
                                 std::shared_ptr<Connection> connection) {
  try {
    co_await Serve(worker, socket, *responder, connection);
  } catch (const std::exception& e) {
    LogError("{}: session ended by an internal error: {}", connection->name(), e.what());
  }
}

}  // namespace rcptdb
