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
//  6. Aliases expand recursively to mailboxes and foreign addresses (depth
//     and loops bounded). Disabled or unknown local targets are dropped; an
//     alias left with nothing is kDisabled if a disabled mailbox was among
//     its targets, else kUnknownRecipient. A disabled mailbox is kDisabled
//     however it is reached, catch-all or not.
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
#include "status.h"
#include "store.h"

namespace rcptdb {

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
  std::vector<std::string> path;  // how the answer was reached, for humans
};

class Resolver {
 public:
  // REQUIRES: store outlives the Resolver.
  explicit Resolver(Store& store) : store_(store) {}

  // Returns the meaning of raw, or Temporary on database trouble.
  Result<Resolution> Resolve(std::string_view raw);

 private:
  struct Walk;
  Result<Resolution> ResolveAddress(const Address& addr);
  Status ResolveIn(Walk& w, const Domain& domain, std::string_view local, Resolution& r);
  Result<std::optional<std::string_view>> Base(Walk& w, std::string_view local);
  Status ResolveLocal(Walk& w, const Domain& domain, std::string_view local, bool& found,
                      Resolution& r);
  Status ExpandAlias(Walk& w, const std::vector<AliasTarget>& rows, Resolution& r);
  Status ExpandTarget(Walk& w, const std::string& address, Resolution& r, bool& disabled);

  Store& store_;
};

}  // namespace rcptdb

#endif
