// SPDX-License-Identifier: MIT
// NAME
//   lookup_bench - CPU per lookup of rcptdb-server's answer path, in process
// SYNOPSIS
//   lookup_bench --db PATH --mode fresh|cached [--lookups 200000]
//                [--mailboxes 1000000] [--aliases 100000]
//                [--catchall-domain catch.example] [--seed 1] [--notes yes|no]
// DESCRIPTION
//   Answers the recipients map for keys of the benchmark key mix
//   (key_mix.h) on one thread, without the network, and prints the
//   thread's CPU time per lookup. --mode fresh is the path before the
//   ResolutionCache (AnswerMap with one read snapshot per lookup); --mode
//   cached is rcptdb-server's worker path (ResolutionCache over a
//   SnapshotSignal, refreshed before every lookup, at most once per
//   millisecond), without the resolver's path notes as the server resolves
//   unless -v (--notes yes: with them, as with -v). Every answer is checked
//   against its key: a wrong one ends the run with exit status 1.
//
//   Without a network and with one thread it also runs under callgrind
//   (valgrind --tool=callgrind lookup_bench ...), whose instruction counts
//   do not move with other load on the machine.
// SEE ALSO
//   tests/bench/run-bench, sql/lib/resolution_cache.h
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "key_mix.h"
#include "live_store.h"
#include "map_answers.h"
#include "resolution_cache.h"
#include "snapshot_signal.h"

namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db, mode;
  bool notes = false;
  long lookups = 200000;
  rcptdb::bench::KeyMix::Options mix;
  mix.aliases = 100000;
  mix.catchall_domain = "catch.example";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--db")
      db = v;
    else if (k == "--mode")
      mode = v;
    else if (k == "--lookups")
      lookups = std::atol(v);
    else if (k == "--mailboxes")
      mix.mailboxes = std::atol(v);
    else if (k == "--aliases")
      mix.aliases = std::atol(v);
    else if (k == "--catchall-domain")
      mix.catchall_domain = v;
    else if (k == "--seed")
      mix.seed = static_cast<unsigned>(std::atol(v));
    else if (k == "--notes" && (std::string(v) == "yes" || std::string(v) == "no"))
      notes = std::string(v) == "yes";
    else
      mode.clear();
  }
  if (db.empty() || (mode != "fresh" && mode != "cached") || lookups <= 0) {
    std::fprintf(stderr,
                 "usage: lookup_bench --db PATH --mode fresh|cached [--lookups N] "
                 "[--mailboxes M] [--aliases A] [--catchall-domain D] [--seed N] "
                 "[--notes yes|no]\n");
    return 2;
  }
  rcptdb::LiveStore live(db);
  rcptdb::SnapshotSignal signal(live);
  rcptdb::ResolutionCache cache;
  cache.SetNotes(notes);
  rcptdb::bench::KeyMix keys(mix);
  long wrong = 0, found = 0;
  double cpu_start = ThreadCpuSeconds();
  for (long i = 0; i < lookups; ++i) {
    bool expect = false;
    std::string key = keys.Next(expect);
    rcptdb::MapAnswer::Kind kind;
    if (mode == "fresh") {
      rcptdb::Result<rcptdb::Store*> store = live.Get();
      if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().message().c_str()), 1;
      kind = rcptdb::AnswerMap(**store, rcptdb::MapId::kRecipients, key).kind;
    } else {
      rcptdb::Status s = cache.Refresh(signal, std::chrono::steady_clock::now());
      if (!s.ok()) return std::fprintf(stderr, "%s\n", s.message().c_str()), 1;
      kind = cache.Answer(*live.current(), rcptdb::MapId::kRecipients, key).kind;
    }
    bool is_found = kind == rcptdb::MapAnswer::Kind::kFound;
    found += is_found;
    wrong += is_found != expect || kind == rcptdb::MapAnswer::Kind::kTemporary;
  }
  double cpu = ThreadCpuSeconds() - cpu_start;
  std::printf(
      "mode=%s notes=%s lookups=%ld cpu_per_lookup=%.2fus found=%.1f%% expected=%.1f%% wrong=%ld\n",
      mode.c_str(), notes ? "yes" : "no", lookups, 1e6 * cpu / static_cast<double>(lookups),
      100.0 * static_cast<double>(found) / static_cast<double>(lookups),
      keys.expected_found_percent(), wrong);
  return wrong ? 1 : 0;
}
