// SPDX-License-Identifier: MIT
// release_policy.h - when a worker lets go of its read snapshot
//
// A worker answers the requests that are ready together (a batch) inside
// one read snapshot. When the batch is answered, it either releases the
// snapshot at once or keeps it for the next batch, at most until the
// signal's idle_hold() after it was taken (worker.h); a worker that finds
// requests sparse ends each snapshot right after its lookup. Keeping pays when
// requests come back to back: one snapshot serves several batches. When
// they come further apart than the hold, as one Postfix connection asks
// them, a kept snapshot serves nobody and costs a timer and a wakeup per
// lookup. The policy tells the two apart from what just happened:
//   - a kept snapshot released when its hold ran out, having served no
//     later batch: the requests are sparse; release the next ones at once;
//   - a batch beginning a snapshot within the hold after one was released
//     at once: keeping would have served it; keep again.
// No snapshot is kept longer than the hold either way, so the policy
// changes what a lookup costs, never what it sees.
//
// Thread safety: one per worker, used on its thread.
#ifndef RCPTDB_RELEASE_POLICY_H
#define RCPTDB_RELEASE_POLICY_H

#include <chrono>
#include <optional>

namespace rcptdb {

class ReleasePolicy {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Action { kRelease, kKeep };

  explicit ReleasePolicy(std::chrono::microseconds hold) : hold_(hold) {}

  // The first lookup of a batch began a new snapshot at now.
  void Began(Clock::time_point now);
  // The first lookup of a batch used the snapshot kept since an earlier
  // one, as it was or renewed.
  void Reused() { reused_ = true; }
  // The batch is answered at now; the snapshot in force was taken at
  // since. kKeep: keep it, and release it at since + hold() unless it was
  // renewed by then, reporting that with Expired().
  Action AfterBatch(Clock::time_point now, Clock::time_point since);
  // A kept snapshot reached its hold and was released.
  void Expired();

  std::chrono::microseconds hold() const { return hold_; }
  // True while batches release their snapshot at once.
  bool sparse() const { return sparse_; }

 private:
  std::chrono::microseconds hold_;
  bool sparse_ = false;
  bool reused_ = false;                           // the kept snapshot served a later batch
  std::optional<Clock::time_point> released_at_;  // the last release at once
};

}  // namespace rcptdb

#endif
