// SPDX-License-Identifier: MIT
// map_loop_test.cc - the map workers' epoll loop over real sockets
// (socketpairs), with a line-echo Responder: batches larger than one
// read, posted work, the timer, a reclaim and a drain.
#include "map_loop.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "server_state.h"

namespace rcptdb {
namespace {

using namespace std::chrono_literals;

// Answers each complete line "x" with "ok x", all at once as the map
// responders do; the line "quit" closes.
class EchoResponder : public Responder {
 public:
  Step Feed(std::string_view input, std::string& out) override {
    Step step;
    for (;;) {
      std::size_t end = input.find('\n', step.consumed);
      if (end == std::string_view::npos) return step;
      std::string_view line = input.substr(step.consumed, end - step.consumed);
      step.consumed = end + 1;
      if (line == "quit") {
        step.close = true;
        return step;
      }
      out.append("ok ").append(line).append("\n");
    }
  }
};

class MapLoopTest : public ::testing::Test {
 protected:
  void TearDown() override {
    loop_.Stop();
    if (thread_.joinable()) thread_.join();
    for (int fd : clients_) close(fd);
  }

  void Start() {
    thread_ = std::thread([this] {
      loop_.Run();
      returned_ = true;
    });
  }

  // Opens a session on the loop; returns the client's end.
  int Connect() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    std::shared_ptr<Connection> c = state_.connection_table().Add(
        "peer", "test peer", Connection::Protocol::kSocketmap, 0, std::chrono::steady_clock::now());
    state_.connections.fetch_add(1);
    auto scope = std::make_shared<std::unique_ptr<SessionScope>>(
        std::make_unique<SessionScope>(state_, c, loop_.draining()));
    int server_fd = fds[1];
    loop_.Post([this, server_fd, scope] {
      loop_.Add(server_fd, std::make_unique<EchoResponder>(), std::move(*scope));
    });
    clients_.push_back(fds[0]);
    return fds[0];
  }

  // Reads from fd until want bytes came, EOF or 5 s.
  static std::string Read(int fd, std::size_t want) {
    std::string got;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (got.size() < want && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
  }

  // True once the peer closed fd (within 5 s).
  static bool Closed(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    char c;
    return read(fd, &c, 1) == 0;
  }

  // Waits until the loop's thread has run everything posted so far.
  void Sync() {
    std::promise<void> done;
    loop_.Post([&done] { done.set_value(); });
    ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  }

  ServerState state_{1, 1};
  MapLoop loop_{[this] { ++rounds_; }};
  std::thread thread_;
  std::atomic<bool> returned_{false};
  std::atomic<int> rounds_{0};
  std::vector<int> clients_;
};

TEST_F(MapLoopTest, AnswersABatchLargerThanOneRead) {
  Start();
  int fd = Connect();
  std::string batch, expected;
  for (int i = 0; i < 300; ++i) {
    std::string key = "user" + std::to_string(i) + "@example.com";
    batch += key + "\n";
    expected += "ok " + key + "\n";
  }
  ASSERT_GT(batch.size(), 4096u);
  ASSERT_EQ(write(fd, batch.data(), batch.size()), static_cast<ssize_t>(batch.size()));
  // Every reply is written before the client reads any: the session read
  // on past the first 512 bytes without a new edge (reading the replies
  // would give it one, EPOLLOUT, and hide a session that stopped early).
  int queued = 0;
  for (int i = 0; i < 200 && queued < static_cast<int>(expected.size()); ++i) {
    std::this_thread::sleep_for(10ms);
    ASSERT_EQ(ioctl(fd, FIONREAD, &queued), 0);
  }
  EXPECT_EQ(queued, static_cast<int>(expected.size()));
  EXPECT_EQ(Read(fd, expected.size()), expected);
  // A request split across writes is answered once complete.
  ASSERT_EQ(write(fd, "spl", 3), 3);
  std::this_thread::sleep_for(20ms);
  ASSERT_EQ(write(fd, "it\n", 3), 3);
  EXPECT_EQ(Read(fd, 9), "ok split\n");
  EXPECT_GT(rounds_.load(), 0) << "after_round never ran";
}

TEST_F(MapLoopTest, TheClientClosingEndsTheSessionAndItsBookkeeping) {
  Start();
  int fd = Connect();
  ASSERT_EQ(write(fd, "a\n", 2), 2);
  EXPECT_EQ(Read(fd, 5), "ok a\n");
  EXPECT_EQ(state_.connection_table().size(), 1u);
  shutdown(fd, SHUT_WR);
  EXPECT_TRUE(Closed(fd));
  Sync();
  EXPECT_EQ(state_.connection_table().size(), 0u);
  EXPECT_EQ(state_.connections.load(), 0u);
}

TEST_F(MapLoopTest, AResponderCloseWritesTheRepliesFirst) {
  Start();
  int fd = Connect();
  const std::string in = "a\nquit\nb\n";
  ASSERT_EQ(write(fd, in.data(), in.size()), static_cast<ssize_t>(in.size()));
  EXPECT_EQ(Read(fd, 100), "ok a\n");  // then EOF: "b" is never answered
}

TEST_F(MapLoopTest, PostedWorkRunsOnTheLoopThreadInOrder) {
  Start();
  std::vector<int> order;
  std::promise<std::thread::id> where;
  for (int i = 0; i < 100; ++i) loop_.Post([&order, i] { order.push_back(i); });
  loop_.Post([&where] { where.set_value(std::this_thread::get_id()); });
  std::future<std::thread::id> f = where.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(f.get(), thread_.get_id());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<std::size_t>(i)], i);
}

