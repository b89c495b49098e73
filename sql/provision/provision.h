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
// Every write is audited: the Provisioner names its Actor (actor.h), and
// each change writes its audit_log row, with the object's fields before
// and after (record_json.h, secrets left out), through the same Store in
// the same transaction, so the change and its row commit or roll back
// together. Nothing else in rcptdb or rcptdb-web writes provisioning data.
//
// Writes that name a record version (if_match: RecordVersion(), the
// ETag) refuse with Status::Changed (kConflict, Cause::kChanged) when the
// record is no longer that version. Who may call which write is the
// caller's decision (rcptdb-web's Authorize()); the Provisioner enforces
// what is true for everyone, such as a token never holding a domain its
// owner does not hold.
//
// Thread safety: one thread, like the Store it uses.
#ifndef RCPTDB_PROVISION_PROVISION_H
#define RCPTDB_PROVISION_PROVISION_H

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actor.h"
#include "address.h"
#include "api_token.h"
#include "record_json.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

// What UpdateMailbox changes: each field given is set.
struct MailboxChange {
  std::optional<bool> active;
  std::optional<std::string> password;   // a {SCHEME}hash; "": no login
  std::optional<std::int64_t> quota;     // bytes, 0: no limit
  std::optional<std::string> transport;  // "": the domain's
  std::optional<std::string> description;
};

// What UpdateDomain changes (a domain's kind and target do not change).
struct DomainChange {
  std::optional<bool> active;
  std::optional<std::string> transport;  // "": none
};

// What UpdateAdmin changes.
struct AdminChange {
  std::optional<std::string> password;  // a {SCHEME}hash; "": no login
  std::optional<AdminRole> role;
  std::optional<bool> active;
  std::optional<std::vector<std::string>> domains;
};

// What CreateToken makes.
struct TokenRequest {
  std::string login;                 // the owner
  std::vector<std::string> domains;  // empty: whatever the owner holds
  bool read_only = false;
  std::optional<std::int64_t> expires_days;  // from now (CheckTokenDays); none: never
  std::string networks;                      // CIDR blocks (NetworkList::Parse); empty: any
};

// A forwarding step just written: from must not lead back to goal.
struct LoopEdge {
  std::string from;   // alias target or catch-all target
  std::string goal;   // alias source, or CatchallNode(domain)
  std::string owner;  // the alias source or domain, for the message
};

// Ok if if_match is empty or equals version (the record's RecordVersion()
// now); otherwise Status::Changed naming what, the version read and the
// current one. The one owner of that refusal's words.
Status CheckVersion(std::string_view if_match, const std::string& version, std::string_view what);

// Returns every setting (kSettingNames), as store reads them.
Result<SettingValues> ReadSettings(Store& store);

class Provisioner {
 public:
  // The refusal of a domain that does not exist, named as held by (or
  // given to) principal owner: also what rcptdb-web answers for a domain
  // outside the asker's scope, so that the two read alike.
  static Status NoSuchDomain(std::string_view owner, std::string_view domain);

  // REQUIRES: store outlives the Provisioner, and is open read-write for
  // anything but FindDomain() and CheckNewMailbox(); actor names who
  // makes every change (IsActorName).
  Provisioner(Store& store, Actor actor) : store_(store), actor_(std::move(actor)) {}
  const Actor& actor() const { return actor_; }

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
  // the mailboxes. Stale unless if_match is empty or the settings'
  // RecordVersion() (ReadSettings()) before the write.
  Status SetSetting(std::string_view name, std::string_view value, std::string_view if_match = {});
  // Sets each of changes in turn, as one change of the settings: if_match
  // as above, checked once, before the first. *refused (if given) is set to
  // the name of the setting a refusal is about ("" for a stale if_match).
  Status SetSettings(const SettingValues& changes, std::string_view if_match = {},
                     std::string* refused = nullptr);

  // Sets the fields change gives on the mailbox address; returns it as
  // written. NotFound if there is none; Stale unless if_match is empty or
  // the mailbox's RecordVersion().
  Result<Mailbox> UpdateMailbox(std::string_view address, const MailboxChange& change,
                                std::string_view if_match = {});
  Status DeleteMailbox(std::string_view address, std::string_view if_match = {});

  // Sets the fields change gives on the domain name; returns it as written.
  Result<Domain> UpdateDomain(std::string_view name, const DomainChange& change,
                              std::string_view if_match = {});
  // Deletes a domain. Conflict if an alias domain points to it, or unless
  // force, if it still holds mailboxes, aliases or relay recipients
  // (force deletes them with it).
  Status DeleteDomain(std::string_view name, bool force);

  // Deletes one target of an alias, or (target empty) the whole alias.
  Status DeleteAlias(std::string_view source, std::string_view target);
  // Enables or disables every target of an alias.
  Status SetAliasActive(std::string_view source, bool active);
  Status DeleteRelayRecipient(std::string_view address);
  Status DeleteSenderLogin(std::string_view address, std::string_view login);

  // Adds an administrator: a login of lower-case letters, digits and
  // . _ @ - (at most 64), a {SCHEME}hash or no password; a domain admin's
  // domains must exist, a server admin holds none (it holds all).
  Status AddAdmin(Admin a);
  // Changes an administrator; returns it as written. Stale as above.
  Result<Admin> UpdateAdmin(std::string_view login, const AdminChange& change,
                            std::string_view if_match = {});
  // Deletes an administrator and its tokens.
  Status DeleteAdmin(std::string_view login);

  // Makes a token for r.login; the token in the result is shown once and
  // is nowhere else. Invalid if r names a domain its owner does not hold,
  // or an expiry outside CheckTokenDays' range.
  Result<MadeToken> CreateToken(const TokenRequest& r);
  Status RevokeToken(std::string_view prefix);

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
  Status SetOneSetting(std::string_view name, std::string_view value);
  Status CheckLoop(const LoopEdge& edge);
  Status CheckResolvable(const LoopEdge& edge);
  Result<Admin> RequireAdmin(std::string_view login);
  Result<std::vector<std::string>> ExistingDomains(const std::vector<std::string>& names,
                                                   std::string_view owner);
  // Appends the audit row of one change (before/after: JSON, "" for none).
  Status Audit(std::string_view kind, std::string_view object, std::string_view domain,
               std::string_view action, const std::string& before, const std::string& after);
  // Audits the alias source as it is now against before (its rows then).
  Status AuditAlias(const std::string& source, std::string_view domain,
                    const std::vector<AliasTarget>& before);

  Store& store_;
  Actor actor_;
  std::map<std::string, std::optional<Domain>, std::less<>> domains_;
  std::optional<std::string> delimiters_;  // the setting, read on first need
};

// Runs body with a Provisioner for actor inside one write transaction on
// store, and commits iff body succeeds and dry_run is false (a dry run
// checks and writes everything, audit rows included, then rolls back).
// On failure nothing body did is kept. rcptdb-web's handlers and rcptdb's
// commands are both this call around the same Provisioner functions.
Status RunProvisioning(Store& store, const Actor& actor, bool dry_run,
                       const std::function<Status(Provisioner&)>& body);

}  // namespace rcptdb

#endif
