// SPDX-License-Identifier: MIT
// actor.h - who makes a change, from where, in which request
//
// Every write of the provisioning library (provision.h) names its Actor,
// and the audit row it writes in the same transaction carries it. The
// forms of Actor::who are the audit log's (sql/schema.sql):
//   admin:LOGIN      an administrator logged in to rcptdb-web
//   token:PREFIX     an API token (its public prefix, never the secret)
//   mailbox:ADDRESS  a mailbox owner (its own password)
//   unix:USER        rcptdb on the command line (ForUnixUser)
// client is the peer address as rcptdb-web decided it (X-Forwarded-For
// only from a trusted proxy); request_id ties the row to a log line.
//
// Thread safety: plain values.
#ifndef RCPTDB_PROVISION_ACTOR_H
#define RCPTDB_PROVISION_ACTOR_H

#include <string>
#include <string_view>

namespace rcptdb {

struct Actor {
  std::string who;
  std::string client;      // empty: none (the CLI)
  std::string request_id;  // empty: none

  // The actor of the command line: unix:SUDO_USER when run through sudo
  // (the person, not root), else the name of the real uid (unix:UID if it
  // has none). A SUDO_USER that is not a plausible user name is ignored.
  static Actor ForUnixUser();
  static Actor ForAdmin(std::string_view login, std::string client, std::string request_id);
  static Actor ForToken(std::string_view prefix, std::string client, std::string request_id);
  static Actor ForMailbox(std::string_view address, std::string client, std::string request_id);
};

// Returns true iff who has one of the forms above (or sql:ROLE, which
// only PostgreSQL's plain-SQL audit trigger writes) and is printable
// ASCII without white space, at most 300 octets.
bool IsActorName(std::string_view who);

}  // namespace rcptdb

#endif
