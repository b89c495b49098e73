// SPDX-License-Identifier: MIT
// NAME
//   release_policy - keep a read snapshot for the next batch, or not
// DESCRIPTION
//   Learns from the last snapshot whether keeping one pays: see
//   release_policy.h for the two rules.
// SEE ALSO
//   release_policy.h, worker.cc
#include "release_policy.h"

namespace rcptdb {

void ReleasePolicy::Began(Clock::time_point now) {
  reused_ = false;
  if (sparse_ && released_at_ && now - *released_at_ < hold_) sparse_ = false;
}

ReleasePolicy::Action ReleasePolicy::AfterBatch(Clock::time_point now, Clock::time_point since) {
  if (now - since >= hold_) return Action::kRelease;
  if (!sparse_) return Action::kKeep;
  released_at_ = now;
  return Action::kRelease;
}

void ReleasePolicy::Expired() {
  if (!reused_) sparse_ = true;
}

}  // namespace rcptdb
