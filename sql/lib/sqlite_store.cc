// SPDX-License-Identifier: MIT
// NAME
//   sqlite_store - the recipient database in one SQLite file
// DESCRIPTION
//   Every SQL statement of rcptdb is in this file, prepared once per
//   connection and bound with parameters. Reads return Temporary on any
//   SQLite trouble so that callers defer rather than bounce; writes map
//   constraint violations to Invalid or Conflict with SQLite's message,
//   which names the constraint (see sql/schema.sql).
// SEE ALSO
//   sqlite_store.h, store.h, sql/schema.sql, sqlite3(1)
#include "sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>

namespace rcptdb {
namespace {

const char kSchemaSql[] =
#include "schema_sql.inc"
    ;
const char kMigrate2Sql[] =
#include "migrate_2_sql.inc"
    ;
const char kMigrate3Sql[] =
#include "migrate_3_sql.inc"
    ;
const char kMigrate4Sql[] =
#include "migrate_4_sql.inc"
    ;

}  // namespace

Status SqliteStore::CheckPath(std::string_view path) {
  // SQLite reads ":memory:" and "" as private temporary databases, and
  // "file:..." as a URI where URIs are enabled: none of them is a file
  // that rcptdb and its readers could share.
  if (path.empty() || path == ":memory:" || path.starts_with("file:"))
    return Status::Invalid("database \"" + std::string(path) +
                           "\": not a path of a database file (in-memory databases and "
                           "file: URIs are refused)");
  if (path.find('\0') != std::string_view::npos)
    return Status::Invalid("database path contains a NUL byte");
  return Status::Ok();
}

namespace {

// Creates path, which must not exist, with kDatabaseFileMode whatever the
// umask: SQLite would create it 0644 and the password hashes are inside.
Status CreatePrivateFile(const std::string& path, const char* what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, kDatabaseFileMode);
  if (fd < 0)
    return Status::Temporary("cannot create " + std::string(what) + " " + path + ": " +
                             std::strerror(errno));
  int rc = ::fchmod(fd, kDatabaseFileMode);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    ::unlink(path.c_str());
    return Status::Io("cannot set the mode of " + path + ": " + std::strerror(err), err == EPERM);
  }
  return Status::Ok();
}

}  // namespace

namespace {

// Returns column col of the current row as text; NULL becomes "".
std::string ColumnText(sqlite3_stmt* stmt, int col) {
  const unsigned char* p = sqlite3_column_text(stmt, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(stmt, col)))
           : std::string();
}

}  // namespace

