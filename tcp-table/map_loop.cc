// SPDX-License-Identifier: MIT
// NAME
//   map_loop - the map sessions of one worker on its own edge-triggered epoll
// DESCRIPTION
//   Each session's socket is registered once for input, output and the
//   peer's close, edge-triggered; its event marks it readable again and
//   gives it a turn: write what is left, answer what is complete, read
//   until a short read or EAGAIN. Posted work and the timer run between
//   rounds of events, so they never interrupt a session's turn.
// SEE ALSO
//   map_loop.h, session.h, worker.h
#include "map_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>

#include "logger.h"

namespace rcptdb {
namespace {

// Requests are small and one is in flight at a time, so a small read
// buffer costs few reads; an idle session holds none (it is on the stack).
constexpr std::size_t kReadBuffer = 512;

}  // namespace

struct MapLoop::Session {
  Session(int f, std::unique_ptr<Responder> r, std::unique_ptr<SessionScope> s)
      : fd(f), responder(std::move(r)), scope(std::move(s)) {}
  int fd;
  std::unique_ptr<Responder> responder;
  std::unique_ptr<SessionScope> scope;
  std::list<Session>::iterator it;
  std::string pending;  // received, not yet consumed
  std::string out;      // replies not yet written
  std::size_t written = 0;
  bool drained = false;  // the last read found the socket empty
  bool peer_closed = false;
  bool close_after_write = false;
  bool queued = false;  // in ready_
};

MapLoop::MapLoop(std::function<void()> after_round) : after_round_(std::move(after_round)) {
  auto fail = [this](const char* what) {
    int e = errno;
    for (int fd : {timer_fd_, wake_fd_, epoll_fd_}) {
      if (fd >= 0) close(fd);
    }
    throw std::system_error(e, std::generic_category(), what);
  };
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail("epoll_create1");
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) fail("eventfd");
  // steady_clock is CLOCK_MONOTONIC, so a deadline arms it as it is.
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (timer_fd_ < 0) fail("timerfd_create");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // posted work: the only other event without a session
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) fail("epoll_ctl");
  // Edge-triggered: each expiry is one event, and the expiry count is
  // never read (a system call); timerfd_settime resets it.
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = &timer_fd_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &ev) != 0) fail("epoll_ctl");
}

MapLoop::~MapLoop() {
  draining_ = true;  // the sessions still open are closed for a shutdown
  while (!sessions_.empty()) End(sessions_.front());
  {
    // Work never run (a new session's socket among it) is dropped here,
    // while the draining flag its scope reads still exists.
    std::lock_guard lock(posted_mutex_);
    posted_.clear();
  }
  close(timer_fd_);
  close(wake_fd_);
  close(epoll_fd_);
}

void MapLoop::Post(std::function<void()> f) {
  bool was_empty;
  {
    std::lock_guard lock(posted_mutex_);
    was_empty = posted_.empty();
    posted_.push_back(std::move(f));
  }
  // A queue that was not empty has a wakeup on its way already.
  if (was_empty) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  }
}

void MapLoop::Stop() {
  stopped_ = true;
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void MapLoop::Add(int fd, std::unique_ptr<Responder> responder,
                  std::unique_ptr<SessionScope> scope) {
  sessions_.emplace_back(fd, std::move(responder), std::move(scope));
  Session& s = sessions_.back();
  s.it = std::prev(sessions_.end());
  // Runs on this thread (the server posts it), between turns: the
  // session's next turn, this round, ends it (Serve).
  s.scope->connection().on_reclaim = [this, &s] {
    if (!s.queued) ready_.push_back(&s);
    s.queued = true;
  };
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &s;
  if (draining_ || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    if (!draining_) s.scope->failed();
    End(s);
    return;
  }
  Turn(s);
}

void MapLoop::Drain() {
  if (draining_.exchange(true)) return;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = *it++;
    if (s.out.empty()) End(s);
  }
}

void MapLoop::SetTimer(Clock::time_point at, std::function<void()> f) {
  timer_ = Timer{at, std::move(f)};
  Arm(at);
}

void MapLoop::Arm(Clock::time_point at) {
  // A sooner expiry wakes the loop, which then re-arms for this one.
  if (armed_at_ && *armed_at_ <= at) return;
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1000000000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1000000000);
  // A zero it_value would disarm it: a deadline that passed expires at once.
  if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
    // Cannot happen with a valid descriptor and time; never lose a timer.
    throw std::system_error(errno, std::generic_category(), "timerfd_settime");
  }
  armed_at_ = at;
}

void MapLoop::RunTimer() {
  if (timer_ && timer_->at <= Clock::now()) {
    std::function<void()> f = std::move(timer_->f);
    timer_.reset();
    f();
  }
  // Still pending (it was set later than the expiry that woke us, or f
  // set a new one): the timerfd must wake us for it.
  if (timer_ && !armed_at_) Arm(timer_->at);
}

