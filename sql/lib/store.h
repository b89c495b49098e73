// SPDX-License-Identifier: MIT
// store.h - the recipient database, whatever engine holds it
//
// Store is the one interface between rcptdb and its database: every read
// the resolver, the map answers, the RCPT decision, the admin commands and
// the plugin make, every write, and the transactions around them. No other
// module sees SQL. Two engines implement it:
//   SqliteStore (sqlite_store.h)  a database file; the embedded default
//   PgStore     (pg_store.h)      a PostgreSQL database named by a libpq
//                                 URI (postgresql://... or postgres://...)
// Store::Open and Store::Create choose the engine from the spelling of the
// database setting alone (IsPostgresSpec); callers never branch on it.
//
// Readers (the lookup server, the LMTP plugin) open with Mode::kReadOnly.
// Writers (the rcptdb command) use kReadWrite and wrap each command in one
// transaction (Transaction below). Database trouble of any kind is
// Status::Temporary with a Cause (status.h) and a message naming the
// database (passwords removed, RedactSpec) and the cause; a constraint the
// schema enforces is Invalid or Conflict, with the same codes on both
// engines (the write contract below).
//
// Thread safety: a Store is used by one thread at a time. Open one per
// thread.
#ifndef RCPTDB_STORE_H
#define RCPTDB_STORE_H

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"
#include "string_map.h"

