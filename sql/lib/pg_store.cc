// SPDX-License-Identifier: MIT
// NAME
//   pg_store - the recipient database in PostgreSQL
// DESCRIPTION
//   Every SQL statement of the PostgreSQL backend is in this file, as a
//   constant prepared once per connection and run with parameters. The
//   statements return the same rows as SqliteStore's; PgError() is the one
//   place that reads libpq's errors and SQLSTATEs and turns them into a
//   Status and its Cause.
// SEE ALSO
//   pg_store.h, store.h, sql/schema-pgsql.sql, libpq (PostgreSQL manual)
#include "pg_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iterator>

namespace rcptdb {
namespace {

const char kSchemaPgsql[] =
#include "schema_pgsql_sql.inc"
    ;
const char kMigratePgsql3[] =
#include "migrate_pgsql_3_sql.inc"
    ;
const char kMigratePgsql4[] =
#include "migrate_pgsql_4_sql.inc"
    ;

// The name of slot's prepared statement on a connection.
std::string StatementName(int slot) { return "rcptdb_" + std::to_string(slot); }

// Returns the first line of a libpq message, without its "ERROR:  " tag.
std::string FirstLine(const char* msg) {
  std::string s = msg ? msg : "";
  if (s.starts_with("ERROR:  ")) s.erase(0, 8);
  std::size_t nl = s.find('\n');
  if (nl != std::string::npos) s.erase(nl);
  return s.empty() ? "unknown error" : s;
}

// The cause of a SQLSTATE that is database trouble (not a refused write).
Status::Cause TroubleCause(std::string_view state) {
  using C = Status::Cause;
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03")
    return C::kUnreachable;
  if (state == "57014") return C::kTimeout;
  if (state == "40001" || state == "40P01" || state == "55P03") return C::kLocked;
  if (state.starts_with("28") || state == "42501" || state == "25006") return C::kAccess;
  if (state == "3D000") return C::kMissing;
  if (state == "42P01" || state == "42703" || state == "42883") return C::kWrongVersion;
  if (state.starts_with("53") || state.starts_with("58")) return C::kIo;
  if (state == "XX001" || state == "XX002") return C::kCorrupt;
  return C::kOther;
}

}  // namespace

// Rows - a query's result, cleared when it goes out of scope.
class PgStore::Rows {
 public:
  explicit Rows(PGresult* res) : res_(res, &PQclear) {}
  int size() const { return PQntuples(res_.get()); }
  std::string Text(int row, int col) const {
    return std::string(PQgetvalue(res_.get(), row, col),
                       static_cast<std::size_t>(PQgetlength(res_.get(), row, col)));
  }
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::int64_t Int(int row, int col) const {
    return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
  }
  long Changes() const { return std::strtol(PQcmdTuples(res_.get()), nullptr, 10); }
  PGresult* get() const { return res_.get(); }

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_;
};

namespace {

// Connects within timeout_ms, polling libpq's non-blocking connect: the
// URI's own connect_timeout counts whole seconds (at least 2) per host.
// Keywords before "dbname" are defaults the URI may override.
Result<PGconn*> Connect(const std::string& spec, int timeout_ms) {
  std::string user_timeout = std::to_string(timeout_ms);
  // Keepalives find a server that vanished while the connection idles
  // (a reader holds one for hours): within 30 + 3 * 10 s instead of the
  // kernel's two hours. tcp_user_timeout bounds unacknowledged writes.
  const char* keys[] = {"application_name",    "tcp_user_timeout", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "dbname",     nullptr};
  const char* values[] = {"rcptdb", user_timeout.c_str(), "1",    "30", "10",
                          "3",      spec.c_str(),         nullptr};
  PGconn* conn = PQconnectStartParams(keys, values, 1);
  std::string name = RedactSpec(spec);
  if (conn == nullptr) return Status::Io("cannot connect to database " + name + ": out of memory");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  while (PQstatus(conn) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p{PQsocket(conn), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) == 0) {
      PQfinish(conn);
      return Status::Temporary(Status::Cause::kUnreachable, "cannot connect to database " + name +
                                                                ": no answer within " +
                                                                std::to_string(timeout_ms) + " ms");
    }
    st = PQconnectPoll(conn);
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    Status::Cause cause = msg.find("authentication") != std::string::npos ||
                                  msg.find("permission denied") != std::string::npos
                              ? Status::Cause::kAccess
                          : msg.find("does not exist") != std::string::npos
                              ? Status::Cause::kMissing
                              : Status::Cause::kUnreachable;
    return Status::Temporary(cause, "cannot connect to database " + name + ": " + msg);
  }
  return conn;
}

}  // namespace

PgStore::PgStore(const std::string& spec, PGconn* conn, bool read_only)
    : Store(spec, RedactSpec(spec), read_only ? Mode::kReadOnly : Mode::kReadWrite),
      conn_(conn),
      read_only_(read_only) {}

PgStore::~PgStore() { PQfinish(conn_); }

