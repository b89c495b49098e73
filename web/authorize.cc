// SPDX-License-Identifier: MIT
// NAME
//   authorize - the table of who may do what (issue 22, "Who may do what")
// DESCRIPTION
//   One row per object kind and action. A pair without a row is refused
//   to everyone (404): a new endpoint is closed until its row is written.
//   Columns:
//     scope        what the principal must hold: the object's domain
//                  (kDomain), the domain if the request names one
//                  (kNamedDomain: collections that are filtered instead),
//                  everything the subject holds (kRank), or nothing
//     server_only  changes only a principal holding every domain may make
//                  (403 for others, who can see the object)
//     owner        a mailbox owner may do it to its own record
// SEE ALSO
//   authorize.h, authorize_test.cc
#include "authorize.h"

#include <algorithm>
#include <iterator>

namespace rcptdb::web {
namespace {

enum class ScopeRule { kNone, kDomain, kNamedDomain, kRank };

struct Rule {
  Object::Kind kind;
  Action action;
  ScopeRule scope;
  bool server_only;
  bool owner;
};

using K = Object::Kind;
using A = Action;
using S = ScopeRule;

constexpr Rule kRules[] = {
    // kind               action      scope         server_only owner
    {K::kDomain, A::kRead, S::kNamedDomain, false, false},
    {K::kDomain, A::kCreate, S::kNone, true, false},
    {K::kDomain, A::kUpdate, S::kDomain, true, false},
    {K::kDomain, A::kDelete, S::kDomain, true, false},
    {K::kMailbox, A::kRead, S::kDomain, false, true},
    {K::kMailbox, A::kCreate, S::kDomain, false, false},
    {K::kMailbox, A::kUpdate, S::kDomain, false, false},
    {K::kMailbox, A::kDelete, S::kDomain, false, false},
    {K::kAlias, A::kRead, S::kDomain, false, false},
    {K::kAlias, A::kCreate, S::kDomain, false, false},
    {K::kAlias, A::kUpdate, S::kDomain, false, false},
    {K::kAlias, A::kDelete, S::kDomain, false, false},
    {K::kCatchall, A::kRead, S::kDomain, false, false},
    {K::kCatchall, A::kUpdate, S::kDomain, false, false},
    {K::kCatchall, A::kDelete, S::kDomain, false, false},
    {K::kRelayRecipient, A::kRead, S::kDomain, false, false},
    {K::kRelayRecipient, A::kCreate, S::kDomain, false, false},
    {K::kRelayRecipient, A::kDelete, S::kDomain, false, false},
    {K::kSenderLogin, A::kRead, S::kDomain, false, false},
    {K::kSenderLogin, A::kCreate, S::kDomain, false, false},
    {K::kSenderLogin, A::kUpdate, S::kDomain, false, false},
    {K::kSenderLogin, A::kDelete, S::kDomain, false, false},
    {K::kSettings, A::kRead, S::kNone, false, false},
    {K::kSettings, A::kUpdate, S::kNone, true, false},
    {K::kAdmin, A::kRead, S::kRank, false, false},
    {K::kAdmin, A::kCreate, S::kRank, false, false},
    {K::kAdmin, A::kUpdate, S::kRank, false, false},
    {K::kAdmin, A::kDelete, S::kRank, false, false},
    {K::kToken, A::kRead, S::kRank, false, false},
    {K::kToken, A::kCreate, S::kRank, false, false},
    {K::kToken, A::kDelete, S::kRank, false, false},
    {K::kAudit, A::kRead, S::kNamedDomain, false, false},
    {K::kCheck, A::kRead, S::kDomain, false, false},
    {K::kPassword, A::kUpdate, S::kRank, false, true},
};

const Rule* FindRule(Object::Kind kind, Action action) {
  for (const Rule& r : kRules)
    if (r.kind == kind && r.action == action) return &r;
  return nullptr;
}

bool InScope(const Principal& p, const Rule& rule, const Object& o) {
  switch (rule.scope) {
    case S::kNone:
      return true;
    case S::kDomain:
      return p.scope.Covers(o.domain);
    case S::kNamedDomain:
      return o.domain.empty() || p.scope.Covers(o.domain);
    case S::kRank:
      return p.scope.Includes(o.subject);
  }
  return false;
}

}  // namespace

bool Scope::Includes(const Scope& other) const {
  if (all_) return true;
  if (other.all_) return false;
  return std::includes(domains_.begin(), domains_.end(), other.domains_.begin(),
                       other.domains_.end());
}

Scope Scope::Intersect(const Scope& other) const {
  if (all_) return other;
  if (other.all_) return *this;
  std::set<std::string, std::less<>> both;
  std::set_intersection(domains_.begin(), domains_.end(), other.domains_.begin(),
                        other.domains_.end(), std::inserter(both, both.end()));
  return Of(std::move(both));
}

std::string Principal::Actor() const {
  if (!token.empty()) return "token:" + token;
  if (kind == Kind::kMailbox) return "mailbox:" + login;
  return "admin:" + login;
}

Decision Authorize(const Principal& p, Action action, const Object& o) {
  const Rule* rule = FindRule(o.kind, action);
  if (rule == nullptr || p.kind == Principal::Kind::kNone) return Decision::kNotFound;
  // A mailbox owner holds only itself.
  if (p.kind == Principal::Kind::kMailbox) {
    if (!rule->owner || !o.self) return Decision::kNotFound;
    return p.read_only && action != Action::kRead ? Decision::kForbidden : Decision::kAllow;
  }
  // Scope first: nothing outside it may be told apart from nothing at all.
  if (!InScope(p, *rule, o)) return Decision::kNotFound;
  if (p.read_only && action != Action::kRead) return Decision::kForbidden;
  if (rule->server_only && !p.scope.all()) return Decision::kForbidden;
  return Decision::kAllow;
}

const char* ObjectKindName(Object::Kind kind) {
  switch (kind) {
    case K::kDomain:
      return "domain";
    case K::kMailbox:
      return "mailbox";
    case K::kAlias:
      return "alias";
    case K::kCatchall:
      return "catchall";
    case K::kRelayRecipient:
      return "relay-recipient";
    case K::kSenderLogin:
      return "sender";
    case K::kSettings:
      return "settings";
    case K::kAdmin:
      return "admin";
    case K::kToken:
      return "token";
    case K::kAudit:
      return "audit";
    case K::kCheck:
      return "check";
    case K::kPassword:
      return "password";
  }
  return "?";
}

const char* ActionName(Action action) {
  switch (action) {
    case A::kRead:
      return "read";
    case A::kCreate:
      return "create";
    case A::kUpdate:
      return "update";
    case A::kDelete:
      return "delete";
  }
  return "?";
}

}  // namespace rcptdb::web
