// SPDX-License-Identifier: MIT
// standby_freshness_test - when a PostgreSQL standby's data is too old
//
// JudgeStandby() on what a standby says of itself: replay lag, a WAL
// receiver that is gone, one that is connected but silent, an idle primary
// (no lag), a role that may not see the receiver's details, and the
// contact this process remembers. The PostgreSQL tests (pg_store_test,
// rcpt_check_pgsql_test, test_standby.py) show the same on a real standby.
#include "standby_freshness.h"

#include <gtest/gtest.h>

namespace rcptdb::test {
namespace {

constexpr std::int64_t kNow = 1'000'000'000;
constexpr std::int64_t kBound = 30'000;

// A streaming standby that heard from its primary age_ms ago.
StandbyState Streaming(std::int64_t age_ms) {
  StandbyState s;
  s.receiver = true;
  s.receiver_status = "streaming";
  s.receipt_age_ms = age_ms;
  s.receiver_timeout_ms = 60'000;
  return s;
}

bool Fresh(const StandbyState& s, std::optional<std::int64_t> remembered = std::nullopt,
           std::int64_t bound = kBound) {
  return JudgeStandby(s, kNow, remembered, bound).status.ok();
}

TEST(StandbyFreshness, ReplayPendingPastTheBoundLags) {
  StandbyState s = Streaming(10);
  s.replay_pending = true;
  s.replay_age_ms = 45'000;
  StandbyVerdict v = JudgeStandby(s, kNow, std::nullopt, kBound);
  ASSERT_FALSE(v.status.ok());
  EXPECT_TRUE(v.status.temporary());
  EXPECT_EQ(v.status.message(), "standby replay lags 45000 ms behind its primary (bound 30000 ms)");
  EXPECT_EQ(v.status.cause(), Status::Cause::kStale);
  s.replay_age_ms = 29'000;
  EXPECT_TRUE(Fresh(s)) << "within the bound";
  s.replay_age_ms = -1;  // nothing replayed since the standby started
  v = JudgeStandby(s, kNow, std::nullopt, kBound);
  EXPECT_EQ(v.status.message(),
            "standby replay lags behind its primary, no commit replayed since it started "
            "(bound 30000 ms)");
  s.replay_pending = false;
  s.replay_age_ms = 3'600'000;
  EXPECT_TRUE(Fresh(s)) << "an old last commit with nothing to replay: an idle primary";
}

// An idle primary sends nothing until the standby pings it, after half of
// wal_receiver_timeout (30 s of 60 s): silence up to then is contact now,
// even with a bound shorter than that.
TEST(StandbyFreshness, IdleConnectedPrimaryIsNoLag) {
  EXPECT_TRUE(Fresh(Streaming(29'000), std::nullopt, 500));
  EXPECT_TRUE(Fresh(Streaming(30'000 + kPingSlackMs), std::nullopt, 500));
  EXPECT_EQ(JudgeStandby(Streaming(20'000), kNow, std::nullopt, 500).contact_at_ms, kNow);
}

// Silent past the ping's answer: the link is gone, however it looks.
TEST(StandbyFreshness, ConnectedButSilentPastThePingLags) {
  StandbyVerdict v = JudgeStandby(Streaming(40'000), kNow, std::nullopt, kBound);
  ASSERT_FALSE(v.status.ok());
  EXPECT_EQ(v.status.message(),
            "standby lags: nothing heard from its primary for 40000 ms (bound 30000 ms)");
  EXPECT_EQ(v.contact_at_ms, kNow - 40'000);
  EXPECT_TRUE(Fresh(Streaming(40'000), std::nullopt, 60'000)) << "a longer bound allows it";
  StandbyState waiting = Streaming(20'000);
  waiting.receiver_status = "waiting";
  EXPECT_TRUE(Fresh(waiting)) << "20 s ago, within 30 s";
  EXPECT_FALSE(Fresh(waiting, std::nullopt, 10'000)) << "not streaming: as of its last message";
}

TEST(StandbyFreshness, HiddenReceiverDetailsMeanConnected) {
  StandbyState s;
  s.receiver = true;  // pg_stat_wal_receiver shows the pid only
  EXPECT_TRUE(Fresh(s, std::nullopt, 100));
}

TEST(StandbyFreshness, NoReceiverLagsOnceTheLastKnownContactIsPastTheBound) {
  StandbyState down;  // no WAL receiver: primary stopped or unreachable
  StandbyVerdict v = JudgeStandby(down, kNow, std::nullopt, kBound);
  ASSERT_FALSE(v.status.ok());
  EXPECT_EQ(v.status.message(),
            "standby lags: no WAL receiver streaming from its primary, last contact unknown "
            "(bound 30000 ms)");
  EXPECT_FALSE(v.contact_at_ms);
  // Seen in contact 5 s ago by this process: fresh until the bound.
  EXPECT_TRUE(Fresh(down, kNow - 5'000));
  v = JudgeStandby(down, kNow, kNow - 31'000, kBound);
  ASSERT_FALSE(v.status.ok());
  EXPECT_EQ(v.status.message(),
            "standby lags: no WAL receiver streaming from its primary for 31000 ms "
            "(bound 30000 ms)");
  // A commit replayed 2 s ago was received at most 2 s ago.
  down.replay_age_ms = 2'000;
  v = JudgeStandby(down, kNow, kNow - 31'000, kBound);
  EXPECT_TRUE(v.status.ok());
  EXPECT_EQ(v.contact_at_ms, kNow - 2'000);
}

TEST(StandbyFreshness, ContactsKeepTheLatestPerServer) {
  StandbyContacts contacts;
  EXPECT_FALSE(contacts.Recall("/run/postgresql:5432"));
  contacts.Remember("/run/postgresql:5432", 100);
  contacts.Remember("/run/postgresql:5432", 50);
  contacts.Remember("db2:5432", 70);
  EXPECT_EQ(contacts.Recall("/run/postgresql:5432"), 100);
  EXPECT_EQ(contacts.Recall("db2:5432"), 70);
  for (std::size_t i = 0; i < StandbyContacts::kMaxServers; ++i)
    contacts.Remember("h" + std::to_string(i), 1);
  EXPECT_LE(contacts.Recall("db2:5432").value_or(0), 70) << "bounded: emptied when full";
}

}  // namespace
}  // namespace rcptdb::test
