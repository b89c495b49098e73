// SPDX-License-Identifier: MIT
// pg_store_test - the PostgreSQL backend: schema guards, the write
// contract, the change counter and signal, and trouble with the server
//
// Runs against RCPTDB_TEST_PGSQL_URI (pg_fixture.h); each guard of
// sql/schema-pgsql.sql is proven by a bad row inserted with plain SQL and
// the rule that refuses it. The URI redaction tests need no server; the
// standby test needs a streaming standby (RCPTDB_TEST_PGSQL_STANDBY_URI).
#include "pg_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "change_signal.h"
#include "fixture.h"
#include "live_store.h"
#include "pg_change_signal.h"
#include "pg_fixture.h"
#include "resolver.h"
#include "store.h"

namespace rcptdb::test {
namespace {

// sql/schema-pgsql.sql as schema version 2 had it, for the migration test.
const char kSchemaPgsqlV2[] =
#include "schema_pgsql_v2_sql.inc"
    ;

class PgStoreTest : public PgTest {
 protected:
  void SetUp() override {
    PgTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    CreateFilled(uri_);
  }
  std::unique_ptr<Store> Open(Store::Mode mode = Store::Mode::kReadWrite) {
    Result<std::unique_ptr<Store>> s = Store::Open(uri_, mode, 1000);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::string Sql(const std::string& sql) { return PgRawSql(uri_, sql); }
};

TEST(PgSpec, ChoosesTheEngineBySpelling) {
  EXPECT_TRUE(IsPostgresSpec("postgresql:///rcptdb?host=/run/postgresql"));
  EXPECT_TRUE(IsPostgresSpec("postgres://db.example/rcptdb"));
  EXPECT_FALSE(IsPostgresSpec("/var/lib/rcptdb/rcptdb.sqlite"));
  EXPECT_FALSE(IsPostgresSpec("postgresql.sqlite"));
  EXPECT_TRUE(CheckDatabasePath("postgresql:///rcptdb").ok());
}

TEST(PgSpec, RedactsPasswords) {
  EXPECT_EQ(RedactSpec("postgresql://rcptdb:s3cret@db.example:5432/rcptdb"),
            "postgresql://rcptdb:***@db.example:5432/rcptdb");
  EXPECT_EQ(RedactSpec("postgres://u:p@h1,h2/db?password=x&sslmode=require"),
            "postgres://u:***@h1,h2/db?password=***&sslmode=require");
  EXPECT_EQ(RedactSpec("postgresql:///db?sslmode=require&password=x"),
            "postgresql:///db?sslmode=require&password=***");
  EXPECT_EQ(RedactSpec("postgresql://u@h/db"), "postgresql://u@h/db");
  EXPECT_EQ(RedactSpec("/var/lib/rcptdb/a:b@c"), "/var/lib/rcptdb/a:b@c");
}

// Every option libpq marks secret is masked, however its name is written
// (libpq decodes percent-encoded keys); what libpq cannot parse is not shown.
TEST(PgSpec, RedactsEverySecretLibpqKnows) {
  EXPECT_EQ(RedactSpec("postgresql://h/db?sslpassword=k3y&sslmode=verify-full"),
            "postgresql://h/db?sslpassword=***&sslmode=verify-full");
  EXPECT_EQ(RedactSpec("postgresql://h/db?pass%77ord=s3cret"), "postgresql://h/db?pass%77ord=***");
  EXPECT_EQ(RedactSpec("postgresql://h/db?%70assword=s3cret&user=u"),
            "postgresql://h/db?%70assword=***&user=u");
  EXPECT_EQ(RedactSpec("postgresql://h/db?application_name=mx1&connect_timeout=3"),
            "postgresql://h/db?application_name=mx1&connect_timeout=3");
  std::string bad = RedactSpec("postgresql://h/db?password=s3cret&nosuchoption=1");
  EXPECT_EQ(bad.find("s3cret"), std::string::npos) << bad;
}

TEST(PgSpec, UnreachableServerIsATemporaryFailureWithinTheBound) {
  auto start = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Store>> s = Store::Open(
      "postgresql://rcptdb:secret@127.0.0.1:1/rcptdb?password=other", Store::Mode::kReadOnly, 500);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), Status::Code::kTemporary);
  EXPECT_EQ(s.status().cause(), Status::Cause::kUnreachable) << s.status().message();
  EXPECT_EQ(s.status().message().find("secret"), std::string::npos) << s.status().message();
  EXPECT_EQ(s.status().message().find("other"), std::string::npos) << s.status().message();
  EXPECT_LT(took, std::chrono::milliseconds(1500));
}

TEST_F(PgStoreTest, SchemaRefusesBadRowsFromPlainSql) {
  struct Bad {
    const char* sql;
    const char* cause;  // SQLSTATE and the constraint or the trigger's message
  };
  const Bad bad[] = {
      {"INSERT INTO domains (name) VALUES ('Upper.example')", "23514 domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('trailing.example.')", "23514 domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('bad domain.example')", "23514 domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('')", "23514 domain_not_normalised"},
      {"INSERT INTO domains (name, kind) VALUES ('x.example', 'open')",
       "23514 unknown_domain_kind"},
      {"INSERT INTO domains (name, kind) VALUES ('y.example', 'alias')",
       "23514 alias_domain_needs_target"},
      {"INSERT INTO domains (name, kind, target) VALUES ('z.example', 'alias', 'example.net')",
       "P0001 alias domain target must be a hosted or relay domain"},
      {"INSERT INTO domains (name, kind, target) VALUES ('w.example', 'alias', 'missing.example')",
       "23503 domains_target_fkey"},
      {"UPDATE domains SET kind = 'relay' WHERE name = 'example.com'",
       "P0001 domain still has mailboxes, aliases or relay recipients"},
      {"UPDATE domains SET kind = 'alias', target = 'example.org' WHERE name = 'off.example'",
       "P0001 domain is the target of an alias domain"},
      {"INSERT INTO mailboxes (address) VALUES ('Alice2@example.com')",
       "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('@example.com')", "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('two@at@example.com')",
       "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('x%y@example.com')",
       "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('sp ace@example.com')",
       "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('.dot@example.com')",
       "23514 address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('new@nowhere.test')",
       "23503 mailboxes_domain_fkey"},
      {"INSERT INTO mailboxes (address) VALUES ('new@example.net')",
       "P0001 mailboxes live in hosted domains only"},
      {"INSERT INTO mailboxes (address) VALUES ('new@relay.example')",
       "P0001 mailboxes live in hosted domains only"},
      {"INSERT INTO mailboxes (address) VALUES ('sales@example.com')",
       "P0001 an alias with this address exists"},
      {"INSERT INTO mailboxes (address, password) VALUES ('p@example.com', 'plain')",
       "23514 password_not_scheme_hash"},
      {"INSERT INTO mailboxes (address, quota) VALUES ('q@example.com', -1)",
       "23514 quota_not_bytes"},
      {"INSERT INTO mailboxes (address, transport) VALUES ('t@example.com', ' lmtp:x')",
       "23514 transport_syntax"},
      {"INSERT INTO aliases (source, target) VALUES ('alice@example.com', 'bob@example.com')",
       "P0001 a mailbox with this address exists"},
      {"INSERT INTO aliases (source, target) VALUES ('self@example.com', 'self@example.com')",
       "23514 alias_to_itself"},
      {"INSERT INTO aliases (source, target) VALUES ('up@example.com', 'Bob@example.com')",
       "23514 target_not_normalised"},
      {"INSERT INTO aliases (source, target) VALUES ('x@relay.example', 'bob@example.com')",
       "P0001 aliases live in hosted domains only"},
      {"INSERT INTO relay_recipients (address) VALUES ('x@example.com')",
       "P0001 relay recipients live in relay domains only"},
      {"INSERT INTO settings (name, value) VALUES ('other', 'x')", "23514 setting_name"},
      {"UPDATE settings SET value = 'ab' WHERE name = 'delimiter'", "23514 delimiter_chars"},
      {"UPDATE settings SET value = 'Bob@example.com' WHERE name = 'postmaster'",
       "23514 postmaster_not_normalised"},
      {"UPDATE settings SET value = 'maybe' WHERE name = 'catchall_senders'",
       "23514 catchall_senders_flag"},
      {"DELETE FROM domains WHERE name = 'example.com'", "23503 domains_target_fkey"},
      {"INSERT INTO rcptdb_version (only_row, schema_version) VALUES (false, 2)", "23514 one_row"},
  };
  for (const Bad& b : bad) EXPECT_EQ(Sql(b.sql), b.cause) << b.sql;
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address, password) VALUES "
                "('plain@example.com', '{SHA512-CRYPT}$6$abc$def')"),
            "");
}