// Statement - a prepared statement, reset and unbound after each use.
// A statement whose prepare failed (database locked, file broken) holds no
// handle: every call is a no-op and Step() reports SQLITE_MISUSE, which the
// callers turn into a temporary failure; Prepare() tries again next time.
class SqliteStore::Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  bool valid() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() { return stmt_; }
  void Bind(int i, std::string_view v) {
    if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void BindOptional(int i, std::string_view v) {
    if (!stmt_) return;
    if (v.empty())
      sqlite3_bind_null(stmt_, i);
    else
      Bind(i, v);
  }
  void Bind(int i, std::int64_t v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
  }
  int Step() { return stmt_ ? sqlite3_step(stmt_) : SQLITE_MISUSE; }
  std::string Text(int col) { return ColumnText(stmt_, col); }
  std::int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  void Reset() {
    if (!stmt_) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3_stmt* stmt_;
};

namespace {

// Resets a statement when the scope ends, whatever path leaves it.
template <typename S>
struct ResetOnExit {
  S& s;
  ~ResetOnExit() { s.Reset(); }
};

}  // namespace

SqliteStore::SqliteStore(std::string path, sqlite3* db, bool read_only)
    : Store(path, path, read_only ? Mode::kReadOnly : Mode::kReadWrite),
      db_(db),
      read_only_(read_only) {}

SqliteStore::~SqliteStore() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

namespace {

// Returns the cause of SQLite's most recent failure on db (or of rc when
// there is no handle): the one place that reads SQLite's error codes.
// Extended codes first, then the primary code; the system errno tells a
// missing file from a forbidden one.
Status::Cause SqliteCause(sqlite3* db, int rc) {
  using C = Status::Cause;
  int ext = db ? sqlite3_extended_errcode(db) : rc;
  int err = db ? sqlite3_system_errno(db) : 0;
  switch (ext & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return C::kLocked;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return C::kCorrupt;
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_READONLY:
      return C::kAccess;
    case SQLITE_CANTOPEN:
      if (err == ENOENT || err == ENOTDIR) return C::kMissing;
      return err == EACCES || err == EPERM ? C::kAccess : C::kIo;
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return err == EACCES || err == EPERM ? C::kAccess : C::kIo;
    default:
      return C::kOther;
  }
}

}  // namespace

Status SqliteStore::Error(const char* what) const {
  return Status::Temporary(
      SqliteCause(db_, SQLITE_ERROR),
      std::string("database ") + path() + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status SqliteStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::Temporary(SqliteCause(db_, SQLITE_ERROR), "database " + path() + ": " + msg);
  }
  return Status::Ok();
}

namespace {

// SQLite's memory statistics take a global mutex on every allocation,
// shared by all threads; rcptdb reads none of them. This must run before
// SQLite is first used; if the host process (Dovecot) already did, the
// call fails harmlessly and the statistics stay on.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

Result<sqlite3*> OpenHandle(const std::string& path, int flags, int busy_timeout_ms) {
  ConfigureSqliteOnce();
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    Status::Cause cause = SqliteCause(db, rc);
    sqlite3_close_v2(db);
    return Status::Temporary(cause, "cannot open database " + path + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return db;
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path, Mode mode,
                                                 int busy_timeout_ms, bool allow_old_schema) {
  Status path_ok = CheckPath(path);
  if (!path_ok.ok()) return path_ok;
  // SQLite would create a missing file in read-write mode; a missing
  // database is trouble to report, not an empty one to invent.
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      return Status::Temporary(
          ec == std::errc::permission_denied ? Status::Cause::kAccess : Status::Cause::kIo,
          "cannot open database " + path + ": " + ec.message());
    return Status::Temporary(Status::Cause::kMissing,
                             "cannot open database " + path + ": no such file");
  }
  bool ro = mode == Mode::kReadOnly;
  Result<sqlite3*> db =
      OpenHandle(path, ro ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE, busy_timeout_ms);
  if (!db.ok()) return db.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, *db, ro));
  Status s = store->Exec(
      ro ? "PRAGMA foreign_keys = ON; PRAGMA query_only = ON; PRAGMA cache_size = -16384;"
         : "PRAGMA foreign_keys = ON;");
  if (!s.ok()) return s;
  s = CheckSchemaVersion(*store, allow_old_schema);
  if (!s.ok()) return s;
  // The file opened, for StillCurrent: a file renamed over the path later
  // (a restored backup) is another database.
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    store->dev_ = st.st_dev;
    store->ino_ = st.st_ino;
  }
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> SqliteStore::Create(const std::string& path) {
  Status path_ok = CheckPath(path);
  if (!path_ok.ok()) return path_ok;
  std::error_code ec;
  if (std::filesystem::exists(path, ec))
    return Status::Conflict("database " + path + " exists already");
  Status created = CreatePrivateFile(path, "database");
  if (!created.ok()) return created;
  Result<sqlite3*> db = OpenHandle(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 2000);
  if (!db.ok()) {
    std::filesystem::remove(path, ec);
    return db.status();
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, *db, false));
  Status s = store->Exec("PRAGMA foreign_keys = ON;");
  if (s.ok()) s = store->Migrate();
  if (!s.ok()) {
    store.reset();
    std::filesystem::remove(path, ec);
    return s;
  }
  return std::unique_ptr<Store>(std::move(store));
}

Result<int> SqliteStore::SchemaVersion() {
  Statement& st = Prepare(0, "PRAGMA user_version");
  ResetOnExit<Statement> r{st};
  if (st.Step() != SQLITE_ROW) return Error("reading schema version");
  return static_cast<int>(st.Int(0));
}

