// SPDX-License-Identifier: MIT
// listen_socket.h - bind a listening socket before the event loop exists
//
// Listening sockets are opened as plain descriptors at startup, before
// the process daemonizes (fork) and drops privileges, so that an address
// in use or a privileged port fails loudly on the terminal, and so that no
// Asio context exists across fork(). The Server adopts the descriptors
// later.
//
// A unix socket path that exists is taken over only if it is a stale
// socket: if a server answers there (connect(2) succeeds), the call fails
// and the live socket stays; a file that is not a socket is never
// removed. The new socket gets the owner, group and mode of
// UnixSocketAccess, so that e.g. group postfix and mode 0660 let only
// Postfix connect.
//
// Thread safety: call at startup, from one thread.
#ifndef RCPTDB_LISTEN_SOCKET_H
#define RCPTDB_LISTEN_SOCKET_H

#include <sys/types.h>

#include "listen_address.h"
#include "status.h"

namespace rcptdb {

// Who may connect to a unix socket. uid or gid -1 keeps what bind(2) gave.
struct UnixSocketAccess {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  unsigned mode = 0666;
};

// Returns a listening, close-on-exec, non-blocking descriptor bound to
// address, or a Status naming the address and the system error (Cause::kIo,
// or kAccess for a permission error); Conflict if another server listens
// on the unix socket path.
Result<int> OpenListenSocket(const ListenAddress& address, const UnixSocketAccess& access = {},
                             int backlog = 1024);

}  // namespace rcptdb

#endif
