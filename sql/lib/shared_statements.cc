// SPDX-License-Identifier: MIT
// NAME
//   shared_statements - the statements both engines run as written
// DESCRIPTION
//   Administrators, API tokens, the audit log and keyset pages (schema
//   version 3) need nothing that SQLite and PostgreSQL spell differently,
//   except where a statement says so with its pgsql text: bytewise order
//   for the pages (COLLATE "C", which the paging indexes of
//   sql/schema-pgsql.sql use), and telling the plain-SQL audit trigger
//   that a transaction writes its own audit rows. So they are written
//   once, here, and run through Store::QueryShared and WriteShared, which
//   each engine implements with its own prepared statements: parameters
//   are bound, never spliced into the text.
// SEE ALSO
//   store.h, sqlite_store.cc, pg_store.cc, sql/schema.sql
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>

#include "store.h"

namespace rcptdb {
namespace {

enum SharedSlot {
  kPageMailboxes = Store::kSharedSlotBase,
  kPageAliases,
  kPageRelay,
  kInsertAdmin,
  kUpdateAdmin,
  kDeleteAdmin,
  kFindAdmin,
  kListAdmins,
  kAdminDomains,
  kAllAdminDomains,
  kClearAdminDomains,
  kInsertAdminDomain,
  kAdminLogin,
  kInsertToken,
  kInsertTokenDomain,
  kDeleteToken,
  kFindToken,
  kTokenScope,
  kListTokens,
  kListTokenDomains,
  kAppendAudit,
  kAuditByDomain,
  kAuditByActor,
  kAuditAll,
};

using SqlParam = std::optional<std::string>;

SqlParam Text(std::string_view v) { return std::string(v); }
// Empty means NULL, as the engines bind optional columns.
SqlParam Optional(std::string_view v) {
  return v.empty() ? std::nullopt : SqlParam(std::string(v));
}
SqlParam Flag(bool b) { return std::string(b ? "1" : "0"); }
SqlParam Int(std::int64_t v) { return std::to_string(v); }

std::string Str(const Store::SqlRow& r, std::size_t i) { return r[i].value_or(""); }
bool Bool(const Store::SqlRow& r, std::size_t i) { return r[i].value_or("0") != "0"; }

// The exclusive upper bound of keys that start with prefix: every stored
// key is printable ASCII, below 0x7f.
std::string PrefixEnd(std::string_view prefix) { return std::string(prefix) + '\x7f'; }

// The inclusive lower bound of a page: past the cursor and at or after the
// prefix. One bound, so that the index seeks straight to it: given both
// "> cursor" and ">= prefix", SQLite ranged over the cursor's and filtered
// the prefix's, and a search's first page read every key before the
// prefix. A stored key holds no byte below 0x21, so "> after" is
// ">= after + '\x01'".
std::string PageStart(const PageRequest& p) {
  std::string past_cursor = p.after.empty() ? std::string() : p.after + '\x01';
  return std::max(past_cursor, p.prefix);
}

std::vector<SqlParam> PageParams(const PageRequest& p) {
  return {Text(p.domain), Text(PageStart(p)), Text(PrefixEnd(p.prefix)), Int(p.limit)};
}

Status CheckPage(const PageRequest& p) {
  if (p.limit < 1 || p.limit > kMaxPageRows)
    return Status::Invalid("limit must be 1 to " + std::to_string(kMaxPageRows));
  return Status::Ok();
}

}  // namespace

const char* AdminRoleName(AdminRole role) {
  return role == AdminRole::kServer ? "server" : "domain";
}

// --- Pages -------------------------------------------------------------

Result<std::vector<Mailbox>> Store::ListMailboxPage(const PageRequest& page) {
  if (Status s = CheckPage(page); !s.ok()) return s;
  Result<std::vector<SqlRow>> rows = QueryShared(
      kPageMailboxes,
      {"SELECT address, active, password, quota, transport, description FROM mailboxes "
       "WHERE domain = $1 AND address >= $2 AND address < $3 "
       "ORDER BY address LIMIT CAST($4 AS INTEGER)",
       "SELECT address, active, password, quota, transport, description FROM mailboxes "
       "WHERE domain = $1 AND address COLLATE \"C\" >= $2 "
       "AND address COLLATE \"C\" < $3 ORDER BY address COLLATE \"C\" LIMIT CAST($4 AS INTEGER)"},
      PageParams(page), "listing mailboxes");
  if (!rows.ok()) return rows.status();
  std::vector<Mailbox> out;
  for (const SqlRow& r : *rows)
    out.push_back(
        {Str(r, 0), Bool(r, 1), Str(r, 2), std::stoll(r[3].value_or("0")), Str(r, 4), Str(r, 5)});
  return out;
}

Result<std::vector<AliasTarget>> Store::ListAliasPage(const PageRequest& page) {
  if (Status s = CheckPage(page); !s.ok()) return s;
  Result<std::vector<SqlRow>> rows =
      QueryShared(kPageAliases,
                  {"SELECT source, target, active FROM aliases WHERE domain = $1 AND source IN ("
                   "SELECT DISTINCT source FROM aliases WHERE domain = $1 AND source >= $2 "
                   "AND source < $3 ORDER BY source LIMIT CAST($4 AS INTEGER)) "
                   "ORDER BY source, target",
                   "SELECT source, target, active FROM aliases WHERE domain = $1 AND source IN ("
                   "SELECT DISTINCT source COLLATE \"C\" FROM aliases WHERE domain = $1 "
                   "AND source COLLATE \"C\" >= $2 "
                   "AND source COLLATE \"C\" < $3 ORDER BY 1 LIMIT CAST($4 AS INTEGER)) "
                   "ORDER BY source COLLATE \"C\", target COLLATE \"C\""},
                  PageParams(page), "listing aliases");
  if (!rows.ok()) return rows.status();
  std::vector<AliasTarget> out;
  for (const SqlRow& r : *rows) out.push_back({Str(r, 0), Str(r, 1), Bool(r, 2)});
  return out;
}

Result<std::vector<std::string>> Store::ListRelayRecipientPage(const PageRequest& page) {
  if (Status s = CheckPage(page); !s.ok()) return s;
  Result<std::vector<SqlRow>> rows = QueryShared(
      kPageRelay,
      {"SELECT address FROM relay_recipients WHERE domain = $1 AND address >= $2 "
       "AND address < $3 ORDER BY address LIMIT CAST($4 AS INTEGER)",
       "SELECT address FROM relay_recipients WHERE domain = $1 AND address COLLATE \"C\" >= $2 "
       "AND address COLLATE \"C\" < $3 "
       "ORDER BY address COLLATE \"C\" LIMIT CAST($4 AS INTEGER)"},
      PageParams(page), "listing relay recipients");
  if (!rows.ok()) return rows.status();
  std::vector<std::string> out;
  for (const SqlRow& r : *rows) out.push_back(Str(r, 0));
  return out;
}

// --- Administrators ----------------------------------------------------

namespace {

Admin RowToAdmin(const Store::SqlRow& r) {
  Admin a;
  a.login = Str(r, 0);
  a.password = Str(r, 1);
  a.role = ParseAdminRole(Str(r, 2)).value_or(AdminRole::kDomain);
  a.active = Bool(r, 3);
  a.created = Str(r, 4);
  a.last_login = Str(r, 5);
  return a;
}

#define ADMIN_COLUMNS "login, password, role, active, created, last_login"

}  // namespace

Status Store::InsertAdmin(const Admin& a) {
  Result<long> n = WriteShared(
      kInsertAdmin, {"INSERT INTO admins (login, password, role, active) VALUES ($1, $2, $3, $4)"},
      {Text(a.login), Optional(a.password), Text(AdminRoleName(a.role)), Flag(a.active)});
  if (!n.ok()) return n.status();
  return InsertAdminDomains(a);
}

Status Store::UpdateAdmin(const Admin& a) {
  // Domains go first and come back last: the schema lets only a domain
  // admin hold them, whichever way the role changes.
  Result<long> n = WriteShared(kClearAdminDomains, {"DELETE FROM admin_domains WHERE login = $1"},
                               {Text(a.login)});
  if (n.ok())
    n = WriteShared(
        kUpdateAdmin, {"UPDATE admins SET password = $2, role = $3, active = $4 WHERE login = $1"},
        {Text(a.login), Optional(a.password), Text(AdminRoleName(a.role)), Flag(a.active)});
  if (!n.ok()) return n.status();
  if (*n == 0) return RequireChange(Status::Ok(), 0, RowKind::kAdmin);
  return InsertAdminDomains(a);
}

Status Store::InsertAdminDomains(const Admin& a) {
  for (const std::string& d : a.domains) {
    Result<long> n = WriteShared(kInsertAdminDomain,
                                 {"INSERT INTO admin_domains (login, domain) VALUES ($1, $2)"},
                                 {Text(a.login), Text(d)});
    if (!n.ok()) return n.status();
  }
  return Status::Ok();
}

Status Store::DeleteAdmin(std::string_view login) {
  Result<long> n =
      WriteShared(kDeleteAdmin, {"DELETE FROM admins WHERE login = $1"}, {Text(login)});
  if (!n.ok()) return n.status();
  return RequireChange(Status::Ok(), *n, RowKind::kAdmin);
}

Result<std::optional<Admin>> Store::FindAdmin(std::string_view login) {
  Result<std::vector<SqlRow>> rows =
      QueryShared(kFindAdmin, {"SELECT " ADMIN_COLUMNS " FROM admins WHERE login = $1"},
                  {Text(login)}, "looking up admin");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<Admin>();
  Admin a = RowToAdmin(rows->front());
  Result<std::vector<SqlRow>> domains = QueryShared(
      kAdminDomains,
      {"SELECT domain FROM admin_domains WHERE login = $1 ORDER BY domain",
       "SELECT domain FROM admin_domains WHERE login = $1 ORDER BY domain COLLATE \"C\""},
      {Text(login)}, "looking up admin");
  if (!domains.ok()) return domains.status();
  for (const SqlRow& r : *domains) a.domains.push_back(Str(r, 0));
  return std::optional<Admin>(std::move(a));
}

Result<std::vector<Admin>> Store::ListAdmins() {
  Result<std::vector<SqlRow>> rows =
      QueryShared(kListAdmins,
                  {"SELECT " ADMIN_COLUMNS " FROM admins ORDER BY login",
                   "SELECT " ADMIN_COLUMNS " FROM admins ORDER BY login COLLATE \"C\""},
                  {}, "listing admins");
  if (!rows.ok()) return rows.status();
  Result<std::vector<SqlRow>> domains =
      QueryShared(kAllAdminDomains,
                  {"SELECT login, domain FROM admin_domains ORDER BY domain",
                   "SELECT login, domain FROM admin_domains ORDER BY domain COLLATE \"C\""},
                  {}, "listing admins");
  if (!domains.ok()) return domains.status();
  std::vector<Admin> out;
  std::map<std::string, std::size_t> index;
  for (const SqlRow& r : *rows) {
    index[Str(r, 0)] = out.size();
    out.push_back(RowToAdmin(r));
  }
  for (const SqlRow& r : *domains)
    if (auto it = index.find(Str(r, 0)); it != index.end())
      out[it->second].domains.push_back(Str(r, 1));
  return out;
}

Status Store::RecordAdminLogin(std::string_view login, std::string_view time) {
  Result<long> n = WriteShared(kAdminLogin,
                               {"UPDATE admins SET last_login = $2 WHERE login = $1",
                                "UPDATE admins SET last_login = $2 WHERE login = $1 "
                                "AND set_config('rcptdb.audited', 'on', true) = 'on'"},
                               {Text(login), Text(time)});
  if (!n.ok()) return n.status();
  return RequireChange(Status::Ok(), *n, RowKind::kAdmin);
}

// --- Tokens ------------------------------------------------------------

Status Store::InsertToken(const Token& t) {
  Result<long> n =
      WriteShared(kInsertToken,
                  {"INSERT INTO tokens (prefix, login, secret_hash, all_domains, read_only, "
                   "expires, networks) VALUES ($1, $2, $3, $4, $5, $6, $7)"},
                  {Text(t.prefix), Text(t.login), Text(t.secret_hash), Flag(t.all_domains),
                   Flag(t.read_only), Optional(t.expires), Optional(t.networks)});
  if (!n.ok()) return n.status();
  for (const std::string& d : t.domains) {
    n = WriteShared(kInsertTokenDomain,
                    {"INSERT INTO token_domains (prefix, domain) VALUES ($1, $2)"},
                    {Text(t.prefix), Text(d)});
    if (!n.ok()) return n.status();
  }
  return Status::Ok();
}

Status Store::DeleteToken(std::string_view prefix) {
  Result<long> n =
      WriteShared(kDeleteToken, {"DELETE FROM tokens WHERE prefix = $1"}, {Text(prefix)});
  if (!n.ok()) return n.status();
  return RequireChange(Status::Ok(), *n, RowKind::kToken);
}

Result<std::optional<TokenGrant>> Store::FindTokenGrant(std::string_view prefix) {
  Result<std::vector<SqlRow>> rows = QueryShared(
      kFindToken,
      {"SELECT t.prefix, t.login, t.secret_hash, t.all_domains, t.read_only, t.expires, "
       "t.networks, t.created, t.last_used, a.role, a.active "
       "FROM tokens t JOIN admins a ON a.login = t.login WHERE t.prefix = $1"},
      {Text(prefix)}, "looking up token");
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<TokenGrant>();
  const SqlRow& r = rows->front();
  TokenGrant g;
  g.token = {Str(r, 0),  Str(r, 1), Str(r, 2), Bool(r, 3), {},
             Bool(r, 4), Str(r, 5), Str(r, 6), Str(r, 7),  Str(r, 8)};
  g.owner_role = ParseAdminRole(Str(r, 9)).value_or(AdminRole::kDomain);
  g.owner_active = Bool(r, 10);
  g.every_domain = g.owner_role == AdminRole::kServer && g.token.all_domains;
  if (g.every_domain) return std::optional<TokenGrant>(std::move(g));
  // The token's domains that its owner holds now (a server admin holds
  // them all), or all of a domain admin's: joined at every use.
  Result<std::vector<SqlRow>> scope = QueryShared(
      kTokenScope,
      {"SELECT td.domain FROM tokens t JOIN admins a ON a.login = t.login "
       "JOIN token_domains td ON td.prefix = t.prefix "
       "WHERE t.prefix = $1 AND t.all_domains = 0 AND (a.role = 'server' OR EXISTS ("
       "SELECT 1 FROM admin_domains ad WHERE ad.login = t.login AND ad.domain = td.domain)) "
       "UNION SELECT ad.domain FROM tokens t JOIN admin_domains ad ON ad.login = t.login "
       "WHERE t.prefix = $1 AND t.all_domains = 1 ORDER BY 1",
       "SELECT td.domain COLLATE \"C\" FROM tokens t JOIN admins a ON a.login = t.login "
       "JOIN token_domains td ON td.prefix = t.prefix "
       "WHERE t.prefix = $1 AND t.all_domains = 0 AND (a.role = 'server' OR EXISTS ("
       "SELECT 1 FROM admin_domains ad WHERE ad.login = t.login AND ad.domain = td.domain)) "
       "UNION SELECT ad.domain COLLATE \"C\" FROM tokens t "
       "JOIN admin_domains ad ON ad.login = t.login "
       "WHERE t.prefix = $1 AND t.all_domains = 1 ORDER BY 1"},
      {Text(prefix)}, "looking up token");
  if (!scope.ok()) return scope.status();
  for (const SqlRow& d : *scope) g.domains.push_back(Str(d, 0));
  if (!g.token.all_domains) g.token.domains = g.domains;
  return std::optional<TokenGrant>(std::move(g));
}

Result<std::vector<Token>> Store::ListTokens(std::string_view login) {
  Result<std::vector<SqlRow>> rows = QueryShared(
      kListTokens,
      {"SELECT prefix, login, all_domains, read_only, expires, networks, created, last_used "
       "FROM tokens WHERE $1 IS NULL OR login = $1 ORDER BY login, prefix",
       "SELECT prefix, login, all_domains, read_only, expires, networks, created, last_used "
       "FROM tokens WHERE $1::text IS NULL OR login = $1 "
       "ORDER BY login COLLATE \"C\", prefix COLLATE \"C\""},
      {Optional(login)}, "listing tokens");
  if (!rows.ok()) return rows.status();
  Result<std::vector<SqlRow>> domains = QueryShared(
      kListTokenDomains,
      {"SELECT td.prefix, td.domain FROM token_domains td JOIN tokens t ON t.prefix = td.prefix "
       "WHERE $1 IS NULL OR t.login = $1 ORDER BY td.domain",
       "SELECT td.prefix, td.domain FROM token_domains td JOIN tokens t ON t.prefix = td.prefix "
       "WHERE $1::text IS NULL OR t.login = $1 ORDER BY td.domain COLLATE \"C\""},
      {Optional(login)}, "listing tokens");
  if (!domains.ok()) return domains.status();
  std::vector<Token> out;
  std::map<std::string, std::size_t> index;
  for (const SqlRow& r : *rows) {
    index[Str(r, 0)] = out.size();
    out.push_back({Str(r, 0),
                   Str(r, 1),
                   "",
                   Bool(r, 2),
                   {},
                   Bool(r, 3),
                   Str(r, 4),
                   Str(r, 5),
                   Str(r, 6),
                   Str(r, 7)});
  }
  for (const SqlRow& r : *domains)
    if (auto it = index.find(Str(r, 0)); it != index.end())
      out[it->second].domains.push_back(Str(r, 1));
  return out;
}

// --- The audit log -----------------------------------------------------

Status Store::AppendAudit(const AuditRecord& r) {
  // On PostgreSQL the same statement tells the deferred plain-SQL audit
  // trigger (sql/schema-pgsql.sql) that this transaction audits itself.
  Result<long> n = WriteShared(
      kAppendAudit,
      {"INSERT INTO audit_log (time, actor, client, request_id, kind, object, domain, action, "
       "before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
       "INSERT INTO audit_log (time, actor, client, request_id, kind, object, domain, action, "
       "before, after) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 "
       "WHERE set_config('rcptdb.audited', 'on', true) = 'on'"},
      {Text(r.time), Text(r.actor), Optional(r.client), Optional(r.request_id), Text(r.kind),
       Text(r.object), Optional(r.domain), Text(r.action), Optional(r.before), Optional(r.after)});
  if (!n.ok()) return n.status();
  if (*n != 1) return Status::Temporary("database " + name() + ": the audit row was not written");
  return Status::Ok();
}

#define AUDIT_COLUMNS \
  "id, time, actor, client, request_id, kind, object, domain, action, before, after"

Result<std::vector<AuditRecord>> Store::QueryAudit(const AuditQuery& q) {
  if (q.limit < 1 || q.limit > kMaxPageRows)
    return Status::Invalid("limit must be 1 to " + std::to_string(kMaxPageRows));
  // One statement per index it can walk newest first: by domain, by
  // actor, or the whole log.
  SqlParam before = Int(q.before_id > 0 ? q.before_id : INT64_MAX);
  // The search: a range on the object, as the pages' prefix is (PrefixEnd).
  SqlParam object = Optional(q.object_prefix);
  SqlParam object_end = Optional(q.object_prefix.empty() ? "" : PrefixEnd(q.object_prefix));
  Result<std::vector<SqlRow>> rows = Status::Ok();
  if (!q.domain.empty())
    rows = QueryShared(kAuditByDomain,
                       {"SELECT " AUDIT_COLUMNS " FROM audit_log WHERE domain = $1 "
                        "AND ($2 IS NULL OR actor = $2) AND time >= $3 AND id < $4 "
                        "AND ($6 IS NULL OR (object >= $6 AND object < $7)) "
                        "ORDER BY id DESC LIMIT CAST($5 AS INTEGER)",
                        "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE domain = $1 "
                        "AND ($2::text IS NULL OR actor = $2) AND time >= $3 "
                        "AND id < CAST($4 AS bigint) "
                        "AND ($6::text IS NULL OR (object >= $6 AND object < $7)) "
                        "ORDER BY id DESC LIMIT CAST($5 AS INTEGER)"},
                       {Text(q.domain), Optional(q.actor), Text(q.since), before, Int(q.limit),
                        object, object_end},
                       "reading the audit log");
  else if (!q.actor.empty())
    rows = QueryShared(kAuditByActor,
                       {"SELECT " AUDIT_COLUMNS " FROM audit_log WHERE actor = $1 "
                        "AND time >= $2 AND id < $3 "
                        "AND ($5 IS NULL OR (object >= $5 AND object < $6)) "
                        "ORDER BY id DESC LIMIT CAST($4 AS INTEGER)",
                        "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE actor = $1 "
                        "AND time >= $2 AND id < CAST($3 AS bigint) "
                        "AND ($5::text IS NULL OR (object >= $5 AND object < $6)) "
                        "ORDER BY id DESC LIMIT CAST($4 AS INTEGER)"},
                       {Text(q.actor), Text(q.since), before, Int(q.limit), object, object_end},
                       "reading the audit log");
  else
    rows = QueryShared(kAuditAll,
                       {"SELECT " AUDIT_COLUMNS " FROM audit_log WHERE time >= $1 AND id < $2 "
                        "AND ($4 IS NULL OR (object >= $4 AND object < $5)) "
                        "ORDER BY id DESC LIMIT CAST($3 AS INTEGER)",
                        "SELECT " AUDIT_COLUMNS " FROM audit_log WHERE time >= $1 "
                        "AND id < CAST($2 AS bigint) "
                        "AND ($4::text IS NULL OR (object >= $4 AND object < $5)) "
                        "ORDER BY id DESC LIMIT CAST($3 AS INTEGER)"},
                       {Text(q.since), before, Int(q.limit), object, object_end},
                       "reading the audit log");
  if (!rows.ok()) return rows.status();
  std::vector<AuditRecord> out;
  for (const SqlRow& r : *rows)
    out.push_back({std::stoll(r[0].value_or("0")), Str(r, 1), Str(r, 2), Str(r, 3), Str(r, 4),
                   Str(r, 5), Str(r, 6), Str(r, 7), Str(r, 8), Str(r, 9), Str(r, 10)});
  return out;
}

}  // namespace rcptdb