Status SqliteStore::Migrate() {
  // kMigrations[N] (sql/migrate-N.sql) turns version N-1 into N. An empty
  // file (version 0) gets schema.sql, which is the current version whole.
  static const char* const kMigrations[] = {nullptr, nullptr, kMigrate2Sql, kMigrate3Sql,
                                            kMigrate4Sql};
  static_assert(std::size(kMigrations) == kSchemaVersion + 1);
  Result<int> version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version > kSchemaVersion)
    return Status::Invalid("database " + path() + " has schema version " +
                           std::to_string(*version) + ", newer than this build's " +
                           std::to_string(kSchemaVersion));
  while (*version < kSchemaVersion) {
    int from = *version;
    // journal_mode cannot change inside a transaction; schema.sql sets it
    // first and every later statement runs in one transaction.
    if (from == 0) {
      Status s = Exec("PRAGMA journal_mode = WAL;");
      if (!s.ok()) return s;
    }
    Transaction tx(*this);
    Status s = tx.Begin();
    if (s.ok() && from == 1) s = CheckDelimiterFreeMailboxes();
    if (s.ok()) s = Exec(from == 0 ? kSchemaSql : kMigrations[from + 1]);
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) return s;  // ~Transaction rolls back
    version = SchemaVersion();
    if (!version.ok()) return version.status();
    if (*version <= from)
      return Status::Temporary("database " + path() + ": migration from schema version " +
                               std::to_string(from) + " did not advance it");
  }
  return Status::Ok();
}

SqliteStore::Statement& SqliteStore::Prepare(int slot, const char* sql) {
  if (statements_.size() <= static_cast<std::size_t>(slot)) statements_.resize(slot + 1);
  if (!statements_[slot] || !statements_[slot]->valid()) {
    sqlite3_stmt* stmt = nullptr;
    // A failed prepare leaves stmt null; Step() on it returns SQLITE_MISUSE,
    // which every caller reports as database trouble.
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK)
      stmt = nullptr;
    statements_[slot] = std::make_unique<Statement>(stmt);
  }
  return *statements_[slot];
}

// Slots for prepared statements; one per SQL text.
enum Slot {
  kSlotVersion = 0,
  kSlotFindDomain,
  kSlotFindMailbox,
  kSlotFindAlias,
  kSlotRelayRecipient,
  kSlotSenderLogins,
  kSlotAliasSourcesFor,
  kSlotGetSetting,
  kSlotListDomains,
  kSlotEachMailbox,
  kSlotListAliases,
  kSlotListRelay,
  kSlotListSenders,
  kSlotInsertDomain,
  kSlotUpdateDomain,
  kSlotDeleteDomain,
  kSlotInsertMailbox,
  kSlotUpdateMailbox,
  kSlotDeleteMailbox,
  kSlotInsertAlias,
  kSlotDeleteAliasOne,
  kSlotDeleteAliasAll,
  kSlotAliasActive,
  kSlotInsertRelay,
  kSlotDeleteRelay,
  kSlotSetSender,
  kSlotDeleteSender,
  kSlotSetSetting,
  kSlotBegin,
  kSlotBeginRead,
  kSlotCommit,
  kSlotRollback,
  kSlotDataVersion,
  kSlotDelimiterMailboxes,
};

#define DOMAIN_COLUMNS "name, kind, active, transport, target, catchall"

static Domain RowToDomain(sqlite3_stmt* stmt) {
  auto text = [stmt](int col) { return ColumnText(stmt, col); };
  Domain d;
  d.name = text(0);
  d.kind = ParseDomainKind(text(1)).value_or(DomainKind::kHosted);
  d.active = sqlite3_column_int(stmt, 2) != 0;
  d.transport = text(3);
  d.target = text(4);
  d.catchall = text(5);
  return d;
}

Result<std::optional<Domain>> SqliteStore::ReadDomain(std::string_view name) {
  Statement& st =
      Prepare(kSlotFindDomain, "SELECT " DOMAIN_COLUMNS " FROM domains WHERE name = ?1");
  ResetOnExit<Statement> r{st};
  st.Bind(1, name);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<Domain>();
  if (rc != SQLITE_ROW) return Error("looking up domain");
  return std::optional<Domain>(RowToDomain(st.get()));
}

#define MAILBOX_COLUMNS "address, active, password, quota, transport, description"

static Mailbox RowToMailbox(sqlite3_stmt* stmt) {
  auto text = [stmt](int col) { return ColumnText(stmt, col); };
  Mailbox m;
  m.address = text(0);
  m.active = sqlite3_column_int(stmt, 1) != 0;
  m.password = text(2);
  m.quota = sqlite3_column_int64(stmt, 3);
  m.transport = text(4);
  m.description = text(5);
  return m;
}

