// SPDX-License-Identifier: MIT
// NAME
//   metrics_endpoint - the Prometheus endpoint, on libmicrohttpd
// DESCRIPTION
//   libmicrohttpd (MHD) runs one internal thread that polls the listener
//   and the scrapers' connections (epoll where available, so descriptors
//   above FD_SETSIZE are fine: the server may hold thousands). MHD calls
//   the access handler once when the request's headers are in, then once
//   per piece of body, then once more with no body left: a GET with a
//   body is answered 400, like a request it cannot make sense of. Every
//   answer closes nothing but what the client closes (keep-alive is
//   MHD's), and every error reply is a short text/plain line.
// SEE ALSO
//   metrics_endpoint.h, server_metrics.h, libmicrohttpd's manual
#include "metrics_endpoint.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "logger.h"

namespace rcptdb {
namespace {

// What the access handler keeps per request between its calls.
struct Request {
  bool body = false;  // the client sent a body with its GET
};

MHD_Result Reply(MHD_Connection* connection, unsigned status, const std::string& body,
                 const char* content_type, const char* allow = nullptr) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (allow != nullptr) MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
  MHD_Result r = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return r;
}

void LogFromMhd(void* name, const char* format, va_list args) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, args);
  std::size_t n = std::strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  LogWarning("metrics {}: {}", *static_cast<const std::string*>(name), line);
}

}  // namespace

struct MetricsEndpoint::Callbacks {
  static MHD_Result AcceptPolicy(void* self, const sockaddr* addr, socklen_t) {
    return static_cast<MetricsEndpoint*>(self)->Allowed(addr) ? MHD_YES : MHD_NO;
  }

  static MHD_Result Handle(void* self, MHD_Connection* connection, const char* url,
                           const char* method, const char*, const char*,
                           std::size_t* upload_data_size, void** request) {
    auto* endpoint = static_cast<MetricsEndpoint*>(self);
    if (*request == nullptr) {
      // Headers only so far: answer once any body has been read.
      *request = new Request();
      return MHD_YES;
    }
    auto* r = static_cast<Request*>(*request);
    if (*upload_data_size != 0) {
      r->body = true;
      *upload_data_size = 0;
      return MHD_YES;
    }
    const char* text = "text/plain; charset=utf-8";
    if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0)
      return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served\n", text, "GET");
    if (std::strcmp(url, "/metrics") != 0)
      return Reply(connection, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
                   text);
    if (r->body) return Reply(connection, MHD_HTTP_BAD_REQUEST, "a GET has no body\n", text);
    const char* accept =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    ExpositionFormat format = ChooseExposition(accept != nullptr ? accept : "");
    std::string body;
    try {
      body = endpoint->render_(format);
    } catch (const std::exception& e) {
      LogError("metrics {}: cannot read the metrics: {}", endpoint->name_, e.what());
      return Reply(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", text);
    }
    return Reply(connection, MHD_HTTP_OK, body, ContentTypeOf(format));
  }

  static void Completed(void*, MHD_Connection*, void** request, MHD_RequestTerminationCode) {
    delete static_cast<Request*>(*request);
    *request = nullptr;
  }
};

MetricsEndpoint::MetricsEndpoint(std::string name, Render render, NetworkList allow)
    : name_(std::move(name)), render_(std::move(render)), allow_(std::move(allow)) {}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(int fd, std::string name,
                                                                Render render, NetworkList allow) {
  std::unique_ptr<MetricsEndpoint> e(
      new MetricsEndpoint(std::move(name), std::move(render), std::move(allow)));
  e->daemon_ = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, &Callbacks::AcceptPolicy, e.get(),
      &Callbacks::Handle, e.get(), MHD_OPTION_EXTERNAL_LOGGER, &LogFromMhd, &e->name_,
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(fd), MHD_OPTION_CONNECTION_LIMIT,
      kMaxClients, MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<std::size_t>(16384),
      MHD_OPTION_NOTIFY_COMPLETED, &Callbacks::Completed, nullptr, MHD_OPTION_END);
  if (e->daemon_ == nullptr) {
    close(fd);
    return Status::Io("metrics " + e->name_ + ": libmicrohttpd could not start");
  }
  return e;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

void MetricsEndpoint::SetAllowNetworks(NetworkList allow) {
  std::lock_guard<std::mutex> lock(mutex_);
  allow_ = std::move(allow);
}

bool MetricsEndpoint::Allowed(const sockaddr* addr) {
  if (addr == nullptr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6)) return true;
  std::lock_guard<std::mutex> lock(mutex_);
  if (NetworkList::IsLoopback(addr) || allow_.Contains(addr)) return true;
  auto now = std::chrono::steady_clock::now();
  if (now - last_refusal_log_ < std::chrono::seconds(1)) {
    ++unlogged_refusals_;
    return false;
  }
  char host[INET6_ADDRSTRLEN] = "?";
  const void* a =
      addr->sa_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr);
  inet_ntop(addr->sa_family, a, host, sizeof host);
  LogWarning(
      "{}: connection to metrics {} refused: client not in allow_networks ({} more refused "
      "since the last such line)",
      host, name_, unlogged_refusals_);
  last_refusal_log_ = now;
  unlogged_refusals_ = 0;
  return false;
}

}  // namespace rcptdb
