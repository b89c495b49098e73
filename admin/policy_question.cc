// SPDX-License-Identifier: MIT
// NAME
//   policy_question - one blocking policy delegation request
// DESCRIPTION
//   Connects (numeric hosts only: a check must not depend on DNS), writes
//   one request block, reads until the empty line that ends the answer
//   (at most 4096 bytes), and returns the value of its action line. The
//   block is written and read by librcptdb's policy codec, the one
//   rcptdb-server speaks. Every
//   wait is bounded by poll() with the time left.
// SEE ALSO
//   policy_question.h, cmd_check.cc, rcptdb-server(8) "POLICY SERVICE"
#include "policy_question.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string_view>

#include "policy_codec.h"

namespace rcptdb::admin {
namespace {

// An answer is one action line: far less than a request may be.
constexpr std::size_t kMaxAnswer = 4096;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Fills ss from where; returns its length, or 0 if where is no address.
socklen_t Address(const std::string& where, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (where.starts_with("unix:")) {
    auto* un = reinterpret_cast<sockaddr_un*>(&ss);
    std::string path = where.substr(5);
    if (path.empty() || path.size() >= sizeof un->sun_path) return 0;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    return sizeof(sockaddr_un);
  }
  std::size_t colon = where.rfind(':');
  if (colon == std::string::npos) return 0;
  std::string host = where.substr(0, colon);
  int port = std::atoi(where.c_str() + colon + 1);
  if (port <= 0 || port > 65535) return 0;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1)
      return 0;
    return sizeof(sockaddr_in6);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) != 1) return 0;
  return sizeof(sockaddr_in);
}

}  // namespace

Result<std::string> AskPolicyService(const std::string& where, const std::string& recipient,
                                     std::uint64_t size, int timeout_ms) {
  sockaddr_storage ss;
  socklen_t len = Address(where, ss);
  if (len == 0)
    return Status::Invalid("--policy " + where + ": not HOST:PORT, [IPV6]:PORT or unix:PATH");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto left = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - std::chrono::steady_clock::now())
                  .count();
    return static_cast<int>(ms > 0 ? ms : 0);
  };
  auto fail = [&](const std::string& what) {
    return Status::Temporary("policy service " + where + ": " + what);
  };
  Fd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return fail(std::strerror(errno));
  // A blocking connect to loopback or a unix socket is immediate or refused.
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
    return fail(std::strerror(errno));
  std::string request = EncodePolicyRequest({{"request", "smtpd_access_policy"},
                                             {"protocol_state", "RCPT"},
                                             {"protocol_name", "ESMTP"},
                                             {"recipient", recipient},
                                             {"size", std::to_string(size)}});
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return fail(std::strerror(errno));
  std::string reply;
  PolicyBlock answer;
  for (;;) {
    answer = ParsePolicyBlock(reply, kMaxAnswer);
    if (answer.status == PolicyParse::kTooLong) return fail("answer too long");
    if (answer.status != PolicyParse::kNeedMore) break;
    pollfd p{fd.get(), POLLIN, 0};
    int ready = poll(&p, 1, left());
    if (ready == 0) return fail("no answer within " + std::to_string(timeout_ms) + " ms");
    if (ready < 0) return fail(std::strerror(errno));
    char buf[512];
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return fail(n == 0 ? "closed the connection" : std::strerror(errno));
    reply.append(buf, static_cast<std::size_t>(n));
  }
  std::optional<std::string_view> action = answer.Get("action");
  if (answer.status != PolicyParse::kBlock || !action)
    return fail("answered something that is not an action");
  return std::string(*action);
}

}  // namespace rcptdb::admin
