// SPDX-License-Identifier: MIT
// map_answers_test - what each Postfix map and the LMTP check answer
//
// The guard against open relay is tested first: the domains map answers
// only for our active domains, and no address map answers "*" or a bare
// domain. Then every row of the resolver table is pushed through every map
// and the LMTP decision to show they agree with the one resolution.
#include "map_answers.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "fixture.h"
#include "rcpt_decision.h"
#include "resolver_cases.h"

namespace rcptdb::test {
namespace {

using Kind = MapAnswer::Kind;

class AnswersTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    db_ = new TempDatabase();
    CreateFilled(db_->path());
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = Store::Open(db_->path(), Store::Mode::kReadOnly);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
  }
  MapAnswer Ask(MapId map, std::string_view key) { return AnswerMap(*store_, map, key); }
  std::string Value(MapId map, std::string_view key) {
    MapAnswer a = Ask(map, key);
    return a.kind == Kind::kFound
               ? a.value
               : "<" + std::string(a.kind == Kind::kNotFound ? "notfound" : "temp") + ">";
  }
  static TempDatabase* db_;
  std::unique_ptr<Store> store_;
};

TempDatabase* AnswersTest::db_ = nullptr;

TEST_F(AnswersTest, DomainsMapAnswersOnlyOurActiveDomains) {
  EXPECT_EQ(Value(MapId::kDomains, "example.com"), "hosted");
  EXPECT_EQ(Value(MapId::kDomains, "EXAMPLE.COM"), "hosted");
  EXPECT_EQ(Value(MapId::kDomains, "example.net"), "alias");
  EXPECT_EQ(Value(MapId::kDomains, "relay.example"), "relay");
  EXPECT_EQ(Value(MapId::kDomains, "bücher.example"), "hosted");
  for (const char* not_ours :
       {"off.example", "broken.example", "nowhere.test", "sub.example.com", ".example.com", "com",
        "*", "", "alice@example.com", "@example.com", "example.com example.org",
        "example.com,example.org", "%", "_", "example.com\nexample.org"}) {
    EXPECT_EQ(Value(MapId::kDomains, not_ours), "<notfound>") << "[" << not_ours << "]";
  }
}

TEST_F(AnswersTest, AddressMapsNeverAnswerWildcardsOrDomains) {
  for (MapId map :
       {MapId::kTransport, MapId::kRecipients, MapId::kAliases, MapId::kSenders, MapId::kAccess}) {
    for (const char* key : {"*", "example.com", "@example.com", ".example.com", "example.org"})
      EXPECT_EQ(Value(map, key), "<notfound>") << MapName(map) << " [" << key << "]";
  }
}

TEST_F(AnswersTest, TransportRoutesOurDomainsOnly) {
  EXPECT_EQ(Value(MapId::kTransport, "alice@example.com"), "lmtp:inet:127.0.0.1:24");
  EXPECT_EQ(Value(MapId::kTransport, "Alice@Example.COM"), "lmtp:inet:127.0.0.1:24");
  EXPECT_EQ(Value(MapId::kTransport, "dave@example.com"), "lmtp:inet:127.0.0.2:24");
  EXPECT_EQ(Value(MapId::kTransport, "dave@example.net"), "lmtp:inet:127.0.0.2:24");
  // Unknown users of our domains still route to Dovecot (address verification).
  EXPECT_EQ(Value(MapId::kTransport, "nobody@example.com"), "lmtp:inet:127.0.0.1:24");
  EXPECT_EQ(Value(MapId::kTransport, "listed@relay.example"), "smtp:[backup.example]");
  EXPECT_EQ(Value(MapId::kTransport, "alice@nowhere.test"), "<notfound>");
  EXPECT_EQ(Value(MapId::kTransport, "x@off.example"), "<notfound>");
  EXPECT_EQ(Value(MapId::kTransport, "user%nowhere.test@example.com"), "<notfound>");
}