namespace rcptdb {

class ChangeSignal;
class LiveStore;

// The schema version this build reads and writes (SQLite: PRAGMA
// user_version; PostgreSQL: the rcptdb_version row). Version N comes from
// N-1 by sql/migrate-N.sql (SQLite) and sql/migrate-pgsql-N.sql
// (PostgreSQL, from version 3 on).
inline constexpr int kSchemaVersion = 4;
// Where the database lives unless --db or RCPTDB_DB say otherwise.
inline constexpr const char* kDefaultDatabasePath = "/var/lib/rcptdb/rcptdb.sqlite";

// The settings a database holds (sql/schema.sql says what each means).
inline constexpr std::string_view kSettingNames[] = {"delimiter", "postmaster", "catchall_senders"};

// Returns --db's value if given, else $RCPTDB_DB, else the default path.
std::string DatabasePath(const std::string& flag);

// Returns true iff spec names a PostgreSQL database: a libpq URI starting
// with postgresql:// or postgres://. Anything else is a SQLite file path.
bool IsPostgresSpec(std::string_view spec);

// Returns spec fit for a log line or a message: a PostgreSQL URI loses its
// secrets (user:secret@, and every parameter libpq marks secret, such as
// password= and sslpassword=, however its name is percent-encoded); a URI
// libpq cannot parse is not shown; a path is returned unchanged.
std::string RedactSpec(std::string_view spec);

// The kinds of row the Store writes, for the write contract's wording
// below, which every engine shares.
enum class RowKind { kDomain, kMailbox, kAlias, kRelayRecipient, kSenderLogin, kAdmin, kToken };
// Returns NotFound "no such <row>" iff written is Ok and changed no row;
// else written.
Status RequireChange(Status written, long changes, RowKind row);
// DeleteDomain's outcome: NotFound as above, and Conflict "an alias domain
// still points to it" when the schema refused the delete (Invalid).
Status DomainDeleted(Status written, long changes);
// A unique key's violation: Conflict "exists already".
Status ExistsAlready();
// Ok iff store's schema version is this build's (or older, if
// allow_old_schema); else Temporary (kWrongVersion) with the hint to run
// rcptdb migrate or init. Every engine's Open checks it.
class Store;
Status CheckSchemaVersion(Store& store, bool allow_old_schema);

// Ok iff spec names a database rcptdb can share with its readers: a
// PostgreSQL URI (IsPostgresSpec), or a path that is not empty, not
// SQLite's ":memory:" or "" temporary databases and not a "file:" URI.
// Invalid, naming the spec, otherwise. Every Store::Open and Create checks
// it; the CLI, rcptdb-server and the plugin call it on their configured
// database to refuse it up front.
Status CheckDatabasePath(std::string_view spec);

// Mode of the files `rcptdb init` and `rcptdb backup` create (SQLite gives
// the -wal and -shm files the same): owner read-write, group read, others
// nothing. The password hashes are inside; rcptdb(1) says which group.
inline constexpr unsigned kDatabaseFileMode = 0640;

enum class DomainKind { kHosted, kRelay, kAlias };
const char* DomainKindName(DomainKind kind);
// Inline, so that the provisioning values (sql/provision/values.cc) and
// their fuzz target parse a kind without linking the store.
inline std::optional<DomainKind> ParseDomainKind(std::string_view name) {
  if (name == "hosted") return DomainKind::kHosted;
  if (name == "relay") return DomainKind::kRelay;
  if (name == "alias") return DomainKind::kAlias;
  return std::nullopt;
}

struct Domain {
  std::string name;
  DomainKind kind = DomainKind::kHosted;
  bool active = true;
  std::string transport;  // empty: none
  std::string target;     // alias domains only
  std::string catchall;   // empty: none
};

struct Mailbox {
  std::string address;
  bool active = true;
  std::string password;     // {SCHEME}hash, empty: no login
  std::int64_t quota = 0;   // bytes, 0: no limit
  std::string transport;    // empty: the domain's
  std::string description;  // for people; CheckDescription (values.h)
};

struct AliasTarget {
  std::string source;
  std::string target;
  bool active = true;
};

// What an exact local match reads (Store::FindLocal).
struct LocalRows {
  std::optional<Mailbox> mailbox;
  std::vector<AliasTarget> aliases;  // only without a mailbox
};

struct SenderLogin {
  std::string address;
  std::string login;
  bool allow = true;
};

// --- Delegated provisioning (schema version 3, sql/schema.sql) ----------

enum class AdminRole { kServer, kDomain };
const char* AdminRoleName(AdminRole role);
// Inline, as ParseDomainKind is.
inline std::optional<AdminRole> ParseAdminRole(std::string_view name) {
  if (name == "server") return AdminRole::kServer;
  if (name == "domain") return AdminRole::kDomain;
  return std::nullopt;
}

// An administrator of rcptdb-web.
struct Admin {
  std::string login;
  std::string password;  // {SCHEME}hash; empty: cannot log in
  AdminRole role = AdminRole::kDomain;
  bool active = true;
  std::vector<std::string> domains;  // held (domain admins only), in order
  std::string created;               // read only: set by the database
  std::string last_login;            // empty: never
};

// An API token as stored: never its secret, only the secret's hash.
struct Token {
  std::string prefix;                // public: names and finds the token
  std::string login;                 // the owner
  std::string secret_hash;           // SHA-256 of the whole token, hex
  bool all_domains = true;           // whatever the owner holds at each use
  std::vector<std::string> domains;  // else these (token_domains), in order
  bool read_only = false;
  std::string expires;   // UTC ISO 8601; empty: never
  std::string networks;  // CIDR blocks separated by a space; empty: any
  std::string created;   // read only
  std::string last_used;
};

// A token with its owner as the owner is now (Store::FindTokenGrant): what
// the token may do is never more than the owner may do at this moment.
struct TokenGrant {
  Token token;
  AdminRole owner_role = AdminRole::kDomain;
  bool owner_active = false;
  // The domains the token reaches now: its own (or all of the owner's),
  // of those only what the owner still holds. every_domain: the owner is
  // a server admin and the token has all_domains, so it reaches every
  // domain, and domains is empty.
  bool every_domain = false;
  std::vector<std::string> domains;
};

// One row of the audit log (sql/schema.sql says what each field holds).
struct AuditRecord {
  std::int64_t id = 0;  // assigned by the database; the paging cursor
  std::string time;     // UTC ISO 8601 with milliseconds
  std::string actor;    // admin:LOGIN, token:PREFIX, mailbox:ADDRESS, unix:USER, sql:ROLE
  std::string client;   // empty: none
  std::string request_id;
  std::string kind;    // domain, mailbox, alias, relay_recipient, ...
  std::string object;  // its key
  std::string domain;  // empty: none
  std::string action;  // create, update, delete
  std::string before;  // JSON object, empty: none
  std::string after;
};

// Which audit rows Store::QueryAudit returns: newest first, at most limit,
// only those older than before_id (the cursor: the last id of the page
// before; 0: start with the newest).
struct AuditQuery {
  std::string domain;         // empty: any
  std::string actor;          // empty: any
  std::string since;          // UTC ISO 8601; empty: any time
  std::string object_prefix;  // only objects that start with it; empty: any
  std::int64_t before_id = 0;
  int limit = 100;
};

// One page of a domain's rows in key order (keyset paging: no OFFSET, an
// index range however deep the page): keys after `after` (the last key of
// the page before; empty: from the start), starting with `prefix` (the
// search, empty: all), at most limit of them.
struct PageRequest {
  std::string domain;
  std::string after;
  std::string prefix;
  int limit = 100;
};

// The most rows one page may ask for.
inline constexpr int kMaxPageRows = 1000;

class Store {
 public:
  enum class Mode { kReadOnly, kReadWrite };
  // The statements of shared_statements.cc, which both engines run as
  // written: parameters $1..$N (text, or NULL as nullopt), results as
  // text. sqlite and pgsql differ only where the dialects do (pgsql null:
  // the same text). slot is kSharedSlotBase + n, unique per statement.
  using SqlParam = std::optional<std::string>;
  using SqlRow = std::vector<std::optional<std::string>>;
  struct SqlText {
    const char* sqlite;
    const char* pgsql = nullptr;
  };
  static constexpr int kSharedSlotBase = 200;

