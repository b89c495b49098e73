// SPDX-License-Identifier: MIT
// adopt_postfixadmin_db.h - read PostfixAdmin's tables from its database
//
// Reads the rows adopt_postfixadmin.h maps, from
//   sqlite:///PATH (or an absolute PATH)   SQLite, opened read-only
//   postgresql://... / postgres://...     PostgreSQL (libpq URI; needs a
//                                         build with libpq)
//   mysql://... / mariadb://...           MariaDB or MySQL (ParseMysqlUri;
//                                         needs a build with libmariadb)
// with fixed SELECT statements (no value is ever put into SQL text) in
// one read-only pass. A database that cannot be reached or a table that
// is missing is an error naming the URI's engine and the table; nothing
// is written anywhere.
//
// Thread safety: one call at a time.
#ifndef RCPTDB_ADMIN_ADOPT_POSTFIXADMIN_DB_H
#define RCPTDB_ADMIN_ADOPT_POSTFIXADMIN_DB_H

#include <string_view>

#include "adopt_postfixadmin.h"

namespace rcptdb::admin {

// Reads every row of domain, mailbox, alias and alias_domain at uri.
Result<PostfixAdminSite> ReadPostfixAdmin(std::string_view uri);

}  // namespace rcptdb::admin

#endif
