// SPDX-License-Identifier: MIT
// NAME
//   server - accept, admit, dispatch; signals; drain
// DESCRIPTION
//   One control thread accepts on every listener and gives each admitted
//   connection to the next worker in turn (round robin: Postfix opens its
//   connections slowly and keeps them, so turns balance well enough): a
//   map connection to a map Worker, whose loop takes the descriptor over,
//   a policy connection to a PolicyWorker, accepted straight onto its
//   event loop. The control thread never touches it again.
//
//   Admission: a TCP peer must be on loopback or in allow_networks. Idle
//   clients never lock out a new one: when the peer has
//   max_connections_per_peer open, or the server max_connections, an idle
//   connection (of that peer, or any) is reclaimed to make room, the
//   choice being ConnectionTable's (socketmap before tcp_table, longest
//   idle first). Only when every open connection is already being
//   reclaimed is the new one refused. A refused connection is closed at
//   once: Postfix logs it and retries, which is better than leaving it
//   hanging in the backlog. Refusals over the limit are logged once per
//   burst, with a line when accepting works again. Once a second, the
//   connections idle past socketmap_idle_timeout or
//   tcp_table_idle_timeout are reclaimed. Every reclaimed connection is
//   logged with its peer, idle time and reason.
//
//   Drain (SIGTERM): close the listeners, cancel sessions waiting for a
//   request, let sessions writing a reply finish, and give up on what is
//   left after one second: Postfix's clients retry, and systemd expects a
//   prompt exit.
// SEE ALSO
//   server.h, worker.h, policy_worker.h, session.h, rcptdb-server(8)
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "logger.h"
#include "policy_session.h"
#include "session.h"
#include "socketmap_responder.h"
#include "tcp_table_responder.h"

namespace rcptdb {
namespace {

using asio::redirect_error;
using asio::use_awaitable;

std::string PeerName(const asio::generic::stream_protocol::endpoint& ep,
                     const BoundListener& listener) {
  const sockaddr* sa = ep.data();
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return fmt::format("[{}]:{}", buf, ntohs(in6->sin6_port));
  }
  return listener.address.str();
}

// Returns the per-peer cap's key: the IP address of a TCP peer, the user
// id of a unix-socket peer (all local users share 127.0.0.1; only a unix
// socket tells them apart). detail gets " uid N pid N" for log lines.
std::string PeerKey(const asio::generic::stream_protocol::endpoint& ep, int fd,
                    std::string& detail) {
  const sockaddr* sa = ep.data();
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    return buf;
  }
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return "unix";
  detail = fmt::format(" uid {} pid {}", cred.uid, cred.pid);
  return fmt::format("uid {}", cred.uid);
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Returns the kind of connection a listener accepts.
Connection::Protocol ConnectionProtocol(const BoundListener& listener) {
  switch (listener.protocol) {
    case BoundListener::Protocol::kSocketmap:
      return Connection::Protocol::kSocketmap;
    case BoundListener::Protocol::kPolicy:
      return Connection::Protocol::kPolicy;
    case BoundListener::Protocol::kTcpTable:
      break;
  }
  return Connection::Protocol::kTcpTable;
}

// Returns the metrics' view of the listeners, in their order.
MetricsLayout LayoutOf(const std::vector<BoundListener>& listeners) {
  MetricsLayout layout;
  for (const BoundListener& l : listeners) {
    MetricsLayout::Listener m;
    m.address = l.address.str();
    if (l.protocol == BoundListener::Protocol::kTcpTable) {
      m.protocol = LookupProtocol::kTcpTable;
      m.map = l.map;
    } else {
      m.protocol = l.protocol == BoundListener::Protocol::kPolicy ? LookupProtocol::kPolicy
                                                                  : LookupProtocol::kSocketmap;
    }
    layout.listeners.push_back(std::move(m));
  }
  return layout;
}

// Returns the socket's protocol, for adopting a bound descriptor.
asio::generic::stream_protocol ProtocolOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int proto = ss.ss_family == AF_UNIX ? 0 : IPPROTO_TCP;
  return asio::generic::stream_protocol(ss.ss_family, proto);
}

}  // namespace

std::string BoundListener::str() const {
  if (protocol == Protocol::kSocketmap) return "socketmap " + address.str();
  if (protocol == Protocol::kPolicy) return "policy " + address.str();
  return fmt::format("tcp_table {} {}", MapName(map), address.str());
}

