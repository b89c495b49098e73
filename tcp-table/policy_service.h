// SPDX-License-Identifier: MIT
// policy_service.h - judges RCPT TO by the quota of every mailbox it reaches
//
// rcptdb-server's policy listener (policy = ... in rcptdb.conf) speaks
// Postfix's SMTPD policy delegation protocol (policy_codec.h). For a
// request with protocol_state=RCPT, the PolicyService:
//   1. resolves recipient with the shared Resolver (mailbox, aliases
//      recursively, alias domains, +detail, catch-all, disabled rules);
//   2. asks the Dovecot quota-status service of each local target
//      mailbox's store whether it can take a message of size octets (the
//      SIZE= of MAIL FROM, else 1 octet: the smallest message), over pooled
//      connections (quota_status_client.h), all within one deadline
//      (quota_status_timeout);
//   3. combines the answers (quota_policy.h: refuse if any target is full,
//      or only if all are) and answers DUNNO, Dovecot's refusal or
//      deferral as given, or policy_trouble_action when the database or a
//      quota-status service is in trouble (logged once per cause).
// Any other protocol_state, and recipients that are not local (unknown,
// disabled, relay, foreign), get DUNNO: the recipient check that comes
// before check_policy_service refuses them in its own words.
//
// With policy_cache_time > 0, an over-quota answer is remembered for that
// many seconds per mailbox and reused for messages at least as large, so a
// mailbox emptied meanwhile may be refused for up to that long.
//
// Thread safety: one PolicyService per PolicyWorker, used on its thread only;
// Reconfigure() may be called from any thread.
#ifndef RCPTDB_POLICY_SERVICE_H
#define RCPTDB_POLICY_SERVICE_H

#include <asio.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "live_store.h"
#include "lookup_stats.h"
#include "policy_codec.h"
#include "quota_policy.h"
#include "quota_status_client.h"
#include "quota_status_health.h"
#include "server_config.h"
#include "server_state.h"

namespace rcptdb {

class PolicyService {
 public:
  // context runs the service's work; health is shared by all workers;
  // stats counts the answers (this thread's own); all outlive the service,
  // as state does.
  PolicyService(asio::io_context& context, ServerState& state, LookupStats& stats,
                QuotaStatusHealth& health, PolicyConfig config, std::string database,
                int busy_timeout_ms);

  // Returns the action for one request block (see above), counted in
  // stats by kind with its time. peer names the client in log lines.
  asio::awaitable<std::string> Answer(const PolicyBlock& request, std::string_view peer);

  // Takes new settings (SIGHUP); applied on the worker's thread.
  void Reconfigure(PolicyConfig config, std::string database, int busy_timeout_ms);

 private:
  struct Cached {
    std::string action;
    std::uint64_t size = 0;
    std::chrono::steady_clock::time_point expires;
  };
  asio::awaitable<PolicyDecision> Judge(std::string_view recipient, std::uint64_t size,
                                        std::string_view peer);
  const Cached* FromCache(const std::string& mailbox, std::uint64_t size);
  void Remember(const std::string& mailbox, std::uint64_t size, const std::string& action);

  asio::io_context& context_;
  ServerState& state_;
  LookupStats& stats_;
  QuotaStatusHealth& health_;
  PolicyConfig config_;
  std::unique_ptr<LiveStore> store_;
  QuotaStatusClient client_;
  std::unordered_map<std::string, Cached> cache_;  // over-quota answers by mailbox
};

// The largest size asked of quota-status: 2^63 - 1, Dovecot's off_t.
inline constexpr std::uint64_t kPolicyMaxSize = 9223372036854775807ULL;

// Returns the size attribute as a number: its digits as given, capped at
// kPolicyMaxSize (a larger SIZE= is asked as that, and refused by any
// quota); 0 if it is missing or not a plain decimal number.
std::uint64_t PolicySize(const PolicyBlock& request);

}  // namespace rcptdb

#endif
