// SPDX-License-Identifier: MIT
// resolver_bounds_test - no partial answers, bare postmaster, catch-all
// sender rights, and the forwarding rules shared with rcptdb
//
// Alias rows past the schema's depth guard are written with plain SQL and
// the trigger dropped, as a careless admin (or an old database) could.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "fixture.h"
#include "forwarding_rules.h"
#include "map_answers.h"
#include "rcpt_decision.h"
#include "resolver.h"

namespace rcptdb::test {
namespace {

// Runs SQL on a raw connection, as an admin with the sqlite3 shell would.
void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, ("PRAGMA foreign_keys = ON;" + sql).c_str(), nullptr, nullptr, &msg);
  std::string err = msg ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << err;
}

class ResolverBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override { CreateFilled(db_.path()); }
  std::unique_ptr<Store> Open() {
    Result<std::unique_ptr<Store>> s = Store::Open(db_.path(), Store::Mode::kReadOnly);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A chain d0 -> d1 -> ... -> d<steps-1> -> alice@example.com.
  void Chain(int steps, bool drop_guard) {
    std::string sql = drop_guard ? "DROP TRIGGER aliases_depth_ins;" : "";
    for (int i = 0; i < steps; ++i) {
      std::string target =
          i + 1 == steps ? "alice@example.com" : "d" + std::to_string(i + 1) + "@example.com";
      sql += "INSERT INTO aliases (source, target) VALUES ('d" + std::to_string(i) +
             "@example.com', '" + target + "');";
    }
    RawSql(db_.path(), sql);
  }
  TempDatabase db_;
};

TEST_F(ResolverBoundsTest, ChainAtTheDepthBoundResolves) {
  Chain(kMaxAliasDepth, false);
  std::unique_ptr<Store> s = Open();
  Result<Resolution> r = Resolver(*s).Resolve("d0@example.com");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->verdict, Verdict::kAlias);
  ASSERT_EQ(r->targets.size(), 1u);
  EXPECT_EQ(r->targets[0].mailbox, "alice@example.com");
}

TEST_F(ResolverBoundsTest, DeeperChainIsTemporaryNamingAliasAndBound) {
  Chain(11, true);
  std::unique_ptr<Store> s = Open();
  for (const char* top : {"d0@example.com", "d1@example.com", "d2@example.com"}) {
    Result<Resolution> r = Resolver(*s).Resolve(top);
    ASSERT_FALSE(r.ok()) << top << " answered " << VerdictName(r->verdict);
    EXPECT_TRUE(r.status().temporary());
    EXPECT_NE(r.status().message().find(top), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("kMaxAliasDepth"), std::string::npos);
    // Every map defers: Postfix must not bounce (550) nor accept in part.
    for (MapId map : {MapId::kRecipients, MapId::kAliases, MapId::kTransport})
      EXPECT_EQ(AnswerMap(*s, map, top).kind, MapAnswer::Kind::kTemporary) << MapName(map);
    EXPECT_EQ(DecideRcpt(r, top, "+").code, 451);
  }
  // Three steps shorter fits the bound again.
  Result<Resolution> r = Resolver(*s).Resolve("d3@example.com");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->verdict, Verdict::kAlias);
}

TEST_F(ResolverBoundsTest, HugeFanOutIsTemporaryNotCut) {
  // big -> 60 aliases x 60 foreign targets = 3,600 addresses.
  std::string sql;
  for (int i = 0; i < 60; ++i) {
    std::string mid = "m" + std::to_string(i) + "@example.com";
    sql += "INSERT INTO aliases (source, target) VALUES ('big@example.com', '" + mid + "');";
    for (int j = 0; j < 60; ++j)
      sql += "INSERT INTO aliases (source, target) VALUES ('" + mid + "', 'x" + std::to_string(i) +
             "-" + std::to_string(j) + "@elsewhere.test');";
  }
  RawSql(db_.path(), "BEGIN;" + sql + "COMMIT;");
  std::unique_ptr<Store> s = Open();
  Result<Resolution> r = Resolver(*s).Resolve("big@example.com");
  ASSERT_FALSE(r.ok()) << r->targets.size() << " targets answered";
  EXPECT_TRUE(r.status().temporary());
  EXPECT_NE(r.status().message().find("big@example.com"), std::string::npos);
  EXPECT_NE(r.status().message().find("kMaxAliasTargets"), std::string::npos);
  EXPECT_EQ(r.status().cause(), Status::Cause::kLimit) << "a bound, not database trouble";
  EXPECT_EQ(AnswerMap(*s, MapId::kAliases, "big@example.com").kind, MapAnswer::Kind::kTemporary);
  // One of the middle aliases alone is small enough.
  EXPECT_EQ(Resolver(*s).Resolve("m7@example.com")->targets.size(), 60u);
}

