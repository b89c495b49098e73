// NAME
//   worker - one event loop thread with its own database connection
// DESCRIPTION
//   Lookup() is where every answer of rcptdb-server is made: it asks the
//   shared map answers (map_answers.h) on this thread's LiveStore inside one
//   read transaction, drops the connection after a temporary failure (the
//   next lookup reopens, which is how a replaced, restored or repaired
//   file is picked up), reports trouble and recovery to DatabaseHealth,
//   and counts the answer.
// SEE ALSO
//   worker.h, live_store.h, map_answers.h
#include "worker.h"

#include <chrono>

#include "logger.h"

namespace rcptdb {

Worker::Worker(ServerState& state, std::size_t index, std::string database, int busy_timeout_ms)
    : state_(state),
      stats_(state.stats(index)),
      guard_(asio::make_work_guard(*context_)),
      store_(std::make_unique<LiveStore>(std::move(database), busy_timeout_ms)) {}

Worker::~Worker() {
  guard_.reset();
  context_.reset();
}

void Worker::Warm() {
  Result<Store*> s = store_->Get();
  if (!s.ok()) state_.health().Failed(s.status().message(), "at startup");
}

MapAnswer Worker::Lookup(MapId map, std::string_view key, std::string_view peer) {
  auto start = std::chrono::steady_clock::now();
  MapAnswer answer;
  Result<Store*> store = store_->Get();
  if (store.ok()) {
    // The resolver reads one snapshot per lookup (resolver.h).
    answer = AnswerMap(**store, map, key);
  } else {
    answer.kind = MapAnswer::Kind::kTemporary;
    answer.value = store.status().message();
    answer.why = answer.value;
  }
  stats_.Record(map, answer.kind, std::chrono::steady_clock::now() - start);
  if (answer.kind == MapAnswer::Kind::kTemporary) {
    // Reopen on the next lookup: the file may be replaced or repaired.
    store_->Invalidate();
    state_.health().Failed(answer.value,
                           fmt::format("{} map {} key {}", peer, MapName(map), Printable(key)));
  } else {
    state_.health().Succeeded();
  }
  if (state_.verbose.load(std::memory_order_relaxed)) {
    const char* kind = answer.kind == MapAnswer::Kind::kFound      ? "found"
                       : answer.kind == MapAnswer::Kind::kNotFound ? "not found"
                                                                   : "temporary failure";
    LogInfo("{} map {} key {}: {} {} ({})", peer, MapName(map), Printable(key), kind,
            Printable(answer.kind == MapAnswer::Kind::kFound ? answer.value : "", 200),
            Printable(answer.why, 200));
  }
  return answer;
}

void Worker::Run() {
  try {
    context_->run();
  } catch (const std::exception& e) {
    LogError("worker thread stopped: {}", e.what());
  }
}

void Worker::SetDatabase(std::string database, int busy_timeout_ms) {
  asio::post(*context_, [this, database = std::move(database), busy_timeout_ms]() mutable {
    store_ = std::make_unique<LiveStore>(std::move(database), busy_timeout_ms);
  });
}

void Worker::Drain() {
  asio::post(*context_, [this] {
    draining_ = true;
    for (SessionEntry& s : sessions_) {
      asio::error_code ec;
      if (s.reading) s.socket->cancel(ec);
    }
    guard_.reset();
  });
}

Worker::SessionList::iterator Worker::Register(Socket* socket) {
  return sessions_.insert(sessions_.end(), SessionEntry{socket, false});
}

}  // namespace rcptdb
