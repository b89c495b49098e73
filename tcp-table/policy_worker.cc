// SPDX-License-Identifier: MIT
// NAME
//   policy_worker - a thread for policy sessions, on Asio
// SEE ALSO
//   policy_worker.h, policy_session.h, policy_service.h
#include "policy_worker.h"

#include "logger.h"

namespace rcptdb {

PolicyWorker::PolicyWorker(ServerState& state, std::size_t index, QuotaStatusHealth& health,
                           PolicyConfig config, std::string database, int busy_timeout_ms)
    : state_(state),
      guard_(asio::make_work_guard(*context_)),
      service_(std::make_unique<PolicyService>(*context_, state, state.stats(index), health,
                                               std::move(config), std::move(database),
                                               busy_timeout_ms)) {}

PolicyWorker::~PolicyWorker() {
  guard_.reset();
  // As before a PolicyWorker existed: the service (its pooled quota-status
  // sockets) first, then the context with the sessions still suspended.
  service_.reset();
  context_.reset();
}

void PolicyWorker::Run() {
  try {
    context_->run();
  } catch (const std::exception& e) {
    LogError("policy thread stopped: {}", e.what());
  }
}

void PolicyWorker::Drain() {
  Post([this] {
    draining_ = true;
    for (Entry& s : sessions_) {
      asio::error_code ec;
      if (s.reading) s.socket->cancel(ec);
    }
    guard_.reset();
  });
}

}  // namespace rcptdb