TEST_F(PgStoreTest, DelimiterRuleBothWays) {
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('alice+y@example.com')"),
            "P0001 mailbox local part contains a recipient delimiter");
  // Only after the first character, as Dovecot and the resolver split.
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('+lead@example.com')"), "");
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('john-doe@example.com')"), "");
  EXPECT_EQ(Sql("UPDATE mailboxes SET address = 'bob+z@example.com' "
                "WHERE address = 'bob@example.com'"),
            "P0001 mailbox local part contains a recipient delimiter");
  // An alias source may hold a delimiter: Postfix rewrites it before LMTP.
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('bob+x@example.com', "
                "'alice@example.com')"),
            "");
  EXPECT_EQ(Sql("UPDATE settings SET value = '=-' WHERE name = 'delimiter'"),
            "P0001 a mailbox local part contains the new recipient delimiter");
  EXPECT_EQ(Sql("DELETE FROM mailboxes WHERE address = 'john-doe@example.com';"
                "UPDATE settings SET value = '#-' WHERE name = 'delimiter'"),
            "");
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('a-b@example.com')"),
            "P0001 mailbox local part contains a recipient delimiter");
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('a,b@example.com')"), "");

  std::unique_ptr<Store> rw = Open();
  ASSERT_TRUE(rw);
  Status s = rw->SetSetting("delimiter", "+_");  // a_b@example.com exists
  EXPECT_EQ(s.code(), Status::Code::kInvalid);
  EXPECT_EQ(s.message(), "a mailbox local part contains the new recipient delimiter");
  Result<std::vector<std::string>> names = rw->MailboxesWithDelimiter("+_", 20);
  ASSERT_TRUE(names.ok()) << names.status().message();
  EXPECT_EQ(*names, std::vector<std::string>{"a_b@example.com"});
}

