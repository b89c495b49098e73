// SPDX-License-Identifier: MIT
// audit_test - the audited provisioning library on both engines: every
// write leaves its audit row in the same transaction (and none is left
// when the row cannot be written), the log is append-only, a token never
// holds more than its owner holds now, keyset pages, record versions.
// The PostgreSQL cases run when RCPTDB_TEST_PGSQL_URI names a database
// (scripts/check's pgsql stage) and skip otherwise.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sqlite3.h>

#include "api_token.h"
#include "fixture.h"
#include "password.h"
#include "provision.h"
#include "record_json.h"
#include "values.h"
#ifdef RCPTDB_WITH_PGSQL
#include "pg_fixture.h"
#endif

namespace rcptdb::test {
namespace {

// One engine's fresh database, and plain SQL on a connection of its own.
class AuditTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "pgsql") {
#ifdef RCPTDB_WITH_PGSQL
      spec_ = PgTestUri();
      if (spec_.empty()) GTEST_SKIP() << "RCPTDB_TEST_PGSQL_URI is not set";
      ASSERT_EQ(ResetPgSchema(spec_), "");
#else
      GTEST_SKIP() << "built without PostgreSQL";
#endif
    } else {
      spec_ = db_.path();
    }
    Result<std::unique_ptr<Store>> s = Store::Create(spec_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    Must(Write([](Provisioner& p) {
      Status s = p.AddDomain(MakeDomain("a.test", DomainKind::kHosted));
      if (s.ok()) s = p.AddDomain(MakeDomain("b.test", DomainKind::kHosted));
      if (s.ok()) s = p.AddDomain(MakeDomain("c.test", DomainKind::kHosted));
      return s;
    }));
  }

  Status Write(const std::function<Status(Provisioner&)>& body) {
    return RunProvisioning(*store_, actor_, false, body);
  }

