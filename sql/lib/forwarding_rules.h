// SPDX-License-Identifier: MIT
// forwarding_rules.h - the resolver's rules, one function each
//
// Each rule that decides where mail for an address goes is written here
// once, and used by the resolver (resolver.h), by the map answers
// (answers.h) and by rcptdb's own checks (sql/provision/provision.h,
// sql/provision/alias_walk.h). A rule that changes, changes here.
//
//   IsAliasDomainTarget()  which kinds of domain an alias domain may name
//   MatchDomain()          is a domain ours, and which domain takes its mail
//   MatchLocal()           the order of the hosted-domain rules: exact
//                          mailbox, exact alias, the same without +detail,
//                          the catch-all
//   MatchRelay()           a relay domain's listed recipients
//
// The functions read through the Store they are given and never expand an
// alias: expansion and its bounds are the resolver's.
//
// Thread safety: use the Store's thread; Delimiters is per walk.
#ifndef RCPTDB_FORWARDING_RULES_H
#define RCPTDB_FORWARDING_RULES_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"
#include "store.h"

namespace rcptdb {

// The delimiter setting, read from the database on first need: most
// lookups match exactly (or not at all) and never ask for it.
class Delimiters {
 public:
  // Returns the delimiter characters; Temporary on database trouble.
  Result<std::string_view> Get(Store& store);
  // Returns local without its detail, or nullopt if it has none.
  Result<std::optional<std::string_view>> Base(Store& store, std::string_view local);

 private:
  std::optional<std::string> value_;
};

// Returns true iff an alias domain may name d as its target: a hosted or
// relay domain (one hop only; alias-to-alias is refused everywhere).
bool IsAliasDomainTarget(const Domain& d);

// What a domain name means (rules 2 and 3 of resolver.h).
struct DomainMatch {
  enum class Kind {
    kNotOurs,      // no such domain: a foreign domain
    kDisabled,     // the domain is ours but disabled
    kBrokenAlias,  // an alias domain whose target is gone, disabled or an alias
    kOurs,         // active; domain takes the mail
  };
  Kind kind = Kind::kNotOurs;
  Domain asked;     // kDisabled, kBrokenAlias, kOurs: the domain row asked for
  Domain domain;    // kOurs: the hosted or relay domain that takes the mail
  std::string why;  // one line for Resolution::path and the maps' "why"
  bool ours() const { return kind == Kind::kOurs; }
  bool via_alias_domain() const { return asked.kind == DomainKind::kAlias; }
};

// Looks name (normal form) up and follows an alias domain once.
Result<DomainMatch> MatchDomain(Store& store, std::string_view name);

// What a local part of a hosted domain names (rule 5 of resolver.h).
struct LocalMatch {
  enum class Kind { kNone, kMailbox, kAlias, kCatchall };
  Kind kind = Kind::kNone;
  std::string address;            // kMailbox, kAlias: the row's address (may be
                                  // the base); kCatchall: the catch-all target
  std::string detail;             // the stripped "+detail" when the base matched
  Mailbox mailbox;                // kMailbox
  std::vector<AliasTarget> rows;  // kAlias: every row, active or not
};

// Applies the hosted-domain rules in order to local@domain.
// REQUIRES: domain is a hosted domain.
Result<LocalMatch> MatchLocal(Store& store, const Domain& domain, std::string_view local,
                              Delimiters& delimiters);

// Returns the listed relay recipient that local@domain reaches (exactly,
// or without its +detail), or nullopt. REQUIRES: domain is a relay domain.
Result<std::optional<std::string>> MatchRelay(Store& store, const Domain& domain,
                                              std::string_view local, Delimiters& delimiters);

}  // namespace rcptdb

#endif