  // Opens an existing database; spec chooses the engine (IsPostgresSpec).
  // Fails (kInvalid) if CheckDatabasePath() refuses spec, and (kTemporary)
  // if the database is missing, unreachable, unreadable, not an rcptdb
  // database, or holds a schema version other than kSchemaVersion (unless
  // allow_old_schema, for `rcptdb migrate`). busy_timeout_ms bounds every
  // wait on the database: a lock (SQLite), a connection and a statement
  // (PostgreSQL).
  static Result<std::unique_ptr<Store>> Open(const std::string& spec, Mode mode,
                                             int busy_timeout_ms = 2000,
                                             bool allow_old_schema = false);
  // Creates a new database with the current schema: a new file (fails if
  // it exists), or the tables in an empty PostgreSQL database (fails if
  // rcptdb's tables exist there already).
  static Result<std::unique_ptr<Store>> Create(const std::string& spec);
  // Returns the ChangeSignal (change_signal.h) that fits live's engine.
  // REQUIRES: live outlives the signal.
  static std::unique_ptr<ChangeSignal> NewChangeSignal(LiveStore& live);

  virtual ~Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The database as it was named to Open or Create (may hold a password).
  const std::string& path() const { return path_; }
  // The same, fit for messages (RedactSpec).
  const std::string& name() const { return name_; }
  // Returns the schema version the database holds (0: none).
  virtual Result<int> SchemaVersion() = 0;
  // Brings an older schema up to kSchemaVersion, one migration at a time.
  // Invalid, listing the names, if mailbox names in the database break a
  // rule of the newer schema (a recipient delimiter in a mailbox name).
  virtual Status Migrate() = 0;
  // For long-lived readers (LiveStore): true iff this connection still
  // serves the database its spec names, false if that was replaced (a new
  // file at the path: open again). Temporary if the database is gone or
  // unreachable, or its schema version is no longer kSchemaVersion. Cheap
  // when nothing changed.
  virtual Result<bool> StillCurrent() = 0;

