// SPDX-License-Identifier: MIT
// adopt_postfixadmin.h - what a PostfixAdmin database becomes in rcptdb
//
// rcptdb adopt postfixadmin URI reads PostfixAdmin's tables, as its
// upgrade.php builds them (domain, mailbox, alias, alias_domain; mailcow
// keeps the same tables and columns for what is read here), through
// adopt_postfixadmin_db.h, and PlanFromPostfixAdmin() maps the rows:
//   - a domain row is a hosted domain (its transport column, "virtual"
//     by default, is the route unless --transport names one); a backup
//     MX row (backupmx) is refused: PostfixAdmin's documented maps accept
//     every address of such a domain, rcptdb only listed ones;
//   - an alias_domain row makes its domain an alias domain;
//   - a mailbox row is a mailbox: quota in bytes as stored, the password
//     hash with its scheme named (adopt_passwd.h NamedHash);
//   - an alias row: "@domain" is the catch-all, goto holds comma-
//     separated targets; the self-alias PostfixAdmin writes for every
//     mailbox is dropped, a vacation target (user#domain@vacation.domain)
//     is reported and not copied.
// On PostgreSQL and SQLite a row in mixed case was never found by
// Postfix (it lower-cases the key, and '=' there compares case), so it is
// refused rather than brought to life; MariaDB/MySQL compare without case,
// so there the row is folded.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_ADOPT_POSTFIXADMIN_H
#define RCPTDB_ADMIN_ADOPT_POSTFIXADMIN_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adopt_plan.h"

namespace rcptdb::admin {

// The rows, as text (each engine's text form of its columns).
struct PostfixAdminSite {
  struct Domain {
    std::string domain, transport, backupmx, active;
  };
  struct Mailbox {
    std::string username, password, quota, active;
    std::string name;  // the owner's name: the mailbox's description
  };
  struct Alias {
    std::string address, goto_targets, active;
  };
  struct AliasDomain {
    std::string alias_domain, target_domain, active;
  };
  std::vector<Domain> domains;
  std::vector<Mailbox> mailboxes;
  std::vector<Alias> aliases;
  std::vector<AliasDomain> alias_domains;
  bool keys_fold_case = false;  // MariaDB/MySQL: '=' ignores case
  std::string transport;        // --transport: the hosted domains' route
};

// Returns the plan for site (see above).
AdoptPlan PlanFromPostfixAdmin(const PostfixAdminSite& site);

// Reads a boolean column's text: "1", "t", "true", "y", "yes" (any case)
// are true; "0", "f", "false", "n", "no", "" are false; nullopt otherwise.
std::optional<bool> ParsePostfixAdminFlag(std::string_view text);

// Returns true iff target is a PostfixAdmin vacation address:
// "user#domain@vacation.domain" (a '#' in the local part).
bool IsVacationTarget(std::string_view target);

// Where a MariaDB/MySQL database is: mysql://[USER[:PASSWORD]@][HOST[:PORT]]/DB
// [?socket=PATH]; "mariadb://" too. Percent-escapes in user, password and
// path are decoded.
struct MysqlLocation {
  std::string user, password, host, database, socket;
  unsigned port = 0;  // 0: the default
  bool operator==(const MysqlLocation&) const = default;
};
// Invalid, saying why, for anything else.
Result<MysqlLocation> ParseMysqlUri(std::string_view uri);

}  // namespace rcptdb::admin

#endif
