// SPDX-License-Identifier: MIT
// schema_v2_test - schema version 2's guards, its migration, and the
// database file rules: delimiter in mailbox names, alias depth, transport
// values, settings, migrate from version 1, file modes, paths, and the
// schema version re-checked under a running reader
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <thread>

#include "fixture.h"
#include "live_store.h"
#include "resolver.h"
#include "store.h"

namespace rcptdb::test {
namespace {

const char kSchemaV1[] =
#include "schema_v1_sql.inc"
    ;

// Runs SQL on a raw connection; returns SQLite's result code and message.
int RawSql(const std::string& path, const std::string& sql, std::string* err = nullptr) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, ("PRAGMA foreign_keys = ON;" + sql).c_str(), nullptr, nullptr, &msg);
  if (err) *err = msg ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  return rc;
}

// Every schema object's name and SQL text, one per line, sorted.
std::string SchemaText(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY type, name", -1, &st,
                     nullptr);
  std::string out;
  while (sqlite3_step(st) == SQLITE_ROW)
    for (int i = 0; i < 3; ++i) {
      const unsigned char* t = sqlite3_column_text(st, i);
      out += (t ? reinterpret_cast<const char*>(t) : "NULL") + std::string(i == 2 ? "\n" : " ");
    }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

class SchemaV2Test : public ::testing::Test {
 protected:
  void SetUp() override { CreateFilled(db_.path()); }
  int Sql(const std::string& sql, std::string* err = nullptr) {
    return RawSql(db_.path(), sql, err);
  }
  TempDatabase db_;
};

TEST_F(SchemaV2Test, MailboxNameWithDelimiterIsRefusedByPlainSql) {
  std::string err;
  EXPECT_NE(Sql("INSERT INTO mailboxes (address) VALUES ('alice+y@example.com')", &err), SQLITE_OK);
  EXPECT_NE(err.find("delimiter"), std::string::npos) << err;
  EXPECT_NE(Sql("INSERT INTO mailboxes (address) VALUES ('carol+x@example.com')"), SQLITE_OK);
  // Only after the first character, as Dovecot and the resolver split.
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('+lead@example.com')"), SQLITE_OK);
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('john-doe@example.com')"), SQLITE_OK);
  EXPECT_NE(Sql("UPDATE mailboxes SET address = 'bob+z@example.com' "
                "WHERE address = 'bob@example.com'"),
            SQLITE_OK);
  // An alias source may hold a delimiter: Postfix rewrites it before LMTP.
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('bob+x@example.com', "
                "'alice@example.com')"),
            SQLITE_OK);
  // '-' must be literal in the trigger's GLOB class, not a range.
  EXPECT_NE(Sql("UPDATE settings SET value = '=-' WHERE name = 'delimiter'", &err), SQLITE_OK)
      << "john-doe holds '-'";
  EXPECT_EQ(Sql("DELETE FROM mailboxes WHERE address = 'john-doe@example.com';"
                "UPDATE settings SET value = '#-' WHERE name = 'delimiter'"),
            SQLITE_OK);
  EXPECT_NE(Sql("INSERT INTO mailboxes (address) VALUES ('a-b@example.com')"), SQLITE_OK);
  EXPECT_EQ(Sql("INSERT INTO mailboxes (address) VALUES ('a,b@example.com')"), SQLITE_OK)
      << "a range #-- would hold ','";
}

TEST_F(SchemaV2Test, DelimiterChangeThatSplitsAMailboxIsRefused) {
  // a_b@example.com exists.
  std::string err;
  EXPECT_NE(Sql("UPDATE settings SET value = '+_' WHERE name = 'delimiter'", &err), SQLITE_OK);
  EXPECT_NE(err.find("delimiter"), std::string::npos) << err;
  Result<std::unique_ptr<Store>> rw = Store::Open(db_.path(), Store::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok());
  EXPECT_FALSE((*rw)->SetSetting("delimiter", "+_").ok());
  EXPECT_EQ(*(*rw)->GetSetting("delimiter"), "+");
  Result<std::vector<std::string>> names = (*rw)->MailboxesWithDelimiter("+_");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"a_b@example.com"});
  EXPECT_TRUE((*rw)->MailboxesWithDelimiter("")->empty());
  Must((*rw)->SetSetting("delimiter", "+-"));
  Must((*rw)->SetSetting("delimiter", ""));
}