TEST_F(PgStoreTest, AliasChainsLongerThanEightAreRefused) {
  std::string sql;
  for (int i = 1; i <= 7; ++i)
    sql += "INSERT INTO aliases (source, target) VALUES ('c" + std::to_string(i) +
           "@example.com', 'c" + std::to_string(i + 1) + "@example.com');";
  ASSERT_EQ(Sql(sql), "");
  // The eighth row is fine; a ninth at either end is not.
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('c8@example.com', 'c9@x.test')"), "");
  const char* kTooLong = "P0001 alias chain longer than 8 steps, the resolver's bound";
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('c0@example.com', "
                "'c1@example.com')"),
            kTooLong);
  std::unique_ptr<Store> rw = Open();
  ASSERT_TRUE(rw);
  Status s = rw->InsertAlias("c0@example.com", "c1@example.com");
  EXPECT_EQ(s.code(), Status::Code::kInvalid);
  EXPECT_EQ(s.message(), "alias chain longer than 8 steps, the resolver's bound");
  // A loop is cut by the path so far.
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('l1@example.com', "
                "'l2@example.com'), ('l2@example.com', 'l1@example.com')"),
            "");
}

TEST_F(PgStoreTest, WritesFollowTheStoreContract) {
  std::unique_ptr<Store> rw = Open();
  ASSERT_TRUE(rw);
  EXPECT_EQ(rw->InsertDomain(MakeDomain("example.com", DomainKind::kHosted)).code(),
            Status::Code::kConflict);
  EXPECT_EQ(rw->InsertMailbox(MakeMailbox("alice@example.com")).code(), Status::Code::kConflict);
  Status bad = rw->InsertMailbox(MakeMailbox("Alice3@example.com"));
  EXPECT_EQ(bad.code(), Status::Code::kInvalid);
  EXPECT_EQ(bad.message(), "CHECK constraint failed: address_not_normalised");
  Status trigger = rw->InsertMailbox(MakeMailbox("z@relay.example"));
  EXPECT_EQ(trigger.code(), Status::Code::kInvalid);
  EXPECT_EQ(trigger.message(), "mailboxes live in hosted domains only");
  EXPECT_EQ(rw->InsertMailbox(MakeMailbox("z@nowhere.test")).code(), Status::Code::kInvalid);
  EXPECT_EQ(rw->UpdateMailbox(MakeMailbox("nobody@example.com")).code(), Status::Code::kNotFound);
  EXPECT_EQ(rw->DeleteAlias("nobody@example.com", "").code(), Status::Code::kNotFound);
  EXPECT_EQ(rw->DeleteDomain("example.com").code(), Status::Code::kConflict);
  EXPECT_EQ(rw->DeleteDomain("nowhere.test").code(), Status::Code::kNotFound);
  Must(rw->SetSenderLogin({"alice@example.com", "bob@example.com", true}));
  Must(rw->SetSenderLogin({"alice@example.com", "bob@example.com", false}));
  EXPECT_FALSE((*rw->FindSenderLogins("alice@example.com"))[0].allow);

  std::unique_ptr<Store> ro = Open(Store::Mode::kReadOnly);
  ASSERT_TRUE(ro);
  EXPECT_EQ(ro->InsertMailbox(MakeMailbox("ro@example.com")).code(), Status::Code::kInvalid);
  EXPECT_EQ(ro->BackupTo("/tmp/never.sqlite").code(), Status::Code::kInvalid);
}

TEST_F(PgStoreTest, RefusedWriteLeavesTheTransactionUsable) {
  std::unique_ptr<Store> rw = Open();
  ASSERT_TRUE(rw);
  {
    Transaction tx(*rw);
    Must(tx.Begin());
    Must(rw->InsertMailbox(MakeMailbox("first@example.com")));
    EXPECT_EQ(rw->InsertMailbox(MakeMailbox("alice@example.com")).code(), Status::Code::kConflict);
    Must(rw->InsertMailbox(MakeMailbox("second@example.com")));
    Must(tx.Commit());
  }
  EXPECT_TRUE(rw->FindMailbox("first@example.com")->has_value());
  EXPECT_TRUE(rw->FindMailbox("second@example.com")->has_value());
  {
    Transaction tx(*rw);
    Must(tx.Begin());
    Must(rw->InsertMailbox(MakeMailbox("rolled@example.com")));
  }
  EXPECT_FALSE(rw->FindMailbox("rolled@example.com")->has_value());
}

