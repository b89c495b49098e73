// SPDX-License-Identifier: MIT
// store_test - the database: schema guards, versions, failures, backup
#include "store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "fixture.h"
#include "live_store.h"
#include "password.h"
#include "resolver.h"

namespace rcptdb::test {
namespace {

// Runs SQL on a raw connection, as an admin with the sqlite3 shell would.
int RawExec(const std::string& path, const std::string& sql, std::string* err = nullptr) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  char* msg = nullptr;
  int rc = sqlite3_exec(db, ("PRAGMA foreign_keys = ON;" + sql).c_str(), nullptr, nullptr, &msg);
  if (err) *err = msg ? msg : "";
  sqlite3_free(msg);
  sqlite3_close(db);
  return rc;
}

TEST(Store, CreateSetsVersionAndWal) {
  TempDatabase db;
  Result<std::unique_ptr<Store>> s = Store::Create(db.path());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(*(*s)->SchemaVersion(), kSchemaVersion);
  EXPECT_EQ(*(*s)->GetSetting("delimiter"), "+");
  EXPECT_FALSE(Store::Create(db.path()).ok()) << "init must not clobber a database";
}

TEST(Store, MissingFileIsTemporaryAndNotCreated) {
  TempDatabase db;
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().temporary());
  EXPECT_FALSE(std::filesystem::exists(db.path()));
}

TEST(Store, UnknownSchemaVersionIsRefused) {
  TempDatabase db;
  CreateFilled(db.path());
  ASSERT_EQ(RawExec(db.path(), "PRAGMA user_version = 99;"), SQLITE_OK);
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().temporary());
  EXPECT_NE(s.status().message().find("schema version 99"), std::string::npos);
}

TEST(Store, NotADatabaseIsTemporary) {
  TempDatabase db;
  {
    FILE* f = fopen(db.path().c_str(), "w");
    fputs("this is not sqlite, just text\n", f);
    fclose(f);
  }
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().temporary());
}

TEST(Store, ReadOnlyRefusesWrites) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->InsertRelayRecipient("new@relay.example").ok());
}

// A read-only snapshot keeps the domain rows and settings it has read;
// the next snapshot reads them afresh.
TEST(Store, SnapshotMemoEndsWithTheSnapshot) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  Store& reader = **s;
  ASSERT_TRUE(reader.BeginRead().ok());
  ASSERT_FALSE(reader.FindDomain("late.example")->has_value());
  ASSERT_EQ(*reader.GetSetting("delimiter"), "+");
  ASSERT_EQ(RawExec(db.path(),
                    "INSERT INTO domains (name, kind) VALUES ('late.example', 'hosted');"
                    "UPDATE settings SET value = '+-' WHERE name = 'delimiter';"),
            SQLITE_OK);
  EXPECT_FALSE(reader.FindDomain("late.example")->has_value()) << "the snapshot is unchanged";
  EXPECT_EQ(*reader.GetSetting("delimiter"), "+");
  ASSERT_TRUE(reader.Commit().ok());
  ASSERT_TRUE(reader.BeginRead().ok());
  EXPECT_TRUE(reader.FindDomain("late.example")->has_value()) << "a new snapshot reads afresh";
  EXPECT_EQ(*reader.GetSetting("delimiter"), "+-");
  reader.Rollback();
  EXPECT_TRUE(reader.FindDomain("late.example")->has_value());
}

// RenewRead ends the snapshot and begins the next in one call: the new
// one sees what was committed in between, memo included.
TEST(Store, RenewedSnapshotSeesCommittedChanges) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  Store& reader = **s;
  ASSERT_TRUE(reader.BeginRead().ok());
  ASSERT_FALSE(reader.FindDomain("late.example")->has_value());
  ASSERT_FALSE(reader.FindLocal("late@example.com")->mailbox.has_value());
  ASSERT_EQ(RawExec(db.path(),
                    "INSERT INTO domains (name, kind) VALUES ('late.example', 'hosted');"
                    "INSERT INTO mailboxes (address) VALUES ('late@example.com');"),
            SQLITE_OK);
  EXPECT_FALSE(reader.FindDomain("late.example")->has_value()) << "the snapshot is unchanged";
  ASSERT_TRUE(reader.RenewRead().ok());
  EXPECT_TRUE(reader.FindDomain("late.example")->has_value());
  EXPECT_TRUE(reader.FindLocal("late@example.com")->mailbox.has_value());
  ASSERT_TRUE(reader.Commit().ok());
}