TEST_F(ResolverBoundsTest, LongTargetsAreBoundedByReplySize) {
  // 300 targets of about 245 bytes: under the count bound, over the bytes.
  std::string sql;
  std::string label(60, 'd');
  std::string domain = label + "." + label + "." + label + ".test";
  for (int i = 0; i < 300; ++i)
    sql += "INSERT INTO aliases (source, target) VALUES ('wide@example.com', '" +
           std::string(56, 'p') + std::to_string(1000 + i) + "@" + domain + "');";
  RawSql(db_.path(), "BEGIN;" + sql + "COMMIT;");
  std::unique_ptr<Store> s = Open();
  Result<Resolution> r = Resolver(*s).Resolve("wide@example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("kMaxAliasReplyBytes"), std::string::npos);
}

TEST_F(ResolverBoundsTest, BarePostmasterFollowsTheSetting) {
  std::unique_ptr<Store> s = Open();
  Result<Resolution> r = Resolver(*s).Resolve("postmaster");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kUnknownRecipient);
  EXPECT_EQ(DecideRcpt(r, "postmaster", "+").code, 550);
  // rcptdb check prints the path: it must say why, in one line.
  ASSERT_EQ(r->path.size(), 1u);
  EXPECT_EQ(r->path[0], "postmaster without a domain, and no postmaster setting");

  RawSql(db_.path(), "UPDATE settings SET value = 'bob@example.com' WHERE name = 'postmaster';");
  for (const char* key : {"postmaster", "PostMaster", "\"postmaster\""}) {
    r = Resolver(*s).Resolve(key);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->verdict, Verdict::kMailbox) << key;
    EXPECT_EQ(r->mailbox, "bob@example.com");
    ASSERT_FALSE(r->path.empty());
    EXPECT_EQ(r->path[0], "postmaster without a domain -> bob@example.com (postmaster setting)");
  }
  RcptReply reply = DecideRcpt(Resolver(*s).Resolve("postmaster"), "postmaster", "+");
  EXPECT_EQ(reply.code, 250);
  EXPECT_EQ(reply.rewrite, "bob@example.com");
  EXPECT_EQ(AnswerMap(*s, MapId::kAliases, "postmaster").value, "bob@example.com");
  EXPECT_EQ(AnswerMap(*s, MapId::kRecipients, "postmaster").kind, MapAnswer::Kind::kFound);
  EXPECT_EQ(AnswerMap(*s, MapId::kSenders, "postmaster").kind, MapAnswer::Kind::kNotFound);
  // Other bare words stay no address.
  EXPECT_EQ(AnswerMap(*s, MapId::kRecipients, "abuse").kind, MapAnswer::Kind::kNotFound);
}

TEST_F(ResolverBoundsTest, CatchallGrantsNoSenderRightsUnlessSet) {
  std::unique_ptr<Store> s = Open();
  // Delivery still works; sending as the caught address does not.
  EXPECT_EQ(AnswerMap(*s, MapId::kAliases, "zz@example.org").value, "catchall@example.org");
  MapAnswer caught = AnswerMap(*s, MapId::kSenders, "zz@example.org");
  EXPECT_EQ(caught.kind, MapAnswer::Kind::kNotFound);
  // rcptdb check prints why, in one line.
  EXPECT_NE(caught.why.find("a catch-all grants no sender rights while catchall_senders = no"),
            std::string::npos)
      << caught.why;
  EXPECT_EQ(AnswerMap(*s, MapId::kSenders, "postmaster@example.org").kind,
            MapAnswer::Kind::kNotFound);
  // The mailbox itself and real aliases keep theirs.
  EXPECT_EQ(AnswerMap(*s, MapId::kSenders, "catchall@example.org").value, "catchall@example.org");
  EXPECT_EQ(AnswerMap(*s, MapId::kSenders, "team@example.org").value, "real@example.org");

  RawSql(db_.path(), "UPDATE settings SET value = 'yes' WHERE name = 'catchall_senders';");
  EXPECT_EQ(AnswerMap(*s, MapId::kSenders, "zz@example.org").value, "catchall@example.org");
}

TEST_F(ResolverBoundsTest, ForwardingRulesInOrder) {
  std::unique_ptr<Store> s = Open();
  Delimiters delimiters;
  Result<DomainMatch> com = MatchDomain(*s, "example.com");
  ASSERT_TRUE(com.ok());
  ASSERT_TRUE(com->ours());
  Result<LocalMatch> m = MatchLocal(*s, com->domain, "alice+x", delimiters);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, LocalMatch::Kind::kMailbox);
  EXPECT_EQ(m->address, "alice@example.com");
  EXPECT_EQ(m->detail, "+x");
  m = MatchLocal(*s, com->domain, "sales", delimiters);
  EXPECT_EQ(m->kind, LocalMatch::Kind::kAlias);
  EXPECT_EQ(m->rows.size(), 2u);
  EXPECT_EQ(MatchLocal(*s, com->domain, "nobody", delimiters)->kind, LocalMatch::Kind::kNone);
  Result<DomainMatch> org = MatchDomain(*s, "example.org");
  EXPECT_EQ(MatchLocal(*s, org->domain, "nobody", delimiters)->kind, LocalMatch::Kind::kCatchall);

  Result<DomainMatch> net = MatchDomain(*s, "example.net");
  EXPECT_TRUE(net->ours());
  EXPECT_TRUE(net->via_alias_domain());
  EXPECT_EQ(net->domain.name, "example.com");
  EXPECT_EQ(MatchDomain(*s, "broken.example")->kind, DomainMatch::Kind::kBrokenAlias);
  EXPECT_EQ(MatchDomain(*s, "off.example")->kind, DomainMatch::Kind::kDisabled);
  EXPECT_EQ(MatchDomain(*s, "elsewhere.test")->kind, DomainMatch::Kind::kNotOurs);

  Result<DomainMatch> relay = MatchDomain(*s, "relay.example");
  EXPECT_EQ(*MatchRelay(*s, relay->domain, "listed+tag", delimiters),
            std::optional<std::string>("listed@relay.example"));
  EXPECT_FALSE(MatchRelay(*s, relay->domain, "other", delimiters)->has_value());
}

}  // namespace
}  // namespace rcptdb::test
