// SPDX-License-Identifier: MIT
// http_server.h - HTTP on one listening socket, by libmicrohttpd
//
// The HTTP layer is libmicrohttpd (Debian libmicrohttpd-dev; built with
// GnuTLS, so TLS is built in), chosen by the lead for rcptdb-web and for
// rcptdb-server's metrics endpoint. It parses HTTP, runs its own pool of
// threads over epoll, and bounds what a client can hold: connections in
// all and per peer address, an idle or slow connection's lifetime
// (client_timeout: a client that sends nothing for that long is closed,
// and the other connections are served meanwhile), the memory of one
// connection (headers), and the body, which this layer refuses before
// reading it: 413 when Content-Length is over max_body_size, 411 when a
// body comes without Content-Length (chunked).
//
// It hands each complete request to an HttpHandler as an HttpRequest
// (http_message.h) with the raw request-target (the path is decoded by
// request_target.h, never by the library, so that %2F stays in a name),
// the headers, cookies, body, peer and client address, and a request id,
// and writes the HttpResponse back. On a plain TCP listener that is not
// on loopback (allowed only behind trusted proxies), connections from any
// other peer are refused at accept.
//
// Thread safety: the handler is called from the library's threads at
// once; it must be thread-safe. Start and the destructor from one thread.
#ifndef RCPTDB_WEB_HTTP_SERVER_H
#define RCPTDB_WEB_HTTP_SERVER_H

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "http_message.h"
#include "listen_address.h"
#include "status.h"

struct MHD_Daemon;

namespace rcptdb::web {

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The largest body a request may carry now (may change at SIGHUP).
  virtual std::size_t MaxBodySize() const = 0;
  // Returns true iff a connection from peer may be accepted on a listener
  // that is reachable only through trusted proxies.
  virtual bool IsTrustedProxy(const sockaddr* peer) const = 0;
  // Returns the client's address (client_address.h) for a peer (null: a
  // unix socket) and its X-Forwarded-For.
  virtual std::string ClientOf(const sockaddr* peer, std::string_view forwarded_for) const = 0;
  // Returns true iff a trusted proxy (peer; null: a unix socket) says the
  // client's connection to it was HTTPS (X-Forwarded-Proto: https).
  virtual bool ForwardedHttps(const sockaddr* peer, std::string_view proto) const = 0;
  // Answers one complete request.
  virtual HttpResponse Handle(HttpRequest& request) = 0;
};

struct HttpServerOptions {
  unsigned threads = 1;
  std::size_t max_connections = 256;
  std::size_t max_connections_per_peer = 32;  // 0: no cap
  std::chrono::seconds client_timeout{30};
  std::string tls_certificate_pem;  // both set: TLS
  std::string tls_key_pem;
  bool proxies_only = false;  // accept only IsTrustedProxy() peers
};

class HttpServer {
 public:
  // Serves the listening descriptor fd (bound to address; the server owns
  // it from now on). Temporary naming the address if the library refuses.
  static Result<std::unique_ptr<HttpServer>> Start(int fd, const ListenAddress& address,
                                                   const HttpServerOptions& options,
                                                   HttpHandler& handler);
  // Stops accepting, closes every connection and the listening socket, and
  // waits for the threads.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  const ListenAddress& address() const { return address_; }
  bool tls() const { return !options_.tls_certificate_pem.empty(); }
  HttpHandler& handler() { return handler_; }
  const HttpServerOptions& options() const { return options_; }

 private:
  HttpServer(const ListenAddress& address, const HttpServerOptions& options, HttpHandler& handler)
      : address_(address), options_(options), handler_(handler) {}

  ListenAddress address_;
  HttpServerOptions options_;
  HttpHandler& handler_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace rcptdb::web

#endif
