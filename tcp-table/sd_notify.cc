// SPDX-License-Identifier: MIT
// NAME
//   sd_notify - the systemd notification datagram, written directly
// DESCRIPTION
//   sd_notify(3): the message is one AF_UNIX datagram of "NAME=value"
//   lines to $NOTIFY_SOCKET; a leading '@' means the abstract namespace
//   (the '@' becomes a NUL byte, and the address length counts exactly the
//   name, no trailing NUL). systemd checks the sender's credentials
//   (NotifyAccess=main: the main process, any of its threads), which the
//   kernel attaches itself. MSG_NOSIGNAL: a vanished systemd must not kill
//   the server with SIGPIPE.
// SEE ALSO
//   sd_notify.h, sd_notify(3), systemd.service(5) Type=notify, WatchdogSec=
#include "sd_notify.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "logger.h"

namespace rcptdb {

Result<std::pair<sockaddr_un, socklen_t>> NotifySocketAddress(std::string_view value) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (value.size() < 2 || (value.front() != '/' && value.front() != '@'))
    return Status::Invalid("NOTIFY_SOCKET is not an absolute path or @name: \"" +
                           std::string(value) + "\"");
  // A path needs room for its terminating NUL; an abstract name does not.
  std::size_t room = sizeof addr.sun_path - (value.front() == '/' ? 1 : 0);
  if (value.size() > room)
    return Status::Invalid("NOTIFY_SOCKET is longer than a unix socket address allows");
  std::memcpy(addr.sun_path, value.data(), value.size());
  if (value.front() == '@') addr.sun_path[0] = '\0';
  auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + value.size() +
                                       (value.front() == '/' ? 1 : 0));
  return std::make_pair(addr, length);
}

std::optional<std::chrono::microseconds> WatchdogTimeout(const char* usec, const char* pid,
                                                         pid_t self) {
  if (usec == nullptr) return std::nullopt;
  std::string_view u(usec);
  unsigned long long us = 0;
  auto [end, ec] = std::from_chars(u.data(), u.data() + u.size(), us);
  if (u.empty() || ec != std::errc() || end != u.data() + u.size() || us == 0) return std::nullopt;
  if (pid != nullptr) {
    std::string_view p(pid);
    long long meant = 0;
    auto [pend, pec] = std::from_chars(p.data(), p.data() + p.size(), meant);
    if (p.empty() || pec != std::errc() || pend != p.data() + p.size() || meant != self)
      return std::nullopt;
  }
  return std::chrono::microseconds(us);
}

SystemdNotifier SystemdNotifier::FromEnvironment() {
  SystemdNotifier n;
  const char* socket_name = std::getenv("NOTIFY_SOCKET");
  if (socket_name == nullptr) return n;
  auto addr = NotifySocketAddress(socket_name);
  if (!addr.ok()) {
    LogWarning("{}; not notifying systemd", addr.status().message());
    return n;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    LogWarning("cannot create a socket to notify systemd: {}", std::strerror(errno));
    return n;
  }
  n.fd_ = fd;
  n.address_ = addr->first;
  n.length_ = addr->second;
  n.watchdog_ =
      WatchdogTimeout(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"), getpid());
  return n;
}

SystemdNotifier::SystemdNotifier(SystemdNotifier&& other) noexcept
    : fd_(other.fd_),
      address_(other.address_),
      length_(other.length_),
      watchdog_(other.watchdog_),
      last_warning_(other.last_warning_) {
  other.fd_ = -1;
}

SystemdNotifier::~SystemdNotifier() {
  if (fd_ >= 0) close(fd_);
}

bool SystemdNotifier::Send(std::string_view state) {
  if (fd_ < 0) return false;
  ssize_t n = sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                     reinterpret_cast<const sockaddr*>(&address_), length_);
  if (n == static_cast<ssize_t>(state.size())) return true;
  auto now = std::chrono::steady_clock::now();
  if (last_warning_ == std::chrono::steady_clock::time_point() ||
      now - last_warning_ >= std::chrono::minutes(1)) {
    last_warning_ = now;
    LogWarning("cannot notify systemd (\"{}\"): {}", Printable(state.substr(0, 40)),
               n < 0 ? std::strerror(errno) : "short write");
  }
  return false;
}

}  // namespace rcptdb
