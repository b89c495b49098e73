// SPDX-License-Identifier: MIT
// provision.h - validated writes shared by rcptdb's commands and its import
//
// A Provisioner turns raw values (as typed, or as read from an import
// file) into rows: it normalises every name, checks the rules a mail admin
// should hear about in words (the domain exists and has the right kind,
// the hash is a {SCHEME}hash, ...), writes through Store, and explains
// what Store refused (store_words.h). Messages start with the value they
// are about: "bob@nowhere.test: domain nowhere.test does not exist".
//
// It never begins or commits: the caller holds one write transaction
// around a whole command or a whole import, so a refusal leaves the
// database unchanged. Alias and catch-all loops, and forwarding the
// resolver could not answer in full, are checked by CheckForwarding()
// after the writes that could close them; import defers those checks to
// the end, since its records may name mailboxes that come later.
//
// Domains read through a Provisioner are cached (an import of a million
// mailboxes asks for the same few domains); the cache sees every domain
// written through the same Provisioner, so use one per transaction.
//
// Thread safety: one thread, like the Store it uses.
#ifndef RCPTDB_PROVISION_PROVISION_H
#define RCPTDB_PROVISION_PROVISION_H

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "address.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

// A forwarding step just written: from must not lead back to goal.
struct LoopEdge {
  std::string from;   // alias target or catch-all target
  std::string goal;   // alias source, or CatchallNode(domain)
  std::string owner;  // the alias source or domain, for the message
};

class Provisioner {
 public:
  // REQUIRES: store outlives the Provisioner, and is open read-write for
  // anything but FindDomain() and CheckNewMailbox().
  explicit Provisioner(Store& store) : store_(store) {}

  // Returns the domain named name (normal form), cached; nullopt if none.
  Result<std::optional<Domain>> FindDomain(const std::string& name);

  // Normalises and checks d (kind, target, transport, catch-all) and adds
  // it. Sets *catchall_edge if d has a catch-all to check for loops.
  Status AddDomain(Domain d, std::optional<LoopEdge>* catchall_edge = nullptr);

  // Normalises m in place and checks it could be added: a valid address in
  // an existing hosted domain, no recipient delimiter in its local part
  // after the first character, no mailbox or alias of that name, a
  // {SCHEME}hash or no password, a valid transport. Writes nothing.
  Status CheckNewMailbox(Mailbox& m);
  // CheckNewMailbox(), then adds the mailbox.
  Status AddMailbox(Mailbox m);

  // Adds one alias row source -> target; returns the edge to loop-check.
  // All rows of a source share one active flag: active nullopt takes the
  // flag of the rows already there; a value that differs is Invalid.
  Result<LoopEdge> AddAliasTarget(std::string_view source, std::string_view target,
                                  std::optional<bool> active);

  // Sets or clears (target empty) the catch-all of a hosted domain;
  // returns the edge to loop-check when one is set.
  Result<std::optional<LoopEdge>> SetCatchall(std::string_view domain, std::string_view target);

  // Adds an accepted recipient to a relay domain.
  Status AddRelayRecipient(std::string_view address);

  // Allows or denies login sending as address (replacing an earlier rule).
  Status SetSenderLogin(std::string_view address, std::string_view login, bool allow);

  // Sets a meaning-deciding setting (kSettingNames, sql/schema.sql). A
  // delimiter that an existing mailbox name contains is a Conflict naming
  // the mailboxes.
  Status SetSetting(std::string_view name, std::string_view value);

  // Invalid, naming the loop, iff edge.from leads back to edge.goal; or
  // naming the bound, iff the resolver could not answer in full (it would
  // defer: deeper than kMaxAliasDepth steps, or past another bound of
  // resolver.h) for edge.owner (for a catch-all: an unknown address of its
  // domain) or for an alias that leads to edge.owner by alias rows.
  Status CheckForwarding(const LoopEdge& edge);

 private:
  Result<Domain> RequireDomain(const std::string& name, std::string_view value, DomainKind kind,
                               std::string_view what);
  Status CheckDomainFields(Domain& d);
  Status CheckMailboxName(const Address& a);
  // Normalises m.address and checks its domain, name and fields: what every
  // mailbox written must satisfy, new or not.
  Status CheckMailbox(Mailbox& m);
  Status CheckLoop(const LoopEdge& edge);
  Status CheckResolvable(const LoopEdge& edge);

  Store& store_;
  std::map<std::string, std::optional<Domain>, std::less<>> domains_;
  std::optional<std::string> delimiters_;  // the setting, read on first need
};

}  // namespace rcptdb

#endif
