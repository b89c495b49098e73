// SPDX-License-Identifier: MIT
// log_throttle_test - one line a second for a flood, with the count
#include "log_throttle.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

using std::chrono::milliseconds;

TEST(LogThrottle, FirstEventLogsThenOneLineAnIntervalNamingTheRest) {
  LogThrottle t(milliseconds(1000));
  LogThrottle::Clock::time_point t0{};
  EXPECT_EQ(t.Note(t0 + milliseconds(5)), 0u);
  for (int i = 1; i <= 9; ++i) EXPECT_FALSE(t.Note(t0 + milliseconds(5 + 100 * i)));
  EXPECT_EQ(t.Note(t0 + milliseconds(1005)), 9u);
  EXPECT_FALSE(t.Note(t0 + milliseconds(1100)));
  EXPECT_EQ(t.Note(t0 + milliseconds(5000)), 1u);
}

TEST(LogThrottle, FlushNamesTheLastOnesOnceTheIntervalPassed) {
  LogThrottle t(milliseconds(1000));
  LogThrottle::Clock::time_point t0{};
  EXPECT_FALSE(t.Flush(t0));  // nothing yet
  EXPECT_EQ(t.Note(t0), 0u);
  EXPECT_FALSE(t.Note(t0 + milliseconds(10)));
  EXPECT_FALSE(t.Note(t0 + milliseconds(20)));
  EXPECT_FALSE(t.Flush(t0 + milliseconds(500)));  // within the interval
  EXPECT_EQ(t.Flush(t0 + milliseconds(1000)), 2u);
  EXPECT_FALSE(t.Flush(t0 + milliseconds(5000)));  // said once
  // A flush counts as a line: the next event waits for the interval.
  EXPECT_FALSE(t.Note(t0 + milliseconds(1500)));
  EXPECT_EQ(t.Note(t0 + milliseconds(2000)), 1u);
}

}  // namespace
}  // namespace rcptdb