Result<std::optional<Mailbox>> SqliteStore::FindMailbox(std::string_view address) {
  Statement& st =
      Prepare(kSlotFindMailbox, "SELECT " MAILBOX_COLUMNS " FROM mailboxes WHERE address = ?1");
  ResetOnExit<Statement> r{st};
  st.Bind(1, address);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<Mailbox>();
  if (rc != SQLITE_ROW) return Error("looking up mailbox");
  return std::optional<Mailbox>(RowToMailbox(st.get()));
}

Result<std::vector<AliasTarget>> SqliteStore::FindAlias(std::string_view source) {
  Statement& st = Prepare(kSlotFindAlias,
                          "SELECT source, target, active FROM aliases WHERE source = ?1 "
                          "ORDER BY target");
  ResetOnExit<Statement> r{st};
  st.Bind(1, source);
  std::vector<AliasTarget> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Text(1), st.Int(2) != 0});
  if (rc != SQLITE_DONE) return Error("looking up alias");
  return out;
}

Result<bool> SqliteStore::IsRelayRecipient(std::string_view address) {
  Statement& st = Prepare(kSlotRelayRecipient, "SELECT 1 FROM relay_recipients WHERE address = ?1");
  ResetOnExit<Statement> r{st};
  st.Bind(1, address);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error("looking up relay recipient");
}

Result<std::vector<SenderLogin>> SqliteStore::FindSenderLogins(std::string_view address) {
  Statement& st = Prepare(kSlotSenderLogins,
                          "SELECT address, login, allow FROM sender_logins WHERE address = ?1 "
                          "ORDER BY login");
  ResetOnExit<Statement> r{st};
  st.Bind(1, address);
  std::vector<SenderLogin> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Text(1), st.Int(2) != 0});
  if (rc != SQLITE_DONE) return Error("looking up sender logins");
  return out;
}

Result<std::vector<std::string>> SqliteStore::FindAliasSourcesFor(std::string_view target) {
  Statement& st = Prepare(kSlotAliasSourcesFor,
                          "SELECT source FROM aliases WHERE target = ?1 AND active = 1 "
                          "ORDER BY source");
  ResetOnExit<Statement> r{st};
  st.Bind(1, target);
  std::vector<std::string> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Text(0));
  if (rc != SQLITE_DONE) return Error("looking up alias sources");
  return out;
}

Result<std::string> SqliteStore::ReadSetting(std::string_view name) {
  Statement& st = Prepare(kSlotGetSetting, "SELECT value FROM settings WHERE name = ?1");
  ResetOnExit<Statement> r{st};
  st.Bind(1, name);
  int rc = st.Step();
  if (rc == SQLITE_ROW) return st.Text(0);
  if (rc == SQLITE_DONE) return std::string();
  return Error("reading settings");
}

Result<std::vector<std::string>> SqliteStore::MailboxesWithDelimiter(std::string_view delimiters,
                                                                     int limit) {
  // The pattern is built in SQL from the bound value, as the schema's own
  // trigger builds it: a '-' is literal in a GLOB class only first.
  Statement& st = Prepare(kSlotDelimiterMailboxes,
                          "SELECT address FROM mailboxes WHERE ?1 <> '' "
                          "AND substr(address, 2, instr(address, '@') - 2) GLOB "
                          "'*[' || iif(instr(?1, '-') > 0, '-', '') || replace(?1, '-', '') || "
                          "']*' ORDER BY address LIMIT ?2");
  ResetOnExit<Statement> r{st};
  st.Bind(1, delimiters);
  st.Bind(2, std::int64_t{limit});
  std::vector<std::string> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Text(0));
  if (rc != SQLITE_DONE) return Error("looking up mailbox names");
  return out;
}

