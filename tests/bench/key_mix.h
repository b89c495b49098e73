// SPDX-License-Identifier: MIT
// key_mix.h - the benchmarks' lookup keys, each with the answer it must get
//
// KeyMix draws random keys from a fixed mix over the database that
// tests/bench/run-bench builds (NNN < mailboxes, AAA < aliases):
//   30 %  userNNN@DOMAIN            mailbox               found
//    5 %  userNNN+bench@DOMAIN      mailbox via +detail   found
//   10 %  aliasAAA@DOMAIN           alias (if aliases)    found
//    5 %  anyNNN@CATCHALL           catch-all (if given)  found
//   50 %  nouserNNN@DOMAIN          unknown user          not found
// A class that is not configured gives its share to the unknown users.
// Used by loadgen (over the network) and lookup_bench (in process), so
// both measure the same work.
//
// Thread safety: one KeyMix per thread.
#ifndef RCPTDB_BENCH_KEY_MIX_H
#define RCPTDB_BENCH_KEY_MIX_H

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>

namespace rcptdb::bench {

class KeyMix {
 public:
  struct Options {
    long mailboxes = 1000000;
    long aliases = 0;
    std::string domain = "bench.example";
    std::string catchall_domain;  // empty: no catch-all keys
    unsigned seed = 1;
  };

  explicit KeyMix(Options o)
      : o_(std::move(o)),
        rng_(o_.seed),
        pick_(0, o_.mailboxes - 1),
        pick_alias_(0, std::max(o_.aliases, 1L) - 1) {}

  // Returns the next key; sets expect_found to whether it must be found.
  std::string Next(bool& expect_found) {
    int roll = percent_(rng_);
    std::string local;
    const std::string* domain = &o_.domain;
    expect_found = true;
    if (roll < 30) {
      local = "user" + std::to_string(pick_(rng_));
    } else if (roll < 35) {
      local = "user" + std::to_string(pick_(rng_)) + "+bench";
    } else if (roll < 45 && o_.aliases > 0) {
      local = "alias" + std::to_string(pick_alias_(rng_));
    } else if (roll >= 45 && roll < 50 && !o_.catchall_domain.empty()) {
      local = "any" + std::to_string(pick_(rng_));
      domain = &o_.catchall_domain;
    } else {
      local = "nouser" + std::to_string(pick_(rng_));
      expect_found = false;
    }
    if (expect_found) ++expected_found_;
    ++generated_;
    return local + "@" + *domain;
  }
  // The share of keys drawn so far that must be found, in percent.
  double expected_found_percent() const {
    return generated_
               ? 100.0 * static_cast<double>(expected_found_) / static_cast<double>(generated_)
               : 0.0;
  }

 private:
  Options o_;
  std::mt19937_64 rng_;
  std::uniform_int_distribution<long> pick_;
  std::uniform_int_distribution<long> pick_alias_;
  std::uniform_int_distribution<int> percent_{0, 99};
  std::uint64_t expected_found_ = 0;
  std::uint64_t generated_ = 0;
};

}  // namespace rcptdb::bench

#endif
