// SPDX-License-Identifier: MIT
// sd_notify.h - tell systemd how the service is doing, without libsystemd
//
// Under Type=notify, systemd passes a datagram socket in $NOTIFY_SOCKET
// (a path, or "@name" in the abstract namespace) and waits for "READY=1"
// before it counts the service as started; "STATUS=..." is shown by
// systemctl status, "RELOADING=1" with "MONOTONIC_USEC=" and then
// "READY=1" frame a reload, "STOPPING=1" announces the shutdown. With
// WatchdogSec= in the unit it also sets $WATCHDOG_USEC (and $WATCHDOG_PID,
// the process meant): the service must send "WATCHDOG=1" more often than
// that, or systemd kills and restarts it (sd_notify(3), sd_watchdog_enabled(3)).
//
// Writing the datagram ourselves needs no libsystemd: a daemon built
// without it must still not hang a Type=notify unit (pgbouncer #1416).
// Without $NOTIFY_SOCKET every call does nothing, so the server runs the
// same outside systemd.
//
// Thread safety: use from one thread (the server's control thread).
#ifndef RCPTDB_SD_NOTIFY_H
#define RCPTDB_SD_NOTIFY_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb {

// Returns the address $NOTIFY_SOCKET names, and its length for sendto(2):
// an absolute path, or "@name" for an abstract socket. Invalid for
// anything else (empty, relative, too long).
Result<std::pair<sockaddr_un, socklen_t>> NotifySocketAddress(std::string_view value);

// Returns the watchdog timeout from $WATCHDOG_USEC if it is meant for the
// process self ($WATCHDOG_PID unset or equal to it), else nullopt; usec
// and pid may be null (unset).
std::optional<std::chrono::microseconds> WatchdogTimeout(const char* usec, const char* pid,
                                                         pid_t self);

class SystemdNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID; a socket that
  // cannot be used is logged once and leaves the notifier disabled.
  static SystemdNotifier FromEnvironment();
  SystemdNotifier() = default;
  ~SystemdNotifier();
  SystemdNotifier(SystemdNotifier&& other) noexcept;
  SystemdNotifier& operator=(SystemdNotifier&&) = delete;

  // True iff systemd asked for notifications.
  bool enabled() const { return fd_ >= 0; }
  // The watchdog timeout systemd set for this process, if any.
  std::optional<std::chrono::microseconds> watchdog() const { return watchdog_; }
  // Sends state (newline-separated "NAME=value" lines) in one datagram;
  // false if disabled or the send failed (a failure is logged, at most
  // once a minute).
  bool Send(std::string_view state);

 private:
  int fd_ = -1;
  sockaddr_un address_{};
  socklen_t length_ = 0;
  std::optional<std::chrono::microseconds> watchdog_;
  std::chrono::steady_clock::time_point last_warning_{};
};

}  // namespace rcptdb

#endif