void MapLoop::Turn(Session& s) {
  try {
    Serve(s);
  } catch (const std::exception& e) {
    // One session ends, not the worker.
    LogError("{}: session ended by an internal error: {}", s.scope->connection().name(), e.what());
    s.scope->failed();
    End(s);
  }
}

bool MapLoop::Flush(Session& s) {
  while (s.written < s.out.size()) {
    ssize_t n =
        send(s.fd, s.out.data() + s.written, s.out.size() - s.written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n < 0) return false;
    s.written += static_cast<std::size_t>(n);
  }
  s.out.clear();
  s.written = 0;
  s.scope->connection().Touch(Clock::now());
  return true;
}

void MapLoop::Serve(Session& s) {
  // Reclaimed by the server, which counted it gone: it ends without
  // answering what it received, and without writing what is left.
  if (s.scope->connection().reclaimed()) return End(s);
  for (int reads = 0;;) {
    // One batch of replies is written before anything more is read.
    if (!Flush(s)) {
      s.scope->failed();
      return End(s);
    }
    if (!s.out.empty()) return;  // the next EPOLLOUT edge resumes
    if (s.close_after_write) {
      s.scope->failed();
      shutdown(s.fd, SHUT_RDWR);
      return End(s);
    }
    Responder::Step step = s.responder->Feed(s.pending, s.out);
    s.pending.erase(0, step.consumed);
    s.close_after_write = step.close;
    if (step.consumed > 0 || step.close) continue;
    // Needs more input.
    if (draining_) return End(s);
    // Give back the memory a hostile client made us hold.
    if (s.pending.capacity() > 4096 && s.pending.size() < 1024) s.pending.shrink_to_fit();
    if (s.drained) return;  // the next EPOLLIN edge resumes
    if (++reads > kReadsPerTurn) {
      // A client that keeps sending must not starve the others.
      if (!s.queued) ready_.push_back(&s);
      s.queued = true;
      return;
    }
    std::array<char, kReadBuffer> buf;
    ssize_t n = recv(s.fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      s.drained = true;
      return;
    }
    // EOF or reset; a half-closed socket got the replies to what it sent.
    if (n < 0) s.scope->failed();
    if (n <= 0 || s.scope->connection().reclaimed()) return End(s);
    // A short read emptied the socket, and data that comes later brings
    // a new edge. Once the client closed its side, read on to the end.
    s.drained = static_cast<std::size_t>(n) < buf.size() && !s.peer_closed;
    s.pending.append(buf.data(), static_cast<std::size_t>(n));
  }
}

void MapLoop::End(Session& s) {
  if (s.queued) std::erase(ready_, &s);
  close(s.fd);            // also leaves epoll_fd_
  sessions_.erase(s.it);  // its scope does the bookkeeping
}

void MapLoop::RunPosted() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(posted_mutex_);
    work.swap(posted_);
  }
  for (std::function<void()>& f : work) f();
}

int MapLoop::Wait() {
  std::array<epoll_event, 64> events;
  // Sessions with input left are served at once; otherwise block until
  // an event: the timer is the timerfd's, so no timeout is needed.
  int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                     ready_.empty() ? -1 : 0);
  if (n < 0) return errno == EINTR ? 0 : -1;
  bool posted = false;
  for (int i = 0; i < n; ++i) {
    if (events[i].data.ptr == nullptr) {
      posted = true;
      continue;
    }
    if (events[i].data.ptr == &timer_fd_) {
      armed_at_.reset();  // it expired: RunTimer runs what is due and re-arms
      continue;
    }
    // A turn ends only its own session, and each socket comes once per
    // wait, so every session named here is still open.
    Session& s = *static_cast<Session*>(events[i].data.ptr);
    std::uint32_t e = events[i].events;
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s.drained = false;
    if (e & (EPOLLRDHUP | EPOLLHUP)) s.peer_closed = true;
    Turn(s);
  }
  // After the sessions' events: posted work may end sessions (a new
  // session's failure, a drain), which must not be among those events.
  if (posted) {
    std::uint64_t count;
    [[maybe_unused]] ssize_t r = read(wake_fd_, &count, sizeof count);
    RunPosted();
  }
  return n;
}

void MapLoop::Run() {
  for (;;) {
    if (stopped_) return;
    if (draining_ && sessions_.empty()) return;
    if (Wait() < 0) {
      LogError("worker thread: epoll_wait: {}", std::strerror(errno));
      return;
    }
    // Sessions that still had input when their turn ended.
    std::vector<Session*> turn;
    turn.swap(ready_);
    for (Session* s : turn) s->queued = false;
    for (Session* s : turn) Turn(*s);
    RunTimer();
    after_round_();
  }
}

}  // namespace rcptdb
