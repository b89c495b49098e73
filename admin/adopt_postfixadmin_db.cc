// SPDX-License-Identifier: MIT
// NAME
//   adopt_postfixadmin_db - read PostfixAdmin's tables from its database
// DESCRIPTION
//   One Query per table, the same four statements on every engine; each
//   engine's text form of a column is kept as it is (PostgreSQL's
//   booleans read "t"/"f", MariaDB's tinyint "1"/"0"), and
//   ParsePostfixAdminFlag reads them all. NULL reads as "".
//
//   MariaDB is read through Debian's libmariadb (optional at configure
//   time, like libpq); its rows are streamed (mysql_use_result), so a
//   large site is not held twice.
// SEE ALSO
//   adopt_postfixadmin_db.h, adopt_postfixadmin.h
#include "adopt_postfixadmin_db.h"

#include <sqlite3.h>

#include <functional>
#include <memory>

#include "store.h"

#ifdef RCPTDB_WITH_PGSQL
#include <libpq-fe.h>
#endif
#ifdef RCPTDB_WITH_MARIADB
#include <mysql.h>
#endif

namespace rcptdb::admin {
namespace {

// uri fit for a message: the user and password of any URI are left out
// (RedactSpec knows only PostgreSQL's forms).
std::string Redacted(std::string_view uri) {
  std::size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return RedactSpec(uri);
  std::size_t at = uri.find('@', scheme + 3);
  std::size_t slash = uri.find('/', scheme + 3);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at))
    return RedactSpec(uri);
  return std::string(uri.substr(0, scheme + 3)) + "..." + std::string(uri.substr(at));
}

// A row sink: the columns of one row, as text.
using RowFn = std::function<void(const std::vector<std::string>&)>;

struct Table {
  const char* name;
  const char* sql;
};
constexpr Table kDomain{"domain", "SELECT domain, transport, backupmx, active FROM domain"};
constexpr Table kMailbox{"mailbox", "SELECT username, password, quota, active, name FROM mailbox"};
constexpr Table kAlias{"alias", "SELECT address, goto, active FROM alias"};
constexpr Table kAliasDomain{"alias_domain",
                             "SELECT alias_domain, target_domain, active FROM alias_domain"};

// Reads all four tables through query into a site.
Result<PostfixAdminSite> ReadAll(const std::function<Status(const Table&, const RowFn&)>& query) {
  PostfixAdminSite site;
  auto col = [](const std::vector<std::string>& r, std::size_t i) {
    return i < r.size() ? r[i] : std::string();
  };
  Status s = query(kDomain, [&](const std::vector<std::string>& r) {
    site.domains.push_back({col(r, 0), col(r, 1), col(r, 2), col(r, 3)});
  });
  if (s.ok())
    s = query(kMailbox, [&](const std::vector<std::string>& r) {
      site.mailboxes.push_back({col(r, 0), col(r, 1), col(r, 2), col(r, 3), col(r, 4)});
    });
  if (s.ok())
    s = query(kAlias, [&](const std::vector<std::string>& r) {
      site.aliases.push_back({col(r, 0), col(r, 1), col(r, 2)});
    });
  if (s.ok())
    s = query(kAliasDomain, [&](const std::vector<std::string>& r) {
      site.alias_domains.push_back({col(r, 0), col(r, 1), col(r, 2)});
    });
  if (!s.ok()) return s;
  return site;
}

Result<PostfixAdminSite> ReadSqlite(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> closer(db, sqlite3_close);
  if (rc != SQLITE_OK)
    return Status::Invalid("sqlite " + path + ": " + (db ? sqlite3_errmsg(db) : "cannot open"));
  sqlite3_busy_timeout(db, 10000);
  return ReadAll([&](const Table& t, const RowFn& row) -> Status {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, t.sql, -1, &st, nullptr) != SQLITE_OK)
      return Status::Invalid("sqlite " + path + ": table " + t.name + ": " + sqlite3_errmsg(db));
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> fin(st, sqlite3_finalize);
    std::vector<std::string> cols;
    int n = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      cols.assign(static_cast<std::size_t>(n), std::string());
      for (int i = 0; i < n; ++i)
        if (const unsigned char* v = sqlite3_column_text(st, i))
          cols[static_cast<std::size_t>(i)].assign(
              reinterpret_cast<const char*>(v),
              static_cast<std::size_t>(sqlite3_column_bytes(st, i)));
      row(cols);
    }
    if (rc != SQLITE_DONE)
      return Status::Temporary("sqlite " + path + ": table " + t.name + ": " + sqlite3_errmsg(db));
    return Status::Ok();
  });
}

