// SPDX-License-Identifier: MIT
// resolver.h - what an address means: the one answer both sides derive from
//
// Resolver::Resolve() applies the rules of doc/DESIGN.md to one address and
// returns a Resolution. Every Postfix map answer (map_answers.h) and every
// LMTP RCPT reply of the Dovecot plugin (rcpt_decision.h) is derived from
// it, so Postfix and Dovecot cannot disagree about a recipient.
//
// Rules, in order:
//  1. Normalise (address.h); malformed input is kMalformed (not found).
//  2. The domain must exist and be active, else kUnknownDomain.
//  3. An alias domain is rewritten to its target domain, once; the result
//     must resolve there (an alias domain never accepts more than its target).
//  4. Relay domains accept only their listed relay recipients (kRelay).
//  5. Hosted domains: exact mailbox, exact alias, then the local part
//     without its +detail (delimiters from the database's settings), then the
//     domain's catch-all. A catch-all never shadows a mailbox or alias.
//  6. Aliases expand recursively to mailboxes and foreign addresses. Loops
//     are cut by a visited set. Disabled or unknown local targets are
//     dropped; an alias left with nothing is kDisabled if a disabled mailbox
//     was among its targets, else kUnknownRecipient. A disabled mailbox is
//     kDisabled however it is reached, catch-all or not.
//  7. "postmaster" without a domain (RFC 5321 4.5.1) means the address the
//     database setting "postmaster" names; without one it is unknown.
// Each rule is one function of forwarding_rules.h.
//
// Bounds: an expansion deeper than kMaxAliasDepth alias steps, with more
// than kMaxAliasTargets targets, or whose joined targets exceed
// kMaxAliasReplyBytes is never answered in part: Resolve() returns
// Status::Temporary naming the alias and the bound (the mail is deferred and
// the log says why). rcptdb and the schema refuse chains deeper than
// kMaxAliasDepth, so only plain SQL fan-out can reach the other two.
//
// Database trouble makes Resolve() return Status::Temporary, never a verdict.
// Resolve() reads from one snapshot of the database (a read transaction of
// its own, unless the Store is already inside one).
//
// Thread safety: a Resolver uses its Store; one per thread.
#ifndef RCPTDB_RESOLVER_H
#define RCPTDB_RESOLVER_H

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "address.h"
#include "forwarding_rules.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

// Alias steps one lookup follows: an alias (or catch-all) whose targets are
// aliases counts one step per level. sql/schema.sql repeats the number.
inline constexpr int kMaxAliasDepth = 8;
// Deliverable targets one expansion may have.
inline constexpr std::size_t kMaxAliasTargets = 1000;
// Bytes of the comma-joined targets (the aliases map's answer); below the
// socketmap reply limit of rcptdb-server.
inline constexpr std::size_t kMaxAliasReplyBytes = 65536;

enum class Verdict {
  kMalformed,         // not an address we could host: not found
  kUnknownDomain,     // domain missing, inactive, or a broken alias domain
  kUnknownRecipient,  // domain is ours, recipient is not
  kDisabled,          // a mailbox exists (directly or behind an alias) but is disabled
  kMailbox,           // deliver to one local mailbox
  kAlias,             // deliver to the listed targets (aliases, catch-all)
  kRelay,             // listed recipient of a relay domain: forward
};

const char* VerdictName(Verdict v);

// A deliverable destination of an alias.
struct Target {
  std::string address;    // where to deliver: foreign address, or a mailbox
                          // address that may keep a +detail
  std::string mailbox;    // local targets: the mailbox itself; else empty
  std::string transport;  // local targets: their route (may be empty)
  bool local() const { return !mailbox.empty(); }
};

struct Resolution {
  Verdict verdict = Verdict::kMalformed;
  std::string input;         // normalised input address (empty if malformed)
  std::string domain;        // the domain after alias-domain rewriting
  bool domain_ours = false;  // domain exists and is active (even if the
                             // recipient is unknown): routes via transport
  std::string transport;     // kMailbox/kRelay: route; else the domain's route
  // kMailbox: the mailbox address, and the address to deliver to, which
  // keeps a +detail and is in the target domain of an alias domain.
  std::string mailbox;
  std::string delivery;
  std::string detail;             // kMailbox/kRelay: the stripped "+detail", if any
  std::vector<Target> targets;    // kAlias: deliverable targets, in order
  bool via_catchall = false;      // a catch-all was followed on the way
  std::vector<std::string> path;  // how the answer was reached, for humans
};

class Resolver {
 public:
  // REQUIRES: store outlives the Resolver. notes: fill Resolution::path
  // (for `rcptdb check`, the plugin's log lines and -v); without them the
  // answer is the same, only its path is empty and nothing is formatted
  // for it.
  explicit Resolver(Store& store, bool notes = true) : store_(store), notes_(notes) {}

  // Returns the meaning of raw, or Temporary on database trouble.
  Result<Resolution> Resolve(std::string_view raw);
  // The address Resolve(raw) reads first with Store::FindLocal if raw's
  // domain is an active hosted domain, as store's snapshot memo last read
  // it (Store::RememberedDomain); nullopt if raw is not an address or the
  // memo does not hold its domain as such (a domain not ours, a relay or
  // alias domain, or one not read yet: then Resolve reads no such row
  // first). A hint for Store::ExpectLookup.
  static std::optional<std::string> FirstLocalLookup(const Store& store, std::string_view raw);

 private:
  struct Walk;
  Result<Resolution> ResolvePostmaster(Walk& w, Resolution r);
  Result<Resolution> ResolveAddress(Walk& w, const Address& addr, Resolution r);
  Status ResolveIn(Walk& w, const Domain& domain, std::string_view local, Resolution& r);
  Status ResolveRelay(Walk& w, const Domain& domain, std::string_view local, Resolution& r);
  Status ExpandAlias(Walk& w, const std::vector<AliasTarget>& rows, Resolution& r);
  Status ExpandTarget(Walk& w, const std::string& address, Resolution& r, bool& disabled);
  Status AddTarget(Walk& w, Target t, Resolution& r);

  Store& store_;
  bool notes_;
};

}  // namespace rcptdb

#endif
