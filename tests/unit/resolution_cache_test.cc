// SPDX-License-Identifier: MIT
// resolution_cache_test - the visibility bound of a cached reader
//
// A ResolutionCache over a SnapshotSignal must give kept answers only
// within its bound, see every commit once the bound has passed since it,
// and release its read snapshot when idle, so that a checkpoint completes.
// Time is passed in explicitly: the tests never sleep.
#include "resolution_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <string>

#include "fixture.h"
#include "live_store.h"
#include "snapshot_signal.h"

namespace rcptdb {
namespace {

using test::CreateFilled;
using test::MakeMailbox;
using test::Must;
using test::TempDatabase;
using Clock = ResolutionCache::Clock;
using std::chrono::microseconds;

constexpr microseconds kBound{1000};

class ResolutionCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CreateFilled(db_.path());
    Result<std::unique_ptr<Store>> w = Store::Open(db_.path(), Store::Mode::kReadWrite);
    ASSERT_TRUE(w.ok()) << w.status().message();
    writer_ = std::move(*w);
  }

  // The answer on map for key at time now, as rcptdb-server's worker asks.
  MapAnswer At(Clock::time_point now, MapId map, const std::string& key) {
    Status s = cache_.Refresh(signal_, now);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok()) return {};
    return cache_.Answer(*live_.current(), map, key);
  }
  // The same, checked against AnswerMap's answer (kind and value).
  MapAnswer AgreeingAt(Store& store, Clock::time_point now, MapId map, const std::string& key) {
    MapAnswer want = AnswerMap(store, map, key);
    MapAnswer got = At(now, map, key);
    EXPECT_EQ(static_cast<int>(got.kind), static_cast<int>(want.kind))
        << key << " " << MapName(map);
    EXPECT_EQ(got.value, want.value) << key << " " << MapName(map);
    return got;
  }
  bool Found(Clock::time_point now, const std::string& key) {
    return At(now, MapId::kRecipients, key).kind == MapAnswer::Kind::kFound;
  }

  TempDatabase db_;
  std::unique_ptr<Store> writer_;
  LiveStore live_{db_.path()};
  SnapshotSignal signal_{live_};
  ResolutionCache cache_{kBound};
};

TEST_F(ResolutionCacheTest, DisableIsSeenOnceTheBoundHasPassed) {
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(Found(t0, "alice@example.com"));
  Mailbox off = MakeMailbox("alice@example.com", false);
  Must(writer_->UpdateMailbox(off));
  EXPECT_TRUE(Found(t0 + kBound / 2, "alice@example.com")) << "kept within the bound";
  EXPECT_FALSE(Found(t0 + kBound, "alice@example.com")) << "the bound has passed";
  EXPECT_EQ(At(t0 + kBound, MapId::kAccess, "alice@example.com").value,
            "550 5.2.1 Mailbox disabled");
}

TEST_F(ResolutionCacheTest, AddAndDeleteAreSeenOnceTheBoundHasPassed) {
  Clock::time_point t0 = Clock::now();
  ASSERT_FALSE(Found(t0, "newcomer@example.com"));
  Must(writer_->InsertMailbox(MakeMailbox("newcomer@example.com")));
  EXPECT_FALSE(Found(t0 + kBound - microseconds(1), "newcomer@example.com"));
  Clock::time_point t1 = t0 + kBound;
  EXPECT_TRUE(Found(t1, "newcomer@example.com"));
  EXPECT_EQ(At(t1, MapId::kTransport, "newcomer@example.com").value, "lmtp:inet:127.0.0.1:24");
  Must(writer_->DeleteMailbox("newcomer@example.com"));
  EXPECT_FALSE(Found(t1 + kBound, "newcomer@example.com"));
}

// Keys not asked before also come from the snapshot in force: one state of
// the file for the whole window, never a mix.
TEST_F(ResolutionCacheTest, EveryKeyReadsTheSnapshotInForce) {
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(Found(t0, "alice@example.com"));
  Must(writer_->InsertMailbox(MakeMailbox("fresh@example.com")));
  EXPECT_FALSE(Found(t0 + kBound / 2, "fresh@example.com"));
  EXPECT_TRUE(Found(t0 + kBound, "fresh@example.com"));
}

// Readers must not hold back checkpoints: once idle past the bound, the
// snapshot is released and a TRUNCATE checkpoint empties the WAL.
TEST_F(ResolutionCacheTest, IdleReleaseLetsCheckpointComplete) {
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(Found(t0, "alice@example.com"));
  Must(writer_->InsertMailbox(MakeMailbox("late@example.com")));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.path().c_str(), &db), SQLITE_OK);
  // A connection learns that the file is in WAL mode when it first reads
  // it; a checkpoint before that "succeeds" with nothing to do.
  ASSERT_EQ(sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
            SQLITE_OK);
  auto checkpoint = [db] {
    int log = -1, done = -1;
    int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    return rc == SQLITE_OK && log == 0 && done == 0;
  };
  EXPECT_FALSE(checkpoint()) << "a held snapshot must block TRUNCATE, or this test proves nothing";
  cache_.Release(signal_);
  EXPECT_FALSE(signal_.holding());
  EXPECT_TRUE(checkpoint());
  sqlite3_close(db);
  EXPECT_TRUE(Found(t0 + kBound / 2, "late@example.com"))
      << "the next lookup polls afresh, even within the bound";
}

