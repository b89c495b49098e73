// SPDX-License-Identifier: MIT
// server_pgsql_test - rcptdb-server's Worker on PostgreSQL: the same
// lookups as on SQLite with no engine branch above the Store, commits seen
// on a later lookup, and a dead or restarted server answered as a
// temporary failure, never "not found"
//
// Runs against RCPTDB_TEST_PGSQL_URI (pg_fixture.h); skips without it.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "fixture.h"
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