#ifdef RCPTDB_WITH_PGSQL
Result<PostfixAdminSite> ReadPgsql(const std::string& uri) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(uri.c_str()), PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return Status::Temporary(Status::Cause::kUnreachable,
                             "postgresql: " + std::string(PQerrorMessage(conn.get())));
  return ReadAll([&](const Table& t, const RowFn& row) -> Status {
    std::unique_ptr<PGresult, void (*)(PGresult*)> res(PQexec(conn.get(), t.sql), PQclear);
    if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
      std::string why = PQresultErrorMessage(res.get());
      while (!why.empty() && why.back() == '\n') why.pop_back();
      return Status::Invalid("postgresql: table " + std::string(t.name) + ": " + why);
    }
    std::vector<std::string> cols;
    int n = PQnfields(res.get());
    for (int r = 0; r < PQntuples(res.get()); ++r) {
      cols.assign(static_cast<std::size_t>(n), std::string());
      for (int i = 0; i < n; ++i)
        cols[static_cast<std::size_t>(i)].assign(
            PQgetvalue(res.get(), r, i), static_cast<std::size_t>(PQgetlength(res.get(), r, i)));
      row(cols);
    }
    return Status::Ok();
  });
}
#endif

#ifdef RCPTDB_WITH_MARIADB
Result<PostfixAdminSite> ReadMariadb(std::string_view uri) {
  Result<MysqlLocation> loc = ParseMysqlUri(uri);
  if (!loc.ok()) return Status::Invalid(Redacted(uri) + ": " + loc.status().message());
  std::unique_ptr<MYSQL, void (*)(MYSQL*)> db(mysql_init(nullptr), mysql_close);
  if (!db) return Status::Io("mariadb: out of memory");
  auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
  if (mysql_real_connect(db.get(), opt(loc->host), opt(loc->user), opt(loc->password),
                         loc->database.c_str(), loc->port, opt(loc->socket), 0) == nullptr)
    return Status::Temporary(Status::Cause::kUnreachable,
                             "mariadb: " + std::string(mysql_error(db.get())));
  mysql_set_character_set(db.get(), "utf8mb4");
  Result<PostfixAdminSite> site = ReadAll([&](const Table& t, const RowFn& row) -> Status {
    if (mysql_query(db.get(), t.sql) != 0)
      return Status::Invalid("mariadb: table " + std::string(t.name) + ": " +
                             mysql_error(db.get()));
    std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> res(mysql_use_result(db.get()),
                                                         mysql_free_result);
    if (!res) return Status::Temporary("mariadb: " + std::string(mysql_error(db.get())));
    unsigned n = mysql_num_fields(res.get());
    std::vector<std::string> cols;
    while (MYSQL_ROW r = mysql_fetch_row(res.get())) {
      unsigned long* len = mysql_fetch_lengths(res.get());
      cols.assign(n, std::string());
      for (unsigned i = 0; i < n; ++i)
        if (r[i] != nullptr) cols[i].assign(r[i], len[i]);
      row(cols);
    }
    if (mysql_errno(db.get()) != 0)
      return Status::Temporary("mariadb: " + std::string(mysql_error(db.get())));
    return Status::Ok();
  });
  if (site.ok()) site->keys_fold_case = true;
  return site;
}
#endif

}  // namespace

Result<PostfixAdminSite> ReadPostfixAdmin(std::string_view uri) {
  if (uri.starts_with("sqlite://")) return ReadSqlite(std::string(uri.substr(9)));
  if (uri.starts_with("/")) return ReadSqlite(std::string(uri));
  if (uri.starts_with("postgresql://") || uri.starts_with("postgres://")) {
#ifdef RCPTDB_WITH_PGSQL
    return ReadPgsql(std::string(uri));
#else
    return Status::Invalid("built without PostgreSQL (libpq): cannot read " + Redacted(uri));
#endif
  }
  if (uri.starts_with("mysql://") || uri.starts_with("mariadb://")) {
#ifdef RCPTDB_WITH_MARIADB
    return ReadMariadb(uri);
#else
    return Status::Invalid("built without MariaDB (libmariadb): cannot read " + Redacted(uri));
#endif
  }
  return Status::Invalid(Redacted(uri) +
                         ": not a database URI (sqlite:///PATH, postgresql://..., mysql://...)");
}

}  // namespace rcptdb::admin
