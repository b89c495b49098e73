// SPDX-License-Identifier: MIT
// NAME
//   cmd_adopt_postfixadmin - rcptdb adopt postfixadmin: take over a
//   PostfixAdmin database
// SYNOPSIS
//   rcptdb adopt postfixadmin URI [--transport T] [--dry-run] [--force-partial]
// DESCRIPTION
//   Reads PostfixAdmin's tables (adopt_postfixadmin_db.h), maps them
//   (adopt_postfixadmin.h) and writes them through the importer
//   (adopt_run.h). --transport names the route of every domain whose
//   transport column says PostfixAdmin's default ("virtual" or empty),
//   usually Dovecot's LMTP: lmtp:inet:127.0.0.1:24.
// SEE ALSO
//   adopt_postfixadmin.h, adopt_run.h, rcptdb(1) ADOPTING AN EXISTING
//   INSTALLATION
#include "adopt_postfixadmin.h"
#include "adopt_postfixadmin_db.h"
#include "adopt_run.h"
#include "commands.h"
#include "values.h"

namespace rcptdb::admin {

Outcome AdoptPostfixAdmin(Cli& cli) {
  std::string transport = cli.Value("transport").value_or("");
  if (!transport.empty()) {
    Status s = CheckTransport(transport);
    if (!s.ok()) return Outcome::Usage("--transport " + transport + ": " + s.message());
  }
  Result<PostfixAdminSite> site = ReadPostfixAdmin(cli.args[0]);
  if (!site.ok()) return site.status();
  site->transport = transport;
  return RunAdoptPlan(cli, PlanFromPostfixAdmin(*site));
}

}  // namespace rcptdb::admin
