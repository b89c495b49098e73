// SPDX-License-Identifier: MIT
// http_message.h - one HTTP request and its reply, as the API sees them
//
// The HTTP layer (http_server.h, libmicrohttpd) owns the wire: it reads a
// request into an HttpRequest (headers with lower-case names, the raw
// request-target, a body already bounded by max_body_size) and writes the
// HttpResponse the API returns. Everything between works on these plain
// values, so that the API is tested without sockets.
//
// Thread safety: plain values.
#ifndef RCPTDB_WEB_HTTP_MESSAGE_H
#define RCPTDB_WEB_HTTP_MESSAGE_H

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rcptdb::web {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // raw request-target: path and query
  std::map<std::string, std::string> headers;  // names lower-case; repeated ones joined by ", "
  std::map<std::string, std::string> cookies;  // as the HTTP layer parsed the Cookie header
  std::string body;
  std::string peer;        // the TCP peer's address ("192.0.2.1", "::1"), or "unix"
  std::string client;      // who the client is (client_address.h), for audit and throttle
  bool tls = false;        // TLS, here or at a trusted proxy (cookies get Secure)
  std::string request_id;  // set by the HTTP layer, logged and audited

  // Returns the header named name (lower case), if present.
  std::optional<std::string_view> Header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  }
  // Returns the cookie named name, if the request carries it.
  std::optional<std::string_view> Cookie(std::string_view name) const {
    auto it = cookies.find(std::string(name));
    if (it == cookies.end()) return std::nullopt;
    return std::string_view(it->second);
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type;  // empty: no body
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order

  HttpResponse& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace rcptdb::web

#endif
