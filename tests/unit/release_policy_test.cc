// SPDX-License-Identifier: MIT
// release_policy_test - when a worker keeps its read snapshot for the next batch
#include "release_policy.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

using std::chrono::microseconds;
using Action = ReleasePolicy::Action;
constexpr microseconds kHold{250};

// Times in microseconds from an arbitrary start.
ReleasePolicy::Clock::time_point At(int us) {
  return ReleasePolicy::Clock::time_point() + microseconds(us);
}

// A policy that found requests sparse: the snapshot begun at 0 was kept
// and expired without serving a later batch; the next one, begun at 1000
// us, was released right after its batch, at 1030 us.
ReleasePolicy SparseSinceAThousand() {
  ReleasePolicy p(kHold);
  p.Began(At(0));
  EXPECT_EQ(p.AfterBatch(At(30), At(0)), Action::kKeep);
  p.Expired();
  EXPECT_TRUE(p.sparse());
  p.Began(At(1000));
  EXPECT_EQ(p.AfterBatch(At(1030), At(1000)), Action::kRelease);
  return p;
}

TEST(ReleasePolicyTest, KeepsAYoungSnapshotAtFirst) {
  ReleasePolicy p(kHold);
  p.Began(At(0));
  EXPECT_EQ(p.AfterBatch(At(40), At(0)), Action::kKeep);
  EXPECT_FALSE(p.sparse());
}

TEST(ReleasePolicyTest, ReleasesASnapshotAsOldAsTheHold) {
  ReleasePolicy p(kHold);
  p.Began(At(0));
  EXPECT_EQ(p.AfterBatch(At(250), At(0)), Action::kRelease);
  EXPECT_EQ(p.AfterBatch(At(900), At(0)), Action::kRelease);
}

TEST(ReleasePolicyTest, SparseRequestsAreReleasedAtOnce) {
  ReleasePolicy p(kHold);
  // One Postfix connection: a lookup every 700 us.
  p.Began(At(0));
  ASSERT_EQ(p.AfterBatch(At(30), At(0)), Action::kKeep);
  p.Expired();  // kept for nothing
  EXPECT_TRUE(p.sparse());
  for (int t = 700; t < 7000; t += 700) {
    p.Began(At(t));
    EXPECT_EQ(p.AfterBatch(At(t + 30), At(t)), Action::kRelease) << "at " << t;
  }
}

TEST(ReleasePolicyTest, AKeptSnapshotThatServedALaterBatchStaysWorthKeeping) {
  ReleasePolicy p(kHold);
  p.Began(At(0));
  ASSERT_EQ(p.AfterBatch(At(30), At(0)), Action::kKeep);
  p.Reused();  // the next batch came at 100 us
  ASSERT_EQ(p.AfterBatch(At(130), At(0)), Action::kKeep);
  p.Expired();
  EXPECT_FALSE(p.sparse());
  p.Began(At(400));
  EXPECT_EQ(p.AfterBatch(At(430), At(400)), Action::kKeep);
}

TEST(ReleasePolicyTest, BackToBackRequestsBringKeepingBack) {
  ReleasePolicy p = SparseSinceAThousand();
  // The next batch begins 60 us after that release: a kept one would have served it.
  p.Began(At(1090));
  EXPECT_FALSE(p.sparse());
  EXPECT_EQ(p.AfterBatch(At(1120), At(1090)), Action::kKeep);
}

TEST(ReleasePolicyTest, ABatchAfterTheHoldStaysSparse) {
  ReleasePolicy p = SparseSinceAThousand();
  p.Began(At(1030 + 250));  // exactly the hold later: keeping would have ended first
  EXPECT_TRUE(p.sparse());
}

TEST(ReleasePolicyTest, AZeroHoldAlwaysReleases) {
  ReleasePolicy p(microseconds(0));
  p.Began(At(0));
  EXPECT_EQ(p.AfterBatch(At(0), At(0)), Action::kRelease);
}

}  // namespace
}  // namespace rcptdb