// Version 2 refuses a mailbox name holding the recipient delimiter (it is
// misdelivered); a file that has one cannot be migrated until it is gone.
Status SqliteStore::CheckDelimiterFreeMailboxes() {
  Result<std::string> delimiters = GetSetting("delimiter");
  if (!delimiters.ok()) return delimiters.status();
  Result<std::vector<std::string>> names = MailboxesWithDelimiter(*delimiters, 20);
  if (!names.ok()) return names.status();
  if (names->empty()) return Status::Ok();
  std::string list;
  for (const std::string& n : *names) list += (list.empty() ? "" : ", ") + n;
  return Status::Invalid("database " + path() +
                         ": cannot migrate to schema version 2: these mailbox names contain "
                         "the recipient delimiter \"" +
                         *delimiters + "\", so Dovecot delivers their mail to another mailbox: " +
                         list + (names->size() >= 20 ? ", ..." : "") +
                         "; rename them, or make them aliases, and run rcptdb migrate again");
}

Status SqliteStore::RecheckSchemaIfChanged() {
  Result<std::uint64_t> now = DataVersion();
  if (!now.ok()) return now.status();
  if (data_version_ && *now == *data_version_) return Status::Ok();
  Result<int> version = SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version != kSchemaVersion)
    return Status::Temporary(
        Status::Cause::kWrongVersion,
        "database " + path() + " has schema version " + std::to_string(*version) +
            " since it was opened, this build knows " + std::to_string(kSchemaVersion));
  data_version_ = *now;
  return Status::Ok();
}

Result<bool> SqliteStore::StillCurrent() {
  struct stat st;
  if (::stat(path().c_str(), &st) != 0) {
    int err = errno;
    Status::Cause cause = err == ENOENT || err == ENOTDIR ? Status::Cause::kMissing
                          : err == EACCES                 ? Status::Cause::kAccess
                                                          : Status::Cause::kIo;
    return Status::Temporary(cause, "cannot open database " + path() + ": " + std::strerror(err));
  }
  if (st.st_dev != dev_ || st.st_ino != ino_) return false;
  // A file changed in place (a migration, a restore by copy) may now
  // hold another schema: defer rather than read it with the wrong rules.
  Status same = RecheckSchemaIfChanged();
  if (!same.ok()) return same;
  return true;
}

Result<std::vector<Domain>> SqliteStore::ListDomains() {
  Statement& st = Prepare(kSlotListDomains, "SELECT " DOMAIN_COLUMNS " FROM domains ORDER BY name");
  ResetOnExit<Statement> r{st};
  std::vector<Domain> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(RowToDomain(st.get()));
  if (rc != SQLITE_DONE) return Error("listing domains");
  return out;
}

Status SqliteStore::ForEachMailbox(std::string_view domain,
                                   const std::function<bool(const Mailbox&)>& fn) {
  Statement& st = Prepare(kSlotEachMailbox, "SELECT " MAILBOX_COLUMNS
                                            " FROM mailboxes "
                                            "WHERE ?1 IS NULL OR domain = ?1 ORDER BY address");
  ResetOnExit<Statement> r{st};
  st.BindOptional(1, domain);
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW)
    if (!fn(RowToMailbox(st.get()))) return Status::Ok();
  if (rc != SQLITE_DONE) return Error("listing mailboxes");
  return Status::Ok();
}

Result<std::vector<AliasTarget>> SqliteStore::ListAliases(std::string_view domain) {
  Statement& st = Prepare(kSlotListAliases,
                          "SELECT source, target, active FROM aliases "
                          "WHERE ?1 IS NULL OR domain = ?1 ORDER BY source, target");
  ResetOnExit<Statement> r{st};
  st.BindOptional(1, domain);
  std::vector<AliasTarget> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Text(1), st.Int(2) != 0});
  if (rc != SQLITE_DONE) return Error("listing aliases");
  return out;
}

Result<std::vector<std::string>> SqliteStore::ListRelayRecipients(std::string_view domain) {
  Statement& st = Prepare(kSlotListRelay,
                          "SELECT address FROM relay_recipients "
                          "WHERE ?1 IS NULL OR domain = ?1 ORDER BY address");
  ResetOnExit<Statement> r{st};
  st.BindOptional(1, domain);
  std::vector<std::string> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back(st.Text(0));
  if (rc != SQLITE_DONE) return Error("listing relay recipients");
  return out;
}

Result<std::vector<SenderLogin>> SqliteStore::ListSenderLogins() {
  Statement& st = Prepare(
      kSlotListSenders, "SELECT address, login, allow FROM sender_logins ORDER BY address, login");
  ResetOnExit<Statement> r{st};
  std::vector<SenderLogin> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) out.push_back({st.Text(0), st.Text(1), st.Int(2) != 0});
  if (rc != SQLITE_DONE) return Error("listing sender logins");
  return out;
}

