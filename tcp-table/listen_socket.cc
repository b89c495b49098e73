// NAME
//   listen_socket - bind and listen on TCP or unix-domain addresses
// DESCRIPTION
//   SO_REUSEADDR lets a restarted server bind while connections of the old
//   one linger in TIME_WAIT. IPv6 listeners are IPv6-only, so that "[::1]"
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
  return Status::Invalid("cannot " + std::string(what) + " " + a.str() + ": " + std::strerror(err));
}

Result<int> OpenUnix(const ListenAddress& a, int backlog) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  std::memcpy(sun.sun_path, a.path.c_str(), a.path.size() + 1);
  struct stat st;
  if (lstat(a.path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      errno = EEXIST;
      return Fail(a, "replace (not a socket)", -1);
    }
    unlink(a.path.c_str());
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Fail(a, "create socket for", fd);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) return Fail(a, "bind", fd);
  if (chmod(a.path.c_str(), 0666) != 0) return Fail(a, "chmod", fd);
  if (listen(fd, backlog) != 0) return Fail(a, "listen on", fd);
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

Result<int> OpenListenSocket(const ListenAddress& address, int backlog) {
  if (address.kind == ListenAddress::Kind::kUnix) return OpenUnix(address, backlog);
  return OpenTcp(address, backlog);
}

}  // namespace rcptdb