Status PgStore::ResultError(PGresult* res, const char* what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = FirstLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_BAD) broken_ = true;
  std::string_view sqlstate = state ? state : (broken_ ? "08006" : "");
  if (sqlstate.starts_with("08")) broken_ = true;
  // Refused writes: the same codes and wording as SqliteStore's.
  if (sqlstate == "23505") return ExistsAlready();
  if (sqlstate == "23503")
    return Status::Invalid("refers to a domain that does not exist, or is still referenced");
  if (sqlstate == "23514") {
    const char* c = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    return Status::Invalid("CHECK constraint failed: " + (c ? std::string(c) : msg));
  }
  if (sqlstate.starts_with("23") || sqlstate.starts_with("22") || sqlstate == "P0001")
    return Status::Invalid(msg);
  return Status::Temporary(TroubleCause(sqlstate), "database " + name() + ": " + what + ": " + msg);
}

Status PgStore::Prepare(int slot, const char* sql, int params, const char* what) {
  if (prepared_.size() <= static_cast<std::size_t>(slot)) prepared_.resize(slot + 1);
  if (prepared_[slot]) return Status::Ok();
  PGresult* prep = PQprepare(conn_, StatementName(slot).c_str(), sql, params, nullptr);
  Rows owned(prep);
  if (prep == nullptr || PQresultStatus(prep) != PGRES_COMMAND_OK) return ResultError(prep, what);
  prepared_[slot] = true;
  return Status::Ok();
}

