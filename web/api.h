// SPDX-License-Identifier: MIT
// api.h - rcptdb-web's API: from an HTTP request to the handler and back
//
// Api is the HttpHandler the HTTP layer calls. For each request it:
//   1. decodes the request-target (request_target.h; 400 if malformed);
//   2. finds the route (routes.h; 404 unknown path, 405 wrong method);
//   3. authenticates the principal (authenticate.h; 401 with one reply
//      for every failure, 429 while the throttle holds), and for a
//      cookie session's state change checks the CSRF header (403);
//   4. parses the JSON body (json_body.h; 400);
//   5. borrows a database connection and runs the handler in a write
//      transaction (writes; rolled back on a refusal or ?dry_run=1) or a
//      read snapshot (reads);
//   6. turns a refusal into problem+json (problem.h), the one place.
// Database trouble is 503 with Retry-After, never another 5xx.
//
// Settings that a SIGHUP may change (Configure) are read per request;
// sessions and throttle counts survive a reload.
//
// Thread safety: Handle() runs on many threads at once; Configure() from
// the main thread.
#ifndef RCPTDB_WEB_API_H
#define RCPTDB_WEB_API_H

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "call.h"
#include "http_server.h"
#include "login_throttle.h"
#include "sessions.h"
#include "store_pool.h"
#include "web_config.h"

namespace rcptdb::web {

// The session cookie's name and the header that carries the CSRF token.
inline constexpr std::string_view kSessionCookie = "rcptdb_session";
inline constexpr std::string_view kCsrfHeader = "x-csrf-token";

class Api : public HttpHandler {
 public:
  explicit Api(const WebConfig& config);
  // Takes a reloaded configuration (SIGHUP): database, trusted proxies,
  // limits, session lifetime, verbose.
  void Configure(const WebConfig& config);
  std::shared_ptr<const WebConfig> config() const;

  std::size_t MaxBodySize() const override;
  bool IsTrustedProxy(const sockaddr* peer) const override;
  std::string ClientOf(const sockaddr* peer, std::string_view forwarded_for) const override;
  bool ForwardedHttps(const sockaddr* peer, std::string_view proto) const override;
  HttpResponse Handle(HttpRequest& request) override;

  Sessions& sessions() { return sessions_; }
  LoginThrottle& throttle() { return throttle_; }

  // Runs one item of a batch (the batch handler) inside parent's
  // transaction, as if it were a request of its own by the same
  // principal: route, CSRF and authorization as for a request.
  Reply RunItem(Call& parent, const std::string& method, const std::string& path, Json body,
                const std::string& if_match, const std::string& prefix);

 private:
  Reply Dispatch(HttpRequest& request, std::string* log_note);

  mutable std::mutex config_mutex_;
  std::shared_ptr<const WebConfig> config_;
  StorePool pool_;
  Sessions sessions_;
  LoginThrottle throttle_;
};

}  // namespace rcptdb::web

#endif