TEST_F(MapLoopTest, TheTimerFiresOnceAndNotBeforeItsTime) {
  Start();
  std::promise<std::chrono::steady_clock::time_point> fired;
  std::atomic<int> count{0};
  auto at = std::chrono::steady_clock::now() + 3ms;
  loop_.Post([&] {
    loop_.SetTimer(at, [&] {
      if (count++ == 0) fired.set_value(std::chrono::steady_clock::now());
    });
  });
  std::future<std::chrono::steady_clock::time_point> f = fired.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_GE(f.get(), at);
  std::this_thread::sleep_for(20ms);
  Sync();
  EXPECT_EQ(count.load(), 1);
  // A cancelled timer never fires.
  std::atomic<bool> ran{false};
  loop_.Post([&] {
    loop_.SetTimer(std::chrono::steady_clock::now() + 2ms, [&] { ran = true; });
    loop_.CancelTimer();
  });
  std::this_thread::sleep_for(20ms);
  Sync();
  EXPECT_FALSE(ran.load());
}

// The timerfd is armed lazily (map_loop.h): a deadline moved later is
// kept armed at the earlier one, whose expiry must re-arm for the later
// one rather than run the timer early or lose it; one moved earlier must
// re-arm at once. What the callbacks touch is shared with them, so that a
// failed wait ends the test with a failure, not with a timer that fires
// into the test's freed frame once the loop stops.
TEST_F(MapLoopTest, AMovedTimerFiresAtItsNewTimeOnly) {
  Start();
  using Clock = std::chrono::steady_clock;
  struct Shared {
    std::promise<Clock::time_point> later_fired, sooner_fired;
    std::atomic<int> count{0};
    Clock::time_point later, sooner;
  };
  auto sh = std::make_shared<Shared>();
  loop_.Post([this, sh] {
    loop_.SetTimer(Clock::now() + 2ms, [sh] { sh->count += 100; });  // replaced below
    sh->later = Clock::now() + 30ms;
    loop_.SetTimer(sh->later, [sh] {
      if (sh->count++ == 0) sh->later_fired.set_value(Clock::now());
    });
  });
  std::future<Clock::time_point> f = sh->later_fired.get_future();
  ASSERT_EQ(f.wait_for(5s), std::future_status::ready);
  EXPECT_GE(f.get(), sh->later);
  Sync();
  EXPECT_EQ(sh->count.load(), 1);

  loop_.Post([this, sh] {
    loop_.SetTimer(Clock::now() + 10s, [sh] { sh->count += 100; });
    sh->sooner = Clock::now() + 3ms;
    loop_.SetTimer(sh->sooner, [sh] { sh->sooner_fired.set_value(Clock::now()); });
  });
  std::future<Clock::time_point> g = sh->sooner_fired.get_future();
  // Long before the 10 s deadline that was armed first.
  ASSERT_EQ(g.wait_for(2s), std::future_status::ready);
  EXPECT_GE(g.get(), sh->sooner);
}