  // --- Reads (every reader) -------------------------------------------
  // In a read-only snapshot (BeginRead() on a kReadOnly store, until
  // Commit() or Rollback()) FindDomain and GetSetting read each name from
  // the engine once: every lookup asks for the same few domain rows and
  // settings. What they read is kept across snapshots for as long as
  // DataVersion() is unchanged (no write since), at most kMaxMemoRows
  // names of each kind.
  Result<std::optional<Domain>> FindDomain(std::string_view name);
  // The domain row the snapshot memo last read for name, whatever the
  // version it was read at, without reading anything; null if the memo
  // holds none (never read, emptied, or no such domain). For hints only
  // (ExpectLookup): it may be out of date.
  const Domain* RememberedDomain(std::string_view name) const;
  virtual Result<std::optional<Mailbox>> FindMailbox(std::string_view address) = 0;
  // All rows with this source, active or not; empty if there is no alias.
  virtual Result<std::vector<AliasTarget>> FindAlias(std::string_view source) = 0;
  // The mailbox named address; without one, the alias rows of address as
  // FindAlias returns them. FindMailbox then FindAlias, unless the engine
  // reads both at once (PostgreSQL: one round trip instead of two).
  virtual Result<LocalRows> FindLocal(std::string_view address);
  virtual Result<bool> IsRelayRecipient(std::string_view address) = 0;
  virtual Result<std::vector<SenderLogin>> FindSenderLogins(std::string_view address) = 0;
  // Aliases whose target is this address (for default sender rights).
  virtual Result<std::vector<std::string>> FindAliasSourcesFor(std::string_view target) = 0;
  Result<std::string> GetSetting(std::string_view name);
  // Mailboxes whose local part contains one of delimiters after its first
  // character (at most limit of them, in order); empty delimiters: none.
  virtual Result<std::vector<std::string>> MailboxesWithDelimiter(std::string_view delimiters,
                                                                  int limit = 20) = 0;

  // --- Listings (rcptdb) ----------------------------------------------
  virtual Result<std::vector<Domain>> ListDomains() = 0;
  // domain empty: all. Calls fn for each row; fn returning false stops.
  virtual Status ForEachMailbox(std::string_view domain,
                                const std::function<bool(const Mailbox&)>& fn) = 0;
  virtual Result<std::vector<AliasTarget>> ListAliases(std::string_view domain) = 0;
  virtual Result<std::vector<std::string>> ListRelayRecipients(std::string_view domain) = 0;
  virtual Result<std::vector<SenderLogin>> ListSenderLogins() = 0;

  // --- Writes (rcptdb; callers normalise and validate first) ----------
  // Every write returns one of:
  //   Ok         the row was written (exactly what was asked changed);
  //   Conflict   Insert*: a row with that key exists already;
  //   Invalid    the schema refused the row: a CHECK or trigger (SQLite's
  //              message names the rule), a foreign key (a domain that
  //              does not exist, or a row still referenced), or a Store
  //              opened kReadOnly;
  //   NotFound   Update*/Delete*/SetAliasActive: no row had that key, so
  //              nothing changed;
  //   Temporary  database trouble (locked, I/O, corrupt); nothing changed.
  // A refused write changes nothing; inside a Transaction the caller still
  // decides whether to commit what earlier writes did.
  virtual Status InsertDomain(const Domain& d) = 0;
  // Rewrites every column of the domain named d.name.
  virtual Status UpdateDomain(const Domain& d) = 0;
  // Conflict (not Invalid) if an alias domain still points to it.
  virtual Status DeleteDomain(std::string_view name) = 0;
  virtual Status InsertMailbox(const Mailbox& m) = 0;
  // Rewrites every column of the mailbox m.address.
  virtual Status UpdateMailbox(const Mailbox& m) = 0;
  virtual Status DeleteMailbox(std::string_view address) = 0;
  virtual Status InsertAlias(std::string_view source, std::string_view target) = 0;
  // target empty: every row of source. NotFound if nothing matched.
  virtual Status DeleteAlias(std::string_view source, std::string_view target) = 0;
  // Sets active on every row of source.
  virtual Status SetAliasActive(std::string_view source, bool active) = 0;
  virtual Status InsertRelayRecipient(std::string_view address) = 0;
  virtual Status DeleteRelayRecipient(std::string_view address) = 0;
  // Inserts or overwrites (an upsert): never Conflict, never NotFound.
  virtual Status SetSenderLogin(const SenderLogin& s) = 0;
  virtual Status DeleteSenderLogin(std::string_view address, std::string_view login) = 0;
  // Inserts or overwrites; Invalid if the schema refuses the value.
  virtual Status SetSetting(std::string_view name, std::string_view value) = 0;

