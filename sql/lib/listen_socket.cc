// SPDX-License-Identifier: MIT
// NAME
//   listen_socket - bind and listen on TCP or unix-domain addresses
// DESCRIPTION
//   SO_REUSEADDR lets a restarted server bind while connections of the old
//   one linger in TIME_WAIT. A unix socket is probed with connect(2)
//   before an old one at its path is removed: ECONNREFUSED is the only
//   proof that nobody listens there. IPv6 listeners are IPv6-only, so that "[::1]"
//   never also means an IPv4 address the admin did not write.
// SEE ALSO
//   listen_socket.h, socket(7), unix(7)
#include "listen_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rcptdb {
namespace {

Status Fail(const ListenAddress& a, const char* what, int fd) {
  int err = errno;
  if (fd >= 0) close(fd);
  return Status::Io("cannot " + std::string(what) + " " + a.str() + ": " + std::strerror(err),
                    err == EACCES || err == EPERM);
}

// Returns Ok if nothing is at the path or a stale socket was removed;
// Conflict if a server answers there.
Status RemoveStaleSocket(const ListenAddress& a, const sockaddr_un& sun) {
  struct stat st;
  if (lstat(a.path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Fail(a, "inspect", -1);
  }
  if (!S_ISSOCK(st.st_mode)) {
    errno = EEXIST;
    return Fail(a, "replace (not a socket)", -1);
  }
  int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return Fail(a, "create socket for", probe);
  int rc = connect(probe, reinterpret_cast<const sockaddr*>(&sun), sizeof sun);
  int err = errno;
  close(probe);
  if (rc == 0)
    return Status::Conflict("cannot listen on " + a.str() +
                            ": another server is listening there (stop it first, or choose "
                            "another path)");
  if (err != ECONNREFUSED) {
    errno = err;
    return Fail(a, "probe", -1);
  }
  // Nobody listens: a socket left behind by a server that did not exit
  // cleanly.
  if (unlink(a.path.c_str()) != 0 && errno != ENOENT) return Fail(a, "remove stale socket", -1);
  return Status::Ok();
}

Result<int> OpenUnix(const ListenAddress& a, const UnixSocketAccess& access, int backlog) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, a.path.c_str(), a.path.size() + 1);
  Status stale = RemoveStaleSocket(a, sun);
  if (!stale.ok()) return stale;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(a, "create socket for", fd);
  // Never more open than asked for, not even between bind and chmod.
  mode_t old_mask = umask(0777 & ~access.mode);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
  umask(old_mask);
  if (rc != 0) return Fail(a, "bind", fd);
  if ((access.uid != static_cast<uid_t>(-1) || access.gid != static_cast<gid_t>(-1)) &&
      chown(a.path.c_str(), access.uid, access.gid) != 0) {
    Status s = Fail(a, "set the owner of", fd);
    unlink(a.path.c_str());
    return s;
  }
  if (chmod(a.path.c_str(), access.mode) != 0) {
    Status s = Fail(a, "chmod", fd);
    unlink(a.path.c_str());
    return s;
  }
  if (listen(fd, backlog) != 0) {
    Status s = Fail(a, "listen on", fd);
    unlink(a.path.c_str());
    return s;
  }
  return fd;
}

Result<int> OpenTcp(const ListenAddress& a, int backlog) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, a.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(a.port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, a.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(a.port);
    len = sizeof *v6;
  } else {
    errno = EINVAL;
    return Fail(a, "parse", -1);
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(a, "create socket for", fd);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) return Fail(a, "bind", fd);
  if (listen(fd, backlog) != 0) return Fail(a, "listen on", fd);
  return fd;
}

}  // namespace

Result<int> OpenListenSocket(const ListenAddress& address, const UnixSocketAccess& access,
                             int backlog) {
  if (address.kind == ListenAddress::Kind::kUnix) return OpenUnix(address, access, backlog);
  return OpenTcp(address, backlog);
}

}  // namespace rcptdb
