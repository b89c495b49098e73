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
#include <vector>

#include "status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rcptdb {

// The schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kSchemaVersion = 1;
// Where the database lives unless --db or RCPTDB_DB say otherwise.
inline constexpr const char* kDefaultDatabasePath = "/var/lib/rcptdb/rcptdb.sqlite";

// Returns --db's value if given, else $RCPTDB_DB, else the default path.
std::string DatabasePath(const std::string& flag);

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

  // Opens an existing database. Fails (kTemporary) if the file is missing,
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
  Status Migrate();

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

  // --- Listings (rcptdb) ----------------------------------------------
  Result<std::vector<Domain>> ListDomains();
  // domain empty: all. Calls fn for each row; fn returning false stops.
  Status ForEachMailbox(std::string_view domain, const std::function<bool(const Mailbox&)>& fn);
  Result<std::vector<AliasTarget>> ListAliases(std::string_view domain);
  Result<std::vector<std::string>> ListRelayRecipients(std::string_view domain);
  Result<std::vector<SenderLogin>> ListSenderLogins();

  // --- Writes (rcptdb; callers normalise and validate first) ----------
  Status InsertDomain(const Domain& d);
  Status UpdateDomain(const Domain& d);
  Status DeleteDomain(std::string_view name);
  Status InsertMailbox(const Mailbox& m);
  Status UpdateMailbox(const Mailbox& m);
  Status DeleteMailbox(std::string_view address);
  Status InsertAlias(std::string_view source, std::string_view target);
  // target empty: every row of source. Returns kNotFound if nothing matched.
  Status DeleteAlias(std::string_view source, std::string_view target);
  Status SetAliasActive(std::string_view source, bool active);
  Status InsertRelayRecipient(std::string_view address);
  Status DeleteRelayRecipient(std::string_view address);
  Status SetSenderLogin(const SenderLogin& s);
  Status DeleteSenderLogin(std::string_view address, std::string_view login);
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
  Status RunControl(int slot, const char* sql);
  Status Error(const char* what) const;
  Status RunWrite(int slot, const char* sql, const std::vector<std::string_view>& text_args,
                  const std::vector<std::int64_t>& int_args = {}, int* changes = nullptr);

  std::string path_;
  sqlite3* db_;
  bool read_only_;
  std::vector<std::unique_ptr<Statement>> statements_;
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
