// SPDX-License-Identifier: MIT
// wal_index_watch_test - "no commit since" from the WAL-index header alone
//
// The rule over plain memory (a writer rewrites copy 1, then copy 0), then
// over a real SQLite database: a read-only SqliteStore's mark holds until
// another connection commits, and a kept answer is given without a
// snapshot only while it holds (ResolutionCache::Reuse over a
// SnapshotSignal).
#include "wal_index_watch.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "fixture.h"
#include "live_store.h"
#include "resolution_cache.h"
#include "snapshot_signal.h"

namespace rcptdb {
namespace {

using test::CreateFilled;
using test::MakeMailbox;
using test::Must;
using test::TempDatabase;

// Two 48-byte header copies, as at the start of a -shm file, then the
// checkpointed frame count (nBackfill).
struct FakeIndex {
  std::array<std::uint32_t, 25> words{};
  // What a commit does: copy 1 first, then copy 0.
  void WriteCopy(int copy, std::uint32_t change) { words[copy * 12 + 2] = change; }
  void Commit(std::uint32_t change) {
    WriteCopy(1, change);
    WriteCopy(0, change);
  }
  // A commit that ends at WAL frame last (the header's mxFrame).
  void CommitFrames(std::uint32_t change, std::uint32_t last) {
    words[12 + 4] = last;
    WriteCopy(1, change);
    words[4] = last;
    WriteCopy(0, change);
  }
  void Backfill(std::uint32_t frames) { words[24] = frames; }
};

TEST(WalIndexWatchTest, WithoutAHeaderNothingIsUnchanged) {
  WalIndexWatch watch;
  watch.Save();
  EXPECT_FALSE(watch.Unchanged());
  EXPECT_FALSE(watch.attached());
}

TEST(WalIndexWatchTest, UnchangedUntilACommitRewritesTheHeader) {
  FakeIndex shm;
  shm.Commit(7);
  WalIndexWatch watch(shm.words.data());
  EXPECT_FALSE(watch.Unchanged()) << "nothing saved yet";
  watch.Save();
  EXPECT_TRUE(watch.Unchanged());
  EXPECT_TRUE(watch.Unchanged()) << "checking changes nothing";
  shm.WriteCopy(1, 8);
  EXPECT_FALSE(watch.Unchanged()) << "a commit half published is a change";
  shm.WriteCopy(0, 8);
  EXPECT_FALSE(watch.Unchanged());
  watch.Save();
  EXPECT_TRUE(watch.Unchanged());
  watch.Forget();
  EXPECT_FALSE(watch.Unchanged());
}

TEST(WalIndexWatchTest, AHeaderCaughtMidRewriteSavesNothing) {
  FakeIndex shm;
  shm.Commit(7);
  shm.WriteCopy(1, 8);  // the writer has not reached copy 0 yet
  WalIndexWatch watch(shm.words.data());
  watch.Save();
  EXPECT_FALSE(watch.Unchanged());
  shm.WriteCopy(0, 8);
  EXPECT_FALSE(watch.Unchanged()) << "saved nothing: still no";
  watch.Save();
  EXPECT_TRUE(watch.Unchanged());
}

TEST(WalIndexWatchTest, BackfilledOnlyWhenEveryFrameWasCheckpointedAtTheSave) {
  FakeIndex shm;
  WalIndexWatch watch(shm.words.data());
  EXPECT_FALSE(watch.Backfilled()) << "nothing saved yet";
  watch.Save();
  EXPECT_TRUE(watch.Backfilled()) << "an empty WAL";
  shm.CommitFrames(1, 3);
  watch.Save();
  EXPECT_FALSE(watch.Backfilled()) << "frames 1-3 not checkpointed";
  shm.Backfill(2);
  watch.Save();
  EXPECT_FALSE(watch.Backfilled()) << "frame 3 not checkpointed";
  shm.Backfill(3);
  EXPECT_FALSE(watch.Backfilled()) << "decided at the save, not now";
  watch.Save();
  EXPECT_TRUE(watch.Backfilled());
  shm.Backfill(0);  // a restarted WAL, before its first commit
  shm.CommitFrames(2, 0);
  watch.Save();
  EXPECT_TRUE(watch.Backfilled());
  watch.Forget();
  EXPECT_FALSE(watch.Backfilled());
}

class SqliteWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateFilled(db_.path());
    Result<std::unique_ptr<Store>> w = Store::Open(db_.path(), Store::Mode::kReadWrite);
    ASSERT_TRUE(w.ok()) << w.status().message();
    writer_ = std::move(*w);
    Result<std::unique_ptr<Store>> r = Store::Open(db_.path(), Store::Mode::kReadOnly);
    ASSERT_TRUE(r.ok()) << r.status().message();
    reader_ = std::move(*r);
  }
  TempDatabase db_;
  std::unique_ptr<Store> writer_;
  std::unique_ptr<Store> reader_;
};

TEST_F(SqliteWatchTest, AMarkHoldsUntilAnotherConnectionCommits) {
  EXPECT_FALSE(reader_->UnchangedSinceMark()) << "no mark yet";
  reader_->MarkState();
  EXPECT_TRUE(reader_->UnchangedSinceMark());
  Must(reader_->BeginRead());
  ASSERT_TRUE(reader_->DataVersion().ok());
  Must(reader_->Commit());
  EXPECT_TRUE(reader_->UnchangedSinceMark()) << "reading is no commit";
  Must(writer_->InsertMailbox(MakeMailbox("late@example.com")));
  EXPECT_FALSE(reader_->UnchangedSinceMark()) << "the writer committed";
  reader_->MarkState();
  EXPECT_TRUE(reader_->UnchangedSinceMark());
  Must(writer_->Begin());
  Must(writer_->DeleteMailbox("late@example.com"));
  EXPECT_TRUE(reader_->UnchangedSinceMark()) << "not committed yet";
  Must(writer_->Commit());
  EXPECT_FALSE(reader_->UnchangedSinceMark());
}

