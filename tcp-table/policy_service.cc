// SPDX-License-Identifier: MIT
// NAME
//   policy_service - the quota policy: resolve, ask each store, combine
// DESCRIPTION
//   See policy_service.h. The targets are asked one after another, on the
//   connection pool of this worker: Postfix waits for the answer anyway,
//   and an alias rarely has more than a few local targets. One deadline
//   covers them all, so that the answer always reaches Postfix within
//   quota_status_timeout plus a database lookup, well inside Postfix's own
//   policy timeout (10 s in the documented configuration).
//
//   The cache holds only refusals ("over quota"): a refusal reused for a
//   message at least as large is still right unless the mailbox was
//   emptied meanwhile, which is the documented staleness. It is bounded
//   (kCacheEntries); when full it is emptied, not scanned.
// SEE ALSO
//   policy_service.h, quota_policy.h, quota_status_client.h,
//   rcptdb-server(8) "POLICY SERVICE"
#include "policy_service.h"

#include <charconv>

#include "database_health.h"
#include "logger.h"

namespace rcptdb {
namespace {

constexpr std::size_t kCacheEntries = 10000;

// The metrics' name for a decision's kind.
PolicyAction ActionOf(PolicyDecision::Kind kind) {
  switch (kind) {
    case PolicyDecision::Kind::kAccept:
      return PolicyAction::kDunno;
    case PolicyDecision::Kind::kRefuse:
      return PolicyAction::kReject;
    case PolicyDecision::Kind::kDefer:
      return PolicyAction::kDefer;
    case PolicyDecision::Kind::kTrouble:
      return PolicyAction::kTrouble;
  }
  return PolicyAction::kTrouble;
}

}  // namespace

std::uint64_t PolicySize(const PolicyBlock& request) {
  std::optional<std::string_view> text = request.Get("size");
  if (!text || text->empty()) return 0;
  const char* first = text->data();
  const char* last = first + text->size();
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(first, last, v);
  if (end != last || (ec != std::errc() && ec != std::errc::result_out_of_range)) return 0;
  // Larger than any quota can hold: ask about the largest size Dovecot
  // reads (a signed 64-bit off_t), which every quota refuses.
  if (ec == std::errc::result_out_of_range || v > kPolicyMaxSize) return kPolicyMaxSize;
  return v;
}

PolicyService::PolicyService(asio::io_context& context, ServerState& state, LookupStats& stats,
                             QuotaStatusHealth& health, PolicyConfig config, std::string database,
                             int busy_timeout_ms)
    : context_(context),
      state_(state),
      stats_(stats),
      health_(health),
      config_(std::move(config)),
      store_(std::make_unique<LiveStore>(std::move(database), busy_timeout_ms)),
      client_(context, config_.max_idle) {}

void PolicyService::Reconfigure(PolicyConfig config, std::string database, int busy_timeout_ms) {
  asio::post(context_, [this, config = std::move(config), database = std::move(database),
                        busy_timeout_ms]() mutable {
    if (!(config.quota_status == config_.quota_status)) client_.Clear();
    client_.set_max_idle(config.max_idle);
    if (config.cache_seconds != config_.cache_seconds) cache_.clear();
    config_ = std::move(config);
    if (database != store_->path())
      store_ = std::make_unique<LiveStore>(std::move(database), busy_timeout_ms);
  });
}

asio::awaitable<std::string> PolicyService::Answer(const PolicyBlock& request,
                                                   std::string_view peer) {
  auto start = std::chrono::steady_clock::now();
  stats_.Begin();
  std::optional<std::string_view> state = request.Get("protocol_state");
  std::optional<std::string_view> recipient = request.Get("recipient");
  PolicyDecision d;
  if (!state || *state != "RCPT" || !recipient || recipient->empty()) {
    d = {PolicyDecision::Kind::kAccept, "DUNNO", "not a RCPT request"};
  } else {
    std::uint64_t size = PolicySize(request);
    d = co_await Judge(*recipient, size, peer);
    if (state_.verbose.load(std::memory_order_relaxed))
      LogInfo("{} policy recipient {} size {}: {} ({})", peer, Printable(*recipient), size,
              Printable(d.action, 200), Printable(d.why, 300));
  }
  stats_.RecordPolicy(ActionOf(d.kind), std::chrono::steady_clock::now() - start);
  co_return d.action;
}

asio::awaitable<PolicyDecision> PolicyService::Judge(std::string_view recipient, std::uint64_t size,
                                                     std::string_view peer) {
  auto start = std::chrono::steady_clock::now();
  Result<Store*> store = store_->Get();
  Result<Resolution> res = store.ok() ? Resolver(**store).Resolve(recipient) : store.status();
  if (!res.ok() && !IsDatabaseTrouble(res.status().cause())) {
    // One key past a resolver bound: the database is fine, nothing to reopen.
    LogWarning("{} policy recipient {}: {}", peer, Printable(recipient),
               Printable(res.status().message(), 300));
  } else if (!res.ok()) {
    store_->Invalidate();
    state_.health().Failed(res.status().cause(), res.status().message(),
                           fmt::format("{} policy recipient {}", peer, Printable(recipient)));
  }
  if (!res.ok()) {
    co_return PolicyDecision{PolicyDecision::Kind::kTrouble, config_.trouble_action,
                             std::string(CauseName(res.status().cause()))};
  }
  state_.health().Succeeded();
  QuotaPlan plan = PlanQuotaChecks(*res, config_.quota_status);
  if (!plan.judge) co_return PolicyDecision{PolicyDecision::Kind::kAccept, "DUNNO", plan.why};
  // A message always has at least one octet: "no SIZE=" asks about that.
  std::uint64_t asked = size > 0 ? size : 1;
  auto deadline = start + std::chrono::milliseconds(config_.timeout_ms);
  std::vector<QuotaAnswer> answers;
  for (const QuotaCheck& check : plan.checks) {
    if (const Cached* c = FromCache(check.mailbox, asked)) {
      answers.push_back({true, c->action, ""});
      continue;
    }
    QuotaAnswer a = co_await client_.Ask(check.endpoint, check.mailbox, asked, deadline);
    if (a.answered) {
      health_.Succeeded(check.endpoint.str());
      if (ClassifyPolicyAction(a.action) == PolicyVerdict::kReject)
        Remember(check.mailbox, asked, a.action);
    } else {
      health_.Failed(check.endpoint.str(), a.cause,
                     fmt::format("{} for {}", check.mailbox, Printable(recipient)));
    }
    answers.push_back(std::move(a));
    // Under "any", one refusal decides: the other stores need not be asked.
    if (config_.rule == QuotaRule::kAny && answers.back().answered &&
        ClassifyPolicyAction(answers.back().action) == PolicyVerdict::kReject)
      break;
  }
  plan.checks.resize(answers.size());
  co_return CombineQuotaAnswers(plan.checks, answers, config_.rule, config_.trouble_action);
}

const PolicyService::Cached* PolicyService::FromCache(const std::string& mailbox,
                                                      std::uint64_t size) {
  if (config_.cache_seconds <= 0) return nullptr;
  auto it = cache_.find(mailbox);
  if (it == cache_.end()) return nullptr;
  if (std::chrono::steady_clock::now() >= it->second.expires) {
    cache_.erase(it);
    return nullptr;
  }
  return size >= it->second.size ? &it->second : nullptr;
}

void PolicyService::Remember(const std::string& mailbox, std::uint64_t size,
                             const std::string& action) {
  if (config_.cache_seconds <= 0) return;
  if (cache_.size() >= kCacheEntries) cache_.clear();
  Cached& c = cache_[mailbox];
  if (c.expires > std::chrono::steady_clock::now() && c.size <= size) return;
  c = {action, size,
       std::chrono::steady_clock::now() + std::chrono::seconds(config_.cache_seconds)};
}

}  // namespace rcptdb
