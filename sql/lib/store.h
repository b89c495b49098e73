// SPDX-License-Identifier: MIT
// store.h - the SQLite recipient database
//
// Store owns one SQLite connection and every SQL statement of rcptdb; no
// other module sees SQL. Statements are prepared once and bound with
// parameters: keys are data, never SQL and never LIKE/GLOB patterns.
//
// Readers (the lookup server, the LMTP plugin) open with Mode::kReadOnly:
// SQLITE_OPEN_READONLY plus query_only. Writers (the rcptdb command) use
// kReadWrite and wrap each command in one transaction (Transaction below).
// Every connection sets a busy timeout and enables foreign keys. Any SQLite
// failure other than a constraint becomes Status::Temporary with a message
// naming the file and the cause.
//
// Thread safety: a Store is used by one thread at a time. Open one per
// thread (SQLite connections are cheap; WAL lets readers run in parallel).
#ifndef RCPTDB_STORE_H
#define RCPTDB_STORE_H

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rcptdb {

// The schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 2;
// Where the database lives unless --db or RCPTDB_DB say otherwise.
inline constexpr const char* kDefaultDatabasePath = "/var/lib/rcptdb/rcptdb.sqlite";

// The settings a database holds (sql/schema.sql says what each means).
inline constexpr std::string_view kSettingNames[] = {"delimiter", "postmaster", "catchall_senders"};

// Returns --db's value if given, else $RCPTDB_DB, else the default path.
std::string DatabasePath(const std::string& flag);

// Ok iff path names a database file: not empty, not SQLite's ":memory:"
// or "" temporary databases, not a "file:" URI (no URI means anything to
// rcptdb yet). Invalid, naming path, otherwise. Every Store::Open and
// Create checks it; the CLI, rcptdb-server and the plugin call it on their
// configured path to refuse it up front.
Status CheckDatabasePath(std::string_view path);

// Mode of the files `rcptdb init` and `rcptdb backup` create (SQLite gives
// the -wal and -shm files the same): owner read-write, group read, others
// nothing. The password hashes are inside; rcptdb(1) says which group.
inline constexpr unsigned kDatabaseFileMode = 0640;

enum class DomainKind { kHosted, kRelay, kAlias };
const char* DomainKindName(DomainKind kind);
std::optional<DomainKind> ParseDomainKind(std::string_view name);

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
  std::string password;    // {SCHEME}hash, empty: no login
  std::int64_t quota = 0;  // bytes, 0: no limit
  std::string transport;   // empty: the domain's
};

struct AliasTarget {
  std::string source;
  std::string target;
  bool active = true;
};

struct SenderLogin {
  std::string address;
  std::string login;
  bool allow = true;
};

class Store {
 public:
  enum class Mode { kReadOnly, kReadWrite };