TEST_F(PgStoreTest, CreateAndOpenCheckTheSchema) {
  Result<std::unique_ptr<Store>> again = Store::Create(uri_);
  EXPECT_EQ(again.status().code(), Status::Code::kConflict) << again.status().message();
  std::unique_ptr<Store> rw = Open();
  ASSERT_TRUE(rw);
  EXPECT_EQ(*rw->SchemaVersion(), kSchemaVersion);
  Must(rw->Migrate());
  ASSERT_EQ(Sql("UPDATE rcptdb_version SET schema_version = 99"), "");
  Result<std::unique_ptr<Store>> s = Store::Open(uri_, Store::Mode::kReadOnly, 1000);
  EXPECT_EQ(s.status().cause(), Status::Cause::kWrongVersion) << s.status().message();
  Result<bool> current = rw->StillCurrent();
  EXPECT_EQ(current.status().cause(), Status::Cause::kWrongVersion);
  ASSERT_EQ(ResetPgSchema(uri_), "");
  s = Store::Open(uri_, Store::Mode::kReadOnly, 1000);
  EXPECT_EQ(s.status().cause(), Status::Cause::kWrongVersion);
  EXPECT_NE(s.status().message().find("rcptdb init"), std::string::npos);
}

// The schema as the catalog holds it: columns, constraints, indexes,
// triggers and functions of schema public, one per line, sorted.
std::string PgSchemaText(const std::string& uri) {
  return PgRawValue(
      uri,
      "SELECT string_agg(line, E'\\n' ORDER BY line) FROM ("
      "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || "
      "is_nullable || ' ' || coalesce(column_default, '') || ' ' || "
      "coalesce(generation_expression, '') FROM information_schema.columns "
      "WHERE table_schema = 'public' "
      "UNION ALL SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || "
      "pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
      "UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' "
      "UNION ALL SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT "
      "tgisinternal "
      "UNION ALL SELECT 'function ' || oid::regprocedure || ' ' || prosrc FROM pg_proc "
      "WHERE pronamespace = 'public'::regnamespace) s(line)");
}

// A database of schema version 2, as the previous release made it, is
// refused until `rcptdb migrate` (Store::Migrate) brings it to the schema
// a fresh `rcptdb init` makes, its rows kept.
TEST_F(PgStoreTest, MigratesFromVersion2ToTheSchemaOfAFreshDatabase) {
  std::string fresh = PgSchemaText(uri_);
  ASSERT_EQ(ResetPgSchema(uri_), "");
  ASSERT_EQ(Sql(kSchemaPgsqlV2), "");
  ASSERT_EQ(Sql("INSERT INTO domains (name) VALUES ('old.example');"
                "INSERT INTO mailboxes (address) VALUES ('kept@old.example')"),
            "");
  Result<std::unique_ptr<Store>> refused = Store::Open(uri_, Store::Mode::kReadOnly, 1000);
  EXPECT_EQ(refused.status().cause(), Status::Cause::kWrongVersion);
  EXPECT_NE(refused.status().message().find("rcptdb migrate"), std::string::npos)
      << refused.status().message();
  Result<std::unique_ptr<Store>> rw =
      Store::Open(uri_, Store::Mode::kReadWrite, 1000, /*allow_old_schema=*/true);
  ASSERT_TRUE(rw.ok()) << rw.status().message();
  EXPECT_EQ(*(*rw)->SchemaVersion(), 2);
  Must((*rw)->Migrate());
  EXPECT_EQ(*(*rw)->SchemaVersion(), kSchemaVersion);
  EXPECT_TRUE((*rw)->FindMailbox("kept@old.example")->has_value());
  Must((*rw)->Migrate());  // a current schema: nothing to do
  rw->reset();
  EXPECT_EQ(PgSchemaText(uri_), fresh);
  EXPECT_TRUE(Store::Open(uri_, Store::Mode::kReadOnly, 1000).ok());
}

// A database made by `rcptdb init` at version 3 before the counter was
// bumped once per transaction: no description column, and the bump
// function of that time. Version 4's migration gives it both, and the
// schema of a fresh database.
TEST_F(PgStoreTest, MigratesFromVersion3WithItsOldCounterBump) {
  std::string fresh = PgSchemaText(uri_);
  ASSERT_EQ(Sql("ALTER TABLE mailboxes DROP COLUMN description;"
                "CREATE OR REPLACE FUNCTION rcptdb_bump_version() RETURNS trigger "
                "LANGUAGE plpgsql AS $$\nBEGIN\n  UPDATE rcptdb_version SET v = v + 1;\n"
                "  RETURN NULL;\nEND\n$$;"
                "UPDATE rcptdb_version SET schema_version = 3"),
            "");
  ASSERT_NE(PgSchemaText(uri_), fresh);
  Result<std::unique_ptr<Store>> rw =
      Store::Open(uri_, Store::Mode::kReadWrite, 1000, /*allow_old_schema=*/true);
  ASSERT_TRUE(rw.ok()) << rw.status().message();
  EXPECT_EQ(*(*rw)->SchemaVersion(), 3);
  Must((*rw)->Migrate());
  EXPECT_EQ(*(*rw)->SchemaVersion(), kSchemaVersion);
  Result<std::optional<Mailbox>> kept = (*rw)->FindMailbox("alice@example.com");
  ASSERT_TRUE(kept.ok() && kept->has_value()) << kept.status().message();
  EXPECT_EQ((*kept)->description, "");
  rw->reset();
  EXPECT_EQ(PgSchemaText(uri_), fresh);
}

