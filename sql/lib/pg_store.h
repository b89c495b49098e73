// SPDX-License-Identifier: MIT
// pg_store.h - the recipient database in PostgreSQL
//
// PgStore owns one libpq connection and implements Store (store.h) on the
// schema of sql/schema-pgsql.sql. Every statement is a constant text
// prepared once per connection (PQprepare) and run with its values as
// parameters (PQexecPrepared): no SQL is ever built from data. The only
// exceptions are the schema and migration scripts, constants run by
// Create and Migrate.
//
// Bounds: connecting waits at most busy_timeout_ms (polled, whatever the
// URI's connect_timeout says; a multi-host URI tries its hosts within that
// time), and the session's statement_timeout is busy_timeout_ms, so no
// lookup waits much longer than that on a dead or stuck server.
//
// Errors: a lost or refused connection is Temporary with Cause::
// kUnreachable, and the store stays broken (StillCurrent fails) so that a
// LiveStore opens a new one; a statement timeout is kTimeout; a
// serialization failure or deadlock kLocked. A write the schema refuses
// (SQLSTATE class 23, or P0001 raised by a trigger) is Invalid or Conflict
// exactly as on SqliteStore, with the trigger's message. Inside a write
// transaction each write runs under a savepoint, so a refused write leaves
// the transaction usable, as on SQLite.
//
// Transactions: Begin is SERIALIZABLE (the triggers that read other rows
// cannot be raced); BeginRead is REPEATABLE READ READ ONLY. A kReadOnly
// store also makes every transaction read-only (default_transaction_
// read_only), so it can run against a streaming standby.
//
// Standbys: a read snapshot (BeginRead, RenewRead) is where every reader
// resolves (Resolver::Resolve begins one; rcptdb-server's workers renew
// theirs), so that is where the standby bound is kept, for all of them:
// on a standby (pg_is_in_recovery()) whose data may be older than the
// bound (standby_freshness.h: replay lag, or no word from its primary for
// longer), the snapshot does not begin and BeginRead is Temporary naming
// the lag ("standby replay lags ...", "standby lags: ..."). The bound is
// the session's PostgreSQL setting rcptdb.max_standby_lag (an interval;
// a bare number is seconds), set in the URI (options=-c
// rcptdb.max_standby_lag=10s), per role or database (ALTER ROLE|DATABASE
// ... SET), or in the standby's postgresql.conf; kDefaultMaxStandbyLag if
// it is unset. A value that is not an interval is Temporary, naming it,
// on every host. The check costs no round trip: its facts come with the
// snapshot's probe row.
//
// Passwords: messages name the database by RedactSpec(spec) only.
//
// Thread safety: one thread at a time, like every Store.
#ifndef RCPTDB_PG_STORE_H
#define RCPTDB_PG_STORE_H

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "standby_freshness.h"
#include "status.h"
#include "store.h"

struct pg_conn;
struct pg_result;

namespace rcptdb {

// How old a standby's data may be before its readers defer, unless the
// session's rcptdb.max_standby_lag says otherwise.
inline constexpr std::chrono::milliseconds kDefaultMaxStandbyLag{30000};

class PgStore final : public Store {
 public:
  // A statement parameter: text, or SQL NULL.
  using Param = std::optional<std::string>;

  // Store::Open and Store::Create for a PostgreSQL URI (see there). Create
  // runs sql/schema-pgsql.sql into a database that holds no rcptdb tables
  // yet; Conflict if it does.
  static Result<std::unique_ptr<Store>> Open(const std::string& spec, Mode mode,
                                             int busy_timeout_ms, bool allow_old_schema);
  static Result<std::unique_ptr<Store>> Create(const std::string& spec);

  ~PgStore() override;

  Result<int> SchemaVersion() override;
  Status Migrate() override;
  // False once the connection is lost (the LiveStore then connects
  // afresh); otherwise re-reads the schema version (one cheap row) and
  // fails unless it is kSchemaVersion.
  Result<bool> StillCurrent() override;

  Result<std::optional<Mailbox>> FindMailbox(std::string_view address) override;
  Result<std::vector<AliasTarget>> FindAlias(std::string_view source) override;
  // One statement: the mailbox, or else the alias rows. The address
  // ExpectLookup() named is answered from the rows read with the snapshot.
  Result<LocalRows> FindLocal(std::string_view address) override;
  Result<bool> IsRelayRecipient(std::string_view address) override;
  Result<std::vector<SenderLogin>> FindSenderLogins(std::string_view address) override;
  Result<std::vector<std::string>> FindAliasSourcesFor(std::string_view target) override;
  Result<std::vector<std::string>> MailboxesWithDelimiter(std::string_view delimiters,
                                                          int limit) override;

  Result<std::vector<Domain>> ListDomains() override;
  Status ForEachMailbox(std::string_view domain,
                        const std::function<bool(const Mailbox&)>& fn) override;
  Result<std::vector<AliasTarget>> ListAliases(std::string_view domain) override;
  Result<std::vector<std::string>> ListRelayRecipients(std::string_view domain) override;
  Result<std::vector<SenderLogin>> ListSenderLogins() override;

