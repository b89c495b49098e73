// SPDX-License-Identifier: MIT
// adopt_plan.h - what an existing Postfix setup becomes in rcptdb
//
// rcptdb adopt reads an installation (cmd_adopt.cc: postconf, the maps'
// source text, Dovecot passwd-files) into a PostfixSite, and
// PlanFromPostfix() turns it into import records (records.h), which go
// through the same Importer as `rcptdb import`: nothing adopt writes
// could be refused by a later import or edit.
//
// The mapping follows each table's own lookup rules (virtual(5),
// transport(5), access(5), postconf(5)):
//   - relay_domains, virtual_mailbox_domains, virtual_alias_domains name
//     our domains; a domain with mailboxes, aliases or a catch-all is
//     hosted, one with only relay_recipient_maps entries is a relay
//     domain, one whose only virtual entry is "@domain @target" is an
//     alias domain;
//   - virtual_alias_maps: "@domain address" is a catch-all, "user@domain
//     targets" an alias; a mailbox's self-alias is dropped;
//   - transport_maps: a domain's or a mailbox's route;
//   - relay_recipient_maps: a relay recipient (in a hosted domain, an
//     address that is not a mailbox or alias becomes a mailbox without a
//     password, and the report says so);
//   - virtual_mailbox_maps and the passwd-files: mailboxes;
//   - smtpd_sender_login_maps: sender login rules;
//   - recipient_delimiter: the delimiter setting.
// What rcptdb cannot express (a pattern table, a ".domain" or "*" key, a
// bare local part, "@domain" in relay_recipient_maps, a mailbox that also
// forwards, ...) is a refusal naming file and line; nothing is guessed.
// What is written but answered differently from before (a catch-all
// that Postfix let shadow mailboxes) is a note.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_ADOPT_PLAN_H
#define RCPTDB_ADMIN_ADOPT_PLAN_H

#include <map>
#include <string>
#include <vector>

#include "adopt_passwd.h"
#include "records.h"

namespace rcptdb::admin {

// A sentence about one source line: "virtual_alias_maps hash:/etc/postfix/
// virtual line 12", and what it says.
struct AdoptNote {
  std::string where;
  std::string text;
  bool operator==(const AdoptNote&) const = default;
};

struct AdoptPlan {
  std::vector<Record> records;
  std::vector<std::string> origins;  // one per record: where it came from
  std::vector<AdoptNote> notes;      // written, but worth reading
  std::vector<AdoptNote> refusals;   // not expressible: not written

  // Appends a record and its origin.
  void Add(Record r, std::string origin);
};

// One entry of a Postfix parameter's tables, or one bare word of a list.
struct SiteEntry {
  std::string key;    // lower case
  std::string value;  // "" for a bare word
  std::string where;  // parameter, table and line
};

// What adopt read from an installation.
struct PostfixSite {
  // Entries per parameter (relay_domains, transport_maps, ...).
  std::map<std::string, std::vector<SiteEntry>> params;
  // Tables adopt could not read, per parameter (already refusals).
  std::vector<AdoptNote> unreadable;
  std::string recipient_delimiter;  // postconf's value
  std::string virtual_transport;    // for virtual_mailbox_domains
  struct User {
    PasswdUser user;
    std::string where;
  };
  std::vector<User> users;  // Dovecot passwd-file users
};

// Returns the plan for site (see above).
AdoptPlan PlanFromPostfix(const PostfixSite& site);

// Helpers shared with the PostfixAdmin plan.
// Returns transport with ":" appended when it names no nexthop field
// ("virtual" -> "virtual:"), as transport(5) reads a bare transport.
std::string TransportValue(std::string_view transport);

}  // namespace rcptdb::admin

#endif
