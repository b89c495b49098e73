// SPDX-License-Identifier: MIT
// NAME
//   null_server - the loopback baseline: answers every line "500 not found"
// SYNOPSIS
//   null_server --port PORT [--threads N]
// DESCRIPTION
//   The least a tcp_table server can do: level-triggered epoll, one
//   listening socket per thread (SO_REUSEPORT), read what is there, answer
//   each complete line with "500 not%20found\n" in one write. No parsing,
//   no lookup, no allocation per request. What rcptdb-server costs on top
//   of this is what rcptdb-server itself costs.
// SEE ALSO
//   tests/bench/run-bench, tests/bench/loadgen.cc
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

const char kReply[] = "500 not%20found\n";

int Listen(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 1024) != 0) {
    std::perror("null_server: bind");
    std::exit(1);
  }
  return fd;
}

void Serve(int port) {
  int lfd = Listen(port);
  int ep = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = lfd;
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  epoll_event events[256];
  char buf[16384];
  std::string out;
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, nullptr, nullptr, 0)) >= 0) {
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got <= 0) {
        close(fd);
        continue;
      }
      out.clear();
      for (ssize_t k = 0; k < got; ++k)
        if (buf[k] == '\n') out += kReply;
      if (!out.empty() && write(fd, out.data(), out.size()) < 0) {
        close(fd);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--port") == 0)
      port = std::atoi(argv[i + 1]);
    else if (std::strcmp(argv[i], "--threads") == 0)
      threads = std::atoi(argv[i + 1]);
  }
  if (port <= 0 || threads <= 0) {
    std::fprintf(stderr, "usage: null_server --port PORT [--threads N]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(Serve, port);
  Serve(port);
}
