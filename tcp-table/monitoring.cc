// SPDX-License-Identifier: MIT
// NAME
//   monitoring - the metrics endpoint, systemd notifications, the watchdog
// DESCRIPTION
//   The ticks run on the control thread's io_context, only while systemd
//   listens ($NOTIFY_SOCKET): every tick checks the workers' heartbeats
//   (WATCHDOG=1 if each ran the last one) and, every kStatusPeriod,
//   sends a STATUS= line. A heartbeat is a handler posted to a worker's
//   event loop; it runs after whatever that loop is doing, so it proves
//   that the loop still turns, which is what a lookup needs.
//
//   The STATUS line: "answering N listeners, database ok, R lookups/s",
//   the rate over the last period (lookups and policy requests); "database
//   trouble (CAUSE)" while lookups fail; "draining" after SIGTERM.
// SEE ALSO
//   monitoring.h, sd_notify.h, metrics_endpoint.h, server_metrics.h,
//   rcptdb-server(8) SYSTEMD and METRICS
#include "monitoring.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "logger.h"
#include "store.h"

namespace rcptdb {
namespace {

constexpr std::chrono::seconds kMaxTick{5};
constexpr std::chrono::seconds kStatusPeriod{5};

Engine EngineOf(const std::string& database) {
  return IsPostgresSpec(database) ? Engine::kPostgresql : Engine::kSqlite;
}

}  // namespace

Monitoring::Monitoring(asio::io_context& control, ServerState& state, std::vector<Loop> workers,
                       MetricsLayout layout, std::string database, int busy_timeout_ms)
    : control_(control),
      state_(state),
      workers_(std::move(workers)),
      layout_(std::move(layout)),
      notifier_(SystemdNotifier::FromEnvironment()),
      engine_(EngineOf(database)),
      probe_(std::move(database), busy_timeout_ms),
      timer_(control),
      answered_(new std::atomic<std::uint64_t>[workers_.size()]),
      reported_stuck_(workers_.size(), false) {
  for (std::size_t i = 0; i < workers_.size(); ++i) answered_[i] = 0;
  if (notifier_.watchdog() &&
      *notifier_.watchdog() < std::chrono::milliseconds(2 * busy_timeout_ms))
    LogWarning(
        "the systemd watchdog timeout ({} ms) is less than twice busy_timeout ({} ms): a worker "
        "waiting on a locked database may be taken for a stuck one",
        std::chrono::duration_cast<std::chrono::milliseconds>(*notifier_.watchdog()).count(),
        busy_timeout_ms);
}

Monitoring::~Monitoring() { Finish(); }

void Monitoring::StartMetrics(int fd, const ListenAddress& address, NetworkList allow) {
  Result<std::unique_ptr<MetricsEndpoint>> e = MetricsEndpoint::Start(
      fd, address.str(), [this](ExpositionFormat f) { return Render(f); }, std::move(allow));
  if (!e.ok()) {
    LogError("{}; serving without the metrics endpoint", e.status().message());
    return;
  }
  endpoint_ = std::move(*e);
  if (address.kind == ListenAddress::Kind::kUnix) endpoint_socket_ = address.path;
}

std::string Monitoring::Render(ExpositionFormat format) {
  ServerFigures figures = ReadServerFigures(state_, engine_.load(std::memory_order_relaxed));
  figures.standby_lag_seconds = probe_.StandbyLagSeconds();
  return EncodeExposition(ServerMetricFamilies(layout_, figures), format);
}

std::string Monitoring::StatusLine() {
  auto now = std::chrono::steady_clock::now();
  std::uint64_t finished = state_.Snapshot().Finished();
  double seconds = std::chrono::duration<double>(now - last_status_).count();
  double rate = seconds > 0 ? static_cast<double>(finished - last_finished_) / seconds : 0;
  last_finished_ = finished;
  last_status_ = now;
  std::string database = state_.health().up() ? "database ok"
                                              : fmt::format("database trouble ({})",
                                                            CauseName(state_.health().cause()));
  return fmt::format("STATUS=answering {} listeners, {}, {:.0f} lookups/s",
                     layout_.listeners.size(), database, rate);
}

void Monitoring::Ready() {
  if (!notifier_.enabled()) return;
  last_finished_ = state_.Snapshot().Finished();
  last_status_ = std::chrono::steady_clock::now();
  notifier_.Send(fmt::format("READY=1\nSTATUS=answering {} listeners, {}, 0 lookups/s",
                             layout_.listeners.size(),
                             state_.health().up() ? "database ok" : "database trouble"));
  asio::co_spawn(control_, Tick(), asio::detached);
}

void Monitoring::Reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  std::uint64_t usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
                       static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  notifier_.Send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

void Monitoring::Reloaded(const std::string& database, int busy_timeout_ms, NetworkList allow) {
  engine_.store(EngineOf(database), std::memory_order_relaxed);
  probe_.SetDatabase(database, busy_timeout_ms);
  if (endpoint_) endpoint_->SetAllowNetworks(std::move(allow));
  notifier_.Send("READY=1\n" + StatusLine());
}

void Monitoring::Stopping() {
  if (stopping_) return;
  stopping_ = true;
  timer_.cancel();
#ifdef RCPTDB_TEST_FAULTS
  unwedge_ = true;
#endif
  notifier_.Send("STOPPING=1\nSTATUS=draining");
}

void Monitoring::Finish() {
  endpoint_.reset();
  if (!endpoint_socket_.empty() && unlink(endpoint_socket_.c_str()) != 0 && errno != ENOENT)
    LogWarning("cannot remove {}: {}", endpoint_socket_, std::strerror(errno));
  endpoint_socket_.clear();
}

bool Monitoring::WorkersAlive() {
  bool alive = true;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    bool ran = answered_[i].load(std::memory_order_acquire) == heartbeat_;
    if (!ran && !reported_stuck_[i])
      LogError(
          "{} has not run its event loop for over {} ms; no longer telling systemd's "
          "watchdog that the server is alive",
          workers_[i].name,
          std::chrono::duration_cast<std::chrono::milliseconds>(
              notifier_.watchdog().value_or(kMaxTick * 2) / 2)
              .count());
    if (ran && reported_stuck_[i]) LogInfo("{} runs its event loop again", workers_[i].name);
    reported_stuck_[i] = !ran;
    alive = alive && ran;
  }
  // The next heartbeat; a stuck worker's queue holds at most one per tick.
  ++heartbeat_;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    std::uint64_t n = heartbeat_;
    workers_[i].post([this, i, n] { answered_[i].store(n, std::memory_order_release); });
  }
  return alive;
}

asio::awaitable<void> Monitoring::Tick() {
  std::optional<std::chrono::microseconds> watchdog = notifier_.watchdog();
  std::chrono::microseconds period =
      watchdog ? std::min<std::chrono::microseconds>(*watchdog / 2, kMaxTick) : kStatusPeriod;
  while (!stopping_) {
    std::string message;
    if (watchdog && WorkersAlive()) message = "WATCHDOG=1\n";
    if (std::chrono::steady_clock::now() - last_status_ >= kStatusPeriod) message += StatusLine();
    if (!message.empty()) notifier_.Send(message);
    timer_.expires_after(period);
    asio::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
  }
}

#ifdef RCPTDB_TEST_FAULTS
void Monitoring::WedgeWorker(std::size_t i) {
  if (i >= workers_.size()) return;
  LogWarning("test fault: blocking worker {}'s event loop until the drain", i);
  workers_[i].post([this] {
    while (!unwedge_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
}
#endif

}  // namespace rcptdb