Server::Server(ServerConfig config, ConfigLoader loader, std::vector<BoundListener> listeners,
               std::size_t fd_limit, bool foreground)
    : config_(std::move(config)),
      loader_(std::move(loader)),
      listeners_(std::move(listeners)),
      fd_limit_(fd_limit),
      foreground_(foreground),
      signals_(control_, SIGTERM, SIGINT, SIGHUP) {
  signals_.add(SIGUSR1);
#ifdef RCPTDB_TEST_FAULTS
  signals_.add(SIGUSR2);  // test fault: wedge worker 0 (monitoring.h)
#endif
  max_connections_ = ConnectionCap(config_.max_connections);
}

Server::~Server() {
  StopWorkers();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

void Server::StopWorkers() {
  for (auto& w : workers_) w->Stop();
  for (auto& w : policy_workers_) w->Stop();
}

std::size_t Server::ConnectionCap(std::size_t wanted) const {
  // Keep descriptors for listeners, event loops and database files: 8 per
  // thread, map workers and policy threads alike.
  std::size_t threads =
      (config_.threads ? config_.threads : 1) * (config_.policy.listeners.empty() ? 1 : 2);
  std::size_t reserve = 64 + 8 * threads + listeners_.size();
  std::size_t cap = fd_limit_ > reserve ? fd_limit_ - reserve : 1;
  if (wanted > cap) {
    LogWarning("max_connections {} exceeds what the file descriptor limit {} allows; using {}",
               wanted, fd_limit_, cap);
    return cap;
  }
  return wanted;
}

void Server::Prepare() {
  // Counters for every thread that answers: map workers, then policy ones.
  bool policy = !config_.policy.listeners.empty();
  state_ = std::make_unique<ServerState>(config_.threads * (policy ? 2 : 1), listeners_.size());
  state_->verbose = config_.verbose;
  for (std::size_t i = 0; i < config_.threads; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(*state_, i, config_.database, config_.busy_timeout_ms));
    workers_.back()->Warm();
    if (policy)
      policy_workers_.push_back(std::make_unique<PolicyWorker>(
          *state_, config_.threads + i, quota_health_, config_.policy, config_.database,
          config_.busy_timeout_ms));
  }
  accept_log_.resize(listeners_.size());
  std::vector<Monitoring::Loop> loops;
  for (std::size_t i = 0; i < workers_.size(); ++i)
    loops.push_back({fmt::format("worker {}", i),
                     [w = workers_[i].get()](std::function<void()> f) { w->Post(std::move(f)); }});
  for (std::size_t i = 0; i < policy_workers_.size(); ++i)
    loops.push_back(
        {fmt::format("policy worker {}", i),
         [w = policy_workers_[i].get()](std::function<void()> f) { w->Post(std::move(f)); }});
  monitoring_ =
      std::make_unique<Monitoring>(control_, *state_, std::move(loops), LayoutOf(listeners_),
                                   config_.database, config_.busy_timeout_ms);
  for (const BoundListener& l : listeners_) {
    auto acceptor = std::make_unique<Acceptor>(control_);
    asio::error_code ec;
    acceptor->assign(ProtocolOf(l.fd), l.fd, ec);
    if (ec) LogError("{}: cannot adopt listening socket: {}", l.str(), ec.message());
    acceptors_.push_back(std::move(acceptor));
  }
}

int Server::Run() {
  // One thread per worker of either kind; Finish() waits for them all.
  auto start = [this](auto* worker) {
    threads_.emplace_back([this, worker] {
      worker->Run();
      workers_done_.fetch_add(1);
    });
  };
  for (auto& w : workers_) start(w.get());
  for (auto& w : policy_workers_) start(w.get());
  for (std::size_t i = 0; i < acceptors_.size(); ++i)
    asio::co_spawn(control_, Accept(i), asio::detached);
  asio::co_spawn(control_, HandleSignals(), asio::detached);
  asio::co_spawn(control_, SweepIdle(), asio::detached);
  if (metrics_fd_ >= 0 && config_.metrics)
    monitoring_->StartMetrics(metrics_fd_, *config_.metrics, config_.allow_networks);
  // Runs once the acceptors wait for connections and the workers run.
  asio::post(control_, [this] { monitoring_->Ready(); });
  try {
    control_.run();
  } catch (const std::exception& e) {
    LogError("control thread: {}", e.what());
  }
  Finish();
  return 0;
}

