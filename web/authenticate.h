// SPDX-License-Identifier: MIT
// authenticate.h - who is asking: a Bearer token, or the session cookie
//
// A request names its principal in one of two ways:
//   Authorization: Bearer PREFIX_SECRET   an API token (scripts)
//   Cookie: rcptdb_session=ID             a session (the page), started
//                                         by POST /api/v1/session
// Either way, what the principal holds is read from the database now: a
// token never holds more than its owner holds at this moment (its scope
// is the intersection), a disabled owner disables its tokens, and an
// expired token, a revoked one, or one used from outside its networks is
// refused. Every refusal gets the same 401 reply, whatever the reason,
// and secrets are compared in constant time; the reason goes to the log
// only. Failures count against the client in the login throttle, and a
// client the throttle holds gets 429 before any secret is checked.
//
// Logins (POST /api/v1/session) are checked by CheckLogin: an
// administrator's login first, else a mailbox address; an unknown login
// costs a hash verification too, so that its reply is no faster.
//
// Thread safety: functions use the Store they are given; one per thread.
#ifndef RCPTDB_WEB_AUTHENTICATE_H
#define RCPTDB_WEB_AUTHENTICATE_H

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "authorize.h"
#include "http_message.h"
#include "login_throttle.h"
#include "problem.h"
#include "sessions.h"
#include "store.h"

namespace rcptdb::web {

class Api;

struct Authentication {
  Principal principal;             // kind kNone: no credentials were given
  std::optional<Problem> problem;  // 401, 429 or 503: refuse the request
  std::string csrf;                // a cookie session's CSRF token
  std::string log_note;            // why a refusal happened, for the log only
};

// Authenticates request against store (see above).
Authentication Authenticate(Api& api, Store& store, const HttpRequest& request);

// Returns the principal whose login and password these are, nullopt if
// none (unknown login, wrong password, disabled, no password).
Result<std::optional<Principal>> CheckLogin(Store& store, std::string_view login,
                                            std::string_view password);

// Returns what the principal of a session holds now; nullopt if it no
// longer may sign in (deleted, disabled).
Result<std::optional<Principal>> PrincipalOfSession(Store& store, const Session& session);

// The one reply every failed authentication gets.
Problem AuthenticationFailed();

// The one reply of a login or client the throttle holds, for wait: 429
// with Retry-After.
Problem Throttled(std::chrono::seconds wait);

// Checks a secret that login gives from client, under the throttle:
// Throttled() while it holds either, without calling right; otherwise
// right()'s answer. A wrong secret (false) counts as one failure and
// answers wrong; a failure of right() itself (the database) counts as
// nothing and answers its problem. Returns nullopt iff right.
std::optional<Problem> CheckThrottled(LoginThrottle& throttle, std::string_view login,
                                      std::string_view client,
                                      const std::function<Result<bool>()>& right, Problem wrong);

}  // namespace rcptdb::web

#endif