  // Runs plain SQL as an admin would; "" on success, else the error.
  std::string Sql(const std::string& sql) {
#ifdef RCPTDB_WITH_PGSQL
    if (GetParam() == "pgsql") return PgRawSql(spec_, sql);
#endif
    sqlite3* db = nullptr;
    sqlite3_open(spec_.c_str(), &db);
    char* err = nullptr;
    // As sql/schema.sql asks of every connection.
    int rc = sqlite3_exec(db, ("PRAGMA foreign_keys = ON;" + sql).c_str(), nullptr, nullptr, &err);
    std::string out = rc == SQLITE_OK ? "" : (err ? err : "error");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  std::vector<AuditRecord> Log(AuditQuery q = {}) {
    Result<std::vector<AuditRecord>> r = store_->QueryAudit(q);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : std::vector<AuditRecord>();
  }

  TempDatabase db_;
  std::string spec_;
  std::unique_ptr<Store> store_;
  Actor actor_{"admin:root", "192.0.2.7", "req-1"};
};

INSTANTIATE_TEST_SUITE_P(Engines, AuditTest, ::testing::Values("sqlite", "pgsql"));

TEST_P(AuditTest, EveryWriteLeavesItsRowWithActorClientAndRequest) {
  Result<std::string> hash = HashPassword("s3cret");
  ASSERT_TRUE(hash.ok());
  Must(Write([&hash](Provisioner& p) {
    Mailbox m = MakeMailbox("bob@a.test");
    m.password = *hash;
    Status s = p.AddMailbox(m);
    if (s.ok()) s = p.AddAliasTarget("info@a.test", "bob@a.test", std::nullopt).status();
    MailboxChange c;
    c.active = false;
    if (s.ok()) s = p.UpdateMailbox("bob@a.test", c).status();
    if (s.ok()) s = p.SetSenderLogin("info@a.test", "bob@a.test", true);
    if (s.ok()) s = p.SetSetting("postmaster", "bob@a.test");
    if (s.ok()) s = p.DeleteAlias("info@a.test", "");
    if (s.ok()) s = p.DeleteMailbox("bob@a.test");
    return s;
  }));
  std::vector<AuditRecord> log = Log();
  ASSERT_EQ(log.size(), 3u + 7u);  // three domains, then seven changes
  std::vector<std::string> seen;
  for (const AuditRecord& r : log) seen.push_back(r.action + " " + r.kind + " " + r.object);
  EXPECT_EQ(seen[0], "delete mailbox bob@a.test");
  EXPECT_EQ(seen[1], "delete alias info@a.test");
  EXPECT_EQ(seen[2], "update setting postmaster");
  EXPECT_EQ(seen[3], "create sender_login info@a.test");
  EXPECT_EQ(seen[4], "update mailbox bob@a.test");
  EXPECT_EQ(seen[5], "create alias info@a.test");
  EXPECT_EQ(seen[6], "create mailbox bob@a.test");
  for (const AuditRecord& r : log) {
    EXPECT_EQ(r.actor, "admin:root");
    EXPECT_EQ(r.client, "192.0.2.7");
    EXPECT_EQ(r.request_id, "req-1");
    // No hash, no salt: only the scheme.
    EXPECT_EQ(r.before.find("$6$"), std::string::npos) << r.before;
    EXPECT_EQ(r.after.find("$6$"), std::string::npos) << r.after;
  }
  EXPECT_EQ(log[4].domain, "a.test");
  EXPECT_NE(log[4].before.find("\"active\":true"), std::string::npos) << log[4].before;
  EXPECT_NE(log[4].after.find("\"active\":false"), std::string::npos) << log[4].after;
  EXPECT_NE(log[6].after.find("\"password_scheme\":\"SHA512-CRYPT\""), std::string::npos);
  EXPECT_TRUE(log[6].before.empty());
  EXPECT_TRUE(log[0].after.empty());
}

TEST_P(AuditTest, AChangeWhoseAuditRowFailsIsNotCommitted) {
  // The audit row is refused (as a full disk or a revoked grant would);
  // the mailbox written before it in the same transaction must go too.
  std::string refuse = GetParam() == "pgsql"
                           ? "CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN RAISE EXCEPTION 'no audit today'; END $$; "
                             "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log FOR EACH ROW "
                             "EXECUTE FUNCTION no_audit();"
                           : "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log "
                             "BEGIN SELECT RAISE(ABORT, 'no audit today'); END;";
  ASSERT_EQ(Sql(refuse), "");
  Status s = Write([](Provisioner& p) { return p.AddMailbox(MakeMailbox("bob@a.test")); });
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no audit today"), std::string::npos) << s.message();
  Result<std::optional<Mailbox>> m = store_->FindMailbox("bob@a.test");
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_value()) << "the change was committed without its audit row";
}

TEST_P(AuditTest, TheLogIsAppendOnly) {
  EXPECT_NE(Sql("UPDATE audit_log SET actor = 'unix:nobody'"), "");
  EXPECT_NE(Sql("DELETE FROM audit_log"), "");
  EXPECT_EQ(Log().size(), 3u);
  // A bad actor name is refused and changes nothing.
  Actor bad{"root", "", ""};
  Status s = RunProvisioning(*store_, bad, false,
                             [](Provisioner& p) { return p.AddMailbox(MakeMailbox("x@a.test")); });
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(store_->FindMailbox("x@a.test")->has_value());
}

TEST_P(AuditTest, ADryRunChangesNothing) {
  Status s = RunProvisioning(*store_, actor_, /*dry_run=*/true,
                             [](Provisioner& p) { return p.AddMailbox(MakeMailbox("d@a.test")); });
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_FALSE(store_->FindMailbox("d@a.test")->has_value());
  EXPECT_EQ(Log().size(), 3u);
}