// The memo keeps at most kMaxMemoRows names: past that it starts again,
// and still answers right.
TEST(Store, SnapshotMemoIsBounded) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  Store& reader = **s;
  ASSERT_TRUE(reader.BeginRead().ok());
  ASSERT_TRUE(reader.FindDomain("example.com")->has_value());
  for (std::size_t i = 0; i < 2 * kMaxMemoRows + 1; ++i)
    ASSERT_FALSE(reader.FindDomain("unknown" + std::to_string(i) + ".example")->has_value());
  EXPECT_TRUE(reader.FindDomain("example.com")->has_value());
  EXPECT_FALSE(reader.FindDomain("unknown7.example")->has_value());
  ASSERT_TRUE(reader.Commit().ok());
}

// FindLocal: the mailbox, or else the alias rows, or nothing.
TEST(Store, FindLocalReadsMailboxOrAlias) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(s.ok());
  ExpectFindLocalAgrees(**s);
}

// Plain SQL provisioning cannot store what the resolver would misread.
TEST(Store, SchemaRejectsNonNormalisedValues) {
  TempDatabase db;
  CreateFilled(db.path());
  // Each statement, and the schema's own words for why it is refused: the
  // constraint's name or the trigger's message, so that a statement refused
  // for some other reason (a typo, a different rule) fails the test.
  struct Bad {
    const char* sql;
    const char* cause;
  };
  const Bad bad[] = {
      {"INSERT INTO domains (name) VALUES ('Upper.example')",
       "CHECK constraint failed: domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('trailing.example.')",
       "CHECK constraint failed: domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('bad domain.example')",
       "CHECK constraint failed: domain_not_normalised"},
      {"INSERT INTO domains (name) VALUES ('')", "CHECK constraint failed: domain_not_normalised"},
      {"INSERT INTO domains (name, kind) VALUES ('x.example', 'open')",
       "CHECK constraint failed: unknown_domain_kind"},
      {"INSERT INTO domains (name, kind) VALUES ('y.example', 'alias')",
       "CHECK constraint failed: alias_domain_needs_target"},
      {"INSERT INTO domains (name, kind, target) VALUES ('z.example', 'alias', 'example.net')",
       "alias domain target must be a hosted or relay domain"},
      {"INSERT INTO domains (name, kind, target) VALUES ('w.example', 'alias', 'missing.example')",
       "FOREIGN KEY constraint failed"},
      {"INSERT INTO mailboxes (address) VALUES ('Alice2@example.com')",
       "CHECK constraint failed: address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('@example.com')",
       "CHECK constraint failed: address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('two@at@example.com')",
       "CHECK constraint failed: address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('x%y@example.com')",
       "CHECK constraint failed: address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('sp ace@example.com')",
       "CHECK constraint failed: address_not_normalised"},
      {"INSERT INTO mailboxes (address) VALUES ('new@nowhere.test')",
       "FOREIGN KEY constraint failed"},
      {"INSERT INTO mailboxes (address) VALUES ('new@example.net')",
       "mailboxes live in hosted domains only"},
      {"INSERT INTO mailboxes (address) VALUES ('new@relay.example')",
       "mailboxes live in hosted domains only"},
      {"INSERT INTO mailboxes (address) VALUES ('sales@example.com')",
       "an alias with this address exists"},
      {"INSERT INTO mailboxes (address, password) VALUES ('p@example.com', 'plain')",
       "CHECK constraint failed: password_not_scheme_hash"},
      {"INSERT INTO mailboxes (address, quota) VALUES ('q@example.com', -1)",
       "CHECK constraint failed: quota_not_bytes"},
      {"INSERT INTO aliases (source, target) VALUES ('alice@example.com', 'bob@example.com')",
       "a mailbox with this address exists"},
      {"INSERT INTO aliases (source, target) VALUES ('self@example.com', 'self@example.com')",
       "CHECK constraint failed: alias_to_itself"},
      {"INSERT INTO aliases (source, target) VALUES ('up@example.com', 'Bob@example.com')",
       "CHECK constraint failed: target_not_normalised"},
      {"INSERT INTO relay_recipients (address) VALUES ('x@example.com')",
       "relay recipients live in relay domains only"},
      {"INSERT INTO settings (name, value) VALUES ('other', 'x')",
       "CHECK constraint failed: name IN ('delimiter', 'postmaster', 'catchall_senders')"},
      {"UPDATE settings SET value = 'ab' WHERE name = 'delimiter'",
       "CHECK constraint failed: delimiter_chars"},
      {"DELETE FROM domains WHERE name = 'example.com'", "FOREIGN KEY constraint failed"},
  };
  for (const Bad& b : bad) {
    std::string err;
    EXPECT_NE(RawExec(db.path(), b.sql, &err), SQLITE_OK) << b.sql;
    EXPECT_EQ(err, b.cause) << b.sql;
  }
  // And what is fine through plain SQL works.
  std::string err;
  EXPECT_EQ(RawExec(db.path(),
                    "INSERT INTO mailboxes (address, password) VALUES "
                    "('plain@example.com', '{SHA512-CRYPT}$6$abc$def')",
                    &err),
            SQLITE_OK)
      << err;
}