// Runs one write statement. Constraint failures are the caller's input
// being refused (Invalid/Conflict, SQLite's message names the rule);
// anything else is database trouble (Temporary).
Status SqliteStore::RunWrite(int slot, const char* sql,
                             const std::vector<std::string_view>& text_args,
                             const std::vector<std::int64_t>& int_args, int* changes) {
  if (read_only_) return Status::Invalid("database " + path() + " is open read-only");
  Statement& st = Prepare(slot, sql);
  ResetOnExit<Statement> r{st};
  int i = 1;
  for (std::string_view a : text_args) st.BindOptional(i++, a);
  for (std::int64_t a : int_args) st.Bind(i++, a);
  int rc = st.Step();
  if (rc == SQLITE_DONE) {
    if (changes) *changes = sqlite3_changes(db_);
    return Status::Ok();
  }
  return WriteError(rc);
}

Status SqliteStore::WriteError(int rc) const {
  std::string msg = sqlite3_errmsg(db_);
  switch (rc) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_UNIQUE:
      return ExistsAlready();
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Status::Invalid("refers to a domain that does not exist, or is still referenced");
    default:
      if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::Invalid(msg);
      return Error("writing");
  }
}

SqliteStore::Statement& SqliteStore::PrepareShared(int slot, const char* sql,
                                                   const std::vector<SqlParam>& params) {
  Statement& st = Prepare(slot, sql);
  if (!st.valid()) return st;
  // SQLite reads $N as a named parameter: bind by name, in any order.
  for (std::size_t i = 0; i < params.size(); ++i) {
    std::string name = "$" + std::to_string(i + 1);
    int index = sqlite3_bind_parameter_index(st.get(), name.c_str());
    if (index == 0) continue;
    if (params[i])
      sqlite3_bind_text(st.get(), index, params[i]->data(), static_cast<int>(params[i]->size()),
                        SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(st.get(), index);
  }
  return st;
}

Result<std::vector<Store::SqlRow>> SqliteStore::QueryShared(int slot, SqlText sql,
                                                            const std::vector<SqlParam>& params,
                                                            const char* what) {
  Statement& st = PrepareShared(slot, sql.sqlite, params);
  ResetOnExit<Statement> r{st};
  std::vector<SqlRow> out;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    int n = sqlite3_column_count(st.get());
    SqlRow row;
    for (int c = 0; c < n; ++c)
      row.push_back(sqlite3_column_type(st.get(), c) == SQLITE_NULL
                        ? std::nullopt
                        : std::optional<std::string>(st.Text(c)));
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return Error(what);
  return out;
}

Result<long> SqliteStore::WriteShared(int slot, SqlText sql, const std::vector<SqlParam>& params) {
  if (read_only_) return Status::Invalid("database " + path() + " is open read-only");
  Statement& st = PrepareShared(slot, sql.sqlite, params);
  ResetOnExit<Statement> r{st};
  int rc = st.Step();
  if (rc != SQLITE_DONE) return WriteError(rc);
  return static_cast<long>(sqlite3_changes(db_));
}

Status SqliteStore::InsertDomain(const Domain& d) {
  return RunWrite(kSlotInsertDomain,
                  "INSERT INTO domains (name, kind, active, transport, target, catchall) "
                  "VALUES (?1, ?2, ?6, ?3, ?4, ?5)",
                  {d.name, DomainKindName(d.kind), d.transport, d.target, d.catchall},
                  {d.active ? 1 : 0});
}

Status SqliteStore::UpdateDomain(const Domain& d) {
  int changes = 0;
  Status s = RunWrite(kSlotUpdateDomain,
                      "UPDATE domains SET kind = ?2, transport = ?3, target = ?4, catchall = ?5, "
                      "active = ?6 WHERE name = ?1",
                      {d.name, DomainKindName(d.kind), d.transport, d.target, d.catchall},
                      {d.active ? 1 : 0}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kDomain);
}

Status SqliteStore::DeleteDomain(std::string_view name) {
  int changes = 0;
  Status s =
      RunWrite(kSlotDeleteDomain, "DELETE FROM domains WHERE name = ?1", {name}, {}, &changes);
  return DomainDeleted(std::move(s), changes);
}

Status SqliteStore::InsertMailbox(const Mailbox& m) {
  return RunWrite(kSlotInsertMailbox,
                  "INSERT INTO mailboxes (address, password, transport, description, active, "
                  "quota) VALUES (?1, ?2, ?3, coalesce(?4, ''), ?5, ?6)",
                  {m.address, m.password, m.transport, m.description}, {m.active ? 1 : 0, m.quota});
}

Status SqliteStore::UpdateMailbox(const Mailbox& m) {
  int changes = 0;
  Status s = RunWrite(kSlotUpdateMailbox,
                      "UPDATE mailboxes SET password = ?2, transport = ?3, "
                      "description = coalesce(?4, ''), active = ?5, quota = ?6 WHERE address = ?1",
                      {m.address, m.password, m.transport, m.description},
                      {m.active ? 1 : 0, m.quota}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kMailbox);
}

Status SqliteStore::DeleteMailbox(std::string_view address) {
  int changes = 0;
  Status s = RunWrite(kSlotDeleteMailbox, "DELETE FROM mailboxes WHERE address = ?1", {address}, {},
                      &changes);
  return RequireChange(std::move(s), changes, RowKind::kMailbox);
}

Status SqliteStore::InsertAlias(std::string_view source, std::string_view target) {
  return RunWrite(kSlotInsertAlias, "INSERT INTO aliases (source, target) VALUES (?1, ?2)",
                  {source, target});
}

Status SqliteStore::DeleteAlias(std::string_view source, std::string_view target) {
  int changes = 0;
  Status s = target.empty() ? RunWrite(kSlotDeleteAliasAll, "DELETE FROM aliases WHERE source = ?1",
                                       {source}, {}, &changes)
                            : RunWrite(kSlotDeleteAliasOne,
                                       "DELETE FROM aliases WHERE source = ?1 AND target = ?2",
                                       {source, target}, {}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kAlias);
}

Status SqliteStore::SetAliasActive(std::string_view source, bool active) {
  int changes = 0;
  Status s = RunWrite(kSlotAliasActive, "UPDATE aliases SET active = ?2 WHERE source = ?1",
                      {source}, {active ? 1 : 0}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kAlias);
}

Status SqliteStore::InsertRelayRecipient(std::string_view address) {
  return RunWrite(kSlotInsertRelay, "INSERT INTO relay_recipients (address) VALUES (?1)",
                  {address});
}

Status SqliteStore::DeleteRelayRecipient(std::string_view address) {
  int changes = 0;
  Status s = RunWrite(kSlotDeleteRelay, "DELETE FROM relay_recipients WHERE address = ?1",
                      {address}, {}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kRelayRecipient);
}

Status SqliteStore::SetSenderLogin(const SenderLogin& s) {
  return RunWrite(kSlotSetSender,
                  "INSERT INTO sender_logins (address, login, allow) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (address, login) DO UPDATE SET allow = excluded.allow",
                  {s.address, s.login}, {s.allow ? 1 : 0});
}

Status SqliteStore::DeleteSenderLogin(std::string_view address, std::string_view login) {
  int changes = 0;
  Status s =
      RunWrite(kSlotDeleteSender, "DELETE FROM sender_logins WHERE address = ?1 AND login = ?2",
               {address, login}, {}, &changes);
  return RequireChange(std::move(s), changes, RowKind::kSenderLogin);
}

Status SqliteStore::SetSetting(std::string_view name, std::string_view value) {
  // An empty delimiter set is a real value ("no details"), not NULL.
  if (read_only_) return Status::Invalid("database " + path() + " is open read-only");
  Statement& st = Prepare(kSlotSetSetting,
                          "INSERT INTO settings (name, value) VALUES (?1, ?2) "
                          "ON CONFLICT (name) DO UPDATE SET value = excluded.value");
  ResetOnExit<Statement> r{st};
  st.Bind(1, name);
  st.Bind(2, value);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Status::Ok();
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::Invalid(sqlite3_errmsg(db_));
  return Error("writing settings");
}

// Transaction statements are prepared once like the rest: the server runs
// one read snapshot per lookup, and parsing BEGIN and COMMIT each time
// cost more than the lookup's own queries.
Status SqliteStore::RunControl(int slot, const char* sql) {
  Statement& st = Prepare(slot, sql);
  ResetOnExit<Statement> r{st};
  if (st.Step() != SQLITE_DONE) return Error(sql);
  return Status::Ok();
}

Status SqliteStore::Begin() { return RunControl(kSlotBegin, "BEGIN IMMEDIATE"); }
bool SqliteStore::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }
Status SqliteStore::BeginSnapshot() { return RunControl(kSlotBeginRead, "BEGIN"); }
Status SqliteStore::CommitTransaction() { return RunControl(kSlotCommit, "COMMIT"); }
void SqliteStore::RollbackTransaction() { RunControl(kSlotRollback, "ROLLBACK"); }

