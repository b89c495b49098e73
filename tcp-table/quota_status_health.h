// SPDX-License-Identifier: MIT
// quota_status_health.h - log quota-status trouble once per cause, and recovery
//
// When a store's quota-status service is down or slow, every RCPT asking it
// fails the same way. QuotaStatusHealth, shared by all worker threads,
// keeps one state per endpoint: Failed() logs only when the endpoint's
// cause changes (first failure, or a new cause), Succeeded() logs one
// recovery line with the number of failed questions.
//
// Thread safety: all methods from any thread. Succeeded() costs one relaxed
// atomic load while every endpoint is healthy.
#ifndef RCPTDB_QUOTA_STATUS_HEALTH_H
#define RCPTDB_QUOTA_STATUS_HEALTH_H

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace rcptdb {

class QuotaStatusHealth {
 public:
  // Records a question endpoint did not answer; cause is the class of
  // failure ("connection refused", "timed out", ...), context the
  // recipient it was asked about.
  void Failed(const std::string& endpoint, std::string_view cause, std::string_view context);
  // Records an answer from endpoint; logs the recovery if it was failing.
  void Succeeded(const std::string& endpoint) {
    if (troubled_.load(std::memory_order_relaxed) > 0) Recover(endpoint);
  }

 private:
  struct Trouble {
    std::string cause;
    std::uint64_t failures = 0;
  };
  void Recover(const std::string& endpoint);
  std::atomic<int> troubled_{0};  // endpoints in trouble
  std::mutex mutex_;
  std::map<std::string, Trouble> trouble_;
};

}  // namespace rcptdb

#endif
