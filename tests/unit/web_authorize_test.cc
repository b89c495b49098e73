// SPDX-License-Identifier: MIT
// web_authorize_test.cc - Authorize() (web/authorize.h), row by row
//
// Every object kind and action, for each kind of principal (server admin,
// domain admin, a server admin's token narrowed to a domain, read-only
// token, mailbox owner), against an own and a foreign domain, with the
// decision the issue asks for. The expectations are written out here, not
// derived from authorize.cc's table, so a wrong row there fails a row
// here. The black-box matrix (tests/blackbox/test_web_matrix.py) proves
// the same through the real daemon, with "nothing changed" on refusal.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "authorize.h"

namespace rcptdb::web {
namespace {

constexpr Decision Y = Decision::kAllow;
constexpr Decision F = Decision::kForbidden;
constexpr Decision N = Decision::kNotFound;

Principal Server() {
  Principal p;
  p.kind = Principal::Kind::kServerAdmin;
  p.login = "root";
  p.scope = Scope::All();
  return p;
}

Principal DomainAdmin() {
  Principal p;
  p.kind = Principal::Kind::kDomainAdmin;
  p.login = "own-admin";
  p.scope = Scope::Of({"own.test"});
  return p;
}

// A server admin's token limited to own.test acts as a domain admin.
Principal NarrowToken() {
  Principal p = Server();
  p.token = "rcpt_abc";
  p.scope = Scope::Of({"own.test"});
  return p;
}

Principal ReadOnlyToken() {
  Principal p = DomainAdmin();
  p.token = "rcpt_ro";
  p.read_only = true;
  return p;
}

Principal Owner() {
  Principal p;
  p.kind = Principal::Kind::kMailbox;
  p.login = "alice@own.test";
  p.scope = Scope::Of({"own.test"});
  return p;
}

struct Row {
  Object::Kind kind;
  Action action;
  bool foreign;  // the object lives in foreign.test, else own.test
  bool self;     // the object is the principal itself
  // Expected for: server, domain admin, narrow token, read-only token, owner.
  Decision server, domain, narrow, read_only, owner;
};

using K = Object::Kind;
using A = Action;

const std::vector<Row>& Rows() {
  static const std::vector<Row> rows = {
      // A domain's own row: domain admins read theirs, change none.
      {K::kDomain, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kDomain, A::kRead, true, false, Y, N, N, N, N},
      {K::kDomain, A::kCreate, false, false, Y, F, F, F, N},
      {K::kDomain, A::kCreate, true, false, Y, F, F, F, N},
      {K::kDomain, A::kUpdate, false, false, Y, F, F, F, N},
      {K::kDomain, A::kUpdate, true, false, Y, N, N, N, N},
      {K::kDomain, A::kDelete, false, false, Y, F, F, F, N},
      {K::kDomain, A::kDelete, true, false, Y, N, N, N, N},
      // The rows of a domain: everything in one's own, nothing in another;
      // read-only reads; the owner reads only itself.
      {K::kMailbox, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kMailbox, A::kRead, false, true, Y, Y, Y, Y, Y},
      {K::kMailbox, A::kRead, true, false, Y, N, N, N, N},
      {K::kMailbox, A::kCreate, false, false, Y, Y, Y, F, N},
      {K::kMailbox, A::kCreate, true, false, Y, N, N, N, N},
      {K::kMailbox, A::kUpdate, false, false, Y, Y, Y, F, N},
      {K::kMailbox, A::kUpdate, false, true, Y, Y, Y, F, N},  // owner: only me/password
      {K::kMailbox, A::kUpdate, true, false, Y, N, N, N, N},
      {K::kMailbox, A::kDelete, false, false, Y, Y, Y, F, N},
      {K::kMailbox, A::kDelete, true, false, Y, N, N, N, N},  // delete checked like edit
      {K::kAlias, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kAlias, A::kCreate, false, false, Y, Y, Y, F, N},
      {K::kAlias, A::kCreate, true, false, Y, N, N, N, N},
      {K::kAlias, A::kUpdate, true, false, Y, N, N, N, N},
      {K::kAlias, A::kDelete, false, false, Y, Y, Y, F, N},
      {K::kAlias, A::kDelete, true, false, Y, N, N, N, N},
      {K::kCatchall, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kCatchall, A::kUpdate, false, false, Y, Y, Y, F, N},
      {K::kCatchall, A::kUpdate, true, false, Y, N, N, N, N},
      {K::kCatchall, A::kDelete, true, false, Y, N, N, N, N},
      {K::kCatchall, A::kCreate, false, false, N, N, N, N, N},  // PUT is the update
      {K::kRelayRecipient, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kRelayRecipient, A::kCreate, false, false, Y, Y, Y, F, N},
      {K::kRelayRecipient, A::kCreate, true, false, Y, N, N, N, N},
      {K::kRelayRecipient, A::kDelete, true, false, Y, N, N, N, N},
      {K::kSenderLogin, A::kRead, true, false, Y, N, N, N, N},
      {K::kSenderLogin, A::kCreate, false, false, Y, Y, Y, F, N},
      {K::kSenderLogin, A::kCreate, true, false, Y, N, N, N, N},  // send-as outside: no
      {K::kSenderLogin, A::kDelete, true, false, Y, N, N, N, N},
      // Settings: seen by admins, changed by server admins only.
      {K::kSettings, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kSettings, A::kUpdate, false, false, Y, F, F, F, N},
      {K::kSettings, A::kDelete, false, false, N, N, N, N, N},
      // check: in one's own domains.
      {K::kCheck, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kCheck, A::kRead, true, false, Y, N, N, N, N},
      // The audit log: filtered for a collection read, a named foreign
      // domain is out of scope.
      {K::kAudit, A::kRead, false, false, Y, Y, Y, Y, N},
      {K::kAudit, A::kRead, true, false, Y, N, N, N, N},
      {K::kAudit, A::kDelete, false, false, N, N, N, N, N},  // append-only
  };
  return rows;
}

Object ObjectOf(const Row& r) {
  Object o{r.kind};
  o.domain = r.foreign ? "foreign.test" : "own.test";
  o.self = r.self;
  return o;
}

TEST(Authorize, EveryKindActionAndPrincipal) {
  const Principal principals[] = {Server(), DomainAdmin(), NarrowToken(), ReadOnlyToken(), Owner()};
  const char* names[] = {"server", "domain", "narrow token", "read-only token", "owner"};
  for (const Row& r : Rows()) {
    const Decision want[] = {r.server, r.domain, r.narrow, r.read_only, r.owner};
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(Authorize(principals[i], r.action, ObjectOf(r)), want[i])
          << names[i] << " " << ActionName(r.action) << " " << ObjectKindName(r.kind)
          << (r.foreign ? " in foreign.test" : " in own.test") << (r.self ? " (self)" : "");
  }
}

// The rank rule: nobody changes, resets or mints a token for a principal
// that holds anything outside their own scope.
TEST(Authorize, RankRuleOnAdminsAndTokens) {
  Object server_admin{K::kAdmin};
  server_admin.subject = Scope::All();
  Object colleague{K::kAdmin};
  colleague.subject = Scope::Of({"own.test"});
  Object wider{K::kAdmin};
  wider.subject = Scope::Of({"own.test", "foreign.test"});
  for (Action a : {A::kRead, A::kUpdate, A::kDelete}) {
    EXPECT_EQ(Authorize(DomainAdmin(), a, server_admin), N) << ActionName(a);
    EXPECT_EQ(Authorize(DomainAdmin(), a, wider), N) << ActionName(a);
    EXPECT_EQ(Authorize(DomainAdmin(), a, colleague), Y) << ActionName(a);
    EXPECT_EQ(Authorize(Server(), a, server_admin), Y) << ActionName(a);
    // A server admin's narrowed token holds less than its owner now.
    EXPECT_EQ(Authorize(NarrowToken(), a, server_admin), N) << ActionName(a);
  }
  Object token_of_server{K::kToken};
  token_of_server.subject = Scope::All();
  EXPECT_EQ(Authorize(DomainAdmin(), A::kCreate, token_of_server), N);
  EXPECT_EQ(Authorize(DomainAdmin(), A::kDelete, token_of_server), N);
  Object own_token{K::kToken};
  own_token.subject = Scope::Of({"own.test"});
  EXPECT_EQ(Authorize(DomainAdmin(), A::kCreate, own_token), Y);
  EXPECT_EQ(Authorize(ReadOnlyToken(), A::kCreate, own_token), F);
  EXPECT_EQ(Authorize(Owner(), A::kCreate, own_token), N);
  EXPECT_EQ(Authorize(Owner(), A::kRead, colleague), N);
}

// One's own password, given the current one: mailbox owners and admins,
// a token only if it holds everything its owner holds.
TEST(Authorize, OwnPassword) {
  Object mine{K::kPassword};
  mine.self = true;
  mine.subject = Scope::Of({"own.test"});
  EXPECT_EQ(Authorize(Owner(), A::kUpdate, mine), Y);
  EXPECT_EQ(Authorize(DomainAdmin(), A::kUpdate, mine), Y);
  Object servers{K::kPassword};
  servers.self = true;
  servers.subject = Scope::All();
  EXPECT_EQ(Authorize(Server(), A::kUpdate, servers), Y);
  EXPECT_EQ(Authorize(NarrowToken(), A::kUpdate, servers), N);
  EXPECT_EQ(Authorize(ReadOnlyToken(), A::kUpdate, mine), F);
  Object not_mine = mine;
  not_mine.self = false;
  EXPECT_EQ(Authorize(Owner(), A::kUpdate, not_mine), N);
}

TEST(Authorize, NoPrincipalIsRefusedEverything) {
  Principal none;
  EXPECT_EQ(Authorize(none, A::kRead, Object{K::kSettings}), N);
  Object d{K::kDomain};
  EXPECT_EQ(Authorize(none, A::kRead, d), N);
}

TEST(Scope, IncludesAndIntersect) {
  Scope all = Scope::All();
  Scope ab = Scope::Of({"a.test", "b.test"});
  Scope a = Scope::Of({"a.test"});
  EXPECT_TRUE(all.Includes(ab));
  EXPECT_FALSE(ab.Includes(all));
  EXPECT_TRUE(ab.Includes(a));
  EXPECT_FALSE(a.Includes(ab));
  EXPECT_TRUE(a.Includes(Scope::None()));
  EXPECT_EQ(ab.Intersect(a), a);
  EXPECT_EQ(all.Intersect(a), a);
  EXPECT_EQ(a.Intersect(Scope::Of({"c.test"})), Scope::None());
}

TEST(Principal, ActorNames) {
  EXPECT_EQ(Server().Actor(), "admin:root");
  EXPECT_EQ(NarrowToken().Actor(), "token:rcpt_abc");
  EXPECT_EQ(Owner().Actor(), "mailbox:alice@own.test");
}

}  // namespace
}  // namespace rcptdb::web