void SqliteStore::MarkState() {
  if (!read_only_) return;
  if (!watch_settled_) AttachWatch();
  watch_.Save();
}

void SqliteStore::AttachWatch() {
  // Only a WAL database has a WAL index: asking for the -shm of another
  // would create one. A database leaves WAL mode only when it has no
  // other connection, so the answer holds while this one is open.
  sqlite3_stmt* st = nullptr;
  bool wal = false;
  if (sqlite3_prepare_v2(db_, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* mode = sqlite3_column_text(st, 0);
    wal = mode && std::strcmp(reinterpret_cast<const char*>(mode), "wal") == 0;
  }
  sqlite3_finalize(st);
  sqlite3_file* file = nullptr;
  if (!wal || sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
      file->pMethods->xShmMap == nullptr) {
    watch_settled_ = true;
    return;
  }
  // Region 0 (32 KiB, SQLite's WAL-index page) is mapped once the
  // connection has read in WAL mode, which opening it did; bExtend 0 maps
  // nothing new. A read-only -shm answers SQLITE_READONLY with the map.
  volatile void* region = nullptr;
  int rc = file->pMethods->xShmMap(file, 0, 32768, 0, &region);
  if ((rc == SQLITE_OK || (rc & 0xff) == SQLITE_READONLY) && region != nullptr) {
    watch_ = WalIndexWatch(region);
    watch_settled_ = true;
  }
}

// Inside a read transaction this also pins the snapshot: the PRAGMA reads
// the file, so a deferred BEGIN takes its WAL read lock here.
Result<std::uint64_t> SqliteStore::DataVersion() {
  Statement& st = Prepare(kSlotDataVersion, "PRAGMA data_version");
  ResetOnExit<Statement> r{st};
  if (st.Step() != SQLITE_ROW) return Error("reading the data version");
  return static_cast<std::uint64_t>(st.Int(0));
}

Status SqliteStore::BackupTo(const std::string& dest_path) {
  Status path_ok = CheckPath(dest_path);
  if (!path_ok.ok()) return path_ok;
  std::error_code ec;
  if (std::filesystem::exists(dest_path, ec))
    return Status::Conflict("backup file " + dest_path + " exists already");
  Status created = CreatePrivateFile(dest_path, "backup file");
  if (!created.ok()) return created;
  Result<sqlite3*> dest = OpenHandle(dest_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 2000);
  if (!dest.ok()) {
    std::filesystem::remove(dest_path, ec);
    return dest.status();
  }
  sqlite3_backup* b = sqlite3_backup_init(*dest, "main", db_, "main");
  if (b == nullptr) {
    Status s = Status::Temporary("backup to " + dest_path + ": " + sqlite3_errmsg(*dest));
    sqlite3_close_v2(*dest);
    return s;
  }
  // Copy in steps so that writers are not locked out for the whole copy.
  int rc;
  while ((rc = sqlite3_backup_step(b, 1024)) == SQLITE_OK || rc == SQLITE_BUSY ||
         rc == SQLITE_LOCKED)
    sqlite3_sleep(5);
  sqlite3_backup_finish(b);
  Status s = rc == SQLITE_DONE
                 ? Status::Ok()
                 : Status::Temporary("backup to " + dest_path + ": " + sqlite3_errstr(rc));
  if (s.ok()) sqlite3_exec(*dest, "PRAGMA journal_mode = WAL;", nullptr, nullptr, nullptr);
  sqlite3_close_v2(*dest);
  if (!s.ok()) std::filesystem::remove(dest_path, ec);
  return s;
}

}  // namespace rcptdb
