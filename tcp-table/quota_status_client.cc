// SPDX-License-Identifier: MIT
// NAME
//   quota_status_client - one question to a quota-status service
// DESCRIPTION
//   A question: take an idle connection (or connect), write the request
//   block, read until the reply block is complete, put the connection back.
//   The whole exchange races one timer; if the timer wins, Asio cancels
//   the exchange and the connection is dropped. A reused connection that
//   fails before any byte of the reply arrived was most likely closed by
//   Dovecot while idle (its process ended): drop the endpoint's whole
//   pool, which ended the same way, and ask once more on a new one.
// SEE ALSO
//   quota_status_client.h, policy_codec.h, Dovecot's quota-status service
#include "quota_status_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>

#include "policy_codec.h"

namespace rcptdb {
namespace {

using asio::use_awaitable;
using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;
using Socket = asio::generic::stream_protocol::socket;

// Dovecot's replies are one short line; anything longer is not quota-status.
constexpr std::size_t kMaxReply = 4096;

struct Exchange {
  bool ok = false;
  bool got_bytes = false;  // some reply bytes arrived (no retry then)
  std::string action;
  std::string cause;
};

std::string Cause(const asio::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe)
    return "closed the connection";
  if (ec == asio::error::not_found || ec == asio::error::no_such_device) return "no such socket";
  return ec.message();
}

asio::generic::stream_protocol::endpoint EndpointOf(const ListenAddress& a) {
  if (a.kind == ListenAddress::Kind::kUnix) return asio::local::stream_protocol::endpoint(a.path);
  return asio::ip::tcp::endpoint(asio::ip::make_address(a.host), a.port);
}

asio::awaitable<Exchange> Connect(Socket& socket, const ListenAddress& endpoint) {
  Exchange x;
  auto [ec] = co_await socket.async_connect(EndpointOf(endpoint), as_tuple(use_awaitable));
  if (ec) {
    x.cause = Cause(ec);
    co_return x;
  }
  if (endpoint.kind == ListenAddress::Kind::kTcp) {
    int one = 1;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  x.ok = true;
  co_return x;
}

asio::awaitable<Exchange> Converse(Socket& socket, const std::string& request) {
  Exchange x;
  auto [wec, written] =
      co_await asio::async_write(socket, asio::buffer(request), as_tuple(use_awaitable));
  if (wec) {
    x.cause = Cause(wec);
    co_return x;
  }
  std::string reply;
  char buf[512];
  for (;;) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(buf), as_tuple(use_awaitable));
    if (rec) {
      x.cause = Cause(rec);
      co_return x;
    }
    x.got_bytes = true;
    reply.append(buf, n);
    PolicyBlock block = ParsePolicyBlock(reply, kMaxReply);
    if (block.status == PolicyParse::kNeedMore) continue;
    std::optional<std::string_view> action;
    if (block.status == PolicyParse::kBlock) action = block.Get("action");
    if (!action || block.consumed != reply.size()) {
      x.cause = "answered something that is not a policy reply";
      co_return x;
    }
    x.ok = true;
    x.action = std::string(*action);
    co_return x;
  }
}

}  // namespace

asio::awaitable<QuotaAnswer> QuotaStatusClient::Ask(
    const ListenAddress& endpoint, const std::string& mailbox, std::uint64_t size,
    std::chrono::steady_clock::time_point deadline) {
  const std::string request = EncodePolicyRequest({{"request", "smtpd_access_policy"},
                                                   {"protocol_state", "RCPT"},
                                                   {"protocol_name", "ESMTP"},
                                                   {"recipient", mailbox},
                                                   {"size", std::to_string(size)}});
  const std::string key = endpoint.str();
  const std::uint64_t generation = generation_;
  asio::steady_timer timer(io_);
  timer.expires_at(deadline);
  for (bool retried = false;; retried = true) {
    // Never hold a reference into idle_ across a co_await: Clear() may
    // free it meanwhile.
    std::unique_ptr<Socket> socket;
    auto pooled = idle_.find(key);
    bool reused = pooled != idle_.end() && !pooled->second.empty();
    if (reused) {
      socket = std::move(pooled->second.back());
      pooled->second.pop_back();
    } else {
      socket = std::make_unique<Socket>(io_);
    }
    auto exchange = [&]() -> asio::awaitable<Exchange> {
      if (!reused) {
        Exchange c = co_await Connect(*socket, endpoint);
        if (!c.ok) co_return c;
      }
      co_return co_await Converse(*socket, request);
    };
    std::variant<Exchange, std::tuple<asio::error_code>> raced =
        co_await (exchange() || timer.async_wait(as_tuple(use_awaitable)));
    if (raced.index() == 1) co_return QuotaAnswer{false, "", "timed out"};
    Exchange& x = std::get<0>(raced);
    if (x.ok) {
      if (generation == generation_) {
        std::vector<std::unique_ptr<Socket>>& idle = idle_[key];
        if (idle.size() < max_idle_) idle.push_back(std::move(socket));
      }
      co_return QuotaAnswer{true, x.action, ""};
    }
    if (reused && !x.got_bytes && !retried) {
      // The service closed its idle connections: every one pooled for it
      // is dead too. Ask again on a new connection.
      idle_.erase(key);
      continue;
    }
    co_return QuotaAnswer{false, "", x.cause};
  }
}

}  // namespace rcptdb
