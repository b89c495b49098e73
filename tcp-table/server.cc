// NAME
//   server - accept, admit, dispatch; signals; drain
// DESCRIPTION
//   One control thread accepts on every listener and gives each admitted
//   connection to the next worker in turn (round robin: Postfix opens its
//   connections slowly and keeps them, so turns balance well enough). The
//   accepted socket is registered directly with the chosen worker's event
//   loop, so the control thread never touches it again.
//
//   Admission: a TCP peer must be on loopback or in allow_networks; the
//   number of open connections must be under max_connections. A refused
//   connection is closed at once: Postfix logs it and retries, which is
//   better than leaving it hanging in the backlog. Refusals over the limit
//   are logged once per burst, with a line when accepting works again.
//
//   Drain (SIGTERM): close the listeners, cancel sessions waiting for a
//   request, let sessions writing a reply finish, and give up on what is
//   left after one second: Postfix's clients retry, and systemd expects a
//   prompt exit.
// SEE ALSO
//   server.h, worker.h, session.h, rcptdb-server(8)
#include "server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
  max_connections_ = ConnectionCap(config_.max_connections);
}

Server::~Server() {
  for (auto& w : workers_) w->Stop();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
}

std::size_t Server::ConnectionCap(std::size_t wanted) const {
  // Keep descriptors for listeners, event loops and database files.
  std::size_t reserve = 64 + 8 * (config_.threads ? config_.threads : 1) + listeners_.size();
  std::size_t cap = fd_limit_ > reserve ? fd_limit_ - reserve : 1;
  if (wanted > cap) {
    LogWarning("max_connections {} exceeds what the file descriptor limit {} allows; using {}",
               wanted, fd_limit_, cap);
    return cap;
  }
  return wanted;
}

void Server::Prepare() {
  state_ = std::make_unique<ServerState>(config_.threads);
  state_->verbose = config_.verbose;
  for (std::size_t i = 0; i < config_.threads; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(*state_, i, config_.database, config_.busy_timeout_ms));
    workers_.back()->Warm();
    if (!config_.policy.listeners.empty())
      policy_.push_back(std::make_unique<PolicyService>(*workers_.back(), quota_health_,
                                                        config_.policy, config_.database,
                                                        config_.busy_timeout_ms));
  }
  for (const BoundListener& l : listeners_) {
    auto acceptor = std::make_unique<Acceptor>(control_);
    asio::error_code ec;
    acceptor->assign(ProtocolOf(l.fd), l.fd, ec);
    if (ec) LogError("{}: cannot adopt listening socket: {}", l.str(), ec.message());
    acceptors_.push_back(std::move(acceptor));
  }
}

int Server::Run() {
  for (auto& w : workers_) {
    Worker* worker = w.get();
    threads_.emplace_back([this, worker] {
      worker->Run();
      workers_done_.fetch_add(1);
    });
  }
  for (std::size_t i = 0; i < acceptors_.size(); ++i)
    asio::co_spawn(control_, Accept(i), asio::detached);
  asio::co_spawn(control_, HandleSignals(), asio::detached);
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
  while (acceptor.is_open()) {
    Worker& worker = *workers_[next_worker_++ % workers_.size()];
    Socket socket(worker.context());
    Endpoint peer;
    asio::error_code ec;
    co_await acceptor.async_accept(socket, peer, redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Out of descriptors, typically: pause instead of spinning.
      LogWarning("{}: accept failed: {}", listener.str(), ec.message());
      pause.expires_after(std::chrono::milliseconds(100));
      co_await pause.async_wait(redirect_error(use_awaitable, ec));
      continue;
    }
    std::string name = PeerName(peer, listener);
    if (!Admit(peer, name, listener)) {
      socket.close(ec);
      continue;
    }
    StartSession(worker, std::move(socket), listener, std::move(name));
  }
}

