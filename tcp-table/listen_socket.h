// listen_socket.h - bind a listening socket before the event loop exists
//
// Listening sockets are opened as plain descriptors at startup, before
// the process daemonizes (fork) and drops privileges, so that an address
// in use or a privileged port fails loudly on the terminal, and so that no
// Asio context exists across fork(). The Server adopts the descriptors
// later. A unix socket path is replaced if a stale socket is there (never
// another kind of file) and made mode 0666: access is granted by the
// directory it lives in, as with Postfix's own public sockets.
//
// Thread safety: call at startup, from one thread.
#ifndef RCPTDB_LISTEN_SOCKET_H
#define RCPTDB_LISTEN_SOCKET_H

#include "listen_address.h"
#include "status.h"

namespace rcptdb {

// Returns a listening, close-on-exec, non-blocking descriptor bound to
// address, or Invalid naming the address and the cause.
Result<int> OpenListenSocket(const ListenAddress& address, int backlog = 1024);

}  // namespace rcptdb

#endif
