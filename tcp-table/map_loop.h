// SPDX-License-Identifier: MIT
// map_loop.h - a map worker's event loop: its own epoll, no Asio
//
// A MapLoop serves the map sessions (tcp_table, socketmap) of one worker
// thread. Each session's socket is registered once, edge-triggered, and
// read until a read comes back short (Postfix sends a request and waits
// for its reply, so a short read means the socket is empty): a lookup at
// Postfix's pace costs epoll_wait, one read and one write. Asio's reactor
// costs one more system call per wait (a speculative read that fails, or
// an EPOLL_CTL_MOD), and keeps its epoll descriptor private, so the map
// workers do without it (doc/DESIGN.md, "What a SQLite lookup costs").
//
// A session answers every complete request already received, writes the
// replies, and reads more only once they are all written: a client that
// never reads stops being served once its socket buffer is full and costs
// no more memory than one batch of replies (kFlushBytes). One session
// reads at most kReadsPerTurn times before the others get their turn.
//
// Besides the sessions the loop runs:
//   - work posted from any thread (Post): a mutex-guarded queue behind an
//     eventfd, written only when the queue was empty;
//   - one timer (SetTimer) on a timerfd in the same epoll set, armed
//     lazily: only when the deadline moves earlier than the armed one
//     (one timerfd_settime); a later deadline is re-armed once the earlier
//     expiry wakes the loop. The loop otherwise waits without a timeout:
//     a wait with a timeout arms and cancels a kernel hrtimer every time,
//     which on this project's virtual machines cost 6-8 us per wait
//     (doc/DESIGN.md, "What a SQLite lookup costs");
//   - after_round, after every round of events and posted work: the
//     worker ends its batch of lookups there (worker.h).
//
// Drain() ends the sessions waiting for a request at once; a session
// writing replies finishes them first. Run() returns once draining and no
// session is left, or at once after Stop().
//
// Thread safety: Post() and Stop() from any thread; all else on the
// loop's thread (the one calling Run), or before Run starts.
#ifndef RCPTDB_MAP_LOOP_H
#define RCPTDB_MAP_LOOP_H

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "connection_table.h"
#include "responder.h"
#include "session.h"

namespace rcptdb {

class MapLoop {
 public:
  using Clock = std::chrono::steady_clock;
  // Reads one session gets before the others have their turn.
  static constexpr int kReadsPerTurn = 16;

  // Throws std::system_error if the kernel refuses an epoll or eventfd
  // descriptor.
  explicit MapLoop(std::function<void()> after_round);
  // Ends the sessions still open.
  ~MapLoop();
  MapLoop(const MapLoop&) = delete;
  MapLoop& operator=(const MapLoop&) = delete;

  // Runs f on the loop's thread, in the order posted. Any thread.
  void Post(std::function<void()> f);
  // Makes Run() return as soon as it sees this. Any thread.
  void Stop();

  // Serves the connected socket fd (owned from now on) with responder
  // until the client closes, an I/O error, a Responder close, a drain or
  // a reclaim; scope does the connection's bookkeeping when it ends.
  void Add(int fd, std::unique_ptr<Responder> responder, std::unique_ptr<SessionScope> scope);
  // See above. Idempotent.
  void Drain();
  const std::atomic<bool>& draining() const { return draining_; }
  // Runs f once at (or just after) at, unless replaced or cancelled first.
  void SetTimer(Clock::time_point at, std::function<void()> f);
  void CancelTimer() { timer_.reset(); }

  // Runs the loop: see above.
  void Run();

 private:
  struct Session;
  // Serve, ending only s if it throws.
  void Turn(Session& s);
  // Answers, writes and reads until the socket would block.
  void Serve(Session& s);
  // Writes what is left of s.out; false on an error.
  bool Flush(Session& s);
  void End(Session& s);
  // Runs what other threads posted.
  void RunPosted();
  // Waits for events (without blocking while sessions are ready) and
  // serves them; -1 on an epoll error.
  int Wait();
  // Sets the timerfd to expire at at, unless it is set to expire sooner.
  void Arm(Clock::time_point at);
  // Runs the timer if due, and re-arms the timerfd for one still pending.
  void RunTimer();

  std::function<void()> after_round_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int timer_fd_ = -1;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopped_{false};
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;  // guarded by posted_mutex_
  struct Timer {
    Clock::time_point at;
    std::function<void()> f;
  };
  std::optional<Timer> timer_;
  // When the timerfd will expire, if it is set (a cancelled or replaced
  // timer may leave it set: it then wakes the loop once for nothing).
  std::optional<Clock::time_point> armed_at_;
  std::list<Session> sessions_;
  std::vector<Session*> ready_;  // input left when their turn ended
};

}  // namespace rcptdb

#endif