  // --- Pages (rcptdb-web's lists) -------------------------------------
  // Keyset pages of a domain's mailboxes, alias rows and relay recipients
  // (PageRequest). An alias page holds whole aliases: every target of at
  // most limit sources. REQUIRES: 1 <= limit <= kMaxPageRows.
  Result<std::vector<Mailbox>> ListMailboxPage(const PageRequest& page);
  Result<std::vector<AliasTarget>> ListAliasPage(const PageRequest& page);
  Result<std::vector<std::string>> ListRelayRecipientPage(const PageRequest& page);

  // --- Administrators and tokens (schema version 3) --------------------
  // Writes follow the write contract above (RowKind kAdmin and kToken).
  // InsertAdmin and UpdateAdmin write the admin_domains rows too
  // (UpdateAdmin replaces them); the caller normalises and validates.
  Status InsertAdmin(const Admin& a);
  // Rewrites password, role, active and domains of the admin a.login.
  Status UpdateAdmin(const Admin& a);
  Status DeleteAdmin(std::string_view login);
  Result<std::optional<Admin>> FindAdmin(std::string_view login);
  Result<std::vector<Admin>> ListAdmins();
  // Sets last_login (time: UTC ISO 8601). Not audited: a login is no
  // change (PostgreSQL's plain-SQL audit trigger is told so).
  Status RecordAdminLogin(std::string_view login, std::string_view time);
  // Inserts the token and its token_domains rows.
  Status InsertToken(const Token& t);
  Status DeleteToken(std::string_view prefix);
  // The token named prefix joined with its owner as the owner is now;
  // nullopt if there is none. Its hash is for the caller to compare.
  Result<std::optional<TokenGrant>> FindTokenGrant(std::string_view prefix);
  // Tokens of login (empty: of everyone), by owner and prefix.
  Result<std::vector<Token>> ListTokens(std::string_view login);

  // --- The audit log (schema version 3) --------------------------------
  // Appends r (its id is ignored) in the transaction in force.
  Status AppendAudit(const AuditRecord& r);
  Result<std::vector<AuditRecord>> QueryAudit(const AuditQuery& q);

  // Transactions: a write transaction (SQLite: BEGIN IMMEDIATE; PostgreSQL:
  // BEGIN ISOLATION LEVEL SERIALIZABLE) ... COMMIT, rolled back unless
  // committed.
  virtual Status Begin() = 0;
  // A read snapshot: every read until Commit() sees one state of the
  // database, also on a read-only connection (SQLite: a deferred BEGIN;
  // PostgreSQL: REPEATABLE READ READ ONLY). For lookups, export and backup.
  Status BeginRead();
  // Returns true iff a transaction is open on this connection.
  virtual bool InTransaction() const = 0;
  Status Commit();
  void Rollback();
  // Ends the read snapshot in force and begins a new one: Commit() then
  // BeginRead(), which an engine may do in one step (PostgreSQL: one
  // round trip). On failure the caller rolls back what is left open.
  // REQUIRES: a snapshot begun with BeginRead() is in force.
  Status RenewRead();
  // Names the address that the next snapshot begun or renewed (BeginRead,
  // RenewRead) will likely look up first with FindLocal. An engine where
  // beginning a snapshot is a round trip (PostgreSQL) reads that address's
  // rows in the same round trip, and FindLocal answers it from them once,
  // inside that snapshot. Only a hint: every other read runs as usual.
  // The next BeginRead or RenewRead consumes it; empty names none.
  void ExpectLookup(std::string_view address) { expected_.assign(address); }
  // The address ExpectLookup() named, until a snapshot begins (the engine
  // reads it inside BeginSnapshot and RenewSnapshot); empty for none.
  const std::string& expected_lookup() const { return expected_; }
  // Returns a change counter: it differs from the value read before on
  // this connection iff another connection committed in between (SQLite:
  // PRAGMA data_version; PostgreSQL: the rcptdb_version row the schema's
  // triggers bump). Inside a read transaction it is the snapshot's, and
  // reading it starts the snapshot.
  virtual Result<std::uint64_t> DataVersion() = 0;
  // DataVersion() of the read-only snapshot in force (BeginRead or
  // RenewRead): read at the first call, kept until the snapshot ends.
  // Outside one, a fresh DataVersion().
  Result<std::uint64_t> SnapshotVersion();
  // A reader's cheap change check, for answers kept across snapshots
  // (ResolutionCache::Reuse). MarkState() notes the database's state; call
  // it before a snapshot begins. UnchangedSinceMark() is true only if no
  // commit can have come since then, and costs no system call and no
  // round trip (SQLite: the WAL-index header, wal_index_watch.h). An
  // engine without such a check answers false: the caller then takes a
  // snapshot.
  virtual void MarkState() {}
  virtual bool UnchangedSinceMark() const { return false; }
  // UnchangedSinceMark(), and a snapshot begun after the mark may be kept
  // while it stays true, holding back no writer, checkpoint or WAL
  // restart (SQLite: every frame of the WAL had been checkpointed at the
  // mark, so the snapshot reads the file alone). False when unsure.
  virtual bool KeepableSinceMark() const { return false; }