TEST_P(AuditTest, AuditQueryFiltersAndPagesNewestFirst) {
  Must(Write([](Provisioner& p) {
    Status s;
    for (int i = 0; i < 25 && s.ok(); ++i)
      s = p.AddMailbox(MakeMailbox("u" + std::to_string(i) + (i % 2 ? "@a.test" : "@b.test")));
    return s;
  }));
  AuditQuery q;
  q.domain = "a.test";
  q.limit = 5;
  std::vector<std::string> objects;
  for (;;) {
    std::vector<AuditRecord> page = Log(q);
    for (const AuditRecord& r : page) {
      EXPECT_EQ(r.domain, "a.test");
      objects.push_back(r.object);
    }
    if (page.size() < 5u) break;
    q.before_id = page.back().id;
  }
  EXPECT_EQ(objects.size(), 12u + 1u);  // u1 .. u23 odd, and the domain
  EXPECT_EQ(objects.front(), "u23@a.test");
  EXPECT_EQ(objects.back(), "a.test");
  // The search: objects that start with q, within the other filters.
  AuditQuery search;
  search.object_prefix = "u1";
  std::vector<std::string> found;
  for (const AuditRecord& r : Log(search)) found.push_back(r.object);
  EXPECT_EQ(found, (std::vector<std::string>{"u19@a.test", "u18@b.test", "u17@a.test", "u16@b.test",
                                             "u15@a.test", "u14@b.test", "u13@a.test", "u12@b.test",
                                             "u11@a.test", "u10@b.test", "u1@a.test"}));
  search.domain = "b.test";
  found.clear();
  for (const AuditRecord& r : Log(search)) found.push_back(r.object);
  EXPECT_EQ(found, (std::vector<std::string>{"u18@b.test", "u16@b.test", "u14@b.test", "u12@b.test",
                                             "u10@b.test"}));
  search.domain.clear();
  search.actor = "admin:root";
  search.object_prefix = "u2";
  found.clear();
  for (const AuditRecord& r : Log(search)) found.push_back(r.object);
  EXPECT_EQ(found, (std::vector<std::string>{"u24@b.test", "u23@a.test", "u22@b.test", "u21@a.test",
                                             "u20@b.test", "u2@b.test"}));
  search.object_prefix = "nobody";
  EXPECT_TRUE(Log(search).empty());
  AuditQuery by_actor;
  by_actor.actor = "unix:nobody";
  EXPECT_TRUE(Log(by_actor).empty());
  by_actor.actor = "admin:root";
  by_actor.since = "2999-01-01T00:00:00.000Z";
  EXPECT_TRUE(Log(by_actor).empty());
}

TEST_P(AuditTest, ATokenNeverHoldsMoreThanItsOwnerHoldsNow) {
  Admin alice;
  alice.login = "alice";
  alice.domains = {"b.test", "a.test"};
  Must(Write([&alice](Provisioner& p) { return p.AddAdmin(alice); }));
  TokenRequest one{"alice", {"a.test"}, false, std::nullopt, ""};
  TokenRequest all{"alice", {}, true, std::nullopt, ""};
  MadeToken t1, t2;
  Must(Write([&](Provisioner& p) {
    Result<MadeToken> a = p.CreateToken(one);
    if (!a.ok()) return a.status();
    t1 = *a;
    Result<MadeToken> b = p.CreateToken(all);
    if (!b.ok()) return b.status();
    t2 = *b;
    return Status::Ok();
  }));
  // Nothing beyond what the owner holds can even be asked for.
  Status more = Write([](Provisioner& p) {
    return p.CreateToken({"alice", {"c.test"}, false, std::nullopt, ""}).status();
  });
  EXPECT_EQ(more.code(), Status::Code::kInvalid) << more.message();

  std::string now = UtcNow();
  Result<TokenGrant> g1 = AuthenticateToken(*store_, t1.token, now, nullptr, nullptr);
  ASSERT_TRUE(g1.ok()) << g1.status().message();
  EXPECT_EQ(g1->domains, std::vector<std::string>({"a.test"}));
  EXPECT_FALSE(g1->every_domain);
  Result<TokenGrant> g2 = AuthenticateToken(*store_, t2.token, now, nullptr, nullptr);
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ(g2->domains, std::vector<std::string>({"a.test", "b.test"}));
  EXPECT_TRUE(g2->token.read_only);

  // The owner loses a.test: both tokens lose it at once, nothing copied.
  AdminChange narrower;
  narrower.domains = std::vector<std::string>{"b.test"};
  Must(Write([&narrower](Provisioner& p) { return p.UpdateAdmin("alice", narrower).status(); }));
  EXPECT_TRUE(AuthenticateToken(*store_, t1.token, now, nullptr, nullptr)->domains.empty());
  EXPECT_EQ(AuthenticateToken(*store_, t2.token, now, nullptr, nullptr)->domains,
            std::vector<std::string>({"b.test"}));

  // A disabled owner disables its tokens; enabled again, they work again.
  AdminChange off;
  off.active = false;
  Must(Write([&off](Provisioner& p) { return p.UpdateAdmin("alice", off).status(); }));
  std::string why;
  Result<TokenGrant> refused = AuthenticateToken(*store_, t2.token, now, nullptr, &why);
  EXPECT_EQ(refused.status().message(), "token refused");
  EXPECT_NE(why.find("disabled"), std::string::npos) << why;

  // A wrong secret with a right prefix, and a revoked token.
  std::string forged = t1.token;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(AuthenticateToken(*store_, forged, now, nullptr, nullptr).ok());
  Must(Write([&t1](Provisioner& p) { return p.RevokeToken(t1.prefix); }));
  EXPECT_FALSE(AuthenticateToken(*store_, t1.token, now, nullptr, nullptr).ok());

  // The secret is nowhere in the database or the log.
  for (const AuditRecord& r : Log())
    EXPECT_EQ((r.before + r.after).find(t2.token.substr(20)), std::string::npos);
  Result<std::vector<Token>> listed = store_->ListTokens("alice");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().prefix, t2.prefix);
}