asio::awaitable<void> Server::Accept(std::size_t index) {
  Acceptor& acceptor = *acceptors_[index];
  const BoundListener& listener = listeners_[index];
  asio::steady_timer pause(control_);
  bool policy = listener.protocol == BoundListener::Protocol::kPolicy;
  while (acceptor.is_open()) {
    std::size_t worker_index =
        policy ? next_policy_worker_++ % policy_workers_.size() : next_worker_++ % workers_.size();
    Socket socket(policy ? policy_workers_[worker_index]->context() : control_);
    Endpoint peer;
    asio::error_code ec;
    co_await acceptor.async_accept(socket, peer, redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors, typically: pause instead of spinning, and say
      // so once a second, not at every try.
      if (std::optional<std::uint64_t> n =
              accept_log_[index].Note(std::chrono::steady_clock::now()))
        LogWarning("{}: accept failed: {} ({} more failures since the last such line)",
                   listener.str(), ec.message(), *n);
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    std::string detail;
    std::string key = PeerKey(peer, socket.native_handle(), detail);
    std::string name = PeerName(peer, listener) + detail;
    if (!Admit(peer, key, name, listener)) {
      socket.close(ec);
      continue;
    }
    StartSession(worker_index, std::move(socket), listener, std::move(key), std::move(name));
  }
}

asio::awaitable<void> Server::SweepIdle() {
  asio::steady_timer tick(control_);
  for (;;) {
    tick.expires_after(std::chrono::seconds(1));
    asio::error_code ec;
    co_await tick.async_wait(redirect_error(use_awaitable, ec));
    if (ec || draining_) co_return;
    auto now = std::chrono::steady_clock::now();
    FlushFloodCounts(now);
    IdleTimeouts timeouts{config_.socketmap_idle_timeout, config_.tcp_table_idle_timeout,
                          config_.policy_idle_timeout};
    std::vector<std::shared_ptr<Connection>> expired =
        state_->connection_table().Expired(now, timeouts);
    if (expired.empty()) continue;
    // One line a sweep, however many expired together.
    const Connection& first = *expired.front();
    LogInfo("{}: closing {} connection idle for {:.1f}s: {}_idle_timeout {}s{}", first.name(),
            ProtocolName(first.protocol()), SecondsSince(first.last_active()),
            ProtocolName(first.protocol()), timeouts.For(first.protocol()).count(),
            expired.size() == 1 ? std::string()
                                : fmt::format(" (and {} more connections idle past their timeouts)",
                                              expired.size() - 1));
    for (const std::shared_ptr<Connection>& c : expired) Reclaim(c);
  }
}

void Server::FlushFloodCounts(std::chrono::steady_clock::time_point now) {
  if (std::optional<std::uint64_t> n = room_log_.Flush(now))
    LogInfo("{} more connections closed to make room since the last such line", *n);
  if (std::optional<std::uint64_t> n = acl_log_.Flush(now))
    LogWarning("{} more connections refused: client not in allow_networks", *n);
  for (std::size_t i = 0; i < accept_log_.size(); ++i)
    if (std::optional<std::uint64_t> n = accept_log_[i].Flush(now))
      LogWarning("{}: accept failed: {} more failures since the last such line",
                 listeners_[i].str(), *n);
}

void Server::Reclaim(const std::shared_ptr<Connection>& c) {
  auto reclaim = [c] {
    if (c->on_reclaim) c->on_reclaim();
  };
  if (c->protocol() == Connection::Protocol::kPolicy)
    policy_workers_[c->worker()]->Post(std::move(reclaim));
  else
    workers_[c->worker()]->Post(std::move(reclaim));
}

bool Server::MakeRoom(const std::string* peer, Connection::Protocol protocol,
                      const std::string& name, const std::string& reason) {
  std::shared_ptr<Connection> victim = state_->connection_table().PickVictim(peer, protocol);
  if (victim == nullptr) return false;
  if (std::optional<std::uint64_t> n = room_log_.Note(std::chrono::steady_clock::now()))
    LogInfo(
        "{}: closing {} connection idle for {:.1f}s: {}, making room for {} ({} more "
        "connections closed to make room since the last such line)",
        victim->name(), ProtocolName(victim->protocol()), SecondsSince(victim->last_active()),
        reason, name, *n);
  Reclaim(victim);
  return true;
}

bool Server::Admit(const Endpoint& peer, const std::string& key, const std::string& name,
                   const BoundListener& listener) {
  const sockaddr* sa = peer.data();
  bool inet = sa->sa_family == AF_INET || sa->sa_family == AF_INET6;
  if (inet && !NetworkList::IsLoopback(sa) && !config_.allow_networks.Contains(sa)) {
    state_->refused.fetch_add(1, std::memory_order_relaxed);
    state_->listener_stats(IndexOf(listener)).Refused(RefuseReason::kNotAllowed);
    if (std::optional<std::uint64_t> n = acl_log_.Note(std::chrono::steady_clock::now()))
      LogWarning(
          "{}: connection to {} refused: client not in allow_networks ({} more refused "
          "since the last such line)",
          name, listener.str(), *n);
    return false;
  }
  ConnectionTable& table = state_->connection_table();
  Connection::Protocol protocol = ConnectionProtocol(listener);
  bool policy = protocol == Connection::Protocol::kPolicy;
  std::size_t per_peer =
      policy ? config_.policy_max_connections_per_peer : config_.max_connections_per_peer;
  bool room = true;
  if (per_peer != 0 && table.ActiveOf(key, protocol) >= per_peer)
    room = MakeRoom(
        &key, protocol, name,
        fmt::format("{} has {} {} open", key,
                    policy ? "policy_max_connections_per_peer" : "max_connections_per_peer",
                    per_peer));
  if (room && table.Active() >= max_connections_)
    room = MakeRoom(nullptr, protocol, name,
                    fmt::format("max_connections {} reached", max_connections_));
  if (!room) {
    state_->refused.fetch_add(1, std::memory_order_relaxed);
    state_->listener_stats(IndexOf(listener)).Refused(RefuseReason::kLimit);
    if (!refusing_)
      LogWarning(
          "{}: connection to {} refused: the connection limit is reached and every open "
          "connection is already being reclaimed (max_connections {}, "
          "{} {}); logged once per burst",
          name, listener.str(), max_connections_,
          policy ? "policy_max_connections_per_peer" : "max_connections_per_peer", per_peer);
    refusing_ = true;
    ++refused_in_burst_;
    return false;
  }
  if (refusing_) {
    LogInfo("accepting connections again after refusing {} over the connection limit",
            refused_in_burst_);
    refusing_ = false;
    refused_in_burst_ = 0;
  }
  return true;
}

void Server::StartSession(std::size_t worker_index, Socket socket, const BoundListener& listener,
                          std::string key, std::string name) {
  std::shared_ptr<Connection> connection =
      state_->connection_table().Add(std::move(key), name, ConnectionProtocol(listener),
                                     worker_index, std::chrono::steady_clock::now());
  state_->connections.fetch_add(1, std::memory_order_relaxed);
  state_->accepted.fetch_add(1, std::memory_order_relaxed);
  state_->listener_stats(IndexOf(listener)).Accepted();
  connection->listener = IndexOf(listener);
  if (listener.address.kind == ListenAddress::Kind::kTcp) {
    // Replies are single small writes; never let Nagle hold one back.
    int one = 1;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (listener.protocol == BoundListener::Protocol::kPolicy) {
    PolicyWorker& worker = *policy_workers_[worker_index];
    auto scope = std::make_unique<SessionScope>(*state_, std::move(connection), worker.draining());
    asio::co_spawn(worker.context(), RunPolicySession(worker, std::move(socket), std::move(scope)),
                   asio::detached);
    return;
  }
  Worker& worker = *workers_[worker_index];
  std::unique_ptr<Responder> responder;
  if (listener.protocol == BoundListener::Protocol::kTcpTable)
    responder = std::make_unique<TcpTableResponder>(worker, listener.map, name);
  else
    responder = std::make_unique<SocketmapResponder>(worker, name);
  // The worker's loop takes the descriptor over; until it runs the
  // handover, the handover owns it (a drained worker never runs it).
  struct Handover {
    int fd = -1;
    std::unique_ptr<Responder> responder;
    std::unique_ptr<SessionScope> scope;
    ~Handover() {
      if (fd >= 0) close(fd);
    }
  };
  auto handover = std::make_shared<Handover>();
  asio::error_code ec;
  handover->fd = socket.release(ec);
  handover->responder = std::move(responder);
  handover->scope =
      std::make_unique<SessionScope>(*state_, std::move(connection), worker.draining());
  if (ec) {
    LogWarning("{}: cannot hand the connection to a worker: {}", name, ec.message());
    handover->scope->failed();
    return;
  }
  worker.Post([&worker, handover] {
    worker.Serve(std::exchange(handover->fd, -1), std::move(handover->responder),
                 std::move(handover->scope));
  });
}

asio::awaitable<void> Server::HandleSignals() {
  for (;;) {
    asio::error_code ec;
    int sig = co_await signals_.async_wait(redirect_error(use_awaitable, ec));
    if (ec) co_return;
    switch (sig) {
      case SIGHUP:
        monitoring_->Reloading();
        Reload();
        monitoring_->Reloaded(config_.database, config_.busy_timeout_ms, config_.allow_networks);
        break;
#ifdef RCPTDB_TEST_FAULTS
      case SIGUSR2:
        monitoring_->WedgeWorker(0);
        break;
#endif
      case SIGUSR1:
        LogInfo("statistics: {}", state_->Snapshot().Format());
        break;
      default:
        LogInfo("received signal {}: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        Drain();
        co_return;
    }
  }
}

void Server::Reload() {
  Result<ServerConfig> next = loader_();
  if (!next.ok()) {
    LogWarning("reload failed, keeping the running configuration: {}", next.status().message());
    return;
  }
  ServerConfig& n = *next;
  if (!n.SameListeners(config_))
    LogWarning(
        "reload: changes to tcp_table, socketmap, policy, metrics, user, threads or pid_file "
        "take effect only after a restart");
  if (foreground_)
    Logger::ToStderr(n.syslog_name);
  else
    Logger::ToSyslog(n.syslog_name, n.syslog_facility);
  if (n.database != config_.database || n.busy_timeout_ms != config_.busy_timeout_ms)
    for (auto& w : workers_) w->SetDatabase(n.database, n.busy_timeout_ms);
  for (auto& p : policy_workers_) p->service().Reconfigure(n.policy, n.database, n.busy_timeout_ms);
  state_->verbose = n.verbose;
  max_connections_ = ConnectionCap(n.max_connections);
  // Keep what needs a restart as it runs, so that the next reload compares
  // against the running listeners.
  n.tcp_tables = config_.tcp_tables;
  n.socketmaps = config_.socketmaps;
  n.user = config_.user;
  n.threads = config_.threads;
  n.pid_file = config_.pid_file;
  n.policy.listeners = config_.policy.listeners;
  n.metrics = config_.metrics;
  n.unix_socket_owner = config_.unix_socket_owner;
  n.unix_socket_group = config_.unix_socket_group;
  n.unix_socket_mode = config_.unix_socket_mode;
  config_ = std::move(n);
  LogInfo("reloaded configuration{}{}: database {}, max_connections {}, allow_networks {}",
          config_.config_file.empty() ? "" : " from ", config_.config_file,
          RedactSpec(config_.database), max_connections_,
          config_.allow_networks.empty() ? "(loopback only)" : config_.allow_networks.str());
}

void Server::Drain() {
  draining_ = true;
  monitoring_->Stopping();
  asio::error_code ec;
  for (auto& a : acceptors_) a->close(ec);
  for (auto& w : workers_) w->Drain();
  for (auto& w : policy_workers_) w->Drain();
}

void Server::Finish() {
  // Sessions writing a reply get until the deadline; then stop regardless.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(900);
  while (workers_done_.load() < threads_.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (workers_done_.load() < threads_.size()) {
    LogWarning("{} connections still busy after the drain deadline; closing them",
               state_->connections.load());
    StopWorkers();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  monitoring_->Finish();
  RemoveRunFiles();
  LogInfo("stopped: {}", state_->Snapshot().Format());
}

void Server::RemoveRunFiles() {
  std::vector<std::string> paths;
  for (const BoundListener& l : listeners_)
    if (l.address.kind == ListenAddress::Kind::kUnix) paths.push_back(l.address.path);
  if (!config_.pid_file.empty()) paths.push_back(config_.pid_file);
  for (const std::string& path : paths)
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
      LogWarning(
          "cannot remove {}: {} (its directory must be writable by the user the server "
          "runs as)",
          path, std::strerror(errno));
}

}  // namespace rcptdb
