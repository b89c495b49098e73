// SPDX-License-Identifier: MIT
// rcpt_check_pgsql_test - the LMTP plugin's decisions on PostgreSQL
//
// RcptCheck on the reference data in the database RCPTDB_TEST_PGSQL_URI
// names (pg_fixture.h; skips without it): the same replies as on SQLite
// for every kind of recipient and every resolver case, and deferral (never
// a refusal) while the server is unreachable or the connection is lost,
// or a standby it reads lags (RCPTDB_TEST_PGSQL_STANDBY_URI).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fixture.h"
#include "pg_fixture.h"
#include "rcpt_check.h"
#include "resolver_cases.h"

namespace rcptdb::test {
namespace {

using Kind = RcptReply::Kind;

class PgRcptCheckTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    CreateFilled(uri_);
  }
};

TEST_F(PgRcptCheckTest, RepliesForEachKindOfRecipient) {
  RcptCheck check(uri_);
  ASSERT_TRUE(check.Open().ok());
  struct Row {
    const char* path;
    Kind kind;
    const char* enhanced;
    const char* rewrite;
  } rows[] = {
      {"alice@example.com", Kind::kAccept, "2.1.5", ""},
      {"ALICE@example.com", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"alice@example.net", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"info@example.com", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"random@example.org", Kind::kAccept, "2.1.5", "catchall@example.org"},
      {"nobody@example.com", Kind::kReject, "5.1.1", ""},
      {"alice@nowhere.test", Kind::kReject, "5.1.2", ""},
      {"carol@example.com", Kind::kReject, "5.2.1", ""},
      {"sales@example.com", Kind::kReject, "5.3.0", ""},
      {"listed@relay.example", Kind::kReject, "5.1.2", ""},
  };
  for (const Row& row : rows) {
    RcptCheck::Outcome out = check.Check(row.path, "+");
    EXPECT_EQ(out.reply.kind, row.kind) << row.path << ": " << out.cause;
    EXPECT_EQ(out.reply.enhanced, row.enhanced) << row.path;
    EXPECT_EQ(out.reply.rewrite, row.rewrite) << row.path;
  }
}

TEST_F(PgRcptCheckTest, TheEventNamesTheSharedDataVersion) {
  RcptCheck check(uri_);
  RcptCheck::Outcome first = check.Check("alice@example.com", "+");
  ASSERT_TRUE(first.data_version.has_value());
  EXPECT_EQ(first.reason, "mailbox");
  // Every reader sees the same counter: a connection of its own agrees.
  auto other = Store::Open(uri_, Store::Mode::kReadWrite, 2000);
  ASSERT_TRUE(other.ok()) << other.status().message();
  Result<std::uint64_t> now = (*other)->DataVersion();
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(*first.data_version, *now);
  // A write moves it, and the next RCPT reports the new value.
  ASSERT_TRUE((*other)->SetSetting("postmaster", "alice@example.com").ok());
  RcptCheck::Outcome second = check.Check("nobody@example.com", "+");
  ASSERT_TRUE(second.data_version.has_value());
  EXPECT_GT(*second.data_version, *first.data_version);
  EXPECT_EQ(second.reason, "unknown-recipient");
}

TEST_F(PgRcptCheckTest, EveryResolverCaseHasAVerdict) {
  RcptCheck check(uri_);
  for (const ResolverCase& c : kResolverCases) {
    RcptCheck::Outcome out = check.Check(c.input, "+");
    EXPECT_NE(out.reply.kind, Kind::kDefer) << "[" << c.input << "] " << out.cause;
  }
}

TEST_F(PgRcptCheckTest, UnreachableServerDefers) {
  RcptCheck check("postgresql://rcptdb:pw@127.0.0.1:1/rcptdb", 300);
  EXPECT_FALSE(check.Open().ok());
  RcptCheck::Outcome out = check.Check("alice@example.com", "+");
  EXPECT_EQ(out.reply.kind, Kind::kDefer);
  EXPECT_EQ(out.reply.enhanced, "4.3.0");
  EXPECT_EQ(out.cause.find(":pw@"), std::string::npos) << out.cause;
}

TEST_F(PgRcptCheckTest, LostConnectionDefersThenRecovers) {
  RcptCheck check(uri_);
  ASSERT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kAccept);
  ASSERT_EQ(PgRawSql(uri_,
                     "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'rcptdb' AND pid <> pg_backend_pid()"),
            "");
  RcptCheck::Outcome out = check.Check("alice@example.com", "+");
  EXPECT_NE(out.reply.kind, Kind::kReject) << out.cause;
  EXPECT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kAccept);
}

// On a streaming standby (RCPTDB_TEST_PGSQL_STANDBY_URI) whose replay is
// paused after the primary deleted a mailbox: the plugin defers (451
// 4.3.0, "lags") instead of accepting for the deleted mailbox, and
// answers from the new data once the standby has caught up.
TEST_F(PgRcptCheckTest, LaggingStandbyDefers) {
  std::string standby = PgTestStandbyUri();
  if (standby.empty()) GTEST_SKIP() << "RCPTDB_TEST_PGSQL_STANDBY_URI is not set";
  ASSERT_TRUE(PgCatchUp(uri_, standby));
  RcptCheck check(WithLagBound(standby, "300ms"));
  ASSERT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kAccept);
  ASSERT_EQ(PgRawSql(standby, "SELECT pg_wal_replay_pause()"), "");
  ASSERT_EQ(PgRawSql(uri_, "DELETE FROM mailboxes WHERE address = 'alice@example.com'"), "");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  RcptCheck::Outcome stale = check.Check("alice@example.com", "+");
  std::string resumed = PgRawSql(standby, "SELECT pg_wal_replay_resume()");
  EXPECT_EQ(stale.reply.kind, Kind::kDefer) << stale.cause;
  EXPECT_EQ(stale.reply.enhanced, "4.3.0");
  EXPECT_NE(stale.cause.find("standby replay lags"), std::string::npos) << stale.cause;
  ASSERT_EQ(resumed, "");
  ASSERT_TRUE(PgCatchUp(uri_, standby));
  EXPECT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kReject);
}

}  // namespace
}  // namespace rcptdb::test
