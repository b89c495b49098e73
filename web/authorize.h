// SPDX-License-Identifier: MIT
// authorize.h - who may do what: the one decision every handler asks for
//
// Every handler describes what it is about to touch as an Object (its
// kind, the domain it lives in, and for administrators and tokens the
// scope of the principal it concerns) and asks Authorize(principal,
// action, object) before it reads or writes. The answer comes from one
// table (authorize.cc, kRules), the same table authorize_test.cc walks
// row by row; no handler decides on its own.
//
// The rules (issue 22):
//   - A server admin may do everything.
//   - A domain admin reads and changes the mailboxes, aliases, catch-all,
//     relay recipients and sender logins of the domains it holds, and
//     reads those domains. It may not create or delete domains, change a
//     domain, or change settings (403: it can see them).
//   - Rank: nobody may change, reset or mint a token for a principal that
//     holds anything outside their own scope (404).
//   - A mailbox owner may read its own record and change its own password
//     (an administrator too; a token only if it holds all its owner holds).
//   - A read-only token reads what its scope allows and writes nothing (403).
//   - Anything out of scope answers 404, exactly as if it did not exist.
// The order of the checks is part of the contract: scope first (404),
// then the role and the token's mode (403), so that a 403 never tells
// anyone that something outside their scope exists.
//
// Thread safety: pure functions and plain values.
#ifndef RCPTDB_WEB_AUTHORIZE_H
#define RCPTDB_WEB_AUTHORIZE_H

#include <set>
#include <string>
#include <string_view>

namespace rcptdb::web {

// A set of domains, or every domain (a server admin's).
class Scope {
 public:
  static Scope All() { return Scope(true, {}); }
  static Scope Of(std::set<std::string, std::less<>> domains) {
    return Scope(false, std::move(domains));
  }
  static Scope None() { return Scope(false, {}); }

  bool all() const { return all_; }
  const std::set<std::string, std::less<>>& domains() const { return domains_; }
  // Returns true iff domain is in the scope.
  bool Covers(std::string_view domain) const { return all_ || domains_.contains(domain); }
  // Returns true iff everything other holds is in this scope.
  bool Includes(const Scope& other) const;
  // Returns the scope both hold (a token's is its own and its owner's now).
  Scope Intersect(const Scope& other) const;
  bool operator==(const Scope&) const = default;

 private:
  Scope(bool all, std::set<std::string, std::less<>> domains)
      : all_(all), domains_(std::move(domains)) {}
  bool all_ = false;
  std::set<std::string, std::less<>> domains_;
};

// Who is asking, as authentication (authenticate.h) found it.
struct Principal {
  enum class Kind { kNone, kServerAdmin, kDomainAdmin, kMailbox };
  Kind kind = Kind::kNone;
  std::string login;            // admin login, or the mailbox's address
  Scope scope = Scope::None();  // what it holds now (a token: narrowed)
  bool read_only = false;       // a read-only token
  std::string token;            // the token's public prefix, if a token authenticated
  bool cookie = false;          // authenticated by the session cookie (CSRF applies)

  // The audit's actor: "admin:LOGIN", "token:PREFIX", "mailbox:ADDRESS".
  std::string Actor() const;
  bool admin() const { return kind == Kind::kServerAdmin || kind == Kind::kDomainAdmin; }
};

enum class Action { kRead, kCreate, kUpdate, kDelete };

struct Object {
  enum class Kind {
    kDomain,          // a domain's own row: name, kind, transport, active
    kMailbox,         // a mailbox (also its password)
    kAlias,           // an alias, by its source's domain
    kCatchall,        // a domain's catch-all
    kRelayRecipient,  // a relay domain's accepted recipient
    kSenderLogin,     // a send-as rule, by the address's domain
    kSettings,        // the database's meaning-deciding settings
    kAdmin,           // an administrator (subject: its scope)
    kToken,           // an API token (subject: its owner's scope)
    kAudit,           // the audit log (domain: the row's domain)
    kCheck,           // the explanation of an address (domain: its domain)
    kPassword,        // the asking principal's own password, given the current one
                      // (subject: what that principal holds)
  };
  Object(Kind k, std::string d = "") : kind(k), domain(std::move(d)) {}  // NOLINT: {kind, domain}

  Kind kind;
  std::string domain;             // the domain it lives in; "" for global objects
  Scope subject = Scope::None();  // kAdmin, kToken: what the principal concerned holds
  bool self = false;              // it is the asking principal itself (own record, own password)
};

// The answer: go ahead, or the HTTP status to refuse with.
enum class Decision { kAllow = 200, kForbidden = 403, kNotFound = 404 };

// Decides whether principal may take action on object (see above).
Decision Authorize(const Principal& principal, Action action, const Object& object);

// Returns a name for logs and test messages ("mailbox", "update").
const char* ObjectKindName(Object::Kind kind);
const char* ActionName(Action action);

}  // namespace rcptdb::web

#endif