  // Opens an existing database. Fails (kInvalid) if CheckDatabasePath()
  // refuses path, and (kTemporary) if the file is missing,
  // unreadable, not SQLite, or holds a schema version other than
  // kSchemaVersion (unless allow_old_schema, for `rcptdb migrate`).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Mode mode,
                                             int busy_timeout_ms = 2000,
                                             bool allow_old_schema = false);
  // Creates a new database file with the current schema. Fails if it exists.
  static Result<std::unique_ptr<Store>> Create(const std::string& path);

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  // Returns the file's PRAGMA user_version.
  Result<int> SchemaVersion();
  // Brings an older schema up to kSchemaVersion, one migration at a time.
  // Invalid, listing the names, if mailbox names in the file break a rule
  // of the newer schema (a recipient delimiter in a mailbox name).
  Status Migrate();
  // For long-lived readers: if another connection changed the file since
  // the last call (PRAGMA data_version; cheap, no file I/O when nothing
  // changed), re-reads the schema version. Temporary if it is no longer
  // kSchemaVersion; Ok otherwise.
  Status RecheckSchemaIfChanged();

  // --- Reads (every reader) -------------------------------------------
  Result<std::optional<Domain>> FindDomain(std::string_view name);
  Result<std::optional<Mailbox>> FindMailbox(std::string_view address);
  // All rows with this source, active or not; empty if there is no alias.
  Result<std::vector<AliasTarget>> FindAlias(std::string_view source);
  Result<bool> IsRelayRecipient(std::string_view address);
  Result<std::vector<SenderLogin>> FindSenderLogins(std::string_view address);
  // Aliases whose target is this address (for default sender rights).
  Result<std::vector<std::string>> FindAliasSourcesFor(std::string_view target);
  Result<std::string> GetSetting(std::string_view name);
  // Mailboxes whose local part contains one of delimiters after its first
  // character (at most limit of them, in order); empty delimiters: none.
  Result<std::vector<std::string>> MailboxesWithDelimiter(std::string_view delimiters,
                                                          int limit = 20);

  // --- Listings (rcptdb) ----------------------------------------------
  Result<std::vector<Domain>> ListDomains();
  // domain empty: all. Calls fn for each row; fn returning false stops.
  Status ForEachMailbox(std::string_view domain, const std::function<bool(const Mailbox&)>& fn);
  Result<std::vector<AliasTarget>> ListAliases(std::string_view domain);
  Result<std::vector<std::string>> ListRelayRecipients(std::string_view domain);
  Result<std::vector<SenderLogin>> ListSenderLogins();

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
  Status InsertDomain(const Domain& d);
  // Rewrites every column of the domain named d.name.
  Status UpdateDomain(const Domain& d);
  // Conflict (not Invalid) if an alias domain still points to it.
  Status DeleteDomain(std::string_view name);
  Status InsertMailbox(const Mailbox& m);
  // Rewrites every column of the mailbox m.address.
  Status UpdateMailbox(const Mailbox& m);
  Status DeleteMailbox(std::string_view address);
  Status InsertAlias(std::string_view source, std::string_view target);
  // target empty: every row of source. NotFound if nothing matched.
  Status DeleteAlias(std::string_view source, std::string_view target);
  // Sets active on every row of source.
  Status SetAliasActive(std::string_view source, bool active);
  Status InsertRelayRecipient(std::string_view address);
  Status DeleteRelayRecipient(std::string_view address);
  // Inserts or overwrites (an upsert): never Conflict, never NotFound.
  Status SetSenderLogin(const SenderLogin& s);
  Status DeleteSenderLogin(std::string_view address, std::string_view login);
  // Inserts or overwrites; Invalid if the schema refuses the value.
  Status SetSetting(std::string_view name, std::string_view value);

  // Transactions: BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
  Status Begin();
  // A read snapshot (plain BEGIN): every read until Commit() sees one state
  // of the file, also on a read-only connection. For export and backup.
  Status BeginRead();
  // Returns true iff a transaction is open on this connection.
  bool InTransaction() const;
  Status Commit();
  void Rollback();
  // Returns SQLite's PRAGMA data_version: it differs from the value read
  // before on this connection iff another connection committed in between.
  // Inside a read transaction it is the snapshot's, and reading it starts
  // the snapshot.
  Result<std::uint64_t> DataVersion();

  // Copies the whole database to a new file with SQLite's online backup.
  Status BackupTo(const std::string& dest_path);

 private:
  class Statement;
  Store(std::string path, sqlite3* db, bool read_only);
  Statement& Prepare(int slot, const char* sql);
  Status Exec(const char* sql);
  Status CheckDelimiterFreeMailboxes();
  Status RunControl(int slot, const char* sql);
  Status Error(const char* what) const;
  Status RunWrite(int slot, const char* sql, const std::vector<std::string_view>& text_args,
                  const std::vector<std::int64_t>& int_args = {}, int* changes = nullptr);
  Result<std::optional<Domain>> ReadDomain(std::string_view name);
  Result<std::string> ReadSetting(std::string_view name);

  // Lets find() take a string_view: no allocation for a kept answer.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <typename V>
  using NameMap = std::unordered_map<std::string, V, NameHash, std::equal_to<>>;
  // Domain rows and settings read in the read-only snapshot in force
  // (BeginRead() to Commit() or Rollback()); absent otherwise.
  struct SnapshotMemo {
    NameMap<std::optional<Domain>> domains;
    NameMap<std::string> settings;
  };

  std::string path_;
  sqlite3* db_;
  bool read_only_;
  std::optional<std::uint64_t> data_version_;  // seen by RecheckSchemaIfChanged
  std::vector<std::unique_ptr<Statement>> statements_;
  std::optional<SnapshotMemo> memo_;
};

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