  // Copies the whole database to a new file with SQLite's online backup.
  // Invalid on an engine that has no such copy (PostgreSQL: use pg_dump or
  // rcptdb export), naming the alternative.
  virtual Status BackupTo(const std::string& dest_path) = 0;

 protected:
  Store(std::string path, std::string name, Mode mode)
      : path_(std::move(path)), name_(std::move(name)), mode_(mode) {}

  // The statements of shared_statements.cc (QueryShared, WriteShared).
  // Runs a query; Temporary on database trouble (what names the step).
  virtual Result<std::vector<SqlRow>> QueryShared(int slot, SqlText sql,
                                                  const std::vector<SqlParam>& params,
                                                  const char* what) = 0;
  // Runs a write under the write contract; returns the rows it changed.
  virtual Result<long> WriteShared(int slot, SqlText sql, const std::vector<SqlParam>& params) = 0;

  // Writes the admin_domains rows of a.
  Status InsertAdminDomains(const Admin& a);

  // The engine's own steps behind FindDomain, GetSetting, BeginRead,
  // Commit and Rollback, which add the snapshot memo.
  virtual Result<std::optional<Domain>> ReadDomain(std::string_view name) = 0;
  virtual Result<std::string> ReadSetting(std::string_view name) = 0;
  virtual Status BeginSnapshot() = 0;
  virtual Status CommitTransaction() = 0;
  virtual void RollbackTransaction() = 0;
  // Behind RenewRead: CommitTransaction() then BeginSnapshot().
  virtual Status RenewSnapshot();

 private:
  // What FindDomain and GetSetting read, at one DataVersion().
  struct SnapshotMemo {
    StringMap<std::optional<Domain>> domains;
    StringMap<std::string> settings;
    std::optional<std::uint64_t> version;
  };
  // The memo, if it may answer now: inside a read-only snapshot, holding
  // only what was read at this snapshot's version (emptied on the first
  // use in a snapshot where that differs); null otherwise.
  SnapshotMemo* Memo();
  // Marks a read-only snapshot as begun (ok) or ended.
  void SnapshotBegun(bool ok);

  std::string path_;
  std::string name_;
  Mode mode_;
  SnapshotMemo memo_;
  bool in_snapshot_ = false;                       // a read-only snapshot of BeginRead/RenewRead
  std::optional<std::uint64_t> snapshot_version_;  // SnapshotVersion(), once read
  std::string expected_;                           // ExpectLookup's, until a snapshot begins
};

// The most domain names (and settings) the snapshot memo keeps: a client
// asking for ever new domains empties it rather than grow it.
inline constexpr std::size_t kMaxMemoRows = 1024;

// Transaction - RAII scope for a writer: rolls back unless Commit() ran.
class Transaction {
 public:
  explicit Transaction(Store& store) : store_(store) {}
  ~Transaction() {
    if (begun_ && !done_) store_.Rollback();
  }
  Status Begin() {
    Status s = store_.Begin();
    begun_ = s.ok();
    return s;
  }
  Status BeginRead() {
    Status s = store_.BeginRead();
    begun_ = s.ok();
    return s;
  }
  // A failed COMMIT leaves the transaction open: it is rolled back then.
  Status Commit() {
    Status s = store_.Commit();
    done_ = s.ok();
    return s;
  }

 private:
  Store& store_;
  bool begun_ = false;
  bool done_ = false;
};

}  // namespace rcptdb

#endif