Result<PgStore::Rows> PgStore::Run(int slot, const char* sql, const std::vector<Param>& params,
                                   const char* what) {
  if (broken_)
    return Status::Temporary(Status::Cause::kUnreachable,
                             "database " + name() + ": connection lost");
  Status prepared = Prepare(slot, sql, static_cast<int>(params.size()), what);
  if (!prepared.ok()) return prepared;
  std::string stmt = StatementName(slot);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* res = PQexecPrepared(conn_, stmt.c_str(), static_cast<int>(values.size()),
                                 values.data(), nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return Rows(res);
  Rows owned(res);
  return ResultError(res, what);
}

// A schema or migration script: a constant of several statements, which
// only the simple query protocol runs (it takes no parameters).
Status PgStore::ExecScript(const char* sql) {
  PGresult* res = PQexec(conn_, sql);
  Rows owned(res);
  if (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK) return Status::Ok();
  return ResultError(res, "changing the schema");
}

// Slots for prepared statements; one per SQL text.
enum PgSlot {
  kPgConfigure = 0,
  kPgHasVersion,
  kPgVersion,
  kPgHasTables,
  kPgFindDomain,
  kPgFindMailbox,
  kPgFindAlias,
  kPgRelayRecipient,
  kPgSenderLogins,
  kPgAliasSourcesFor,
  kPgGetSetting,
  kPgDelimiterMailboxes,
  kPgListDomains,
  kPgEachMailbox,
  kPgListAliases,
  kPgListRelay,
  kPgListSenders,
  kPgInsertDomain,
  kPgUpdateDomain,
  kPgDeleteDomain,
  kPgInsertMailbox,
  kPgUpdateMailbox,
  kPgDeleteMailbox,
  kPgInsertAlias,
  kPgDeleteAliasOne,
  kPgDeleteAliasAll,
  kPgAliasActive,
  kPgInsertRelay,
  kPgDeleteRelay,
  kPgSetSender,
  kPgDeleteSender,
  kPgSetSetting,
  kPgBegin,
  kPgCommit,
  kPgRollback,
  kPgSavepoint,
  kPgRelease,
  kPgRollbackTo,
  kPgDataVersion,
  kPgStandby,
  kPgFindLocal,
  kPgAudited,
  kPgStandbyLag,
};

// The PostgreSQL setting that overrides kDefaultMaxStandbyLag (pg_store.h).
#define PG_MAX_LAG_SETTING "rcptdb.max_standby_lag"
// What a read snapshot reads as it begins (PgStore::Probe): the change
// counter; whether this is a standby; what a standby says of its replay
// (WAL received and not replayed; how long ago its last replayed commit
// was made) and of its WAL receiver (connected; status, hidden from a
// role without pg_read_all_stats; how long ago it last heard from its
// primary; wal_receiver_timeout); the server's clock; and the lag bound
// as set. On a primary the receiver's view is not read at all.
#define PG_PROBE                                                                            \
  "SELECT v, pg_is_in_recovery(), "                                                         \
  "COALESCE(pg_last_wal_receive_lsn() <> pg_last_wal_replay_lsn(), false), "                \
  "COALESCE((EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint, " \
  "-1), (EXTRACT(EPOCH FROM now()) * 1000)::bigint, w.pid IS NOT NULL, "                    \
  "COALESCE(w.status, ''), "                                                                \
  "COALESCE((EXTRACT(EPOCH FROM now() - w.last_msg_receipt_time) * 1000)::bigint, -1), "    \
  "CASE WHEN pg_is_in_recovery() THEN (EXTRACT(EPOCH FROM "                                 \
  "current_setting('wal_receiver_timeout')::interval) * 1000)::bigint ELSE 0 END, "         \
  "COALESCE(current_setting('" PG_MAX_LAG_SETTING                                           \
  "', true), '') "                                                                          \
  "FROM rcptdb_version LEFT JOIN (SELECT pid, status, last_msg_receipt_time "               \
  "FROM pg_stat_wal_receiver WHERE pg_is_in_recovery()) w ON true"
#define PG_BEGIN "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define PG_BEGIN_READ PG_BEGIN "; " PG_PROBE
// FindLocal's statement: one row with the mailbox's columns, or one per
// alias row (or one of NULLs): the aliases are joined only where no
// mailbox matched.
#define PG_FIND_LOCAL                                                  \
  "SELECT m.address, m.active, m.password, m.quota, m.transport, "     \
  "a.target, a.active FROM (SELECT $1::text AS address) q "            \
  "LEFT JOIN mailboxes m ON m.address = q.address "                    \
  "LEFT JOIN aliases a ON m.address IS NULL AND a.source = q.address " \
  "ORDER BY a.target"
#define PG_FIND_LOCAL_WHAT "looking up mailbox or alias"
#define PG_BEGIN_WHAT "beginning a read snapshot"

Status PgStore::Configure(int busy_timeout_ms) {
  Result<Rows> r =
      Run(kPgConfigure,
          "SELECT set_config('statement_timeout', $1, false), "
          "set_config('default_transaction_read_only', $2, false)",
          {std::to_string(busy_timeout_ms), read_only_ ? "on" : "off"}, "configuring the session");
  return r.status();
}

Result<std::unique_ptr<Store>> PgStore::Open(const std::string& spec, Mode mode,
                                             int busy_timeout_ms, bool allow_old_schema) {
  Result<PGconn*> conn = Connect(spec, busy_timeout_ms);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<PgStore> store(new PgStore(spec, *conn, mode == Mode::kReadOnly));
  Status s = store->Configure(busy_timeout_ms);
  if (!s.ok()) return s;
  s = CheckSchemaVersion(*store, allow_old_schema);
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> PgStore::Create(const std::string& spec) {
  Result<PGconn*> conn = Connect(spec, 10000);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<PgStore> store(new PgStore(spec, *conn, false));
  Status s = store->Configure(60000);
  if (!s.ok()) return s;
  Result<Rows> r = store->Run(kPgHasTables,
                              "SELECT to_regclass('rcptdb_version') IS NOT NULL "
                              "OR to_regclass('domains') IS NOT NULL",
                              {}, "looking for rcptdb's tables");
  if (!r.ok()) return r.status();
  if (r->Text(0, 0) == "t")
    return Status::Conflict("database " + store->name() + " holds rcptdb's tables already");
  s = store->Migrate();
  if (!s.ok()) return s;
  return std::unique_ptr<Store>(std::move(store));
}

Result<int> PgStore::SchemaVersion() {
  Result<Rows> has = Run(kPgHasVersion, "SELECT to_regclass('rcptdb_version') IS NOT NULL", {},
                         "reading schema version");
  if (!has.ok()) return has.status();
  if (has->Text(0, 0) != "t") return 0;
  Result<Rows> r =
      Run(kPgVersion, "SELECT schema_version FROM rcptdb_version", {}, "reading schema version");
  if (!r.ok()) return r.status();
  return r->size() == 0 ? 0 : static_cast<int>(r->Int(0, 0));
}

Status PgStore::Migrate() {
  // kMigrations[N] (sql/migrate-pgsql-N.sql) turns version N-1 into N.
  // PostgreSQL support began with schema version 2: an empty database
  // (version 0) gets sql/schema-pgsql.sql, the current version whole, and
  // there is no version 1.
  static const char* const kMigrations[] = {nullptr, nullptr, nullptr, kMigratePgsql3,
                                            kMigratePgsql4};
  static_assert(std::size(kMigrations) == kSchemaVersion + 1);
  Result<int> version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion || *version == 1)
    return Status::Invalid("database " + name() + " has schema version " +
                           std::to_string(*version) + ", which this build cannot migrate to " +
                           std::to_string(kSchemaVersion));
  while (*version < kSchemaVersion) {
    int from = *version;
    Transaction tx(*this);
    Status s = tx.Begin();
    if (s.ok()) s = ExecScript(from == 0 ? kSchemaPgsql : kMigrations[from + 1]);
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) return s;  // ~Transaction rolls back
    version = SchemaVersion();
    if (!version.ok()) return version.status();
    if (*version <= from)
      return Status::Temporary("database " + name() + ": migration from schema version " +
                               std::to_string(from) + " did not advance it");
  }
  return Status::Ok();
}

Result<bool> PgStore::StillCurrent() {
  // A lost connection is not an answer: the LiveStore connects afresh.
  if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
  Result<Rows> r =
      Run(kPgVersion, "SELECT schema_version FROM rcptdb_version", {}, "reading schema version");
  if (!r.ok()) return broken_ ? Result<bool>(false) : Result<bool>(r.status());
  int version = r->size() == 0 ? 0 : static_cast<int>(r->Int(0, 0));
  if (version != kSchemaVersion)
    return Status::Temporary(
        Status::Cause::kWrongVersion,
        "database " + name() + " has schema version " + std::to_string(version) +
            " since it was opened, this build knows " + std::to_string(kSchemaVersion));
  return true;
}