TEST_F(PgStoreTest, EveryWriteBumpsTheChangeCounter) {
  std::unique_ptr<Store> ro = Open(Store::Mode::kReadOnly);
  ASSERT_TRUE(ro);
  Result<std::uint64_t> before = ro->DataVersion();
  ASSERT_TRUE(before.ok()) << before.status().message();
  const char* writes[] = {
      "INSERT INTO mailboxes (address) VALUES ('n@example.com')",
      "UPDATE domains SET active = 1 WHERE name = 'example.com'",
      "DELETE FROM aliases WHERE source = 'ghost@example.com'",
      "INSERT INTO relay_recipients (address) VALUES ('n@relay.example')",
      "INSERT INTO sender_logins (address, login) VALUES ('n@example.com', 'n')",
      "UPDATE settings SET value = 'yes' WHERE name = 'catchall_senders'",
  };
  std::uint64_t last = *before;
  for (const char* w : writes) {
    ASSERT_EQ(Sql(w), "") << w;
    Result<std::uint64_t> now = ro->DataVersion();
    ASSERT_TRUE(now.ok());
    EXPECT_NE(*now, last) << w;
    last = *now;
  }
}

// One bump per writing transaction, however many statements it has: per
// statement, each UPDATE of the counter walked the row versions the ones
// before it left, and a long import slowed down quadratically. A rolled
// back savepoint takes its bump back, and the next statement bumps again.
TEST_F(PgStoreTest, ATransactionBumpsTheCounterOnce) {
  std::unique_ptr<Store> ro = Open(Store::Mode::kReadOnly);
  ASSERT_TRUE(ro);
  auto counter = [&ro]() {
    Result<std::uint64_t> v = ro->DataVersion();
    EXPECT_TRUE(v.ok()) << v.status().message();
    return v.ok() ? *v : 0;
  };
  std::uint64_t before = counter();
  ASSERT_EQ(Sql("BEGIN;"
                "INSERT INTO mailboxes (address) VALUES ('t1@example.com');"
                "INSERT INTO mailboxes (address) VALUES ('t2@example.com');"
                "UPDATE domains SET active = 1 WHERE name = 'example.com';"
                "INSERT INTO relay_recipients (address) VALUES ('t@relay.example');"
                "COMMIT"),
            "");
  std::uint64_t after_one = counter();
  EXPECT_EQ(after_one - before, 1u);
  ASSERT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('t3@example.com')"), "");
  ASSERT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('t4@example.com')"), "");
  std::uint64_t after_two = counter();
  EXPECT_EQ(after_two - after_one, 2u) << "each transaction bumps";
  ASSERT_EQ(Sql("BEGIN; SAVEPOINT s;"
                "INSERT INTO mailboxes (address) VALUES ('gone@example.com');"
                "ROLLBACK TO SAVEPOINT s;"
                "INSERT INTO mailboxes (address) VALUES ('t5@example.com');"
                "COMMIT"),
            "");
  EXPECT_EQ(counter() - after_two, 1u) << "the rolled-back bump was taken back, and redone";
  EXPECT_TRUE(ro->FindMailbox("t5@example.com")->has_value());
  EXPECT_FALSE(ro->FindMailbox("gone@example.com")->has_value());
}

TEST_F(PgStoreTest, ChangeSignalHoldsOneSnapshotPerPoll) {
  LiveStore live(uri_, 1000, std::chrono::milliseconds(0));
  std::unique_ptr<ChangeSignal> signal = live.NewChangeSignal();
  Result<std::uint64_t> first = signal->Poll();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*signal->Poll(), *first);
  ASSERT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('late@example.com')"), "");
  // The snapshot of the last poll does not see the commit; the next does.
  EXPECT_FALSE(live.current()->FindMailbox("late@example.com")->has_value());
  Result<std::uint64_t> next = signal->Poll();
  ASSERT_TRUE(next.ok());
  EXPECT_NE(*next, *first);
  EXPECT_TRUE(live.current()->FindMailbox("late@example.com")->has_value());
  signal->Release();
  EXPECT_FALSE(live.current()->InTransaction());
}

TEST_F(PgStoreTest, LostConnectionIsTemporaryAndLiveStoreReopens) {
  LiveStore live(uri_, 1000, std::chrono::milliseconds(0));
  Result<Store*> got = live.Get();
  ASSERT_TRUE(got.ok()) << got.status().message();
  std::uint64_t generation = live.generation();
  ASSERT_EQ(Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'rcptdb' AND pid <> pg_backend_pid()"),
            "");
  Result<std::optional<Domain>> d = (*got)->FindDomain("example.com");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Status::Code::kTemporary);
  EXPECT_EQ(d.status().cause(), Status::Cause::kUnreachable) << d.status().message();
  // Broken for good: the LiveStore's next check drops it and reconnects.
  Result<bool> current = (*got)->StillCurrent();
  EXPECT_TRUE(current.ok() && !*current);
  got = live.Get();
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_NE(live.generation(), generation);
  EXPECT_TRUE((*got)->FindDomain("example.com")->has_value());
}

