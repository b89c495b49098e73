// SPDX-License-Identifier: MIT
// server_pgsql_test - rcptdb-server's Worker on PostgreSQL: the same
// lookups as on SQLite with no engine branch above the Store, commits seen
// on a later lookup, and a dead or restarted server answered as a
// temporary failure, never "not found", and one round trip for a lookup
// past the visibility bound (counted by a relay in front of PostgreSQL)
//
// Runs against RCPTDB_TEST_PGSQL_URI (pg_fixture.h); skips without it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "fixture.h"
#include "listen_socket.h"
#include "pg_fixture.h"
#include "worker.h"

namespace rcptdb {
namespace {

class PgWorkerTest : public test::PgTest {
 protected:
  void SetUp() override {
    test::PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    test::CreateFilled(uri_);
  }
  MapAnswer::Kind Kind(Worker& w, MapId map, const char* key) {
    return w.Lookup(LookupProtocol::kSocketmap, map, key, "test").kind;
  }
  ServerState state_{1};
};

TEST_F(PgWorkerTest, AnswersEachMapAsOnSqlite) {
  Worker worker(state_, 0, uri_, 1000);
  MapAnswer a = worker.Lookup(LookupProtocol::kSocketmap, MapId::kRecipients,
                              "Alice+Tag@Example.COM", "test");
  EXPECT_EQ(a.kind, MapAnswer::Kind::kFound) << a.why;
  EXPECT_EQ(a.value, "mailbox");
  a = worker.Lookup(LookupProtocol::kSocketmap, MapId::kTransport, "dave@example.com", "test");
  EXPECT_EQ(a.value, "lmtp:inet:127.0.0.2:24");
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "nobody@example.com"), MapAnswer::Kind::kNotFound);
  EXPECT_EQ(Kind(worker, MapId::kDomains, "example.net"), MapAnswer::Kind::kFound);
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "listed@relay.example"), MapAnswer::Kind::kFound);
}

TEST_F(PgWorkerTest, SeesACommitOnALaterLookup) {
  Worker worker(state_, 0, uri_, 1000);
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "new@example.com"), MapAnswer::Kind::kNotFound);
  ASSERT_EQ(test::PgRawSql(uri_, "INSERT INTO mailboxes (address) VALUES ('new@example.com')"), "");
  // Past the visibility bound every lookup sees the commit.
  std::this_thread::sleep_for(kVisibilityBound + std::chrono::milliseconds(50));
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "new@example.com"), MapAnswer::Kind::kFound);
}

// A busy worker renews the snapshot it holds (COMMIT, BEGIN and the probe
// in one round trip) rather than ending it first: an add, a disable and a
// delete are each seen once the bound has passed, well inside the
// LiveStore's 50 ms check interval, so through that renewal.
TEST_F(PgWorkerTest, RenewedSnapshotSeesAddDisableAndDelete) {
  Worker worker(state_, 0, uri_, 1000);
  auto after_bound = [] {
    std::this_thread::sleep_for(kVisibilityBound + std::chrono::milliseconds(2));
  };
  ASSERT_EQ(Kind(worker, MapId::kRecipients, "alice@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(Kind(worker, MapId::kRecipients, "late@example.com"), MapAnswer::Kind::kNotFound);
  ASSERT_EQ(test::PgRawSql(uri_, "INSERT INTO mailboxes (address) VALUES ('late@example.com')"),
            "");
  after_bound();
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "late@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(
      test::PgRawSql(uri_, "UPDATE mailboxes SET active = 0 WHERE address = 'late@example.com'"),
      "");
  after_bound();
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "late@example.com"), MapAnswer::Kind::kNotFound);
  EXPECT_EQ(Kind(worker, MapId::kAccess, "late@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(test::PgRawSql(uri_, "DELETE FROM mailboxes WHERE address = 'late@example.com'"), "");
  after_bound();
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "late@example.com"), MapAnswer::Kind::kNotFound);
  // A domain row and a setting, which the memo keeps while nothing changes.
  ASSERT_EQ(test::PgRawSql(uri_, "UPDATE domains SET active = 0 WHERE name = 'example.com'"), "");
  after_bound();
  EXPECT_NE(Kind(worker, MapId::kRecipients, "alice@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(test::PgRawSql(uri_, "UPDATE domains SET active = 1 WHERE name = 'example.com'"), "");
  after_bound();
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "alice+tag@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(test::PgRawSql(uri_, "UPDATE settings SET value = '-' WHERE name = 'delimiter'"), "");
  after_bound();
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "alice+tag@example.com"), MapAnswer::Kind::kNotFound);
}

// Lookups further apart than the visibility bound but inside the 100 ms
// idle hold renew the snapshot the worker keeps; once they stop, the
// renewed snapshot is released too when it comes of age, so no
// transaction stays open on an idle server (it would hold back VACUUM).
TEST_F(PgWorkerTest, ReleasesARenewedSnapshotOnceIdle) {
  Worker worker(state_, 0, uri_, 1000);
  std::thread loop([&worker] { worker.Run(); });
  auto lookup = [&worker, this](const char* key) {
    std::promise<MapAnswer::Kind> done;
    worker.Post([&] { done.set_value(Kind(worker, MapId::kRecipients, key)); });
    return done.get_future().get();
  };
  const std::string open_reads =
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rcptdb' "
      "AND state = 'idle in transaction'";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(lookup("alice@example.com"), MapAnswer::Kind::kFound);
    std::this_thread::sleep_for(kVisibilityBound + std::chrono::milliseconds(5));
  }
  EXPECT_EQ(test::PgRawValue(uri_, open_reads), "1") << "a snapshot kept between lookups";
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(test::PgRawValue(uri_, open_reads), "0");
  worker.Stop();
  loop.join();
}

