// SPDX-License-Identifier: MIT
// call.h - what a handler gets: one authenticated request, in a transaction
//
// A handler (handlers.h) is a function from a Call to a Reply. The
// dispatcher (api.h) has already decoded the path and matched it against
// the route table (params holds the route's named segments, decoded),
// authenticated the principal, parsed the JSON body and opened the
// transaction the route needs (a write transaction for writes, rolled
// back after a dry run or a refusal; a read snapshot for reads). A
// handler reads its fields, describes the object it is about to touch,
// asks Authorize() through Allowed(), and calls the provisioning code.
//
// Thread safety: one Call per request, on one thread.
#ifndef RCPTDB_WEB_CALL_H
#define RCPTDB_WEB_CALL_H

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "authorize.h"
#include "http_message.h"
#include "json_body.h"
#include "problem.h"
#include "request_target.h"
#include "store.h"

namespace rcptdb::web {

class Api;

struct Call {
  Call(Api& a, const HttpRequest& r, std::string m, RequestTarget t,
       std::map<std::string, std::string, std::less<>> p, Store& s)
      : api(a),
        request(r),
        method(std::move(m)),
        target(std::move(t)),
        params(std::move(p)),
        store(s) {}

  Api& api;
  const HttpRequest& request;
  std::string method;  // the item's method in a batch, else the request's
  RequestTarget target;
  std::map<std::string, std::string, std::less<>> params;
  Principal principal;  // kind kNone on a public route
  std::string csrf;     // a cookie session's CSRF token (GET /api/v1/session gives it back)
  Store& store;
  Json body = Json::object();
  bool dry_run = false;
  std::string if_match;      // the If-Match precondition ("" if none)
  std::string field_prefix;  // "items[3]" inside a batch, so problems name the item

  // Returns the route parameter name ("domain", "local", ...).
  const std::string& Param(std::string_view name) const;
  // Returns the query parameter name, if given.
  std::optional<std::string> Query(std::string_view name) const { return target.Query(name); }
  // A BodyFields over the body, naming fields with the batch prefix.
  BodyFields Fields() const { return BodyFields(body, field_prefix); }

  // Returns nullopt if Authorize() allows action on object, else the
  // Problem to answer: 403 forbidden, or, out of scope, missing: the 404
  // the object would get if it did not exist, so that the two read alike.
  std::optional<Problem> Allowed(Action action, const Object& object,
                                 Problem missing = NotFound()) const;
};

}  // namespace rcptdb::web

#endif