namespace {

PgStore::Param Text(std::string_view v) { return std::string(v); }
// Empty means NULL, as SqliteStore binds optional columns.
PgStore::Param Optional(std::string_view v) {
  return v.empty() ? std::nullopt : PgStore::Param(std::string(v));
}
PgStore::Param Flag(bool b) { return std::string(b ? "1" : "0"); }

}  // namespace

#define PG_DOMAIN_COLUMNS "name, kind, active, transport, target, catchall"
#define PG_MAILBOX_COLUMNS "address, active, password, quota, transport, description"

namespace {

template <typename Rows>
Domain RowToDomain(const Rows& r, int i) {
  Domain d;
  d.name = r.Text(i, 0);
  d.kind = ParseDomainKind(r.Text(i, 1)).value_or(DomainKind::kHosted);
  d.active = r.Int(i, 2) != 0;
  d.transport = r.Text(i, 3);
  d.target = r.Text(i, 4);
  d.catchall = r.Text(i, 5);
  return d;
}

// The row of PG_MAILBOX_COLUMNS; described: column 5 is the description
// (the resolver's FindLocal does not read it).
template <typename Rows>
Mailbox RowToMailbox(const Rows& r, int i, bool described = true) {
  Mailbox m;
  m.address = r.Text(i, 0);
  m.active = r.Int(i, 1) != 0;
  m.password = r.Text(i, 2);
  m.quota = r.Int(i, 3);
  m.transport = r.Text(i, 4);
  if (described) m.description = r.Text(i, 5);
  return m;
}

// The rows of (source|address, target|login, active|allow) queries.
template <typename T, typename Rows>
std::vector<T> RowsOfThree(const Rows& r) {
  std::vector<T> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2) != 0});
  return out;
}

template <typename Rows>
std::vector<std::string> FirstColumn(const Rows& r) {
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

}  // namespace

Result<std::optional<Domain>> PgStore::ReadDomain(std::string_view name) {
  Result<Rows> r = Run(kPgFindDomain, "SELECT " PG_DOMAIN_COLUMNS " FROM domains WHERE name = $1",
                       {Text(name)}, "looking up domain");
  if (!r.ok()) return r.status();
  if (r->size() == 0) return std::optional<Domain>();
  return std::optional<Domain>(RowToDomain(*r, 0));
}

Result<std::optional<Mailbox>> PgStore::FindMailbox(std::string_view address) {
  Result<Rows> r =
      Run(kPgFindMailbox, "SELECT " PG_MAILBOX_COLUMNS " FROM mailboxes WHERE address = $1",
          {Text(address)}, "looking up mailbox");
  if (!r.ok()) return r.status();
  if (r->size() == 0) return std::optional<Mailbox>();
  return std::optional<Mailbox>(RowToMailbox(*r, 0));
}

Result<std::vector<AliasTarget>> PgStore::FindAlias(std::string_view source) {
  Result<Rows> r = Run(kPgFindAlias,
                       "SELECT source, target, active FROM aliases WHERE source = $1 "
                       "ORDER BY target",
                       {Text(source)}, "looking up alias");
  if (!r.ok()) return r.status();
  return RowsOfThree<AliasTarget>(*r);
}

namespace {

// FindLocal's rows of address as its statement (PG_FIND_LOCAL) read them.
template <typename Rows>
LocalRows RowsToLocal(const Rows& r, std::string_view address) {
  LocalRows out;
  if (r.size() > 0 && !r.IsNull(0, 0)) {
    out.mailbox = RowToMailbox(r, 0, /*described=*/false);
    return out;
  }
  for (int i = 0; i < r.size(); ++i)
    if (!r.IsNull(i, 5))
      out.aliases.push_back({std::string(address), r.Text(i, 5), r.Int(i, 6) != 0});
  return out;
}

}  // namespace

Result<LocalRows> PgStore::FindLocal(std::string_view address) {
  if (prefetched_ && prefetched_->first == address) {
    LocalRows rows = std::move(prefetched_->second);
    prefetched_.reset();
    return rows;
  }
  Result<Rows> r = Run(kPgFindLocal, PG_FIND_LOCAL, {Text(address)}, PG_FIND_LOCAL_WHAT);
  if (!r.ok()) return r.status();
  return RowsToLocal(*r, address);
}

Result<bool> PgStore::IsRelayRecipient(std::string_view address) {
  Result<Rows> r = Run(kPgRelayRecipient, "SELECT 1 FROM relay_recipients WHERE address = $1",
                       {Text(address)}, "looking up relay recipient");
  if (!r.ok()) return r.status();
  return r->size() > 0;
}

Result<std::vector<SenderLogin>> PgStore::FindSenderLogins(std::string_view address) {
  Result<Rows> r = Run(kPgSenderLogins,
                       "SELECT address, login, allow FROM sender_logins WHERE address = $1 "
                       "ORDER BY login",
                       {Text(address)}, "looking up sender logins");
  if (!r.ok()) return r.status();
  return RowsOfThree<SenderLogin>(*r);
}