TEST_F(PgStoreTest, StatementTimeoutIsATemporaryFailure) {
  Result<std::unique_ptr<Store>> s = Store::Open(uri_, Store::Mode::kReadOnly, 200);
  ASSERT_TRUE(s.ok()) << s.status().message();
  // Another session holds a lock the reader's next statement waits for.
  PGconn* locker = PQconnectdb(uri_.c_str());
  PQclear(PQexec(locker, "BEGIN; LOCK TABLE domains IN ACCESS EXCLUSIVE MODE"));
  auto start = std::chrono::steady_clock::now();
  Result<std::optional<Domain>> d = (*s)->FindDomain("example.com");
  auto took = std::chrono::steady_clock::now() - start;
  PQfinish(locker);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().cause(), Status::Cause::kTimeout) << d.status().message();
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST_F(PgStoreTest, ResolverReadsOneSnapshot) {
  std::unique_ptr<Store> ro = Open(Store::Mode::kReadOnly);
  ASSERT_TRUE(ro);
  Resolver resolver(*ro);
  Result<Resolution> r = resolver.Resolve("sales@example.com");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->verdict, Verdict::kAlias);
  EXPECT_FALSE(ro->InTransaction());
}

}  // namespace
}  // namespace rcptdb::test

namespace rcptdb::test {
namespace {

// The snapshot memo (Store's base class) serves PostgreSQL too: inside a
// read-only snapshot a domain row or setting is asked for once, and the
// next snapshot asks again, so a change made between them is seen.
TEST_F(PgStoreTest, SnapshotMemoEndsWithTheSnapshot) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->BeginRead().ok());
  ASSERT_FALSE(reader->FindDomain("late.example")->has_value());
  ASSERT_EQ(*reader->GetSetting("delimiter"), "+");
  ASSERT_EQ(Sql("INSERT INTO domains (name, kind) VALUES ('late.example', 'hosted')"), "");
  ASSERT_EQ(Sql("UPDATE settings SET value = '+-' WHERE name = 'delimiter'"), "");
  EXPECT_FALSE(reader->FindDomain("late.example")->has_value()) << "the snapshot is unchanged";
  EXPECT_EQ(*reader->GetSetting("delimiter"), "+");
  ASSERT_TRUE(reader->Commit().ok());
  ASSERT_TRUE(reader->BeginRead().ok());
  EXPECT_TRUE(reader->FindDomain("late.example")->has_value()) << "a new snapshot reads afresh";
  EXPECT_EQ(*reader->GetSetting("delimiter"), "+-");
  reader->Rollback();
}

// RenewRead (COMMIT, BEGIN and the probe in one round trip) sees what
// was committed in between, and FindLocal reads it.
TEST_F(PgStoreTest, RenewedSnapshotSeesCommittedChanges) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->BeginRead().ok());
  Result<std::uint64_t> before = reader->DataVersion();
  ASSERT_TRUE(before.ok());
  ASSERT_FALSE(reader->FindDomain("late.example")->has_value());
  ASSERT_EQ(Sql("INSERT INTO domains (name, kind) VALUES ('late.example', 'hosted'); "
                "INSERT INTO mailboxes (address) VALUES ('late@late.example')"),
            "");
  EXPECT_EQ(*reader->DataVersion(), *before) << "the snapshot's own counter";
  ASSERT_TRUE(reader->RenewRead().ok());
  EXPECT_NE(*reader->DataVersion(), *before);
  EXPECT_TRUE(reader->FindDomain("late.example")->has_value());
  Result<LocalRows> rows = reader->FindLocal("late@late.example");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_TRUE(rows->mailbox.has_value());
  ASSERT_TRUE(reader->Commit().ok());
  EXPECT_FALSE(reader->InTransaction());
}

// The memo outlives a snapshot while the change counter stands still, and
// only then: with the counter's trigger switched off, a changed row goes
// unseen (the memo answered); once the counter moves, it is read afresh.
TEST_F(PgStoreTest, SnapshotMemoIsKeptWhileTheCounterStands) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->BeginRead().ok());
  ASSERT_EQ(*reader->GetSetting("delimiter"), "+");
  ASSERT_TRUE(reader->Commit().ok());
  ASSERT_EQ(Sql("ALTER TABLE settings DISABLE TRIGGER settings_changed; "
                "UPDATE settings SET value = '+-' WHERE name = 'delimiter'; "
                "ALTER TABLE settings ENABLE TRIGGER settings_changed"),
            "");
  ASSERT_TRUE(reader->BeginRead().ok());
  EXPECT_EQ(*reader->GetSetting("delimiter"), "+") << "kept: the counter did not move";
  ASSERT_TRUE(reader->Commit().ok());
  ASSERT_EQ(Sql("UPDATE rcptdb_version SET v = v + 1"), "");
  ASSERT_TRUE(reader->BeginRead().ok());
  EXPECT_EQ(*reader->GetSetting("delimiter"), "+-") << "read afresh after the counter moved";
  ASSERT_TRUE(reader->Commit().ok());
}

// FindLocal's one statement returns what FindMailbox and FindAlias do.
TEST_F(PgStoreTest, FindLocalReadsMailboxOrAlias) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ExpectFindLocalAgrees(*reader);
}

