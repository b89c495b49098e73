// SPDX-License-Identifier: MIT
// NAME
//   loadgen - tcp_table load generator with Postfix's connection habits
// SYNOPSIS
//   loadgen --port PORT [--host 127.0.0.1] [--connections 64] [--seconds 5]
//           [--warmup 1] [--mailboxes 1000000] [--aliases 0]
//           [--domain bench.example] [--catchall-domain DOMAIN]
//           [--seed 1] [--pace US] [--no-verify]
// DESCRIPTION
//   Opens N persistent connections, like N Postfix processes each holding
//   one tcp_table connection, and keeps exactly one request in flight on
//   each: "get KEY\n", wait for the whole reply line, send the next. One
//   thread, one epoll loop, so the generator takes one core and no more.
//
//   Keys are random, from the fixed mix of key_mix.h whose answers are
//   known in advance (mailboxes, +detail, aliases, catch-all, 50 % unknown
//   users). Every reply is checked against its key's class: 2xx where found is
//   expected, 5xx where not found is; anything else counts as "wrong".
//   --no-verify skips that check (for the null server, which finds
//   nothing).
//
//   --pace US sends each connection's next request US microseconds after
//   its previous one was sent (at once if the reply came later), instead
//   of as soon as the reply is read: one Postfix connection asks about one
//   lookup every ~700 us (tests/bench/postfix-bench at one session), so
//   `--connections 1 --pace 700` counts what a lookup costs at that pace
//   rather than back to back.
//
//   Prints one line:
//     connections=N seconds=S lookups=L rate=R/s p50=Xus p99=Yus p999=Zus
//     found=F notfound=G other=H errors=E wrong=W expected_found=P%
//   Latency is the round trip seen by the client, reply fully read.
//   Exit status 1 if a connection failed, a reply was neither 2xx nor 5xx,
//   or (unless --no-verify) any reply was wrong for its key.
// SEE ALSO
//   tests/bench/run-bench, tcp_table(5)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "key_mix.h"

namespace {

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  int connections = 64;
  double seconds = 5;
  double warmup = 1;
  long mailboxes = 1000000;
  long aliases = 0;
  std::string domain = "bench.example";
  std::string catchall_domain;
  unsigned seed = 1;
  long pace_us = 0;  // 0: back to back
  bool verify = true;
};

struct Conn {
  int fd = -1;
  std::string in;
  std::chrono::steady_clock::time_point sent;
  bool expect_found = false;  // what the request in flight must get
  bool idle = false;          // answered; the next request waits for its time
};

using Clock = std::chrono::steady_clock;

bool ParseOptions(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--no-verify") {
      o.verify = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) return false;
    const char* v = argv[i + 1];
    if (k == "--host")
      o.host = v;
    else if (k == "--port")
      o.port = std::atoi(v);
    else if (k == "--connections")
      o.connections = std::atoi(v);
    else if (k == "--seconds")
      o.seconds = std::atof(v);
    else if (k == "--warmup")
      o.warmup = std::atof(v);
    else if (k == "--mailboxes")
      o.mailboxes = std::atol(v);
    else if (k == "--aliases")
      o.aliases = std::atol(v);
    else if (k == "--domain")
      o.domain = v;
    else if (k == "--catchall-domain")
      o.catchall_domain = v;
    else if (k == "--seed")
      o.seed = static_cast<unsigned>(std::atol(v));
    else if (k == "--pace")
      o.pace_us = std::atol(v);
    else
      return false;
  }
  return o.port > 0 && o.connections > 0 && o.seconds > 0 && o.mailboxes > 0 && o.aliases >= 0 &&
         o.pace_us >= 0;
}

