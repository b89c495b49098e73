// SPDX-License-Identifier: MIT
// quota_policy.h - which mailboxes to ask about, and what their answers mean
//
// The policy service (policy_service.h) judges RCPT TO in three steps; this
// file holds the two that need no network, as pure functions:
//   1. PlanQuotaChecks: from the recipient's Resolution, the local
//      mailboxes it delivers to (each once), each with the Dovecot
//      quota-status endpoint of its store. The store is found by the
//      mailbox's route (its transport, else its domain's), looked up in
//      quota_status_routes; a route not listed uses quota_status. Foreign
//      alias targets are not checked: another host decides for them.
//   2. (policy_service asks each endpoint.)
//   3. CombineQuotaAnswers: the rule. kAny (the default) refuses if any
//      local target cannot take the message: refusing at RCPT time is the
//      only way to avoid accepting and then bouncing. kAll refuses only if
//      every local target refuses. A refusal returns Dovecot's own reply
//      (e.g. "552 5.2.2 Mailbox is full"), enhanced status and all; a
//      deferral stays a deferral; trouble (no answer) gives the configured
//      trouble action, which is never a 5xx.
//
// Thread safety: plain values and pure functions.
#ifndef RCPTDB_QUOTA_POLICY_H
#define RCPTDB_QUOTA_POLICY_H

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "listen_address.h"
#include "resolver.h"
#include "status.h"

namespace rcptdb {

enum class QuotaRule { kAny, kAll };

// Where each store's quota-status service listens.
struct QuotaRoutes {
  std::optional<ListenAddress> fallback;                      // quota_status
  std::vector<std::pair<std::string, ListenAddress>> routes;  // quota_status_routes
  // Returns the endpoint for a mailbox with this route, or nullptr if
  // neither a route entry nor quota_status applies.
  const ListenAddress* For(std::string_view route) const;
  bool operator==(const QuotaRoutes&) const = default;
};

// Parses quota_status_routes: "ROUTE=ADDRESS" items separated by commas
// or white space. ROUTE is a transport as the database stores it (e.g.
// "lmtp:inet:store2.example:24"); it is split from ADDRESS at its last '='.
Result<std::vector<std::pair<std::string, ListenAddress>>> ParseQuotaRoutes(std::string_view value);

// One question for one quota-status service.
struct QuotaCheck {
  std::string mailbox;  // the mailbox address asked about
  std::string route;    // its transport ("" = the default)
  ListenAddress endpoint;
};

struct QuotaPlan {
  // False: nothing to judge (not a local recipient, or no endpoint for any
  // local target); the answer is DUNNO and why says which.
  bool judge = false;
  std::vector<QuotaCheck> checks;    // iff judge: in target order, no duplicates
  std::vector<std::string> skipped;  // targets not checked, and why
  std::string why;
};

// Step 1 (see above). Verdicts other than kMailbox and kAlias are not
// judged: the recipient check refuses unknown and disabled recipients with
// its own words, and a relay recipient is another host's business.
QuotaPlan PlanQuotaChecks(const Resolution& res, const QuotaRoutes& routes);

// What one quota-status service said, or that it said nothing.
struct QuotaAnswer {
  bool answered = false;
  std::string action;  // iff answered: Dovecot's action, verbatim
  std::string cause;   // iff !answered: why not ("timed out after 2000 ms")
};

struct PolicyDecision {
  enum class Kind { kAccept, kRefuse, kDefer, kTrouble };
  Kind kind = Kind::kAccept;
  std::string action;  // the reply to Postfix ("DUNNO" for kAccept)
  std::string why;     // one line for logs and `rcptdb check`
};

// Step 3 (see above). REQUIRES: answers.size() == checks.size().
// trouble_action is the policy_trouble_action setting.
PolicyDecision CombineQuotaAnswers(const std::vector<QuotaCheck>& checks,
                                   const std::vector<QuotaAnswer>& answers, QuotaRule rule,
                                   const std::string& trouble_action);

// Returns Invalid unless action is usable as policy_trouble_action: DUNNO
// or a deferral (DEFER_IF_PERMIT, DEFER or a 4xx code, with text), on one
// line. A broken quota service must never make Postfix bounce mail (5xx,
// REJECT) nor skip the checks after it (OK).
Status CheckTroubleAction(std::string_view action);

}  // namespace rcptdb

#endif