bool Server::Admit(const Endpoint& peer, const std::string& name, const BoundListener& listener) {
  const sockaddr* sa = peer.data();
  bool inet = sa->sa_family == AF_INET || sa->sa_family == AF_INET6;
  if (inet && !NetworkList::IsLoopback(sa) && !config_.allow_networks.Contains(sa)) {
    state_->refused.fetch_add(1, std::memory_order_relaxed);
    auto now = std::chrono::steady_clock::now();
    if (now - last_acl_log_ >= std::chrono::seconds(1)) {
      LogWarning(
          "{}: connection to {} refused: client not in allow_networks ({} more refused "
          "since the last such line)",
          name, listener.str(), acl_unlogged_);
      last_acl_log_ = now;
      acl_unlogged_ = 0;
    } else {
      ++acl_unlogged_;
    }
    return false;
  }
  if (state_->connections.load(std::memory_order_relaxed) >= max_connections_) {
    state_->refused.fetch_add(1, std::memory_order_relaxed);
    if (!refusing_)
      LogWarning(
          "{}: connection to {} refused: {} connections open, the max_connections limit; "
          "refusing until one closes (logged once per burst)",
          name, listener.str(), max_connections_);
    refusing_ = true;
    ++refused_in_burst_;
    return false;
  }
  if (refusing_) {
    LogInfo("accepting connections again after refusing {} over max_connections",
            refused_in_burst_);
    refusing_ = false;
    refused_in_burst_ = 0;
  }
  return true;
}

void Server::StartSession(Worker& worker, Socket socket, const BoundListener& listener,
                          std::string name) {
  state_->connections.fetch_add(1, std::memory_order_relaxed);
  state_->accepted.fetch_add(1, std::memory_order_relaxed);
  if (listener.address.kind == ListenAddress::Kind::kTcp) {
    // Replies are single small writes; never let Nagle hold one back.
    int one = 1;
    setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (listener.protocol == BoundListener::Protocol::kPolicy) {
    std::size_t i = 0;
    while (workers_[i].get() != &worker) ++i;
    asio::co_spawn(worker.context(),
                   RunPolicySession(worker, std::move(socket), *policy_[i], std::move(name)),
                   asio::detached);
    return;
  }
  std::unique_ptr<Responder> responder;
  if (listener.protocol == BoundListener::Protocol::kTcpTable)
    responder = std::make_unique<TcpTableResponder>(worker, listener.map, name);
  else
    responder = std::make_unique<SocketmapResponder>(worker, name);
  asio::co_spawn(worker.context(),
                 RunSession(worker, std::move(socket), std::move(responder), std::move(name)),
                 asio::detached);
}

asio::awaitable<void> Server::HandleSignals() {
  for (;;) {
    asio::error_code ec;
    int sig = co_await signals_.async_wait(redirect_error(use_awaitable, ec));
    if (ec) co_return;
    switch (sig) {
      case SIGHUP:
        Reload();
        break;
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
        "reload: changes to tcp_table, socketmap, policy, user, threads or pid_file take effect "
        "only after a restart");
  if (foreground_)
    Logger::ToStderr(n.syslog_name);
  else
    Logger::ToSyslog(n.syslog_name, n.syslog_facility);
  if (n.database != config_.database || n.busy_timeout_ms != config_.busy_timeout_ms)
    for (auto& w : workers_) w->SetDatabase(n.database, n.busy_timeout_ms);
  for (auto& p : policy_) p->Reconfigure(n.policy, n.database, n.busy_timeout_ms);
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
  config_ = std::move(n);
  LogInfo("reloaded configuration{}{}: database {}, max_connections {}, allow_networks {}",
          config_.config_file.empty() ? "" : " from ", config_.config_file, config_.database,
          max_connections_,
          config_.allow_networks.empty() ? "(loopback only)" : config_.allow_networks.str());
}

void Server::Drain() {
  asio::error_code ec;
  for (auto& a : acceptors_) a->close(ec);
  for (auto& w : workers_) w->Drain();
}

void Server::Finish() {
  // Sessions writing a reply get until the deadline; then stop regardless.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(900);
  while (workers_done_.load() < workers_.size() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (workers_done_.load() < workers_.size()) {
    LogWarning("{} connections still busy after the drain deadline; closing them",
               state_->connections.load());
    for (auto& w : workers_) w->Stop();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  for (const BoundListener& l : listeners_)
    if (l.address.kind == ListenAddress::Kind::kUnix) unlink(l.address.path.c_str());
  LogInfo("stopped: {}", state_->Snapshot().Format());
}

}  // namespace rcptdb