TEST_P(AuditTest, ATokenHonoursItsExpiryAndNetworks) {
  Admin root;
  root.login = "root";
  root.role = AdminRole::kServer;
  Must(Write([&root](Provisioner& p) { return p.AddAdmin(root); }));
  MadeToken t;
  Must(Write([&t](Provisioner& p) {
    Result<MadeToken> r = p.CreateToken({"root", {}, false, 1, "192.0.2.0/24"});
    if (r.ok()) t = *r;
    return r.status();
  }));
  sockaddr_in inside{}, outside{};
  inside.sin_family = outside.sin_family = AF_INET;
  inet_pton(AF_INET, "192.0.2.9", &inside.sin_addr);
  inet_pton(AF_INET, "198.51.100.9", &outside.sin_addr);
  auto* in = reinterpret_cast<const sockaddr*>(&inside);
  auto* out = reinterpret_cast<const sockaddr*>(&outside);
  // A day from now: valid an hour before, expired an hour after.
  auto now = std::chrono::system_clock::now();
  std::string before = UtcTime(now + std::chrono::hours(23));
  std::string after = UtcTime(now + std::chrono::hours(25));
  Result<TokenGrant> ok = AuthenticateToken(*store_, t.token, before, in, nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(ok->every_domain);
  EXPECT_FALSE(AuthenticateToken(*store_, t.token, before, out, nullptr).ok());
  EXPECT_FALSE(AuthenticateToken(*store_, t.token, after, in, nullptr).ok());
  Status bad = Write([](Provisioner& p) {
    return p.CreateToken({"root", {}, false, std::nullopt, "192.0.2.1/24"}).status();
  });
  EXPECT_EQ(bad.code(), Status::Code::kInvalid);
  // The lifetime's rule and words are values.h's (CheckTokenDays).
  Status forever = Write([](Provisioner& p) {
    return p.CreateToken({"root", {}, false, 36501, ""}).status();
  });
  EXPECT_EQ(forever.code(), Status::Code::kInvalid);
  EXPECT_EQ(forever.message(), "root: expires: 36501: must be a number of days, 1 to 36500");
}

TEST_P(AuditTest, AdminLoginChecksThePasswordAndTheActiveFlag) {
  Admin a;
  a.login = "Alice";
  a.password = *HashPassword("right");
  Must(Write([&a](Provisioner& p) { return p.AddAdmin(a); }));
  EXPECT_TRUE(AuthenticateAdmin(*store_, "alice", "right", nullptr).ok());
  EXPECT_FALSE(AuthenticateAdmin(*store_, "alice", "wrong", nullptr).ok());
  EXPECT_FALSE(AuthenticateAdmin(*store_, "nobody", "right", nullptr).ok());
  Admin server;
  server.login = "root";
  server.role = AdminRole::kServer;
  server.domains = {"a.test"};
  EXPECT_EQ(Write([&server](Provisioner& p) { return p.AddAdmin(server); }).code(),
            Status::Code::kInvalid);
  EXPECT_NE(Sql("INSERT INTO admin_domains (login, domain) VALUES ('nobody', 'a.test')"), "");
}

TEST_P(AuditTest, PagesWalkADomainInKeyOrderWithASearchPrefix) {
  Must(Write([](Provisioner& p) {
    Status s;
    for (int i = 0; i < 250 && s.ok(); ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "user%03d@a.test", i);
      s = p.AddMailbox(MakeMailbox(name));
    }
    if (s.ok()) s = p.AddMailbox(MakeMailbox("zed@b.test"));
    for (int i = 0; i < 5 && s.ok(); ++i)
      s = p.AddAliasTarget("list" + std::to_string(i) + "@a.test", "user001@a.test", std::nullopt)
              .status();
    if (s.ok()) s = p.AddAliasTarget("list0@a.test", "user002@a.test", std::nullopt).status();
    return s;
  }));
  PageRequest page{"a.test", "", "", 100};
  std::vector<std::string> all;
  for (;;) {
    Result<std::vector<Mailbox>> rows = store_->ListMailboxPage(page);
    ASSERT_TRUE(rows.ok()) << rows.status().message();
    for (const Mailbox& m : *rows) all.push_back(m.address);
    if (rows->size() < 100u) break;
    page.after = rows->back().address;
  }
  ASSERT_EQ(all.size(), 250u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all.front(), "user000@a.test");
  PageRequest search{"a.test", "", "user12", 100};
  EXPECT_EQ(store_->ListMailboxPage(search)->size(), 10u);
  search.after = "user125@a.test";
  EXPECT_EQ(store_->ListMailboxPage(search)->size(), 4u);
  search.after = "user005@a.test";  // a cursor before the prefix: the prefix bounds
  EXPECT_EQ(store_->ListMailboxPage(search)->size(), 10u);
  search.after = "user129@a.test";  // the last match: nothing past it
  EXPECT_EQ(store_->ListMailboxPage(search)->size(), 0u);
  PageRequest aliases{"a.test", "", "", 2};
  Result<std::vector<AliasTarget>> a = store_->ListAliasPage(aliases);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ASSERT_EQ(a->size(), 3u) << "two whole aliases, one with two targets";
  EXPECT_EQ(a->back().source, "list1@a.test");
  PageRequest too_many{"a.test", "", "", kMaxPageRows + 1};
  EXPECT_EQ(store_->ListMailboxPage(too_many).status().code(), Status::Code::kInvalid);
}