Result<std::vector<std::string>> PgStore::FindAliasSourcesFor(std::string_view target) {
  Result<Rows> r = Run(kPgAliasSourcesFor,
                       "SELECT source FROM aliases WHERE target = $1 AND active = 1 "
                       "ORDER BY source",
                       {Text(target)}, "looking up alias sources");
  if (!r.ok()) return r.status();
  return FirstColumn(*r);
}

Result<std::string> PgStore::ReadSetting(std::string_view name) {
  Result<Rows> r = Run(kPgGetSetting, "SELECT value FROM settings WHERE name = $1", {Text(name)},
                       "reading settings");
  if (!r.ok()) return r.status();
  return r->size() == 0 ? std::string() : r->Text(0, 0);
}

Result<std::vector<std::string>> PgStore::MailboxesWithDelimiter(std::string_view delimiters,
                                                                 int limit) {
  // The schema's own test (rcptdb_has_delimiter), so the two cannot differ.
  Result<Rows> r = Run(kPgDelimiterMailboxes,
                       "SELECT address FROM mailboxes WHERE rcptdb_has_delimiter(address, $1) "
                       "ORDER BY address LIMIT $2::integer",
                       {Text(delimiters), std::to_string(limit)}, "looking up mailbox names");
  if (!r.ok()) return r.status();
  return FirstColumn(*r);
}

Result<std::vector<Domain>> PgStore::ListDomains() {
  Result<Rows> r = Run(kPgListDomains, "SELECT " PG_DOMAIN_COLUMNS " FROM domains ORDER BY name",
                       {}, "listing domains");
  if (!r.ok()) return r.status();
  std::vector<Domain> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(RowToDomain(*r, i));
  return out;
}

Status PgStore::ForEachMailbox(std::string_view domain,
                               const std::function<bool(const Mailbox&)>& fn) {
  Result<Rows> r = Run(kPgEachMailbox,
                       "SELECT " PG_MAILBOX_COLUMNS
                       " FROM mailboxes WHERE $1::text IS NULL OR domain = $1::text "
                       "ORDER BY address",
                       {Optional(domain)}, "listing mailboxes");
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->size(); ++i)
    if (!fn(RowToMailbox(*r, i))) break;
  return Status::Ok();
}

Result<std::vector<AliasTarget>> PgStore::ListAliases(std::string_view domain) {
  Result<Rows> r = Run(kPgListAliases,
                       "SELECT source, target, active FROM aliases "
                       "WHERE $1::text IS NULL OR domain = $1::text ORDER BY source, target",
                       {Optional(domain)}, "listing aliases");
  if (!r.ok()) return r.status();
  return RowsOfThree<AliasTarget>(*r);
}

Result<std::vector<std::string>> PgStore::ListRelayRecipients(std::string_view domain) {
  Result<Rows> r = Run(kPgListRelay,
                       "SELECT address FROM relay_recipients "
                       "WHERE $1::text IS NULL OR domain = $1::text ORDER BY address",
                       {Optional(domain)}, "listing relay recipients");
  if (!r.ok()) return r.status();
  return FirstColumn(*r);
}

Result<std::vector<SenderLogin>> PgStore::ListSenderLogins() {
  Result<Rows> r =
      Run(kPgListSenders, "SELECT address, login, allow FROM sender_logins ORDER BY address, login",
          {}, "listing sender logins");
  if (!r.ok()) return r.status();
  return RowsOfThree<SenderLogin>(*r);
}

Status PgStore::Control(int slot, const char* sql) {
  Result<Rows> r = Run(slot, sql, {}, sql);
  return r.status();
}

// Inside a transaction a failed statement would abort the whole of it in
// PostgreSQL; a savepoint undoes only the refused write, as on SQLite.
Status PgStore::RunWrite(int slot, const char* sql, const std::vector<Param>& params,
                         long* changes) {
  if (read_only_) return Status::Invalid("database " + name() + " is open read-only");
  bool nested = PQtransactionStatus(conn_) == PQTRANS_INTRANS;
  if (nested) {
    Status s = Control(kPgSavepoint, "SAVEPOINT rcptdb_write");
    if (!s.ok()) return s;
  }
  Result<Rows> r = Run(slot, sql, params, "writing");
  if (nested) {
    Status undo = r.ok() ? Control(kPgRelease, "RELEASE SAVEPOINT rcptdb_write")
                         : Control(kPgRollbackTo, "ROLLBACK TO SAVEPOINT rcptdb_write");
    if (r.ok() && !undo.ok()) return undo;
  }
  if (!r.ok()) return r.status();
  if (changes) *changes = r->Changes();
  return Status::Ok();
}