TEST(Store, DeletingADomainRemovesItsRecipients) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadWrite);
  ASSERT_TRUE(s.ok());
  Must((*s)->DeleteDomain("example.org"));
  EXPECT_FALSE(*(*s)->FindMailbox("real@example.org"));
  EXPECT_TRUE((*s)->FindAlias("team@example.org")->empty());
  // example.com is the target of the alias domain example.net.
  Status st = (*s)->DeleteDomain("example.com");
  EXPECT_EQ(st.code(), Status::Code::kConflict) << st.message();
}

TEST(Store, WritesRollBackUnlessCommitted) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadWrite);
  ASSERT_TRUE(s.ok());
  {
    Transaction tx(**s);
    Must(tx.Begin());
    Must((*s)->InsertRelayRecipient("new@relay.example"));
  }
  EXPECT_FALSE(*(*s)->IsRelayRecipient("new@relay.example"));
}

// A writer holding an exclusive lock: readers get Temporary, not an answer.
TEST(Store, LockedDatabaseIsTemporary) {
  TempDatabase db;
  CreateFilled(db.path());
  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker,
                         "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;"
                         "UPDATE settings SET value = value;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  LiveStore live(db.path(), 50);
  Result<Store*> s = live.Get();
  if (s.ok()) {
    Resolver resolver(**s);
    Result<Resolution> r = resolver.Resolve("alice@example.com");
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().temporary());
  } else {
    EXPECT_TRUE(s.status().temporary()) << s.status().message();
  }
  sqlite3_exec(locker, "COMMIT;", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  live.Invalidate();
  Result<Store*> again = live.Get();
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_TRUE(Resolver(**again).Resolve("alice@example.com").ok());
}

// A reader follows the file: missing, appearing, replaced by a backup.
TEST(LiveStore, FollowsReplacedFile) {
  TempDatabase db;
  LiveStore live(db.path(), 1000, std::chrono::milliseconds(0));
  EXPECT_TRUE(live.Get().status().temporary());

  CreateFilled(db.path());
  Result<Store*> s = live.Get();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(*(*s)->FindMailbox("alice@example.com"));

  // Make a backup, change the live file, then restore by rename.
  std::string backup = db.dir() + "/backup.sqlite";
  Must((*s)->BackupTo(backup));
  {
    Result<std::unique_ptr<Store>> rw = Store::Open(db.path(), Store::Mode::kReadWrite);
    ASSERT_TRUE(rw.ok());
    Must((*rw)->DeleteMailbox("alice@example.com"));
  }
  s = live.Get();
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(*(*s)->FindMailbox("alice@example.com")) << "changes are seen at once";
  std::filesystem::remove(db.path() + "-wal");
  std::filesystem::remove(db.path() + "-shm");
  std::filesystem::rename(backup, db.path());
  s = live.Get();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(*(*s)->FindMailbox("alice@example.com")) << "restored file is picked up";

  std::filesystem::remove(db.path());
  EXPECT_TRUE(live.Get().status().temporary());
}

// The identity check is throttled, but a replacement is seen after it.
TEST(LiveStore, ThrottledCheckStillSeesReplacement) {
  TempDatabase db;
  CreateFilled(db.path());
  LiveStore live(db.path(), 1000, std::chrono::milliseconds(30));
  ASSERT_TRUE(live.Get().ok());
  std::filesystem::remove(db.path());
  EXPECT_TRUE(live.Get().ok()) << "within the interval the open file serves";
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  EXPECT_TRUE(live.Get().status().temporary());
  CreateFilled(db.path());
  Result<Store*> s = live.Get();
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(*(*s)->FindMailbox("alice@example.com"));
}

TEST(Password, HashesDovecotCanVerify) {
  Result<std::string> h = HashPassword("correct horse");
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("{SHA512-CRYPT}$6$")) << *h;
  EXPECT_TRUE(IsSchemeHash(*h));
  EXPECT_TRUE(VerifyPassword("correct horse", *h));
  EXPECT_FALSE(VerifyPassword("wrong horse", *h));
  EXPECT_NE(*HashPassword("correct horse"), *h) << "salted";
  EXPECT_FALSE(HashPassword("").ok());
  EXPECT_FALSE(IsSchemeHash("plain"));
  EXPECT_FALSE(IsSchemeHash("{SHA512-CRYPT}"));
  EXPECT_FALSE(IsSchemeHash("{sha}x y"));
}

}  // namespace
}  // namespace rcptdb::test