  Status InsertDomain(const Domain& d) override;
  Status UpdateDomain(const Domain& d) override;
  Status DeleteDomain(std::string_view name) override;
  Status InsertMailbox(const Mailbox& m) override;
  Status UpdateMailbox(const Mailbox& m) override;
  Status DeleteMailbox(std::string_view address) override;
  Status InsertAlias(std::string_view source, std::string_view target) override;
  Status DeleteAlias(std::string_view source, std::string_view target) override;
  Status SetAliasActive(std::string_view source, bool active) override;
  Status InsertRelayRecipient(std::string_view address) override;
  Status DeleteRelayRecipient(std::string_view address) override;
  Status SetSenderLogin(const SenderLogin& s) override;
  Status DeleteSenderLogin(std::string_view address, std::string_view login) override;
  Status SetSetting(std::string_view name, std::string_view value) override;

  Status Begin() override;
  bool InTransaction() const override;
  // The rcptdb_version row's change counter; inside a read snapshot the
  // one read when it began, without another round trip.
  Result<std::uint64_t> DataVersion() override;

  // Invalid: a PostgreSQL database is copied with pg_dump or rcptdb export.
  Status BackupTo(const std::string& dest_path) override;

  // On a standby (pg_is_in_recovery()): how long ago its last replayed
  // commit was while it holds WAL it has received but not replayed, 0 when
  // it has replayed all it received; nullopt on a primary. One round trip,
  // for rcptdb-server's metrics (rcptdb_standby_lag_seconds).
  Result<std::optional<std::chrono::milliseconds>> StandbyLag();

 protected:
  Result<std::vector<SqlRow>> QueryShared(int slot, SqlText sql,
                                          const std::vector<SqlParam>& params,
                                          const char* what) override;
  Result<long> WriteShared(int slot, SqlText sql, const std::vector<SqlParam>& params) override;

 private:
  Result<std::optional<Domain>> ReadDomain(std::string_view name) override;
  Result<std::string> ReadSetting(std::string_view name) override;
  Status BeginSnapshot() override;
  Status CommitTransaction() override;
  void RollbackTransaction() override;
  // COMMIT and BEGIN ... READ ONLY and the probe, in one round trip.
  Status RenewSnapshot() override;

  // What a read snapshot reads as it begins (PG_PROBE in pg_store.cc).
  struct Probe {
    std::uint64_t version = 0;
    bool standby = false;     // pg_is_in_recovery()
    StandbyState state;       // what a standby says of itself
    std::int64_t now_ms = 0;  // the server's clock
    std::string lag_setting;  // rcptdb.max_standby_lag as set, or empty
  };
  class Rows;
  // Drops what the snapshot in force read (its probe and read-ahead
  // rows): it is ending, or another transaction begins.
  void ForgetSnapshot();
  // Begins a read snapshot (after a COMMIT if renew) and reads the probe
  // in one round trip, keeps the probe's row for DataVersion and checks
  // the standby bound with it; rolls back what it began if either fails.
  // With an expected lookup (Store::ExpectLookup) its FindLocal rows come
  // in the same round trip (SnapshotAndLookup).
  Status BeginSnapshotWith(bool renew);
  // The snapshot's statements and the expected FindLocal of address, sent
  // together in libpq's pipeline mode; fills probe and local, or returns
  // the first error. Leaves pipeline mode, or the connection broken.
  Status SnapshotAndLookup(bool renew, const std::string& address, std::optional<Rows>& probe,
                           std::optional<Rows>& local);
  // Ok on a primary, and on a standby whose data is within the bound
  // (JudgeStandby); else Temporary naming the lag.
  Status CheckStandbyLag(const Probe& probe);
  Result<Probe> ReadProbe(const Rows& r);
  // The snapshot's probe, or else a fresh one read now (one round trip).
  Result<Probe> CurrentProbe();
  // The bound in ms that setting names; Temporary naming it if it is not
  // an interval. Kept per text: a session's setting rarely changes.
  Result<std::int64_t> LagBound(const std::string& setting);
  PgStore(const std::string& spec, pg_conn* conn, bool read_only);
  Result<Rows> Run(int slot, const char* sql, const std::vector<Param>& params, const char* what);
  // Prepares sql as slot's statement on this connection, once.
  Status Prepare(int slot, const char* sql, int params, const char* what);
  Status Control(int slot, const char* sql);
  Status RunWrite(int slot, const char* sql, const std::vector<Param>& params,
                  long* changes = nullptr);
  Status WriteOnce(int slot, const char* sql, const std::vector<Param>& params, long* changes);
  Status ResultError(pg_result* res, const char* what);
  Status ExecScript(const char* sql);
  Status Configure(int busy_timeout_ms);

  pg_conn* conn_;
  bool read_only_;
  bool broken_ = false;         // the connection was lost: never used again
  std::vector<bool> prepared_;  // by slot, on this connection
  std::optional<Probe> probe_;  // the read snapshot's, while it is in force
  // FindLocal's rows for the expected address, read with the snapshot in
  // force; FindLocal of that address takes them.
  std::optional<std::pair<std::string, LocalRows>> prefetched_;
  std::optional<std::pair<std::string, std::int64_t>> parsed_bound_;  // LagBound's
};

}  // namespace rcptdb

#endif
