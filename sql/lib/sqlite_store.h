// SPDX-License-Identifier: MIT
// sqlite_store.h - the recipient database in one SQLite file
//
// SqliteStore owns one SQLite connection and implements Store (store.h)
// with statements prepared once and bound with parameters: keys are data,
// never SQL and never LIKE/GLOB patterns.
//
// Readers open with Mode::kReadOnly: SQLITE_OPEN_READONLY plus query_only.
// Writers use kReadWrite. Every connection sets a busy timeout and enables
// foreign keys. Any SQLite failure other than a constraint becomes
// Status::Temporary with a message naming the file and the cause. The
// file runs in WAL mode, so readers run in parallel with the one writer.
//
// Only Store::Open and Store::Create construct one; nothing else needs
// this header but the tests of SQLite-only behaviour.
//
// Thread safety: one thread at a time, like every Store (connections are
// cheap: open one per thread).
#ifndef RCPTDB_SQLITE_STORE_H
#define RCPTDB_SQLITE_STORE_H

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"
#include "store.h"
#include "wal_index_watch.h"

struct sqlite3;
struct sqlite3_stmt;

namespace rcptdb {

class SqliteStore final : public Store {
 public:
  // Store::Open and Store::Create for a path (see there).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, Mode mode,
                                             int busy_timeout_ms, bool allow_old_schema);
  static Result<std::unique_ptr<Store>> Create(const std::string& path);
  // CheckDatabasePath() for a path: Ok iff it can name a shared file.
  static Status CheckPath(std::string_view path);

  ~SqliteStore() override;

  Result<int> SchemaVersion() override;
  Status Migrate() override;
  // Compares the file at the path (stat) with the one opened, then, if
  // another connection changed the file since the last call (PRAGMA
  // data_version; no file I/O when nothing changed), re-reads the schema
  // version.
  Result<bool> StillCurrent() override;

  Result<std::optional<Mailbox>> FindMailbox(std::string_view address) override;
  Result<std::vector<AliasTarget>> FindAlias(std::string_view source) override;
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
  Result<std::uint64_t> DataVersion() override;
  // A read-only connection to a WAL database saves and checks the header
  // of the WAL index it maps (wal_index_watch.h); otherwise no check.
  void MarkState() override;
  bool UnchangedSinceMark() const override { return watch_.Unchanged(); }
  bool KeepableSinceMark() const override { return watch_.Backfilled() && watch_.Unchanged(); }

  Status BackupTo(const std::string& dest_path) override;

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

  class Statement;
  SqliteStore(std::string path, sqlite3* db, bool read_only);
  Statement& Prepare(int slot, const char* sql);
  Status Exec(const char* sql);
  Status CheckDelimiterFreeMailboxes();
  Status RecheckSchemaIfChanged();
  Status RunControl(int slot, const char* sql);
  // Points watch_ at the WAL index this connection maps, if the database
  // is in WAL mode and SQLite has mapped it.
  void AttachWatch();
  Status Error(const char* what) const;
  // The Status of a write statement that ended with rc (not SQLITE_DONE).
  Status WriteError(int rc) const;
  // Prepares a shared statement and binds params to its $1..$N.
  Statement& PrepareShared(int slot, const char* sql, const std::vector<SqlParam>& params);
  Status RunWrite(int slot, const char* sql, const std::vector<std::string_view>& text_args,
                  const std::vector<std::int64_t>& int_args = {}, int* changes = nullptr);

  sqlite3* db_;
  bool read_only_;
  dev_t dev_ = 0;  // the file opened, for StillCurrent
  ino_t ino_ = 0;
  std::optional<std::uint64_t> data_version_;  // seen by RecheckSchemaIfChanged
  std::vector<std::unique_ptr<Statement>> statements_;
  WalIndexWatch watch_;         // over memory SQLite maps until sqlite3_close
  bool watch_settled_ = false;  // attached, or never will be
};

}  // namespace rcptdb

#endif
