// SPDX-License-Identifier: MIT
// routes.h - the API's one route table
//
// Every endpoint of /api/v1 is one row: method, path pattern (named
// segments in braces), handler, whether it needs a principal, and
// whether it writes. The dispatcher (api.h) finds the row, and nothing
// else decides where a request goes; openapi.json describes the same
// rows, and a unit test holds the two together.
//
// A writing route runs in one write transaction, takes ?dry_run=1 (the
// transaction is rolled back after the handler ran) and, for a
// cookie-authenticated principal, needs the X-CSRF-Token header.
//
// Thread safety: immutable.
#ifndef RCPTDB_WEB_ROUTES_H
#define RCPTDB_WEB_ROUTES_H

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "call.h"
#include "problem.h"

namespace rcptdb::web {

using Handler = Reply (*)(Call& call);

struct Route {
  enum class Access { kPublic, kPrincipal };
  const char* method;
  const char* pattern;  // "/api/v1/domains/{domain}/mailboxes/{local}"
  Handler handler;
  Access access;
  bool writes;
  bool batchable;  // may be an item of POST /api/v1/batch
};

// The table, in the order openapi.json lists the paths.
std::span<const Route> Routes();

struct RouteMatch {
  const Route* route = nullptr;  // null: see below
  std::map<std::string, std::string, std::less<>> params;
  bool path_known = false;  // some route has this path (then: 405, with allow)
  std::string allow;        // the methods that path takes, "GET, POST"
};

// Finds the route for method and the decoded path segments. HEAD is
// answered as GET.
RouteMatch MatchRoute(std::string_view method, const std::vector<std::string>& segments);

}  // namespace rcptdb::web

#endif
