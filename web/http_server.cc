// SPDX-License-Identifier: MIT
// NAME
//   http_server - libmicrohttpd glue: limits, one request in, one reply out
// DESCRIPTION
//   libmicrohttpd calls the access handler several times per request:
//   once when the headers are in (the body is refused here if it is too
//   large or has no length), once per piece of body, and once more when
//   the request is complete, which is when the handler runs. The per-
//   request state (an Exchange) is made by the URI-log callback, which
//   sees the request-target exactly as the client sent it, and freed by
//   the completion callback.
// SEE ALSO
//   http_server.h, libmicrohttpd's microhttpd.h
#include "http_server.h"

#include <microhttpd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdarg>
#include <cstdio>

#include "logger.h"
#include "problem.h"
#include "secrets.h"

namespace rcptdb::web {
namespace {

struct Exchange {
  std::string target;
  std::string body;
  bool headers_seen = false;
};

// Request ids: a random stem per process and a counter, so that an id
// is unique in the logs without costing randomness per request.
std::string NextRequestId() {
  static const std::string stem = [] {
    Result<std::string> r = RandomToken(6);
    return r.ok() ? *r : std::string("rcptdb");
  }();
  static std::atomic<unsigned long> counter{0};
  return stem + "-" + std::to_string(++counter);
}

void* OnUri(void*, const char* uri, MHD_Connection*) {
  auto* e = new Exchange;
  e->target = uri == nullptr ? "" : uri;
  return e;
}

void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<Exchange*>(*con_cls);
  *con_cls = nullptr;
}

MHD_Result OnAccept(void* cls, const sockaddr* addr, socklen_t) {
  auto* server = static_cast<HttpServer*>(cls);
  return server->handler().IsTrustedProxy(addr) ? MHD_YES : MHD_NO;
}

void OnLibraryLog(void*, const char* format, va_list ap) {
  char line[512];
  std::vsnprintf(line, sizeof line, format, ap);
  std::string text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  LogWarning("libmicrohttpd: {}", Printable(text, 300));
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(cls);
  std::string name(key == nullptr ? "" : key);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string v(value == nullptr ? "" : value);
  auto [it, fresh] = headers->emplace(name, v);
  if (!fresh) it->second += ", " + v;
  return MHD_YES;
}

MHD_Result CollectCookie(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* cookies = static_cast<std::map<std::string, std::string>*>(cls);
  if (key != nullptr) cookies->emplace(key, value == nullptr ? "" : value);
  return MHD_YES;
}

MHD_Result Send(MHD_Connection* c, const HttpResponse& r, const std::string& request_id) {
  MHD_Response* resp = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (resp == nullptr) return MHD_NO;
  if (!r.content_type.empty())
    MHD_add_response_header(resp, "Content-Type", r.content_type.c_str());
  for (const auto& [name, value] : r.headers)
    MHD_add_response_header(resp, name.c_str(), value.c_str());
  if (!request_id.empty()) MHD_add_response_header(resp, "X-Request-Id", request_id.c_str());
  MHD_Result ok = MHD_queue_response(c, static_cast<unsigned>(r.status), resp);
  MHD_destroy_response(resp);
  return ok;
}

// Refuses before the body is read: the library then closes the connection.
MHD_Result Refuse(MHD_Connection* c, Problem p) {
  HttpResponse r = ProblemResponse(p);
  r.Header("Connection", "close");
  return Send(c, r, "");
}

const sockaddr* PeerOf(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return nullptr;
  const sockaddr* a = info->client_addr;
  return a->sa_family == AF_INET || a->sa_family == AF_INET6 ? a : nullptr;
}

MHD_Result OnRequest(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                     const char* upload_data, size_t* upload_size, void** con_cls) {
  auto* server = static_cast<HttpServer*>(cls);
  HttpHandler& handler = server->handler();
  auto* e = static_cast<Exchange*>(*con_cls);
  if (e == nullptr) {  // no URI callback ran (should not happen): take the decoded url
    e = new Exchange;
    e->target = url == nullptr ? "" : url;
    *con_cls = e;
  }
  std::size_t limit = handler.MaxBodySize();
  if (!e->headers_seen) {
    e->headers_seen = true;
    const char* length = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char* chunked = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
    if (chunked != nullptr && length == nullptr)
      return Refuse(c, MakeProblem(411, "a request body needs a Content-Length"));
    if (length != nullptr) {
      char* end = nullptr;
      unsigned long long n = std::strtoull(length, &end, 10);
      if (end != nullptr && *end == '\0' && n > limit)
        return Refuse(
            c, MakeProblem(413, "the body is " + std::to_string(n) + " bytes; at most " +
                                    std::to_string(limit) + " are accepted (max_body_size)"));
    }
    return MHD_YES;
  }
  if (*upload_size > 0) {
    // Content-Length was checked; a body cannot outgrow it, but stay bounded.
    if (e->body.size() + *upload_size <= limit) e->body.append(upload_data, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  HttpRequest request;
  request.method = method == nullptr ? "" : method;
  request.target = std::move(e->target);
  request.body = std::move(e->body);
  MHD_get_connection_values(c, MHD_HEADER_KIND, CollectHeader, &request.headers);
  MHD_get_connection_values(c, MHD_COOKIE_KIND, CollectCookie, &request.cookies);
  const sockaddr* peer = PeerOf(c);
  auto xff = request.headers.find("x-forwarded-for");
  request.peer = handler.ClientOf(peer, "");
  request.client = handler.ClientOf(peer, xff == request.headers.end() ? "" : xff->second);
  auto proto = request.headers.find("x-forwarded-proto");
  request.tls = server->tls() ||
                (proto != request.headers.end() && handler.ForwardedHttps(peer, proto->second));
  request.request_id = NextRequestId();
  HttpResponse response = handler.Handle(request);
  return Send(c, response, request.request_id);
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::Start(int fd, const ListenAddress& address,
                                                      const HttpServerOptions& options,
                                                      HttpHandler& handler) {
  std::unique_ptr<HttpServer> s(new HttpServer(address, options, handler));
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
  bool tls = !options.tls_certificate_pem.empty() && address.kind == ListenAddress::Kind::kTcp;
  if (tls) flags |= MHD_USE_TLS;
  std::vector<MHD_OptionItem> opts = {
      // First, so that the library's own messages of the other options
      // reach our log too.
      {MHD_OPTION_EXTERNAL_LOGGER, reinterpret_cast<intptr_t>(&OnLibraryLog), nullptr},
      {MHD_OPTION_LISTEN_SOCKET, fd, nullptr},
      {MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(std::max(1u, options.threads)), nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(options.max_connections), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(options.client_timeout.count()),
       nullptr},
      // Headers and the request line: 64 KiB per connection at most.
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 64 * 1024, nullptr},
      {MHD_OPTION_URI_LOG_CALLBACK, reinterpret_cast<intptr_t>(&OnUri), nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&OnCompleted), nullptr},
      {MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, nullptr},
  };
  // Per peer only on TCP: every client of a unix socket is "the proxy".
  if (address.kind == ListenAddress::Kind::kTcp && options.max_connections_per_peer > 0)
    opts.push_back({MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                    static_cast<intptr_t>(options.max_connections_per_peer), nullptr});
  if (tls) {
    opts.push_back(
        {MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(s->options_.tls_certificate_pem.c_str())});
    opts.push_back(
        {MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(s->options_.tls_key_pem.c_str())});
  }
  opts.push_back({MHD_OPTION_END, 0, nullptr});
  MHD_AcceptPolicyCallback accept = options.proxies_only ? &OnAccept : nullptr;
  s->daemon_ = MHD_start_daemon(flags, 0, accept, s.get(), &OnRequest, s.get(), MHD_OPTION_ARRAY,
                                opts.data(), MHD_OPTION_END);
  if (s->daemon_ == nullptr) {
    close(fd);
    return Status::Io("cannot serve HTTP on " + address.str() +
                      (tls ? " (is the TLS certificate or key invalid?)" : ""));
  }
  return s;
}

HttpServer::~HttpServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  if (address_.kind == ListenAddress::Kind::kUnix) unlink(address_.path.c_str());
}

}  // namespace rcptdb::web
