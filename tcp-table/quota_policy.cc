// SPDX-License-Identifier: MIT
// NAME
//   quota_policy - plan the quota questions, combine the answers
// DESCRIPTION
//   Pure halves of the policy service (quota_policy.h). A mailbox reached
//   twice (an alias listing it twice, or with and without +detail) is asked
//   about once. An acceptance is always answered DUNNO, never Dovecot's
//   own success text: OK would let the message skip the restrictions that
//   follow check_policy_service.
// SEE ALSO
//   quota_policy.h, policy_service.h, rcptdb-server(8) "POLICY SERVICE"
#include "quota_policy.h"

#include <set>

#include "policy_codec.h"

namespace rcptdb {
namespace {

std::string Describe(const QuotaCheck& c) {
  return c.mailbox + " (quota-status " + c.endpoint.str() + ")";
}

}  // namespace

const ListenAddress* QuotaRoutes::For(std::string_view route) const {
  for (const auto& [r, endpoint] : routes)
    if (r == route) return &endpoint;
  return fallback ? &*fallback : nullptr;
}

Result<std::vector<std::pair<std::string, ListenAddress>>> ParseQuotaRoutes(
    std::string_view value) {
  std::vector<std::pair<std::string, ListenAddress>> out;
  std::size_t i = 0;
  while (i < value.size()) {
    std::size_t end = value.find_first_of(", \t\n\r", i);
    if (end == std::string_view::npos) end = value.size();
    std::string_view item = value.substr(i, end - i);
    i = end + 1;
    if (item.empty()) continue;
    std::size_t eq = item.rfind('=');
    if (eq == std::string_view::npos || eq == 0)
      return Status::Invalid("expected ROUTE=ADDRESS, got \"" + std::string(item) + "\"");
    Result<ListenAddress> addr = ParseListenAddress(item.substr(eq + 1));
    if (!addr.ok()) return addr.status();
    out.emplace_back(std::string(item.substr(0, eq)), *addr);
  }
  return out;
}

QuotaPlan PlanQuotaChecks(const Resolution& res, const QuotaRoutes& routes) {
  QuotaPlan plan;
  std::vector<std::pair<std::string, std::string>> locals;  // mailbox, route
  if (res.verdict == Verdict::kMailbox) {
    locals.emplace_back(res.mailbox, res.transport);
  } else if (res.verdict == Verdict::kAlias) {
    for (const Target& t : res.targets) {
      if (t.local())
        locals.emplace_back(t.mailbox, t.transport);
      else
        plan.skipped.push_back(t.address + ": foreign target, not checked");
    }
  } else {
    plan.why = std::string("not judged: ") + VerdictName(res.verdict);
    return plan;
  }
  std::set<std::string> seen;
  for (const auto& [mailbox, route] : locals) {
    if (!seen.insert(mailbox).second) continue;
    const ListenAddress* endpoint = routes.For(route);
    if (endpoint == nullptr) {
      plan.skipped.push_back(mailbox + ": no quota_status for route \"" + route +
                             "\", not checked");
      continue;
    }
    plan.checks.push_back({mailbox, route, *endpoint});
  }
  plan.judge = !plan.checks.empty();
  if (!plan.judge) plan.why = "no local target to check";
  return plan;
}

PolicyDecision CombineQuotaAnswers(const std::vector<QuotaCheck>& checks,
                                   const std::vector<QuotaAnswer>& answers, QuotaRule rule,
                                   const std::string& trouble_action) {
  const std::size_t none = checks.size();
  std::size_t first_reject = none, first_defer = none, first_trouble = none, first_ok = none;
  std::size_t rejects = 0;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    if (!answers[i].answered) {
      if (first_trouble == none) first_trouble = i;
      continue;
    }
    switch (ClassifyPolicyAction(answers[i].action)) {
      case PolicyVerdict::kReject:
        ++rejects;
        if (first_reject == none) first_reject = i;
        break;
      case PolicyVerdict::kDefer:
        if (first_defer == none) first_defer = i;
        break;
      case PolicyVerdict::kNeutral:
        if (first_ok == none) first_ok = i;
        break;
    }
  }
  auto refuse = [&](std::size_t i) {
    return PolicyDecision{PolicyDecision::Kind::kRefuse, answers[i].action,
                          Describe(checks[i]) + " cannot take it: " + answers[i].action};
  };
  auto defer = [&](std::size_t i) {
    return PolicyDecision{PolicyDecision::Kind::kDefer, answers[i].action,
                          Describe(checks[i]) + " deferred: " + answers[i].action};
  };
  auto trouble = [&](std::size_t i) {
    return PolicyDecision{PolicyDecision::Kind::kTrouble, trouble_action,
                          Describe(checks[i]) + " did not answer: " + answers[i].cause};
  };
  auto accept = [&](std::string why) {
    return PolicyDecision{PolicyDecision::Kind::kAccept, "DUNNO", std::move(why)};
  };
  if (rule == QuotaRule::kAny) {
    if (first_reject != none) return refuse(first_reject);
    if (first_defer != none) return defer(first_defer);
    if (first_trouble != none) return trouble(first_trouble);
    return accept(checks.size() == 1
                      ? Describe(checks[0]) + " can take it"
                      : "all " + std::to_string(checks.size()) + " local targets can take it");
  }
  if (first_ok != none) return accept(Describe(checks[first_ok]) + " can take it (rule: all)");
  if (rejects == checks.size() && first_reject != none) {
    PolicyDecision d = refuse(first_reject);
    if (checks.size() > 1) d.why += " (and every other local target refused too)";
    return d;
  }
  if (first_defer != none) return defer(first_defer);
  if (first_trouble != none) return trouble(first_trouble);
  return accept("nothing to check");
}

Status CheckTroubleAction(std::string_view action) {
  if (action.find_first_of("\r\n") != std::string_view::npos)
    return Status::Invalid("action must be one line");
  std::size_t start = action.find_first_not_of(" \t");
  std::size_t end = action.find_last_not_of(" \t");
  if (start != std::string_view::npos && action.substr(start, end - start + 1) == "DUNNO")
    return Status::Ok();
  if (start != std::string_view::npos && ClassifyPolicyAction(action) == PolicyVerdict::kDefer)
    return Status::Ok();
  return Status::Invalid(
      "expected DUNNO, or a deferral (DEFER_IF_PERMIT text, DEFER text or a 4xx code and text): "
      "trouble must never bounce mail nor let it skip later checks");
}

}  // namespace rcptdb