// A mailbox's description (schema version 4) is stored, listed, changed
// and audited as given, on both engines; what is not short text without
// control characters is refused in one wording by rcptdb and by plain SQL.
TEST_P(AuditTest, AMailboxDescriptionIsShortTextForPeople) {
  const std::string markup = "Zoë Example <img src=x onerror=alert(1)>";
  Must(Write([&markup](Provisioner& p) {
    Mailbox m = MakeMailbox("bob@a.test");
    m.description = markup;
    return p.AddMailbox(m);
  }));
  EXPECT_EQ((*store_->FindMailbox("bob@a.test"))->description, markup);
  Result<std::vector<Mailbox>> page = store_->ListMailboxPage({"a.test", "", "", 10});
  ASSERT_TRUE(page.ok() && page->size() == 1u);
  EXPECT_EQ(page->front().description, markup);
  std::string listed;
  Must(store_->ForEachMailbox("a.test", [&listed](const Mailbox& m) {
    listed = m.description;
    return true;
  }));
  EXPECT_EQ(listed, markup);
  MailboxChange renamed;
  renamed.description = "Bob";
  Must(Write([&](Provisioner& p) { return p.UpdateMailbox("bob@a.test", renamed).status(); }));
  EXPECT_EQ((*store_->FindMailbox("bob@a.test"))->description, "Bob");
  std::vector<AuditRecord> log = Log();
  EXPECT_NE(log[0].before.find("\"description\":\"Zoë Example <img"), std::string::npos)
      << log[0].before;
  EXPECT_NE(log[0].after.find("\"description\":\"Bob\""), std::string::npos) << log[0].after;

  std::string e255;
  for (int i = 0; i < 255; ++i) e255 += "é";
  for (const std::string& bad : {std::string("two\nlines"), e255 + "x", std::string("\xff")}) {
    MailboxChange c;
    c.description = bad;
    Status s = Write([&](Provisioner& p) { return p.UpdateMailbox("bob@a.test", c).status(); });
    EXPECT_EQ(s.code(), Status::Code::kInvalid);
    EXPECT_EQ(s.message(), "bob@a.test: " + std::string(kDescriptionRule));
    Mailbox m = MakeMailbox("new@a.test");
    m.description = bad;
    s = Write([&m](Provisioner& p) { return p.AddMailbox(m); });
    EXPECT_EQ(s.code(), Status::Code::kInvalid);
  }
  EXPECT_EQ((*store_->FindMailbox("bob@a.test"))->description, "Bob");
  EXPECT_FALSE(*store_->FindMailbox("new@a.test"));
  // Plain SQL meets the same rule, in characters on both engines.
  std::string chr = GetParam() == "pgsql" ? "chr" : "char";
  auto refused = [this](const std::string& sql) {
    std::string err = Sql(sql);
    EXPECT_NE(err.find("description_text"), std::string::npos) << sql << ": " << err;
  };
  EXPECT_EQ(Sql("UPDATE mailboxes SET description = '" + e255 + "'"), "");
  refused("UPDATE mailboxes SET description = '" + e255 + "x'");
  refused("UPDATE mailboxes SET description = 'a' || " + chr + "(9) || 'b'");
  refused("UPDATE mailboxes SET description = 'a' || " + chr + "(127)");
  refused("INSERT INTO mailboxes (address, description) VALUES ('c@a.test', 'x' || " + chr +
          "(10))");
  EXPECT_NE(Sql("UPDATE mailboxes SET description = NULL"), "");
  EXPECT_EQ((*store_->FindMailbox("bob@a.test"))->description, e255);
}