int Connect(const Options& o) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(o.port));
  inet_pton(AF_INET, o.host.c_str(), &sa.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    std::perror("loadgen: connect");
    std::exit(1);
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

using Generator = rcptdb::bench::KeyMix;

bool Send(Conn& c, Generator& gen) {
  std::string req = "get " + gen.Next(c.expect_found) + "\n";
  c.sent = Clock::now();
  // A request is far below the socket buffer: one write suffices.
  return write(c.fd, req.data(), req.size()) == static_cast<ssize_t>(req.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: loadgen --port PORT [--host H] [--connections N] [--seconds S] "
                 "[--warmup S] [--mailboxes M] [--aliases A] [--domain D] [--catchall-domain D] "
                 "[--seed N] [--pace US] [--no-verify]\n");
    return 2;
  }
  Generator gen(
      rcptdb::bench::KeyMix::Options{o.mailboxes, o.aliases, o.domain, o.catchall_domain, o.seed});
  int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<std::size_t>(o.connections));
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = Connect(o);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  std::vector<std::uint32_t> samples;  // microseconds, after warm-up
  samples.reserve(1 << 22);
  std::uint64_t found = 0, notfound = 0, other = 0, errors = 0, wrong = 0;
  auto start = Clock::now();
  auto measure_from =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  auto end = measure_from +
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  for (Conn& c : conns)
    if (!Send(c, gen)) ++errors;
  std::vector<epoll_event> events(conns.size());
  char buf[8192];
  bool measuring = false;
  const auto pace = std::chrono::microseconds(o.pace_us);
  for (;;) {
    // Paced: wake when the earliest waiting connection's time comes.
    auto wake = Clock::now() + std::chrono::seconds(1);
    for (const Conn& c : conns)
      if (c.idle) wake = std::min(wake, c.sent + pace);
    auto wait_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::max(Clock::duration::zero(), wake - Clock::now()));
    timespec ts{static_cast<time_t>(wait_ns.count() / 1'000'000'000),
                static_cast<long>(wait_ns.count() % 1'000'000'000)};
    int n = epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), &ts, nullptr);
    auto now = Clock::now();
    if (now >= end) break;
    for (Conn& c : conns) {
      if (c.idle && now >= c.sent + pace) {
        c.idle = false;
        if (!Send(c, gen)) ++errors;
      }
    }
    if (!measuring && now >= measure_from) measuring = true;
    for (int e = 0; e < n; ++e) {
      Conn& c = conns[events[e].data.u64];
      ssize_t got = read(c.fd, buf, sizeof buf);
      if (got <= 0) {
        std::fprintf(stderr, "loadgen: connection closed by the server\n");
        return 1;
      }
      c.in.append(buf, static_cast<std::size_t>(got));
      std::size_t lf = c.in.find('\n');
      if (lf == std::string::npos) continue;
      auto done = Clock::now();
      char code = c.in[0];
      if (code == '2')
        ++found;
      else if (code == '5')
        ++notfound;
      else
        ++other;
      if ((code == '2') != c.expect_found) ++wrong;
      c.in.erase(0, lf + 1);
      if (measuring && c.sent >= measure_from)
        samples.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(done - c.sent).count()));
      if (pace.count() > 0 && done < c.sent + pace)
        c.idle = true;
      else if (!Send(c, gen))
        ++errors;
    }
  }
  std::sort(samples.begin(), samples.end());
  auto q = [&samples](double p) -> std::uint32_t {
    if (samples.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(samples.size()));
    return samples[std::min(i, samples.size() - 1)];
  };
  std::printf(
      "connections=%d seconds=%.1f lookups=%zu rate=%.0f/s p50=%uus p99=%uus p999=%uus "
      "found=%llu notfound=%llu other=%llu errors=%llu wrong=%llu expected_found=%.1f%%\n",
      o.connections, o.seconds, samples.size(), static_cast<double>(samples.size()) / o.seconds,
      q(0.5), q(0.99), q(0.999), static_cast<unsigned long long>(found),
      static_cast<unsigned long long>(notfound), static_cast<unsigned long long>(other),
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(wrong),
      gen.expected_found_percent());
  for (Conn& c : conns) close(c.fd);
  if (other || errors) return 1;
  if (o.verify && wrong) {
    std::fprintf(stderr, "loadgen: %llu replies were wrong for their keys\n",
                 static_cast<unsigned long long>(wrong));
    return 1;
  }
  return 0;
}