// A signal that counts polls and returns a token the test sets.
class FakeSignal : public ChangeSignal {
 public:
  Result<std::uint64_t> Poll() override {
    ++polls;
    if (fail) return Status::Temporary("signal down");
    return token;
  }
  void Release() override { ++releases; }
  bool Unchanged() const override { return unchanged; }
  int polls = 0;
  int releases = 0;
  std::uint64_t token = 1;
  bool fail = false;
  bool unchanged = false;
};

// Past the bound, a poll in force is kept while the signal vouches that
// nothing changed (a new one would read the same), and renewed as soon as
// it no longer does.
TEST_F(ResolutionCacheTest, APollOutlivesTheBoundOnlyWhileTheSignalVouches) {
  FakeSignal fake;
  Clock::time_point t0 = Clock::now();
  ASSERT_TRUE(cache_.Refresh(fake, t0).ok());
  fake.unchanged = true;
  ASSERT_TRUE(cache_.Refresh(fake, t0 + 5 * kBound).ok());
  EXPECT_EQ(fake.polls, 1);
  EXPECT_EQ(cache_.polled_at(), t0) << "the poll in force is the first one";
  fake.unchanged = false;
  ASSERT_TRUE(cache_.Refresh(fake, t0 + 5 * kBound).ok());
  EXPECT_EQ(fake.polls, 2);
  fake.unchanged = true;
  cache_.Release(fake);
  ASSERT_TRUE(cache_.Refresh(fake, t0 + 5 * kBound).ok());
  EXPECT_EQ(fake.polls, 3) << "after a release, a poll: none was in force";
}

TEST_F(ResolutionCacheTest, PollsAtMostOncePerBoundAndClearsOnChange) {
  FakeSignal fake;
  Result<Store*> store = live_.Get();
  ASSERT_TRUE(store.ok());
  Clock::time_point t0 = Clock::now();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cache_.Refresh(fake, t0 + microseconds(i * 50)).ok());
    cache_.Answer(**store, MapId::kRecipients, "alice@example.com");
  }
  EXPECT_EQ(fake.polls, 1);
  EXPECT_EQ(cache_.size(), 1u);
  ASSERT_TRUE(cache_.Refresh(fake, t0 + kBound).ok());
  EXPECT_EQ(fake.polls, 2);
  EXPECT_EQ(cache_.size(), 1u) << "same token: answers are kept";
  fake.token = 2;
  ASSERT_TRUE(cache_.Refresh(fake, t0 + 2 * kBound).ok());
  EXPECT_EQ(cache_.size(), 0u) << "a new token empties the cache";
  fake.fail = true;
  Status s = cache_.Refresh(fake, t0 + 3 * kBound);
  EXPECT_TRUE(s.temporary());
  fake.fail = false;
  ASSERT_TRUE(cache_.Refresh(fake, t0 + 3 * kBound).ok()) << "after a failure, poll again";
  EXPECT_EQ(fake.polls, 5);
}

TEST_F(ResolutionCacheTest, HoldsAtMostCapacityKeys) {
  FakeSignal fake;
  ResolutionCache small(kBound, 4);
  Result<Store*> store = live_.Get();
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(small.Refresh(fake, Clock::now()).ok());
  for (int i = 0; i < 10; ++i) {
    small.Answer(**store, MapId::kRecipients, "user" + std::to_string(i) + "@example.com");
    EXPECT_LE(small.size(), 4u);
  }
  EXPECT_EQ(small.Answer(**store, MapId::kRecipients, "alice@example.com").kind,
            MapAnswer::Kind::kFound);
}

// The maps of one key share its resolution, and each answers as AnswerMap.
TEST_F(ResolutionCacheTest, AnswersAgreeWithAnswerMap) {
  Result<Store*> store = live_.Get();
  ASSERT_TRUE(store.ok());
  Clock::time_point t0 = Clock::now();
  for (const char* key : {"alice@example.com", "sales@example.com", "x@example.org",
                          "alice+tag@example.com", "bob@example.net", "example.com", "nope@x.test"})
    for (MapId map : kAllMaps) AgreeingAt(**store, t0, map, key);
}

