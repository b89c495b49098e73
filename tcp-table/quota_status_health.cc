// SPDX-License-Identifier: MIT
// NAME
//   quota_status_health - one log line per quota-status trouble
// DESCRIPTION
//   See quota_status_health.h. The count of failed questions in the
//   recovery line tells the admin how many recipients got the trouble
//   action instead of a quota answer.
// SEE ALSO
//   quota_status_health.h, policy_service.h
#include "quota_status_health.h"

#include "logger.h"

namespace rcptdb {

void QuotaStatusHealth::Failed(const std::string& endpoint, std::string_view cause,
                               std::string_view context) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto [it, fresh] = trouble_.try_emplace(endpoint);
  if (fresh) troubled_.fetch_add(1, std::memory_order_relaxed);
  ++it->second.failures;
  if (it->second.cause == cause) return;
  it->second.cause = std::string(cause);
  LogWarning(
      "policy: quota-status {} did not answer: {} (asked about {}); answering "
      "policy_trouble_action until it does (logged once per cause)",
      endpoint, cause, Printable(context));
}

void QuotaStatusHealth::Recover(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = trouble_.find(endpoint);
  if (it == trouble_.end()) return;
  LogInfo("policy: quota-status {} answers again, after {} unanswered questions ({})", endpoint,
          it->second.failures, it->second.cause);
  trouble_.erase(it);
  troubled_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace rcptdb