Result<std::vector<Store::SqlRow>> PgStore::QueryShared(int slot, SqlText sql,
                                                        const std::vector<SqlParam>& params,
                                                        const char* what) {
  Result<Rows> r = Run(slot, sql.pgsql ? sql.pgsql : sql.sqlite, params, what);
  if (!r.ok()) return r.status();
  std::vector<SqlRow> out;
  int columns = PQnfields(r->get());
  for (int i = 0; i < r->size(); ++i) {
    SqlRow row;
    for (int c = 0; c < columns; ++c)
      row.push_back(r->IsNull(i, c) ? std::nullopt : std::optional<std::string>(r->Text(i, c)));
    out.push_back(std::move(row));
  }
  return out;
}

Result<long> PgStore::WriteShared(int slot, SqlText sql, const std::vector<SqlParam>& params) {
  long changes = 0;
  Status s = RunWrite(slot, sql.pgsql ? sql.pgsql : sql.sqlite, params, &changes);
  if (!s.ok()) return s;
  return changes;
}

Status PgStore::InsertDomain(const Domain& d) {
  return RunWrite(kPgInsertDomain,
                  "INSERT INTO domains (name, kind, active, transport, target, catchall) "
                  "VALUES ($1, $2, $6::integer, $3, $4, $5)",
                  {Text(d.name), Text(DomainKindName(d.kind)), Optional(d.transport),
                   Optional(d.target), Optional(d.catchall), Flag(d.active)});
}

Status PgStore::UpdateDomain(const Domain& d) {
  long changes = 0;
  Status s = RunWrite(kPgUpdateDomain,
                      "UPDATE domains SET kind = $2, transport = $3, target = $4, catchall = $5, "
                      "active = $6::integer WHERE name = $1",
                      {Text(d.name), Text(DomainKindName(d.kind)), Optional(d.transport),
                       Optional(d.target), Optional(d.catchall), Flag(d.active)},
                      &changes);
  return RequireChange(std::move(s), changes, RowKind::kDomain);
}

Status PgStore::DeleteDomain(std::string_view name) {
  long changes = 0;
  Status s =
      RunWrite(kPgDeleteDomain, "DELETE FROM domains WHERE name = $1", {Text(name)}, &changes);
  return DomainDeleted(std::move(s), changes);
}

Status PgStore::InsertMailbox(const Mailbox& m) {
  return RunWrite(kPgInsertMailbox,
                  "INSERT INTO mailboxes (address, password, transport, active, quota, "
                  "description) VALUES ($1, $2, $3, $4::integer, $5::bigint, $6)",
                  {Text(m.address), Optional(m.password), Optional(m.transport), Flag(m.active),
                   std::to_string(m.quota), Text(m.description)});
}

Status PgStore::UpdateMailbox(const Mailbox& m) {
  long changes = 0;
  Status s = RunWrite(kPgUpdateMailbox,
                      "UPDATE mailboxes SET password = $2, transport = $3, active = $4::integer, "
                      "quota = $5::bigint, description = $6 WHERE address = $1",
                      {Text(m.address), Optional(m.password), Optional(m.transport), Flag(m.active),
                       std::to_string(m.quota), Text(m.description)},
                      &changes);
  return RequireChange(std::move(s), changes, RowKind::kMailbox);
}

Status PgStore::DeleteMailbox(std::string_view address) {
  long changes = 0;
  Status s = RunWrite(kPgDeleteMailbox, "DELETE FROM mailboxes WHERE address = $1", {Text(address)},
                      &changes);
  return RequireChange(std::move(s), changes, RowKind::kMailbox);
}

Status PgStore::InsertAlias(std::string_view source, std::string_view target) {
  return RunWrite(kPgInsertAlias, "INSERT INTO aliases (source, target) VALUES ($1, $2)",
                  {Text(source), Text(target)});
}

Status PgStore::DeleteAlias(std::string_view source, std::string_view target) {
  long changes = 0;
  Status s = target.empty() ? RunWrite(kPgDeleteAliasAll, "DELETE FROM aliases WHERE source = $1",
                                       {Text(source)}, &changes)
                            : RunWrite(kPgDeleteAliasOne,
                                       "DELETE FROM aliases WHERE source = $1 AND target = $2",
                                       {Text(source), Text(target)}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kAlias);
}

Status PgStore::SetAliasActive(std::string_view source, bool active) {
  long changes = 0;
  Status s = RunWrite(kPgAliasActive, "UPDATE aliases SET active = $2::integer WHERE source = $1",
                      {Text(source), Flag(active)}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kAlias);
}

Status PgStore::InsertRelayRecipient(std::string_view address) {
  return RunWrite(kPgInsertRelay, "INSERT INTO relay_recipients (address) VALUES ($1)",
                  {Text(address)});
}

Status PgStore::DeleteRelayRecipient(std::string_view address) {
  long changes = 0;
  Status s = RunWrite(kPgDeleteRelay, "DELETE FROM relay_recipients WHERE address = $1",
                      {Text(address)}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kRelayRecipient);
}

Status PgStore::SetSenderLogin(const SenderLogin& s) {
  return RunWrite(kPgSetSender,
                  "INSERT INTO sender_logins (address, login, allow) VALUES ($1, $2, $3::integer) "
                  "ON CONFLICT (address, login) DO UPDATE SET allow = excluded.allow",
                  {Text(s.address), Text(s.login), Flag(s.allow)});
}