TEST_P(AuditTest, AStaleVersionIsRefusedAndChangesNothing) {
  Must(Write([](Provisioner& p) { return p.AddMailbox(MakeMailbox("bob@a.test")); }));
  std::string v1 = RecordVersion(**store_->FindMailbox("bob@a.test"));
  MailboxChange quota;
  quota.quota = 1024;
  Must(Write([&](Provisioner& p) { return p.UpdateMailbox("bob@a.test", quota, v1).status(); }));
  std::string v2 = RecordVersion(**store_->FindMailbox("bob@a.test"));
  EXPECT_NE(v1, v2);
  MailboxChange off;
  off.active = false;
  Status stale =
      Write([&](Provisioner& p) { return p.UpdateMailbox("bob@a.test", off, v1).status(); });
  EXPECT_EQ(stale.code(), Status::Code::kConflict);
  EXPECT_EQ(stale.cause(), Status::Cause::kChanged);
  EXPECT_TRUE((*store_->FindMailbox("bob@a.test"))->active);
  EXPECT_EQ(Write([&](Provisioner& p) { return p.DeleteMailbox("bob@a.test", v1); }).cause(),
            Status::Cause::kChanged);
  Must(Write([&](Provisioner& p) { return p.DeleteMailbox("bob@a.test", v2); }));
}