// A snapshot begun when the WAL was wholly checkpointed may be kept: it
// holds back no commit and no WAL restart (SQLite's read mark 0), and the
// next commit ends its keepability. One begun over frames a checkpoint
// has yet to copy is never keepable: it would hold the WAL back.
TEST_F(SqliteWatchTest, OnlyASnapshotOverAWhollyCheckpointedWalIsKeepable) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &db), SQLITE_OK);
  // A connection learns that the file is in WAL mode when it first reads
  // it; a checkpoint before that "succeeds" with nothing to do.
  ASSERT_EQ(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto checkpoint = [db](int mode) {
    int log = -1, done = -1;
    int rc = sqlite3_wal_checkpoint_v2(db, "main", mode, &log, &done);
    return rc == SQLITE_OK && log == done;
  };
  Must(writer_->InsertMailbox(MakeMailbox("first@example.com")));
  reader_->MarkState();
  EXPECT_TRUE(reader_->UnchangedSinceMark());
  EXPECT_FALSE(reader_->KeepableSinceMark()) << "the commit is in the WAL only";
  ASSERT_TRUE(checkpoint(SQLITE_CHECKPOINT_PASSIVE));
  reader_->MarkState();
  ASSERT_TRUE(reader_->KeepableSinceMark());
  Must(reader_->BeginRead());
  ASSERT_TRUE(reader_->DataVersion().ok());
  // Held: a TRUNCATE checkpoint (which must restart the WAL) still
  // completes, and a writer still commits.
  EXPECT_TRUE(checkpoint(SQLITE_CHECKPOINT_TRUNCATE)) << "the kept snapshot held the WAL back";
  Must(writer_->InsertMailbox(MakeMailbox("second@example.com")));
  EXPECT_FALSE(reader_->KeepableSinceMark()) << "a commit ends it";
  EXPECT_FALSE(reader_->UnchangedSinceMark());
  Must(reader_->Commit());
  // A snapshot over frames not yet checkpointed is not keepable, and
  // holding it would have blocked the TRUNCATE: the contrast that makes
  // the check above mean something.
  reader_->MarkState();
  EXPECT_FALSE(reader_->KeepableSinceMark());
  Must(reader_->BeginRead());
  ASSERT_TRUE(reader_->DataVersion().ok());
  EXPECT_FALSE(checkpoint(SQLITE_CHECKPOINT_TRUNCATE));
  Must(reader_->Commit());
  EXPECT_TRUE(checkpoint(SQLITE_CHECKPOINT_TRUNCATE));
  sqlite3_close(db);
}

TEST_F(SqliteWatchTest, AWriterConnectionNeverVouches) {
  writer_->MarkState();
  EXPECT_FALSE(writer_->UnchangedSinceMark());
}

TEST_F(SqliteWatchTest, ADatabaseOutsideWalModeNeverVouchesAndGetsNoShm) {
  reader_.reset();
  writer_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  ASSERT_NE(access((db_.path() + "-shm").c_str(), F_OK), 0);
  Result<std::unique_ptr<Store>> r = Store::Open(db_.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(r.ok()) << r.status().message();
  (*r)->MarkState();
  EXPECT_FALSE((*r)->UnchangedSinceMark());
  EXPECT_NE(access((db_.path() + "-shm").c_str(), F_OK), 0) << "the watch created a -shm";
}

// A kept answer without a snapshot: given while nothing changed, never
// after a commit, which the next lookup must see however soon it comes.
TEST_F(SqliteWatchTest, AKeptAnswerIsReusedWithoutASnapshotOnlyWhileUnchanged) {
  // No LiveStore check comes due during the test, however slow the machine.
  LiveStore live(db_.path(), 1000, std::chrono::hours(1));
  SnapshotSignal signal(live);
  ResolutionCache cache;
  auto now = ResolutionCache::Clock::now();
  auto found = [&](const std::string& key) {
    Status s = cache.Refresh(signal, now);
    EXPECT_TRUE(s.ok()) << s.message();
    return cache.Answer(*live.current(), MapId::kRecipients, key).kind == MapAnswer::Kind::kFound;
  };
  EXPECT_EQ(cache.Reuse(signal, MapId::kRecipients, "alice@example.com"), nullptr) << "none kept";
  ASSERT_TRUE(found("alice@example.com"));
  ASSERT_FALSE(found("late@example.com"));
  cache.Release(signal);
  ASSERT_FALSE(signal.holding());
  const MapAnswer* kept = cache.Reuse(signal, MapId::kRecipients, "alice@example.com");
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->kind, MapAnswer::Kind::kFound);
  EXPECT_FALSE(signal.holding()) << "reused without a snapshot";
  EXPECT_EQ(cache.Reuse(signal, MapId::kTransport, "alice@example.com"), nullptr)
      << "another map's answer is not kept yet";
  Must(writer_->InsertMailbox(MakeMailbox("late@example.com")));
  EXPECT_EQ(cache.Reuse(signal, MapId::kRecipients, "late@example.com"), nullptr)
      << "a commit came: the kept 'not found' must not be given";
  EXPECT_EQ(cache.Reuse(signal, MapId::kRecipients, "alice@example.com"), nullptr);
  cache.Release(signal);
  EXPECT_TRUE(found("late@example.com")) << "the next poll sees the commit";
  cache.Release(signal);
  ASSERT_NE(cache.Reuse(signal, MapId::kRecipients, "late@example.com"), nullptr);
}

}  // namespace
}  // namespace rcptdb
