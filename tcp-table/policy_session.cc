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

asio::awaitable<void> Serve(Worker& worker, Socket& socket, PolicyService& service,
                            const std::shared_ptr<Connection>& connection) {
  SessionScope scope(worker, socket, connection);
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
    scope.reading(true);
    std::size_t n =
        co_await socket.async_read_some(asio::buffer(buf), redirect_error(use_awaitable, ec));
    scope.reading(false);
    // EOF, reset, cancelled by a drain or a reclaim.
    if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted) scope.failed();
    if (ec || connection->reclaimed()) co_return;
    pending.append(buf.data(), n);
  }
}

}  // namespace

asio::awaitable<void> RunPolicySession(Worker& worker, Socket socket, PolicyService& service,
                                       std::shared_ptr<Connection> connection) {
  try {
    co_await Serve(worker, socket, service, connection);
  } catch (const std::exception& e) {
    LogError("{}: policy session ended by an internal error: {}", connection->name(), e.what());
  }
}

}  // namespace rcptdb
