// SPDX-License-Identifier: MIT
// NAME
//   policy_session - read a policy request, answer it, write, repeat
// DESCRIPTION
//   Unlike the table sessions (session.h), answering may wait on the
//   network, so the loop awaits PolicyService::Answer for each complete
//   block. The session registers with its worker so that a drain cancels
//   it while it waits for a request, never while it answers one.
// SEE ALSO
//   policy_session.h, policy_service.h, policy_codec.h
#include "policy_session.h"

#include <array>
#include <chrono>

#include "logger.h"
#include "session.h"

namespace rcptdb {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

// Registers socket with its worker for Drain() while the session lives.
class Registration {
 public:
  Registration(PolicyWorker& worker, Socket& socket)
      : worker_(worker), it_(worker.Register(&socket)) {}
  ~Registration() { worker_.Unregister(it_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  // Waiting for a request (safe to cancel), or not.
  void reading(bool on) { it_->reading = on; }

 private:
  PolicyWorker& worker_;
  PolicyWorker::SessionList::iterator it_;
};

asio::awaitable<void> Serve(PolicyWorker& worker, Socket& socket, SessionScope& scope) {
  Registration registration(worker, socket);
  Connection* connection = &scope.connection();
  connection->on_reclaim = [&socket] {
    asio::error_code ec;
    socket.cancel(ec);
  };
  PolicyService& service = worker.service();
  const std::string& peer = connection->name();
  std::array<char, 1024> buf;
  std::string pending;
  bool warned = false;
  asio::error_code ec;
  for (;;) {
    PolicyBlock block = ParsePolicyBlock(pending);
    if (block.status == PolicyParse::kTooLong) {
      LogWarning("{} policy: request over {} bytes or {} lines; closing", peer, kPolicyMaxBlock,
                 kPolicyMaxAttributes);
      scope.failed();
      socket.shutdown(Socket::shutdown_both, ec);
      co_return;
    }
    if (block.status != PolicyParse::kNeedMore) {
      std::string reply;
      if (block.status == PolicyParse::kMalformed) {
        if (!warned)
          LogWarning(
              "{} policy: request line is not name=value; answered DUNNO (further bad "
              "requests on this connection are not logged)",
              peer);
        warned = true;
        reply = EncodePolicyReply("DUNNO");
      } else {
        reply = EncodePolicyReply(co_await service.Answer(block, peer));
      }
      pending.erase(0, block.consumed);
      co_await asio::async_write(socket, asio::buffer(reply), redirect_error(use_awaitable, ec));
      if (ec) {
        scope.failed();
        co_return;
      }
      connection->Touch(std::chrono::steady_clock::now());
      continue;
    }
    if (pending.capacity() > 8192 && pending.size() < 1024) pending.shrink_to_fit();
    if (worker.draining() || connection->reclaimed()) co_return;
    registration.reading(true);
    std::size_t n =
        co_await socket.async_read_some(asio::buffer(buf), redirect_error(use_awaitable, ec));
    registration.reading(false);
    // EOF, reset, cancelled by a drain or a reclaim.
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) scope.failed();
    if (ec || connection->reclaimed()) co_return;
    pending.append(buf.data(), n);
  }
}

}  // namespace

asio::awaitable<void> RunPolicySession(PolicyWorker& worker, Socket socket,
                                       std::unique_ptr<SessionScope> scope) {
  try {
    co_await Serve(worker, socket, *scope);
  } catch (const std::exception& e) {
    LogError("{}: policy session ended by an internal error: {}", scope->connection().name(),
             e.what());
  }
}

}  // namespace rcptdb