// Relays one client at a time between a loopback port and PostgreSQL's,
// counting round trips: each time the client sends after PostgreSQL last
// answered it.
class RoundTripRelay {
 public:
  explicit RoundTripRelay(int pg_port) : pg_port_(pg_port) {
    // Port 0: the kernel picks a free one, read back with getsockname.
    ListenAddress any;
    any.host = "127.0.0.1";
    Result<int> fd = OpenListenSocket(any, {}, 4);
    if (fd.ok()) {
      listen_fd_ = *fd;
      sockaddr_in a{};
      socklen_t len = sizeof a;
      if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0)
        port_ = ntohs(a.sin_port);
    }
    thread_ = std::thread([this] { Run(); });
  }
  ~RoundTripRelay() {
    stop_ = true;
    thread_.join();
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }
  int port() const { return port_; }
  int trips() const { return trips_.load(); }

 private:
  // Polls fds until one is ready, 20 ms at a time; false once stopping.
  bool Readable(pollfd* fds, int n) {
    while (!stop_) {
      int r = ::poll(fds, n, 20);
      if (r > 0) return true;
    }
    return false;
  }
  void Run() {
    while (!stop_) {
      pollfd l{listen_fd_, POLLIN, 0};
      if (!Readable(&l, 1)) return;
      int client = ::accept(listen_fd_, nullptr, nullptr);
      int server = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<std::uint16_t>(pg_port_));
      if (client >= 0 && ::connect(server, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0)
        Pass(client, server);
      if (client >= 0) ::close(client);
      ::close(server);
    }
  }
  // Copies both ways until either side closes.
  void Pass(int client, int server) {
    bool answered = true;
    char buf[65536];
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    while (Readable(fds, 2)) {
      for (int i = 0; i < 2; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) return;
        if (i == 0 && answered) ++trips_;
        answered = i == 1;
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(fds[1 - i].fd, buf + off, static_cast<std::size_t>(n - off));
          if (w <= 0) return;
          off += w;
        }
      }
    }
  }

  int pg_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> trips_{0};
  std::thread thread_;
};

// Past the visibility bound a lookup that must read the database costs one
// round trip: the worker names the address before it polls, and the
// renewal reads it with the snapshot (Store::ExpectLookup). Without that,
// each would cost two. The LiveStore's check, once per 50 ms, may add two
// (the snapshot's COMMIT and the schema check).
TEST_F(PgWorkerTest, ALookupPastTheBoundIsOneRoundTrip) {
  int pg_port = std::atoi(test::PgRawValue(uri_, "SELECT current_setting('port')").c_str());
  ASSERT_GT(pg_port, 0);
  RoundTripRelay relay(pg_port);
  ASSERT_GT(relay.port(), 0);
  Worker worker(
      state_, 0,
      "postgresql://rcptdb@127.0.0.1:" + std::to_string(relay.port()) + "/rcptdb?sslmode=disable",
      1000);
  // Connects and reads the domain row, which the snapshot memo keeps.
  ASSERT_EQ(Kind(worker, MapId::kRecipients, "alice@example.com"), MapAnswer::Kind::kFound);
  const int lookups = 20;
  int before = relay.trips();
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < lookups; ++i) {
    std::this_thread::sleep_for(kVisibilityBound + std::chrono::milliseconds(1));
    // A new key each time: no answer kept, so each reads its rows.
    std::string key = "nobody" + std::to_string(i) + "@example.com";
    ASSERT_EQ(Kind(worker, MapId::kRecipients, key.c_str()), MapAnswer::Kind::kNotFound);
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  // Every interval begun during the lookups, and the one they began in.
  int checks = static_cast<int>(elapsed / std::chrono::milliseconds(50)) + 2;
  int trips = relay.trips() - before;
  EXPECT_GE(trips, lookups);
  EXPECT_LE(trips, lookups + 2 * checks) << "in " << checks << " check intervals";
}

TEST_F(PgWorkerTest, UnreachableServerIsTemporaryNeverNotFound) {
  Worker worker(state_, 0, "postgresql://rcptdb:pw@127.0.0.1:1/rcptdb", 300);
  MapAnswer a =
      worker.Lookup(LookupProtocol::kSocketmap, MapId::kRecipients, "alice@example.com", "test");
  EXPECT_EQ(a.kind, MapAnswer::Kind::kTemporary);
  EXPECT_EQ(a.cause, Status::Cause::kUnreachable) << a.value;
  EXPECT_EQ(a.value.find(":pw@"), std::string::npos) << a.value;
}

TEST_F(PgWorkerTest, KilledConnectionIsTemporaryThenReconnects) {
  Worker worker(state_, 0, uri_, 1000);
  ASSERT_EQ(Kind(worker, MapId::kRecipients, "alice@example.com"), MapAnswer::Kind::kFound);
  ASSERT_EQ(test::PgRawSql(uri_,
                           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE application_name = 'rcptdb' AND pid <> pg_backend_pid()"),
            "");
  std::this_thread::sleep_for(kVisibilityBound + std::chrono::milliseconds(50));
  MapAnswer a =
      worker.Lookup(LookupProtocol::kSocketmap, MapId::kRecipients, "alice@example.com", "test");
  EXPECT_NE(a.kind, MapAnswer::Kind::kNotFound);
  if (a.kind == MapAnswer::Kind::kTemporary) {
    EXPECT_EQ(a.cause, Status::Cause::kUnreachable) << a.value;
  }
  EXPECT_EQ(Kind(worker, MapId::kRecipients, "alice@example.com"), MapAnswer::Kind::kFound);
}

}  // namespace
}  // namespace rcptdb