Status PgStore::DeleteSenderLogin(std::string_view address, std::string_view login) {
  long changes = 0;
  Status s =
      RunWrite(kPgDeleteSender, "DELETE FROM sender_logins WHERE address = $1 AND login = $2",
               {Text(address), Text(login)}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kSenderLogin);
}

Status PgStore::SetSetting(std::string_view name, std::string_view value) {
  // An empty delimiter set is a real value ("no details"), not NULL.
  return RunWrite(kPgSetSetting,
                  "INSERT INTO settings (name, value) VALUES ($1, $2) "
                  "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                  {Text(name), Text(value)});
}

Status PgStore::Begin() {
  ForgetSnapshot();
  Status s = Control(kPgBegin, "BEGIN ISOLATION LEVEL SERIALIZABLE");
  // rcptdb's writes audit themselves (sql/provision): the schema's
  // plain-SQL audit trigger is told so, for this transaction only.
  if (s.ok()) s = Control(kPgAudited, "SELECT set_config('rcptdb.audited', 'on', true)");
  return s;
}
void PgStore::ForgetSnapshot() {
  probe_.reset();
  prefetched_.reset();
}
Status PgStore::BeginSnapshot() { return BeginSnapshotWith(false); }
Status PgStore::RenewSnapshot() { return BeginSnapshotWith(true); }

Status PgStore::BeginSnapshotWith(bool renew) {
  ForgetSnapshot();
  if (broken_)
    return Status::Temporary(Status::Cause::kUnreachable,
                             "database " + name() + ": connection lost");
  std::optional<Rows> rows;
  std::optional<Rows> local;
  Status s;
  if (expected_lookup().empty()) {
    // The simple query protocol runs several statements in one round
    // trip; the text is a constant, without data.
    PGresult* res = PQexec(conn_, renew ? "COMMIT; " PG_BEGIN_READ : PG_BEGIN_READ);
    rows.emplace(res);
    if (res == nullptr || PQresultStatus(res) != PGRES_TUPLES_OK)
      s = ResultError(res, PG_BEGIN_WHAT);
  } else {
    s = SnapshotAndLookup(renew, expected_lookup(), rows, local);
  }
  if (s.ok()) {
    Result<Probe> probe = ReadProbe(*rows);
    if (probe.ok()) s = CheckStandbyLag(*probe);
    if (probe.ok() && s.ok()) probe_ = std::move(*probe);
    if (!probe.ok()) s = probe.status();
  }
  if (s.ok() && local)
    prefetched_.emplace(expected_lookup(), RowsToLocal(*local, expected_lookup()));
  // A snapshot that failed to begin is not left open for the caller.
  if (!s.ok() && !broken_ && InTransaction()) Control(kPgRollback, "ROLLBACK");
  return s;
}

// Prepared statements take a round trip each, unless they are pipelined:
// sent together and answered together, up to one sync.
Status PgStore::SnapshotAndLookup(bool renew, const std::string& address,
                                  std::optional<Rows>& probe, std::optional<Rows>& local) {
  Status s = Prepare(kPgDataVersion, PG_PROBE, 0, "reading the data version");
  if (s.ok()) s = Prepare(kPgFindLocal, PG_FIND_LOCAL, 1, PG_FIND_LOCAL_WHAT);
  if (!s.ok()) return s;
  if (PQenterPipelineMode(conn_) != 1) return ResultError(nullptr, PG_BEGIN_WHAT);
  std::string probe_stmt = StatementName(kPgDataVersion);
  std::string local_stmt = StatementName(kPgFindLocal);
  const char* value = address.c_str();
  bool sent =
      (!renew || PQsendQueryParams(conn_, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0)) &&
      PQsendQueryParams(conn_, PG_BEGIN, 0, nullptr, nullptr, nullptr, nullptr, 0) &&
      PQsendQueryPrepared(conn_, probe_stmt.c_str(), 0, nullptr, nullptr, nullptr, 0) &&
      PQsendQueryPrepared(conn_, local_stmt.c_str(), 1, &value, nullptr, nullptr, 0) &&
      PQpipelineSync(conn_);
  if (!sent) s = ResultError(nullptr, PG_BEGIN_WHAT);
  // Every result up to the sync, also after a failure (the statements
  // after it come back aborted), so that pipeline mode can end.
  int steps = renew ? 4 : 3;
  for (int i = 0; sent && i <= steps; ++i) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      // Only a lost connection ends the results before the sync.
      if (s.ok()) s = ResultError(nullptr, PG_BEGIN_WHAT);
      break;
    }
    ExecStatusType st = PQresultStatus(res);
    if (i == steps) {  // the sync
      PQclear(res);
      break;
    }
    bool done = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (done && i == steps - 2) {
      probe.emplace(res);
    } else if (done && i == steps - 1) {
      local.emplace(res);
    } else {
      if (!done && s.ok())
        s = ResultError(res, i == steps - 1 ? PG_FIND_LOCAL_WHAT : PG_BEGIN_WHAT);
      PQclear(res);
    }
    // Each statement's results end with a null.
    while ((res = PQgetResult(conn_)) != nullptr) PQclear(res);
  }
  if (PQexitPipelineMode(conn_) != 1) {
    broken_ = true;
    if (s.ok()) s = ResultError(nullptr, PG_BEGIN_WHAT);
  }
  return s;
}