TEST_F(AnswersTest, AliasesRewriteOnlyWhenDeliveryDiffers) {
  EXPECT_EQ(Value(MapId::kAliases, "alice@example.com"), "<notfound>");
  EXPECT_EQ(Value(MapId::kAliases, "alice+news@example.com"), "<notfound>");
  EXPECT_EQ(Value(MapId::kAliases, "sales@example.com"), "alice@example.com,bob@example.com");
  EXPECT_EQ(Value(MapId::kAliases, "alice@example.net"), "alice@example.com");
  EXPECT_EQ(Value(MapId::kAliases, "alice+x@example.net"), "alice+x@example.com");
  EXPECT_EQ(Value(MapId::kAliases, "random@example.org"), "catchall@example.org");
  EXPECT_EQ(Value(MapId::kAliases, "ext@example.com"), "someone@elsewhere.test");
  EXPECT_EQ(Value(MapId::kAliases, "user@bücher.example"), "user@xn--bcher-kva.example");
  EXPECT_EQ(Value(MapId::kAliases, "carol@example.com"), "<notfound>");
  EXPECT_EQ(Value(MapId::kAliases, "nobody@example.com"), "<notfound>");
  // An answer, looked up again, is stable: no rewriting loops in Postfix.
  for (const ResolverCase& c : kResolverCases) {
    MapAnswer a = Ask(MapId::kAliases, c.input);
    if (a.kind != Kind::kFound) continue;
    size_t start = 0;
    while (start <= a.value.size()) {
      size_t comma = a.value.find(',', start);
      std::string target =
          a.value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (target.find("elsewhere.test") == std::string::npos) {
        EXPECT_EQ(Value(MapId::kAliases, target), "<notfound>") << c.input << " -> " << target;
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
}

TEST_F(AnswersTest, SendersFollowOwnershipAndRules) {
  EXPECT_EQ(Value(MapId::kSenders, "alice@example.com"), "alice@example.com");
  EXPECT_EQ(Value(MapId::kSenders, "alice+x@example.com"), "alice@example.com");
  EXPECT_EQ(Value(MapId::kSenders, "sales@example.com"), "alice@example.com,bob@example.com");
  EXPECT_EQ(Value(MapId::kSenders, "carol@example.com"), "<notfound>");
  EXPECT_EQ(Value(MapId::kSenders, "nobody@example.com"), "<notfound>");

  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> rw = Store::Open(db.path(), Store::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok());
  Must((*rw)->SetSenderLogin({"sales@example.com", "bob@example.com", false}));
  Must((*rw)->SetSenderLogin({"sales@example.com", "boss@example.com", true}));
  Must((*rw)->SetSenderLogin({"me@elsewhere.test", "alice@example.com", true}));
  EXPECT_EQ(AnswerMap(**rw, MapId::kSenders, "sales@example.com").value,
            "alice@example.com,boss@example.com");
  EXPECT_EQ(AnswerMap(**rw, MapId::kSenders, "me@elsewhere.test").value, "alice@example.com");
}

TEST_F(AnswersTest, AccessMapRefusesDisabledMailboxesInThePluginsWords) {
  for (const char* disabled : {"carol@example.com", "CAROL+x@example.com", "carol@example.net",
                               "old@example.com", "off@example.org", "paused@example.com"})
    EXPECT_EQ(Value(MapId::kAccess, disabled), "550 5.2.1 Mailbox disabled") << disabled;
  // Never a permission, never an answer for anything else.
  for (const ResolverCase& c : kResolverCases) {
    MapAnswer a = Ask(MapId::kAccess, c.input);
    EXPECT_EQ(a.kind == Kind::kFound, c.verdict == Verdict::kDisabled) << c.input;
    if (a.kind == Kind::kFound) {
      EXPECT_TRUE(a.value.starts_with("550 ")) << c.input;
    }
  }
}

// Every table row: maps and the LMTP decision follow the one verdict.
TEST_F(AnswersTest, EveryCaseAgreesAcrossMapsAndLmtp) {
  Resolver resolver(*store_);
  for (const ResolverCase& c : kResolverCases) {
    Result<Resolution> r = resolver.Resolve(c.input);
    ASSERT_TRUE(r.ok());
    bool accepted = c.verdict == Verdict::kMailbox || c.verdict == Verdict::kAlias ||
                    c.verdict == Verdict::kRelay;
    bool address_key = c.input.find('@') != std::string::npos;
    EXPECT_EQ(Ask(MapId::kRecipients, c.input).kind == Kind::kFound, accepted && address_key)
        << c.input;
    RcptReply reply = DecideRcpt(r, c.input, "+");
    switch (c.verdict) {
      case Verdict::kMailbox:
        EXPECT_EQ(reply.kind, RcptReply::Kind::kAccept) << c.input;
        EXPECT_TRUE(reply.rewrite.empty() || reply.rewrite == r->mailbox ||
                    reply.rewrite == r->delivery)
            << c.input;
        break;
      case Verdict::kAlias:
        if (r->targets.size() == 1 && r->targets[0].local()) {
          EXPECT_EQ(reply.rewrite, r->targets[0].mailbox) << c.input;
        } else {
          EXPECT_EQ(reply.enhanced, "5.3.0") << c.input;
        }
        break;
      case Verdict::kDisabled:
        EXPECT_EQ(reply.enhanced, "5.2.1") << c.input;
        break;
      case Verdict::kUnknownDomain:
        EXPECT_EQ(reply.enhanced, "5.1.2") << c.input;
        break;
      case Verdict::kMalformed:
      case Verdict::kUnknownRecipient:
        EXPECT_EQ(reply.enhanced, "5.1.1") << c.input;
        break;
      case Verdict::kRelay:
        EXPECT_EQ(reply.kind, RcptReply::Kind::kReject) << c.input;
        break;
    }
    if (reply.kind == RcptReply::Kind::kReject) {
      EXPECT_EQ(reply.code, 550) << c.input;
    }
  }
}

TEST(AnswerMapErrors, DatabaseTroubleIsTemporaryOnEveryMap) {
  TempDatabase db;
  CreateFilled(db.path());
  // In WAL mode a writer never blocks readers that are already open; with a
  // rollback journal (an admin may switch) an exclusive writer does.
  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker, "PRAGMA journal_mode = DELETE;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly, 20);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(sqlite3_exec(locker, "BEGIN EXCLUSIVE; UPDATE settings SET value = value;", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  for (MapId map : kAllMaps) {
    const char* key = map == MapId::kDomains ? "example.com" : "alice@example.com";
    EXPECT_EQ(AnswerMap(**s, map, key).kind, Kind::kTemporary) << MapName(map);
  }
  // Malformed keys need no database: still a plain "not found".
  EXPECT_EQ(AnswerMap(**s, MapId::kRecipients, "not an address").kind, Kind::kNotFound);
  sqlite3_exec(locker, "COMMIT;", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  EXPECT_EQ(AnswerMap(**s, MapId::kRecipients, "alice@example.com").kind, Kind::kFound);
}

}  // namespace
}  // namespace rcptdb::test