TEST_F(SchemaV2Test, AliasChainPastTheResolverBoundIsRefused) {
  std::string sql;
  for (int i = 0; i < kMaxAliasDepth; ++i)
    sql += "INSERT INTO aliases (source, target) VALUES ('c" + std::to_string(i) +
           "@example.com', '" +
           (i + 1 == kMaxAliasDepth ? std::string("alice@example.com")
                                    : "c" + std::to_string(i + 1) + "@example.com") +
           "');";
  ASSERT_EQ(Sql(sql), SQLITE_OK) << "a chain of exactly kMaxAliasDepth steps";
  std::string err;
  // One more step at either end, or in the middle via a second branch.
  EXPECT_NE(Sql("INSERT INTO aliases (source, target) VALUES ('top@example.com', "
                "'c0@example.com')",
                &err),
            SQLITE_OK);
  EXPECT_NE(err.find("8 steps"), std::string::npos) << err;
  EXPECT_NE(Sql("INSERT INTO aliases (source, target) VALUES ('c7@example.com', "
                "'sales@example.com')"),
            SQLITE_OK);
  // Loops are not depth (rcptdb refuses them by its own check).
  EXPECT_EQ(Sql("INSERT INTO aliases (source, target) VALUES ('c3@example.com', "
                "'c1@example.com')"),
            SQLITE_OK);
}

TEST_F(SchemaV2Test, TransportWithInnerBlanksIsAccepted) {
  EXPECT_EQ(Sql("UPDATE domains SET transport = 'error:5.7.1 Mailbox moved' "
                "WHERE name = 'example.com'"),
            SQLITE_OK);
  EXPECT_NE(Sql("UPDATE domains SET transport = ' smtp:x' WHERE name = 'example.com'"), SQLITE_OK);
  EXPECT_NE(Sql("UPDATE domains SET transport = 'smtp:x\t' WHERE name = 'example.com'"), SQLITE_OK);
  EXPECT_NE(Sql("UPDATE mailboxes SET transport = 'nocolon here' "
                "WHERE address = 'bob@example.com'"),
            SQLITE_OK);
}

TEST_F(SchemaV2Test, SettingsCheckEachValue) {
  EXPECT_EQ(Sql("UPDATE settings SET value = 'bob@example.com' WHERE name = 'postmaster'"),
            SQLITE_OK);
  EXPECT_NE(Sql("UPDATE settings SET value = 'Bob@Example.com' WHERE name = 'postmaster'"),
            SQLITE_OK);
  EXPECT_NE(Sql("UPDATE settings SET value = 'maybe' WHERE name = 'catchall_senders'"), SQLITE_OK);
  EXPECT_NE(Sql("INSERT INTO settings (name, value) VALUES ('colour', 'red')"), SQLITE_OK);
}

// A version 1 file made by the previous release.
void CreateV1(const std::string& path) {
  ASSERT_EQ(RawSql(path, kSchemaV1), SQLITE_OK);
  ASSERT_EQ(RawSql(path,
                   "INSERT INTO domains (name, transport) VALUES ('example.com', 'smtp:[mx]');"
                   "INSERT INTO mailboxes (address) VALUES ('alice@example.com');"
                   "UPDATE settings SET value = '+-' WHERE name = 'delimiter';"),
            SQLITE_OK);
}

