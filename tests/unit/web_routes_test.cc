// SPDX-License-Identifier: MIT
// web_routes_test.cc - the route table (web/routes.h) and openapi.json
// describe the same API: every route is in the description with its
// method, every described operation has a route, and the matcher finds
// routes by decoded segments (a %2F inside a name stays in the name).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "handlers.h"
#include "json_body.h"
#include "request_target.h"
#include "routes.h"

namespace rcptdb::web {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(Routes, OpenApiDescribesExactlyTheRouteTable) {
  Json doc = Json::parse(OpenApiDocument());
  ASSERT_TRUE(doc.contains("paths"));
  std::set<std::string> routes, described;
  for (const Route& r : Routes()) routes.insert(Lower(r.method) + " " + r.pattern);
  for (auto p = doc["paths"].begin(); p != doc["paths"].end(); ++p)
    for (auto m = p.value().begin(); m != p.value().end(); ++m)
      if (m.key() != "parameters") described.insert(m.key() + " " + p.key());
  EXPECT_EQ(routes, described);
}

TEST(Routes, EveryRouteIsMatchedByItsOwnPattern) {
  for (const Route& r : Routes()) {
    std::string path = r.pattern;
    for (std::size_t b; (b = path.find('{')) != std::string::npos;)
      path.replace(b, path.find('}', b) - b + 1, "x%2Fy");
    Result<RequestTarget> t = ParseRequestTarget(path);
    ASSERT_TRUE(t.ok()) << path;
    RouteMatch m = MatchRoute(r.method, t->segments);
    ASSERT_NE(m.route, nullptr) << r.method << " " << r.pattern;
    EXPECT_EQ(m.route, &r) << r.method << " " << r.pattern;
    for (const auto& [name, value] : m.params) EXPECT_EQ(value, "x/y") << name;
  }
}

TEST(Routes, UnknownPathAndWrongMethod) {
  Result<RequestTarget> t = ParseRequestTarget("/api/v1/domains/example.com");
  ASSERT_TRUE(t.ok());
  RouteMatch put = MatchRoute("PUT", t->segments);
  EXPECT_EQ(put.route, nullptr);
  EXPECT_TRUE(put.path_known);
  EXPECT_EQ(put.allow, "GET, PATCH, DELETE");
  RouteMatch head = MatchRoute("HEAD", t->segments);
  ASSERT_NE(head.route, nullptr);
  EXPECT_STREQ(head.route->method, "GET");
  Result<RequestTarget> u = ParseRequestTarget("/api/v1/nothing");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(MatchRoute("GET", u->segments).path_known);
}

// Writes are the routes that change state: the dispatcher opens a write
// transaction and checks CSRF for them, and only they are batchable.
TEST(Routes, WritesAreTheStateChangingMethods) {
  for (const Route& r : Routes()) {
    bool safe = std::string(r.method) == "GET";
    EXPECT_EQ(r.writes, !safe) << r.method << " " << r.pattern;
    if (r.batchable) {
      EXPECT_TRUE(r.writes) << r.pattern;
    }
  }
}

}  // namespace
}  // namespace rcptdb::web