Result<PgStore::Probe> PgStore::ReadProbe(const Rows& r) {
  if (r.size() == 0)
    return Status::Temporary(Status::Cause::kWrongVersion,
                             "database " + name() + ": rcptdb_version has no row");
  Probe p;
  p.version = static_cast<std::uint64_t>(r.Int(0, 0));
  p.standby = r.Text(0, 1) == "t";
  p.state.replay_pending = r.Text(0, 2) == "t";
  p.state.replay_age_ms = r.Int(0, 3);
  p.now_ms = r.Int(0, 4);
  p.state.receiver = r.Text(0, 5) == "t";
  p.state.receiver_status = r.Text(0, 6);
  p.state.receipt_age_ms = r.Int(0, 7);
  p.state.receiver_timeout_ms = r.Int(0, 8);
  p.lag_setting = r.Text(0, 9);
  return p;
}

bool PgStore::InTransaction() const {
  PGTransactionStatusType t = PQtransactionStatus(conn_);
  return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}
Status PgStore::CommitTransaction() {
  ForgetSnapshot();
  return Control(kPgCommit, "COMMIT");
}
void PgStore::RollbackTransaction() {
  ForgetSnapshot();
  if (!broken_) Control(kPgRollback, "ROLLBACK");
}

Result<PgStore::Probe> PgStore::CurrentProbe() {
  if (probe_) return *probe_;
  Result<Rows> r = Run(kPgDataVersion, PG_PROBE, {}, "reading the data version");
  if (!r.ok()) return r.status();
  return ReadProbe(*r);
}

Result<std::uint64_t> PgStore::DataVersion() {
  Result<Probe> probe = CurrentProbe();
  if (!probe.ok()) return probe.status();
  return probe->version;
}

Status PgStore::BackupTo(const std::string& dest_path) {
  (void)dest_path;
  return Status::Invalid("database " + name() +
                         ": rcptdb backup copies SQLite files only; back up PostgreSQL with "
                         "pg_dump, or copy the data with rcptdb export");
}

Result<std::int64_t> PgStore::LagBound(const std::string& setting) {
  if (parsed_bound_ && parsed_bound_->first == setting) return parsed_bound_->second;
  Result<Rows> r = Run(kPgStandby, "SELECT (EXTRACT(EPOCH FROM $1::interval) * 1000)::bigint",
                       {Text(setting)}, "reading " PG_MAX_LAG_SETTING);
  // A setting that is not an interval is the admin's to fix; until then
  // the reader defers like on any other database trouble.
  if (!r.ok() && r.status().code() != Status::Code::kTemporary)
    return Status::Temporary(
        Status::Cause::kOther,
        "database " + name() + ": " PG_MAX_LAG_SETTING ": " + r.status().message());
  if (!r.ok()) return r.status();
  parsed_bound_.emplace(setting, r->Int(0, 0));
  return parsed_bound_->second;
}

Status PgStore::CheckStandbyLag(const Probe& probe) {
  // A bound that is not an interval is refused on every host, so that it
  // is found before a failover makes it matter.
  std::int64_t bound_ms = kDefaultMaxStandbyLag.count();
  if (!probe.lag_setting.empty()) {
    Result<std::int64_t> set = LagBound(probe.lag_setting);
    if (!set.ok()) return set.status();
    bound_ms = *set;
  }
  if (!probe.standby) return Status::Ok();
  // The server this connection reached (a multi-host URI may reach any).
  std::string server =
      std::string(PQhost(conn_) ? PQhost(conn_) : "") + ":" + (PQport(conn_) ? PQport(conn_) : "");
  StandbyContacts& contacts = StandbyContacts::Process();
  StandbyVerdict v = JudgeStandby(probe.state, probe.now_ms, contacts.Recall(server), bound_ms);
  if (v.contact_at_ms) contacts.Remember(server, *v.contact_at_ms);
  if (v.status.ok()) return v.status;
  return Status::Temporary(v.status.cause(), "database " + name() + ": " + v.status.message());
}

Result<std::optional<std::chrono::milliseconds>> PgStore::StandbyLag() {
  Result<Rows> r =
      Run(kPgStandbyLag,
          "SELECT pg_is_in_recovery(), CASE WHEN COALESCE(pg_last_wal_receive_lsn() <> "
          "pg_last_wal_replay_lsn(), false) THEN COALESCE((EXTRACT(EPOCH FROM now() - "
          "pg_last_xact_replay_timestamp()) * 1000)::bigint, 0) ELSE 0 END",
          {}, "reading the standby's replay lag");
  if (!r.ok()) return r.status();
  if (r->size() == 0 || r->Text(0, 0) != "t") return std::optional<std::chrono::milliseconds>();
  return std::optional<std::chrono::milliseconds>(std::max<std::int64_t>(0, r->Int(0, 1)));
}

}  // namespace rcptdb
