// SPDX-License-Identifier: MIT
// rcpt_check_test - the LMTP plugin's decisions, without Dovecot
//
// RcptCheck on the reference database (tests/unit/fixture.h): the reply
// for every kind of recipient, deferral on database trouble and recovery
// afterwards, the delimiter comparison, and the reply text Dovecot gets.
#include "rcpt_check.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>

#include "fixture.h"
#include "resolver_cases.h"

namespace rcptdb::test {
namespace {

using Kind = RcptReply::Kind;

class RcptCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { CreateFilled(db_.path()); }
  TempDatabase db_;
};

TEST_F(RcptCheckTest, RepliesForEachKindOfRecipient) {
  RcptCheck check(db_.path());
  ASSERT_TRUE(check.Open().ok());
  struct Row {
    const char* path;
    Kind kind;
    const char* enhanced;
    const char* rewrite;
  } rows[] = {
      {"alice@example.com", Kind::kAccept, "2.1.5", ""},
      {"ALICE@example.com", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"alice+news@example.com", Kind::kAccept, "2.1.5", ""},
      {"alice@example.net", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"alice+x@example.net", Kind::kAccept, "2.1.5", "alice+x@example.com"},
      {"info@example.com", Kind::kAccept, "2.1.5", "alice@example.com"},
      {"random@example.org", Kind::kAccept, "2.1.5", "catchall@example.org"},
      {"nobody@example.com", Kind::kReject, "5.1.1", ""},
      {"alice", Kind::kReject, "5.1.1", ""},
      {"alice@nowhere.test", Kind::kReject, "5.1.2", ""},
      {"carol@example.com", Kind::kReject, "5.2.1", ""},
      {"old@example.com", Kind::kReject, "5.2.1", ""},
      {"sales@example.com", Kind::kReject, "5.3.0", ""},
      {"ext@example.com", Kind::kReject, "5.3.0", ""},
      {"listed@relay.example", Kind::kReject, "5.1.2", ""},
  };
  for (const Row& row : rows) {
    RcptCheck::Outcome out = check.Check(row.path, "+");
    EXPECT_EQ(out.reply.kind, row.kind) << row.path;
    EXPECT_EQ(out.reply.enhanced, row.enhanced) << row.path;
    EXPECT_EQ(out.reply.rewrite, row.rewrite) << row.path;
    // Every refusal says why in the log.
    EXPECT_EQ(out.cause.empty(), row.kind == Kind::kAccept) << row.path << ": " << out.cause;
  }
}

// Dovecot strips only '-': a '+' detail must not reach its userdb.
TEST_F(RcptCheckTest, KeepsDetailOnlyWhereDovecotStripsIt) {
  RcptCheck check(db_.path());
  EXPECT_EQ(check.Check("alice+news@example.com", "-").reply.rewrite, "alice@example.com");
  EXPECT_EQ(check.Check("alice+news@example.com", "+").reply.rewrite, "");
}

// Every row of the resolver table gets a reply, and no row is deferred.
TEST_F(RcptCheckTest, EveryResolverCaseHasAVerdict) {
  RcptCheck check(db_.path());
  for (const ResolverCase& c : kResolverCases) {
    RcptCheck::Outcome out = check.Check(c.input, "+");
    EXPECT_NE(out.reply.kind, Kind::kDefer) << "[" << c.input << "] " << out.cause;
    bool accepted = out.reply.kind == Kind::kAccept;
    bool one_mailbox =
        c.verdict == Verdict::kMailbox ||
        (c.verdict == Verdict::kAlias && c.delivered.find(',') == std::string::npos &&
         c.delivered.find("@elsewhere.test") == std::string::npos);
    EXPECT_EQ(accepted, one_mailbox) << "[" << c.input << "]";
  }
}

TEST_F(RcptCheckTest, MissingDatabaseDefersThenRecovers) {
  std::string moved = db_.path() + ".away";
  std::filesystem::rename(db_.path(), moved);
  RcptCheck check(db_.path());
  EXPECT_FALSE(check.Open().ok());
  RcptCheck::Outcome out = check.Check("nobody@example.com", "+");
  EXPECT_EQ(out.reply.kind, Kind::kDefer);
  EXPECT_EQ(out.reply.code, 451);
  EXPECT_EQ(out.reply.enhanced, "4.3.0");
  EXPECT_NE(out.cause.find(db_.path()), std::string::npos) << out.cause;
  std::filesystem::rename(moved, db_.path());
  EXPECT_EQ(check.Check("nobody@example.com", "+").reply.enhanced, "5.1.1");
}

TEST_F(RcptCheckTest, ReasonsForTheEventAndNoVersionOnSqlite) {
  RcptCheck check(db_.path());
  EXPECT_EQ(check.Check("alice@example.com", "+").reason, "mailbox");
  EXPECT_EQ(check.Check("info@example.com", "+").reason, "alias");
  EXPECT_EQ(check.Check("nobody@example.com", "+").reason, "unknown-recipient");
  EXPECT_EQ(check.Check("carol@example.com", "+").reason, "disabled");
  // SQLite's change counter is each connection's: never reported.
  EXPECT_EQ(check.Check("alice@example.com", "+").data_version, std::nullopt);
  std::filesystem::rename(db_.path(), db_.path() + ".away");
  RcptCheck gone(db_.path());
  EXPECT_EQ(gone.Check("alice@example.com", "+").reason, "database missing");
  std::filesystem::rename(db_.path() + ".away", db_.path());
}

TEST_F(RcptCheckTest, LockedDatabaseDefersThenRecovers) {
  // Rollback-journal mode: a writer's exclusive lock keeps readers out
  // (in WAL mode nothing does while other connections are open).
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  RcptCheck check(db_.path(), 50);
  EXPECT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kAccept);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  RcptCheck::Outcome out = check.Check("alice@example.com", "+");
  EXPECT_EQ(out.reply.kind, Kind::kDefer);
  EXPECT_NE(out.cause.find("locked"), std::string::npos) << out.cause;
  ASSERT_EQ(sqlite3_exec(writer, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(writer);
  EXPECT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kAccept);
}

TEST_F(RcptCheckTest, NotADatabaseDefers) {
  std::filesystem::remove(db_.path());
  std::FILE* f = std::fopen(db_.path().c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not sqlite\n", f);
  std::fclose(f);
  RcptCheck check(db_.path());
  EXPECT_EQ(check.Check("alice@example.com", "+").reply.kind, Kind::kDefer);
}

TEST_F(RcptCheckTest, DelimiterMismatch) {
  RcptCheck check(db_.path());
  Result<std::optional<std::string>> same = check.DelimiterMismatch("+");
  ASSERT_TRUE(same.ok());
  EXPECT_FALSE(*same);
  Result<std::optional<std::string>> other = check.DelimiterMismatch("-");
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(*other);
  EXPECT_EQ(**other, "+");
  // Order and repeats do not matter: these are sets of characters.
  {
    Result<std::unique_ptr<Store>> rw = Store::Open(db_.path(), Store::Mode::kReadWrite);
    ASSERT_TRUE(rw.ok());
    Must((*rw)->SetSetting("delimiter", "+-"));
  }
  Result<std::optional<std::string>> reordered = check.DelimiterMismatch("-+-");
  ASSERT_TRUE(reordered.ok());
  EXPECT_FALSE(*reordered);
  RcptCheck missing(db_.path() + ".missing");
  EXPECT_FALSE(missing.DelimiterMismatch("+").ok());
}

TEST(ReplyTextWithoutPath, DropsTheLeadingPathOnly) {
  RcptReply reply;
  reply.text = "<a@b.example>: Recipient address rejected: User unknown";
  EXPECT_EQ(ReplyTextWithoutPath(reply, "a@b.example"), "Recipient address rejected: User unknown");
  EXPECT_EQ(ReplyTextWithoutPath(reply, "other@b.example"), reply.text);
  reply.text = "OK";
  EXPECT_EQ(ReplyTextWithoutPath(reply, "a@b.example"), "OK");
}

}  // namespace
}  // namespace rcptdb::test
