// SPDX-License-Identifier: MIT
// web_request_test.cc - what rcptdb-web reads from a request before any
// handler: the request-target (request_target.h), the JSON body
// (json_body.h) and the client's address (client_address.h).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>

#include "client_address.h"
#include "json_body.h"
#include "request_target.h"

namespace rcptdb::web {
namespace {

TEST(RequestTarget, SplitsBeforeDecoding) {
  Result<RequestTarget> t =
      ParseRequestTarget("/api/v1/domains/example.com/mailboxes/a%2Fb%40c?limit=5&q=bob+x%2B1");
  ASSERT_TRUE(t.ok()) << t.status().message();
  ASSERT_EQ(t->segments.size(), 6u);
  EXPECT_EQ(t->segments[5], "a/b@c");  // %2F stays inside the name
  EXPECT_EQ(t->Query("limit"), "5");
  EXPECT_EQ(t->Query("q"), "bob x+1");
  EXPECT_EQ(t->Query("cursor"), std::nullopt);
  Result<RequestTarget> utf8 = ParseRequestTarget("/check/b%C3%BCcher%40example.com");
  ASSERT_TRUE(utf8.ok());
  EXPECT_EQ(utf8->segments[1],
            "b\xc3\xbc"
            "cher@example.com");
}

TEST(RequestTarget, RefusesWhatCouldBeReadTwoWays) {
  for (const char* bad : {
           "api/v1/domains",    // not absolute
           "/api//v1",          // empty segment
           "/api/v1/",          // trailing slash
           "/api/v1/%2e%2e/x",  // a dot segment, encoded
           "/api/v1/..",        // a dot segment
           "/api/v1/a%zz",      // malformed escape
           "/api/v1/a%4",       // truncated escape
           "/api/v1/a%00b",     // NUL
           "/api/v1/%C3%28",    // not UTF-8
           "/api/v1/a b",       // a raw blank
           "/api/v1/\xc3\xbc",  // raw 8-bit
           "/api?q=%ff",        // not UTF-8 in the query
       })
    EXPECT_FALSE(ParseRequestTarget(bad).ok()) << bad;
  std::string deep;
  for (int i = 0; i < 17; ++i) deep += "/x";
  EXPECT_FALSE(ParseRequestTarget(deep).ok());
  std::string many = "/x?";
  for (int i = 0; i < 33; ++i) many += "a=1&";
  EXPECT_FALSE(ParseRequestTarget(many).ok());
  EXPECT_FALSE(ParseRequestTarget("/" + std::string(9000, 'a')).ok());
}

TEST(RequestTarget, EncodeSegmentRoundTrips) {
  for (std::string s : {"a/b", "x y",
                        "b\xc3\xbc"
                        "cher@example.com",
                        "100%", "a+b", "?#&="}) {
    Result<RequestTarget> t = ParseRequestTarget("/" + EncodeSegment(s));
    ASSERT_TRUE(t.ok()) << s;
    EXPECT_EQ(t->segments.at(0), s);
  }
}

TEST(JsonBody, ReadsOneStrictObject) {
  Result<Json> j = ParseJsonObject(R"({"local":"bob","quota":5,"active":false,"t":["a"]})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  BodyFields f(*j);
  EXPECT_EQ(f.String("local"), "bob");
  EXPECT_EQ(f.Int("quota"), 5);
  EXPECT_EQ(f.Bool("active"), false);
  EXPECT_EQ(f.Strings("t"), std::vector<std::string>{"a"});
  f.RefuseUnknown();
  EXPECT_FALSE(f.problem());
  EXPECT_TRUE(ParseJsonObject("").ok());  // no body: no fields
}

TEST(JsonBody, RefusesMalformedAndAmbiguous) {
  for (const char* bad : {
           "{",                    // truncated
           "[1]",                  // not an object
           "\"x\"",                // not an object
           "{\"a\":1,\"a\":2}",    // duplicate key
           "{\"a\":\"\\u0000\"}",  // NUL in a value
           "{\"\\u0000\":1}",      // NUL in a key
           "{\"a\":\"\xff\"}",     // not UTF-8
           "{\"a\":\"\\ud800\"}",  // lone surrogate
           "{\"a\":1} x",          // trailing garbage
           "{'a':1}",              // not JSON
           "1e400",                // a number too large for a double (out_of_range,
           "{\"quota\":1e400}",    // not parse_error: it crashed rcptdb-web)
           "{\"a\":[-1e999]}",
       })
    EXPECT_FALSE(ParseJsonObject(bad).ok()) << bad;
  std::string deep;
  for (int i = 0; i < 40; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 40; ++i) deep += "}";
  EXPECT_FALSE(ParseJsonObject(deep).ok());
}

TEST(JsonBody, NamesTheFieldOfAWrongTypeOrAnUnknownMember) {
  Result<Json> j = ParseJsonObject(R"({"quota":"5G","activ":true})");
  ASSERT_TRUE(j.ok());
  BodyFields f(*j, "items[2].body");
  EXPECT_EQ(f.Int("quota"), std::nullopt);
  ASSERT_TRUE(f.problem());
  EXPECT_EQ(f.problem()->status, 422);
  EXPECT_EQ(f.problem()->field, "items[2].body.quota");
  BodyFields g(*j);
  g.String("quota");
  g.RefuseUnknown();
  ASSERT_TRUE(g.problem());
  EXPECT_EQ(g.problem()->field, "activ");
}

sockaddr_in V4(const char* a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}

TEST(ClientAddress, ForwardedForOnlyFromTrustedProxies) {
  Result<ProxyTrust> trust = ProxyTrust::Parse("192.0.2.10, 198.51.100.0/24");
  ASSERT_TRUE(trust.ok());
  sockaddr_in proxy = V4("192.0.2.10");
  sockaddr_in stranger = V4("203.0.113.5");
  auto* p = reinterpret_cast<const sockaddr*>(&proxy);
  auto* s = reinterpret_cast<const sockaddr*>(&stranger);
  // A stranger's header is ignored.
  EXPECT_EQ(ClientAddress(s, "10.9.9.9", *trust), "203.0.113.5");
  // The proxy's is read from the right, past other trusted proxies; what
  // the client wrote further left proves nothing.
  EXPECT_EQ(ClientAddress(p, "10.9.9.9, 203.0.113.7", *trust), "203.0.113.7");
  EXPECT_EQ(ClientAddress(p, "10.9.9.9, 203.0.113.7, 198.51.100.4", *trust), "203.0.113.7");
  EXPECT_EQ(ClientAddress(p, "", *trust), "192.0.2.10");
  EXPECT_EQ(ClientAddress(p, "garbage", *trust), "192.0.2.10");
  EXPECT_EQ(ClientAddress(p, "2001:db8::1", *trust), "2001:db8::1");
  // A unix socket's peer is a proxy only if trusted_proxies says "unix".
  EXPECT_EQ(ClientAddress(nullptr, "203.0.113.9", *trust), "unix");
  Result<ProxyTrust> with_unix = ProxyTrust::Parse("unix");
  ASSERT_TRUE(with_unix.ok());
  EXPECT_EQ(ClientAddress(nullptr, "203.0.113.9", *with_unix), "203.0.113.9");
  EXPECT_FALSE(ProxyTrust::Parse("192.0.2.1/24").ok());
}

}  // namespace
}  // namespace rcptdb::web