// Without notes (rcptdb-server unless -v) the answers are the same and a
// why is the verdict alone; switching notes back on forgets the answers
// kept without them, so the -v log never shows a why without its note.
TEST_F(ResolutionCacheTest, NotesChangeOnlyTheWhyAndASwitchForgetsTheAnswers) {
  Result<Store*> store = live_.Get();
  ASSERT_TRUE(store.ok());
  Clock::time_point t0 = Clock::now();
  cache_.SetNotes(false);
  for (const char* key : {"alice@example.com", "sales@example.com", "x@example.org",
                          "alice+tag@example.com", "bob@example.net", "carol@example.com"})
    for (MapId map : kAllMaps) {
      MapAnswer got = AgreeingAt(**store, t0, map, key);
      // The domains map answers from the domain row, not a resolution.
      if (map != MapId::kDomains) {
        EXPECT_EQ(got.why.find(':'), std::string::npos)
            << key << " " << MapName(map) << ": " << got.why;
      }
    }
  EXPECT_GT(cache_.size(), 0u);
  cache_.SetNotes(false);  // no change: the answers stay
  EXPECT_GT(cache_.size(), 0u);
  cache_.SetNotes(true);
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(At(t0, MapId::kRecipients, "alice@example.com").why,
            "mailbox: mailbox alice@example.com");
}

TEST_F(ResolutionCacheTest, TheSignalNamesTheCounterItReadNotItsToken) {
  EXPECT_EQ(signal_.data_version(), std::nullopt);
  for (int reopen = 0; reopen < 2; ++reopen) {
    Result<std::uint64_t> token = signal_.Poll();
    ASSERT_TRUE(token.ok()) << token.status().message();
    Result<std::uint64_t> counter = live_.current()->SnapshotVersion();
    ASSERT_TRUE(counter.ok());
    ASSERT_TRUE(signal_.data_version().has_value());
    EXPECT_EQ(*signal_.data_version(), *counter);
    // The token also names the connection (rcptdb-server's endpoint shows
    // the counter, the one a Dovecot store reads too).
    EXPECT_NE(*token, *counter);
    signal_.Release();
    live_.Invalidate();
  }
}

// Expect() names the address a resolution reads first (so that a
// PostgreSQL poll reads it with its snapshot) only for a Refresh that will
// poll, only when the answer must be resolved, and only in a domain the
// snapshot memo holds as active and hosted; the poll's snapshot consumes
// it.
TEST_F(ResolutionCacheTest, ExpectNamesTheFirstReadOnlyForAPollThatResolves) {
  Result<Store*> got = live_.Get();
  ASSERT_TRUE(got.ok()) << got.status().message();
  Store& store = **got;
  auto named = [&](MapId map, const char* key, Clock::time_point now) {
    cache_.Expect(store, map, key, now);
    std::string name = store.expected_lookup();
    store.ExpectLookup("");
    return name;
  };
  Clock::time_point t0 = Clock::now();
  EXPECT_EQ(named(MapId::kRecipients, "bob@example.com", t0), "") << "no domain read yet";
  // Every domain read once: the memo now holds them.
  for (const char* key :
       {"bob@example.com", "x@example.net", "x@relay.example", "x@off.example", "x@elsewhere.test"})
    At(t0, MapId::kRecipients, key);
  // A commit, so that the next Refresh polls (SQLite vouches for free
  // that nothing changed otherwise).
  Must(writer_->InsertMailbox(MakeMailbox("new@example.com")));
  Clock::time_point t1 = t0 + 2 * kBound;
  cache_.Expect(store, MapId::kRecipients, "Alice+Tag@EXAMPLE.com", t1);
  EXPECT_EQ(store.expected_lookup(), "alice+tag@example.com") << "normalised as the resolver does";
  EXPECT_TRUE(Found(t1, "Alice+Tag@EXAMPLE.com"));
  EXPECT_EQ(store.expected_lookup(), "") << "the poll's snapshot consumed it";
  EXPECT_EQ(named(MapId::kRecipients, "carol@example.com", t1 + microseconds(100)), "")
      << "within the bound: no poll";
  Clock::time_point later = t1 + 2 * kBound;
  EXPECT_EQ(named(MapId::kRecipients, "Alice+Tag@EXAMPLE.com", later), "") << "kept";
  EXPECT_EQ(named(MapId::kAccess, "Alice+Tag@EXAMPLE.com", later), "") << "kept for every map";
  EXPECT_EQ(named(MapId::kDomains, "example.com", later), "") << "no address to resolve";
  EXPECT_EQ(named(MapId::kRecipients, "not an address", later), "");
  for (const char* other : {"bob@example.net", "bob@relay.example", "bob@off.example",
                            "bob@elsewhere.test", "bob@example.org"})
    EXPECT_EQ(named(MapId::kRecipients, other, later), "") << other;
  EXPECT_EQ(named(MapId::kAliases, "carol@example.com", later), "carol@example.com");
}

}  // namespace
}  // namespace rcptdb