TEST(SchemaMigration, FromVersion1LeavesTheSchemaOfAFreshFile) {
  TempDatabase old_db, fresh;
  CreateV1(old_db.path());
  EXPECT_FALSE(Store::Open(old_db.path(), Store::Mode::kReadOnly).ok());
  Result<std::unique_ptr<Store>> s =
      Store::Open(old_db.path(), Store::Mode::kReadWrite, 2000, /*allow_old_schema=*/true);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Must((*s)->Migrate());
  EXPECT_EQ(*(*s)->SchemaVersion(), kSchemaVersion);
  EXPECT_EQ(*(*s)->GetSetting("delimiter"), "+-") << "kept";
  EXPECT_EQ(*(*s)->GetSetting("catchall_senders"), "no");
  s->reset();
  ASSERT_TRUE(Store::Create(fresh.path()).ok());
  EXPECT_EQ(SchemaText(old_db.path()), SchemaText(fresh.path()));
  // The new guards work in the migrated file.
  EXPECT_NE(RawSql(old_db.path(), "INSERT INTO mailboxes (address) VALUES ('al-x@example.com')"),
            SQLITE_OK);
  EXPECT_EQ(RawSql(old_db.path(), "UPDATE domains SET transport = 'error:5.1.1 gone'"), SQLITE_OK);
  EXPECT_EQ(RawSql(old_db.path(), "PRAGMA integrity_check; PRAGMA foreign_key_check"), SQLITE_OK);
}

TEST(SchemaMigration, RefusesListingMailboxNamesWithTheDelimiter) {
  TempDatabase db;
  CreateV1(db.path());
  ASSERT_EQ(RawSql(db.path(),
                   "INSERT INTO mailboxes (address) VALUES ('john-doe@example.com');"
                   "INSERT INTO mailboxes (address) VALUES ('carol+x@example.com');"),
            SQLITE_OK);
  Result<std::unique_ptr<Store>> s =
      Store::Open(db.path(), Store::Mode::kReadWrite, 2000, /*allow_old_schema=*/true);
  ASSERT_TRUE(s.ok());
  Status m = (*s)->Migrate();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), Status::Code::kInvalid);
  EXPECT_NE(m.message().find("carol+x@example.com, john-doe@example.com"), std::string::npos)
      << m.message();
  EXPECT_EQ(*(*s)->SchemaVersion(), 1) << "nothing changed";
}

TEST(DatabaseFile, InitAndBackupAreNotWorldReadable) {
  TempDatabase db;
  ::umask(022);
  CreateFilled(db.path());
  struct stat st;
  ASSERT_EQ(stat(db.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, kDatabaseFileMode);
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  std::string copy = db.dir() + "/copy.sqlite";
  Must((*s)->BackupTo(copy));
  ASSERT_EQ(stat(copy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, kDatabaseFileMode);
  EXPECT_EQ(st.st_mode & 0007, 0u);
}

TEST(DatabaseFile, OnlyPathsAreDatabases) {
  for (const char* bad : {":memory:", "", "file:x.db", "file:memdb?mode=memory&cache=shared"}) {
    EXPECT_EQ(CheckDatabasePath(bad).code(), Status::Code::kInvalid) << bad;
    EXPECT_FALSE(Store::Open(bad, Store::Mode::kReadOnly).ok()) << bad;
    EXPECT_FALSE(Store::Create(bad).ok()) << bad;
  }
  EXPECT_TRUE(CheckDatabasePath("/var/lib/rcptdb/rcptdb.sqlite").ok());
  EXPECT_TRUE(CheckDatabasePath("relative.sqlite").ok());
}

TEST(DatabaseFile, ReaderDefersWhenTheSchemaVersionChangesUnderIt) {
  TempDatabase db;
  CreateFilled(db.path());
  LiveStore live(db.path(), 100, std::chrono::milliseconds(0));
  ASSERT_TRUE(live.Get().ok());
  ASSERT_EQ(RawSql(db.path(), "PRAGMA user_version = 1"), SQLITE_OK);
  Result<Store*> s = live.Get();
  ASSERT_FALSE(s.ok()) << "still answering from a version 1 file";
  EXPECT_TRUE(s.status().temporary());
  EXPECT_NE(s.status().message().find("schema version"), std::string::npos);
  ASSERT_EQ(RawSql(db.path(), "PRAGMA user_version = " + std::to_string(kSchemaVersion)),
            SQLITE_OK);
  EXPECT_TRUE(live.Get().ok()) << "recovers when the version is right again";
  // An ordinary change is not a schema change.
  ASSERT_EQ(RawSql(db.path(), "INSERT INTO mailboxes (address) VALUES ('new@example.com')"),
            SQLITE_OK);
  EXPECT_TRUE(live.Get().ok());
}

}  // namespace
}  // namespace rcptdb::test
