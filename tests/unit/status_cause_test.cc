// SPDX-License-Identifier: MIT
// status_cause_test - each database failure carries its cause
//
// The Store and LiveStore set Status::Cause where SQLite or the system
// reports the error; rcptdb-server's health log and its temporary-failure
// replies read that cause (never the message). Each case below makes the
// real failure happen on a real file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "fixture.h"
#include "live_store.h"
#include "status.h"
#include "store.h"

namespace rcptdb {
namespace {

using test::TempDatabase;

void CreateEmpty(const std::string& path) {
  Result<std::unique_ptr<Store>> s = Store::Create(path);
  ASSERT_TRUE(s.ok()) << s.status().message();
}

TEST(StatusCause, CodesCarryTheirOwnCause) {
  EXPECT_EQ(Status::Ok().cause(), Status::Cause::kNone);
  EXPECT_EQ(Status::NotFound("x").cause(), Status::Cause::kNotFound);
  EXPECT_EQ(Status::Invalid("x").cause(), Status::Cause::kInvalid);
  EXPECT_EQ(Status::Conflict("x").cause(), Status::Cause::kConflict);
  EXPECT_EQ(Status::Temporary("x").cause(), Status::Cause::kOther);
  Status io = Status::Io("bind: Address already in use");
  EXPECT_TRUE(io.temporary());
  EXPECT_EQ(io.cause(), Status::Cause::kIo);
  EXPECT_EQ(Status::Io("x", true).cause(), Status::Cause::kAccess);
}

TEST(StatusCause, NamesAreTheWordsOfTheReplies) {
  EXPECT_STREQ(CauseName(Status::Cause::kMissing), "database missing");
  EXPECT_STREQ(CauseName(Status::Cause::kLocked), "database locked");
  EXPECT_STREQ(CauseName(Status::Cause::kCorrupt), "database corrupt");
  EXPECT_STREQ(CauseName(Status::Cause::kWrongVersion), "wrong schema version");
  EXPECT_STREQ(CauseName(Status::Cause::kOther), "database error");
  EXPECT_STREQ(CauseName(Status::Cause::kLimit), "resolver bound");
  EXPECT_STREQ(CauseName(Status::Cause::kChanged), "changed meanwhile");
  EXPECT_STREQ(CauseName(Status::Cause::kStale), "standby lags");
}

TEST(StatusCause, MissingFile) {
  TempDatabase db;
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.status().temporary());
  EXPECT_EQ(s.status().cause(), Status::Cause::kMissing) << s.status().message();
  LiveStore live(db.path());
  Result<Store*> g = live.Get();
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().cause(), Status::Cause::kMissing) << g.status().message();
}

TEST(StatusCause, NotADatabase) {
  TempDatabase db;
  std::ofstream(db.path()) << std::string(8192, 'x');
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().cause(), Status::Cause::kCorrupt) << s.status().message();
}

TEST(StatusCause, WrongSchemaVersion) {
  TempDatabase db;
  CreateEmpty(db.path());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA user_version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().cause(), Status::Cause::kWrongVersion) << s.status().message();
}

TEST(StatusCause, LockedByAWriter) {
  TempDatabase db;
  CreateEmpty(db.path());
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.path().c_str(), &raw), SQLITE_OK);
  // An exclusive lock in WAL mode keeps readers out too.
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  Result<std::unique_ptr<Store>> s = Store::Open(db.path(), Store::Mode::kReadOnly, 0);
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().cause(), Status::Cause::kLocked) << s.status().message();
}

}  // namespace
}  // namespace rcptdb