// The rows of an expected lookup (Store::ExpectLookup) come with the
// snapshot: the same rows FindLocal reads, once; a new snapshot, begun or
// renewed, consumes the hint.
TEST_F(PgStoreTest, AnExpectedLookupIsReadWithTheSnapshot) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->BeginRead().ok());
  for (const std::string address :
       {"alice@example.com", "sales@example.com", "nobody@example.com", "dave@example.com"}) {
    reader->ExpectLookup(address);
    ASSERT_EQ(reader->expected_lookup(), address);
    ASSERT_TRUE(reader->RenewRead().ok());
    EXPECT_EQ(reader->expected_lookup(), "") << "consumed by the snapshot";
    Result<LocalRows> ahead = reader->FindLocal(address);
    ASSERT_TRUE(ahead.ok()) << ahead.status().message();
    Result<LocalRows> read = reader->FindLocal(address);
    ASSERT_TRUE(read.ok()) << read.status().message();
    ExpectSameLocalRows(*ahead, *read, address);
  }
  ASSERT_TRUE(reader->Commit().ok());
  // A snapshot begun afresh reads ahead too, and sees what was committed.
  ASSERT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('late@example.com', "
                "'alice@example.com')"),
            "");
  reader->ExpectLookup("late@example.com");
  ASSERT_TRUE(reader->BeginRead().ok());
  Result<LocalRows> late = reader->FindLocal("late@example.com");
  ASSERT_TRUE(late.ok()) << late.status().message();
  ASSERT_EQ(late->aliases.size(), 1u);
  EXPECT_EQ(late->aliases[0].target, "alice@example.com");
  ASSERT_TRUE(reader->Commit().ok());
}

// The expected rows cost no round trip of their own: with the connection
// killed after the snapshot began, they still answer, once, and every
// other read is the lost connection's Temporary failure.
TEST_F(PgStoreTest, AnExpectedLookupCostsNoRoundTripOfItsOwn) {
  std::unique_ptr<Store> reader = Open(Store::Mode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(reader->BeginRead().ok());
  ASSERT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('late@example.com')"), "");
  reader->ExpectLookup("late@example.com");
  ASSERT_TRUE(reader->RenewRead().ok());
  ASSERT_EQ(Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'rcptdb' AND pid <> pg_backend_pid()"),
            "");
  Result<LocalRows> ahead = reader->FindLocal("late@example.com");
  ASSERT_TRUE(ahead.ok()) << ahead.status().message();
  ASSERT_TRUE(ahead->mailbox.has_value()) << "the renewed snapshot sees the commit";
  for (const char* address : {"alice@example.com", "late@example.com"}) {
    Result<LocalRows> other = reader->FindLocal(address);
    ASSERT_FALSE(other.ok()) << address;
    EXPECT_EQ(other.status().cause(), Status::Cause::kUnreachable) << other.status().message();
  }
}

// A snapshot and its expected lookup that fail in one round trip are a
// Temporary failure with the cause of the first failure, leave no
// transaction open and, on a live connection, the store usable.
TEST_F(PgStoreTest, AFailedReadAheadLeavesNothingOpen) {
  Result<std::unique_ptr<Store>> s = Store::Open(uri_, Store::Mode::kReadOnly, 200);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Store& reader = **s;
  ASSERT_TRUE(reader.BeginRead().ok());
  // The lookup waits for a lock past the statement timeout; the probe
  // before it reads another table and succeeds.
  PGconn* locker = PQconnectdb(uri_.c_str());
  PQclear(PQexec(locker, "BEGIN; LOCK TABLE mailboxes IN ACCESS EXCLUSIVE MODE"));
  reader.ExpectLookup("alice@example.com");
  Status renewed = reader.RenewRead();
  PQfinish(locker);
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.cause(), Status::Cause::kTimeout) << renewed.message();
  EXPECT_FALSE(reader.InTransaction());
  reader.ExpectLookup("alice@example.com");
  ASSERT_TRUE(reader.BeginRead().ok());
  Result<LocalRows> rows = reader.FindLocal("alice@example.com");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_TRUE(rows->mailbox.has_value());
  ASSERT_TRUE(reader.Commit().ok());
  // A connection lost before the round trip: Temporary, and broken for good.
  ASSERT_TRUE(reader.BeginRead().ok());
  ASSERT_EQ(Sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'rcptdb' AND pid <> pg_backend_pid()"),
            "");
  reader.ExpectLookup("alice@example.com");
  renewed = reader.RenewRead();
  ASSERT_FALSE(renewed.ok());
  EXPECT_EQ(renewed.cause(), Status::Cause::kUnreachable) << renewed.message();
  Result<bool> current = reader.StillCurrent();
  EXPECT_TRUE(current.ok() && !*current);
}

// A streaming standby of the RCPTDB_TEST_PGSQL_URI database, named by
// RCPTDB_TEST_PGSQL_STANDBY_URI (tests/support/pg-cluster standby); the
// test skips without it.
class PgStandbyTest : public PgStoreTest {
 protected:
  void SetUp() override {
    standby_ = PgTestStandbyUri();
    if (standby_.empty()) GTEST_SKIP() << "RCPTDB_TEST_PGSQL_STANDBY_URI is not set";
    PgStoreTest::SetUp();
  }
  void TearDown() override {
    if (!standby_.empty()) PgRawSql(standby_, "SELECT pg_wal_replay_resume()");
  }
  // Waits until the standby has replayed everything the primary wrote.
  void CatchUp() { ASSERT_TRUE(PgCatchUp(uri_, standby_)) << "the standby did not catch up"; }
  // Stops replay, writes on the primary, and waits until the standby has
  // received it and its last replayed commit is older than 300 ms.
  void Lag() {
    ASSERT_EQ(PgRawSql(standby_, "SELECT pg_wal_replay_pause()"), "");
    ASSERT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('lag@example.com')"), "");
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
  }
  std::string standby_;
};

