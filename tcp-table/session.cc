// SPDX-License-Identifier: MIT
// NAME
//   session - a session's last bookkeeping, whatever ends it
// SEE ALSO
//   session.h, map_loop.h, policy_session.h
#include "session.h"

namespace rcptdb {

SessionScope::SessionScope(ServerState& state, std::shared_ptr<Connection> connection,
                           const std::atomic<bool>& draining)
    : state_(state), connection_(std::move(connection)), draining_(draining) {}

SessionScope::~SessionScope() {
  connection_->on_reclaim = nullptr;
  state_.connection_table().Remove(connection_);
  state_.connections.fetch_sub(1, std::memory_order_relaxed);
  CloseReason why = connection_->reclaimed()                    ? connection_->reclaim_reason()
                    : draining_.load(std::memory_order_relaxed) ? CloseReason::kShutdown
                    : failed_                                   ? CloseReason::kError
                                                                : CloseReason::kClient;
  state_.listener_stats(connection_->listener).Closed(why);
}

}  // namespace rcptdb