TEST_P(AuditTest, TheSettingsAreOneRecordWithOneVersion) {
  Result<SettingValues> read = ReadSettings(*store_);
  ASSERT_TRUE(read.ok()) << read.status().message();
  std::string v1 = RecordVersion(*read);
  Must(Write([&](Provisioner& p) { return p.SetSetting("postmaster", "pm@a.test", v1); }));
  std::string v2 = RecordVersion(*ReadSettings(*store_));
  EXPECT_NE(v1, v2);
  std::size_t logged = Log().size();
  // v1 is stale for every setting, and for a write of several: the first
  // is not made either.
  Status stale = Write([&](Provisioner& p) {
    return p.SetSettings({{"delimiter", "+-"}, {"catchall_senders", "yes"}}, v1);
  });
  EXPECT_EQ(stale.cause(), Status::Cause::kChanged);
  EXPECT_EQ(stale.message(),
            "settings: changed since version " + v1 + " was read (now " + v2 + ")");
  EXPECT_EQ(RecordVersion(*ReadSettings(*store_)), v2);
  EXPECT_EQ(*store_->GetSetting("delimiter"), "+");
  EXPECT_EQ(Log().size(), logged);
  // The version is checked once, before the first of several.
  std::string refused = "x";
  Must(Write([&](Provisioner& p) {
    return p.SetSettings({{"delimiter", "+-"}, {"catchall_senders", "yes"}}, v2, &refused);
  }));
  EXPECT_EQ(refused, "x");
  EXPECT_EQ(*store_->GetSetting("catchall_senders"), "yes");
  // A refusal names the setting it is about.
  std::string v3 = RecordVersion(*ReadSettings(*store_));
  EXPECT_EQ(Write([&](Provisioner& p) {
              return p.SetSettings({{"postmaster", ""}, {"delimiter", "ab"}}, v3, &refused);
            }).code(),
            Status::Code::kInvalid);
  EXPECT_EQ(refused, "delimiter");
  EXPECT_EQ(*store_->GetSetting("postmaster"), "pm@a.test");
}

TEST_P(AuditTest, AnAdminsCreateRowShowsItAsStored) {
  Admin a;
  a.login = "timed";
  a.role = AdminRole::kServer;
  Must(Write([&](Provisioner& p) { return p.AddAdmin(a); }));
  Result<std::optional<Admin>> stored = store_->FindAdmin("timed");
  ASSERT_TRUE(stored.ok() && *stored);
  ASSERT_FALSE((*stored)->created.empty());
  EXPECT_EQ(Log().front().after, AdminJson(**stored));
  EXPECT_NE(Log().front().after.find("\"created\":\"" + (*stored)->created + "\""),
            std::string::npos)
      << Log().front().after;
}

#ifdef RCPTDB_WITH_PGSQL
TEST_P(AuditTest, PostgresRecordsPlainSqlChangesAsTheirRole) {
  if (GetParam() != "pgsql") GTEST_SKIP() << "SQLite has no users to name";
  std::size_t before = Log().size();
  ASSERT_EQ(Sql("INSERT INTO mailboxes (address, password) VALUES ('eve@a.test', '{PLAIN}x')"), "");
  std::vector<AuditRecord> log = Log();
  ASSERT_EQ(log.size(), before + 1);
  EXPECT_TRUE(log.front().actor.starts_with("sql:")) << log.front().actor;
  EXPECT_EQ(log.front().object, "eve@a.test");
  EXPECT_EQ(log.front().action, "create");
  EXPECT_EQ(log.front().after.find("{PLAIN}"), std::string::npos) << log.front().after;
  // rcptdb's own changes are logged once, by rcptdb, not again as SQL.
  Must(Write([](Provisioner& p) { return p.DeleteMailbox("eve@a.test"); }));
  EXPECT_EQ(Log().size(), before + 2);
  EXPECT_EQ(Log().front().actor, "admin:root");
}
#endif

}  // namespace
}  // namespace rcptdb::test