TEST_F(PgStandbyTest, LaggingStandbyIsATemporaryFailure) {
  CatchUp();
  LiveStore live(WithLagBound(standby_, "300ms"), 1000, std::chrono::milliseconds(0));
  PgChangeSignal signal(live);
  Result<std::uint64_t> first = signal.Poll();
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(live.current()->FindMailbox("alice@example.com")->has_value());
  signal.Release();
  // Replay stops; the primary writes; the standby receives but does not
  // replay, so its data grows older than the bound.
  Lag();
  Result<std::uint64_t> stale = signal.Poll();
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Status::Code::kTemporary);
  EXPECT_NE(stale.status().message().find("standby replay lags"), std::string::npos)
      << stale.status().message();
  ASSERT_EQ(PgRawSql(standby_, "SELECT pg_wal_replay_resume()"), "");
  CatchUp();
  Result<std::uint64_t> fresh = signal.Poll();
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_NE(*fresh, *first);
  EXPECT_TRUE(live.current()->FindMailbox("lag@example.com")->has_value());
  // A read-only store on the standby refuses writes like any reader.
  EXPECT_EQ(live.current()->InsertMailbox(MakeMailbox("w@example.com")).code(),
            Status::Code::kInvalid);
}

// The bound holds wherever a reader resolves, not only behind the server's
// change signal: the Resolver of the policy service, the LMTP plugin and
// rcptdb check reads a snapshot of its own, and that snapshot does not
// begin on a lagging standby.
TEST_F(PgStandbyTest, EveryReaderOfALaggingStandbyDefers) {
  CatchUp();
  Result<std::unique_ptr<Store>> opened =
      Store::Open(WithLagBound(standby_, "300ms"), Store::Mode::kReadOnly, 1000);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Store& reader = **opened;
  Result<Resolution> before = Resolver(reader).Resolve("alice@example.com");
  ASSERT_TRUE(before.ok()) << before.status().message();
  EXPECT_EQ(before->verdict, Verdict::kMailbox);
  Lag();
  Result<Resolution> stale = Resolver(reader).Resolve("lag@example.com");
  ASSERT_FALSE(stale.ok()) << "answered " << VerdictName(stale->verdict) << " from stale data";
  EXPECT_EQ(stale.status().code(), Status::Code::kTemporary);
  EXPECT_NE(stale.status().message().find("standby replay lags"), std::string::npos)
      << stale.status().message();
  EXPECT_FALSE(reader.InTransaction()) << "the refused snapshot is not left open";
  EXPECT_FALSE(reader.BeginRead().ok());
  ASSERT_EQ(PgRawSql(standby_, "SELECT pg_wal_replay_resume()"), "");
  CatchUp();
  Result<Resolution> fresh = Resolver(reader).Resolve("lag@example.com");
  ASSERT_TRUE(fresh.ok()) << fresh.status().message();
  EXPECT_EQ(fresh->verdict, Verdict::kMailbox);
}

// rcptdb.max_standby_lag, set here in the URI's options, chooses the
// bound; a value that is not an interval is a Temporary failure that
// names the setting.
TEST_F(PgStandbyTest, TheSessionSettingChoosesTheLagBound) {
  CatchUp();
  LiveStore lenient(WithLagBound(standby_, "1h"), 1000, std::chrono::milliseconds(0));
  PgChangeSignal lenient_signal(lenient);
  LiveStore strict(WithLagBound(standby_, "200ms"), 1000, std::chrono::milliseconds(0));
  PgChangeSignal strict_signal(strict);
  LiveStore broken(WithLagBound(standby_, "soon"), 1000, std::chrono::milliseconds(0));
  PgChangeSignal broken_signal(broken);
  ASSERT_TRUE(lenient_signal.Poll().ok());
  ASSERT_TRUE(strict_signal.Poll().ok());
  Result<std::uint64_t> refused = broken_signal.Poll();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kTemporary);
  EXPECT_NE(refused.status().message().find("rcptdb.max_standby_lag"), std::string::npos)
      << refused.status().message();
  lenient_signal.Release();
  strict_signal.Release();

  Lag();
  Result<std::uint64_t> within = lenient_signal.Poll();
  EXPECT_TRUE(within.ok()) << within.status().message();
  Result<std::uint64_t> past = strict_signal.Poll();
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.status().message().find("(bound 200 ms)"), std::string::npos)
      << past.status().message();
  lenient_signal.Release();
  ASSERT_EQ(PgRawSql(standby_, "SELECT pg_wal_replay_resume()"), "");
  CatchUp();
  EXPECT_TRUE(strict_signal.Poll().ok());
}

}  // namespace
}  // namespace rcptdb::test