// A timer that sets the next one from its own callback (the worker's
// periodic check of a kept snapshot) keeps firing.
TEST_F(MapLoopTest, ATimerSetFromItsOwnCallbackFiresToo) {
  Start();
  struct Shared {
    std::promise<void> done;
    int fired = 0;  // loop thread only, until done
  };
  auto sh = std::make_shared<Shared>();
  // Each tick sets the next; the chain ends at the third.
  auto tick = std::make_shared<std::function<void()>>();
  *tick = [this, sh, weak = std::weak_ptr<std::function<void()>>(tick)] {
    if (++sh->fired == 3) return sh->done.set_value();
    if (auto next = weak.lock()) loop_.SetTimer(std::chrono::steady_clock::now() + 2ms, *next);
  };
  loop_.Post([this, tick] { loop_.SetTimer(std::chrono::steady_clock::now() + 2ms, *tick); });
  ASSERT_EQ(sh->done.get_future().wait_for(5s), std::future_status::ready);
  Sync();
  EXPECT_EQ(sh->fired, 3);
}

TEST_F(MapLoopTest, AReclaimedSessionEndsWithoutAnsweringAgain) {
  Start();
  int fd = Connect();
  ASSERT_EQ(write(fd, "a\n", 2), 2);
  EXPECT_EQ(Read(fd, 5), "ok a\n");
  std::shared_ptr<Connection> c = state_.connection_table().PickVictim();
  ASSERT_TRUE(c);
  // What the server's Reclaim posts.
  loop_.Post([c] {
    if (c->on_reclaim) c->on_reclaim();
  });
  EXPECT_TRUE(Closed(fd));
  Sync();
  EXPECT_EQ(state_.connection_table().size(), 0u);
  // PickVictim's reason (no peer: the server's max_connections).
  EXPECT_EQ(state_.listener_stats(0).closed(CloseReason::kLimit), 1u);
}

TEST_F(MapLoopTest, ADrainEndsIdleSessionsAndRunReturns) {
  Start();
  int a = Connect();
  int b = Connect();
  ASSERT_EQ(write(a, "x\n", 2), 2);
  EXPECT_EQ(Read(a, 5), "ok x\n");
  loop_.Post([this] { loop_.Drain(); });
  EXPECT_TRUE(Closed(a));
  EXPECT_TRUE(Closed(b));
  thread_.join();
  EXPECT_TRUE(returned_.load());
  EXPECT_EQ(state_.connection_table().size(), 0u);
  EXPECT_EQ(state_.listener_stats(0).closed(CloseReason::kShutdown), 2u);
}

TEST_F(MapLoopTest, AClientThatNeverReadsStopsBeingReadFrom) {
  Start();
  int fd = Connect();
  int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  // Far more replies than the socket buffers hold; the client reads none.
  std::string line(200, 'k');
  line += "\n";
  std::size_t sent = 0;
  for (int i = 0; i < 20000; ++i) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 200) <= 0) break;  // the server stopped reading
    ssize_t n = send(fd, line.data(), line.size(), MSG_DONTWAIT);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  EXPECT_LT(sent, 20000 * line.size()) << "the server read everything a non-reading client sent";
  // Once the client reads, every request sent is answered, in order.
  std::size_t lines = sent / line.size();
  std::string got = Read(fd, lines * (line.size() + 3));
  EXPECT_EQ(got.size(), lines * (line.size() + 3));
}

}  // namespace
}  // namespace rcptdb
