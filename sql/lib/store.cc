// SPDX-License-Identifier: MIT
// NAME
//   store - choose the database engine from the database setting
// DESCRIPTION
//   The one place that tells the engines apart: a libpq URI names a
//   PostgreSQL database, anything else a SQLite file. Everything above the
//   Store interface is the same for both. A build without libpq answers a
//   PostgreSQL URI with a clear error instead of reading it as a file name.
//   Also what both engines share: the write contract's wording, the schema
//   version check, and the snapshot memo (the domain rows and settings read
//   once per data version: on SQLite a quarter of a lookup's instructions,
//   on PostgreSQL a round trip each).
// SEE ALSO
//   store.h, sqlite_store.h, pg_store.h
#include "store.h"

#include <cstdlib>

#include "live_store.h"
#include "snapshot_signal.h"
#include "sqlite_store.h"
#ifdef RCPTDB_WITH_PGSQL
#include <libpq-fe.h>

#include "pg_change_signal.h"
#include "pg_store.h"
#endif

namespace rcptdb {

std::string DatabasePath(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("RCPTDB_DB");
  if (env != nullptr && *env != '\0') return env;
  return kDefaultDatabasePath;
}

bool IsPostgresSpec(std::string_view spec) {
  return spec.starts_with("postgresql://") || spec.starts_with("postgres://");
}

namespace {

constexpr const char* kRedacted = "***";

#ifdef RCPTDB_WITH_PGSQL
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Returns s with its %XX escapes decoded, as libpq reads URI parameters.
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
#endif

// Returns true iff the URI parameter named key (decoded) may be shown.
// With libpq: iff libpq knows the option and does not mark it secret
// (dispchar "*": password, sslpassword, ...); an alias libpq accepts but
// does not list (ssl=true) is masked too. Without libpq, no parameter is
// shown: such a build cannot use the URI anyway.
#ifdef RCPTDB_WITH_PGSQL
bool ShowableOption(const std::string& key, const PQconninfoOption* options) {
  for (const PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o)
    if (key == o->keyword) return o->dispchar == nullptr || std::string_view(o->dispchar) != "*";
  return false;
}
#endif

}  // namespace

std::string RedactSpec(std::string_view spec) {
  if (!IsPostgresSpec(spec)) return std::string(spec);
  std::size_t scheme_end = spec.find("://") + 3;
#ifdef RCPTDB_WITH_PGSQL
  // libpq's own parser decides what the URI means: what it cannot parse
  // is shown not at all, since no part of it is known to be harmless.
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(std::string(spec).c_str(), &error);
  if (options == nullptr) {
    PQfreemem(error);
    return std::string(spec.substr(0, scheme_end)) + "(a URI libpq cannot parse)";
  }
#endif
  std::size_t query = spec.find('?', scheme_end);
  std::string_view head = spec.substr(0, query);
  std::size_t authority_end = head.find('/', scheme_end);
  if (authority_end == std::string_view::npos) authority_end = head.size();
  std::string out(head);
  // userinfo is everything before the last '@' of the authority.
  std::size_t at = head.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos && at > scheme_end) {
    std::size_t colon = head.substr(0, at).find(':', scheme_end);
    if (colon != std::string_view::npos)
      out = std::string(head.substr(0, colon + 1)) + kRedacted + std::string(head.substr(at));
  }
  if (query != std::string_view::npos) {
    std::string_view params = spec.substr(query + 1);
    out += '?';
    std::size_t pos = 0;
    while (pos <= params.size()) {
      std::size_t amp = params.find('&', pos);
      if (amp == std::string_view::npos) amp = params.size();
      std::string_view param = params.substr(pos, amp - pos);
      std::size_t eq = param.find('=');
      std::string_view key = param.substr(0, eq);
      if (pos > 0) out += '&';
#ifdef RCPTDB_WITH_PGSQL
      bool show = eq == std::string_view::npos || ShowableOption(PercentDecode(key), options);
#else
      bool show = eq == std::string_view::npos;
#endif
      out += show ? std::string(param) : std::string(key) + "=" + kRedacted;
      pos = amp + 1;
    }
  }
#ifdef RCPTDB_WITH_PGSQL
  PQconninfoFree(options);
#endif
  return out;
}

Status CheckDatabasePath(std::string_view spec) {
  if (IsPostgresSpec(spec)) {
    if (spec.find('\0') != std::string_view::npos)
      return Status::Invalid("database URI contains a NUL byte");
    return Status::Ok();
  }
  return SqliteStore::CheckPath(spec);
}

const char* DomainKindName(DomainKind kind) {
  switch (kind) {
    case DomainKind::kHosted:
      return "hosted";
    case DomainKind::kRelay:
      return "relay";
    case DomainKind::kAlias:
      return "alias";
  }
  return "hosted";
}

Status RequireChange(Status written, long changes, RowKind row) {
  if (!written.ok() || changes != 0) return written;
  switch (row) {
    case RowKind::kDomain:
      return Status::NotFound("no such domain");
    case RowKind::kMailbox:
      return Status::NotFound("no such mailbox");
    case RowKind::kAlias:
      return Status::NotFound("no such alias");
    case RowKind::kRelayRecipient:
      return Status::NotFound("no such relay recipient");
    case RowKind::kSenderLogin:
      return Status::NotFound("no such sender login");
    case RowKind::kAdmin:
      return Status::NotFound("no such admin");
    case RowKind::kToken:
      return Status::NotFound("no such token");
  }
  return Status::NotFound("no such row");
}

Status DomainDeleted(Status written, long changes) {
  if (written.code() == Status::Code::kInvalid)
    return Status::Conflict("an alias domain still points to it");
  return RequireChange(std::move(written), changes, RowKind::kDomain);
}

Status ExistsAlready() { return Status::Conflict("exists already"); }

Status CheckSchemaVersion(Store& store, bool allow_old_schema) {
  Result<int> version = store.SchemaVersion();
  if (!version.ok()) return version.status();
  if (*version == kSchemaVersion || (allow_old_schema && *version < kSchemaVersion))
    return Status::Ok();
  std::string hint = *version < kSchemaVersion ? " (run rcptdb migrate)" : " (newer rcptdb?)";
  if (*version == 0) hint = " (not an rcptdb database, or run rcptdb init)";
  return Status::Temporary(Status::Cause::kWrongVersion,
                           "database " + store.name() + " has schema version " +
                               std::to_string(*version) + ", this build knows " +
                               std::to_string(kSchemaVersion) + hint);
}

namespace {

#ifndef RCPTDB_WITH_PGSQL

Status NoPostgres(const std::string& spec) {
  return Status::Invalid("database " + RedactSpec(spec) +
                         ": this rcptdb was built without PostgreSQL (libpq); "
                         "use a SQLite database path, or rebuild with libpq-dev installed");
}
#endif

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& spec, Mode mode, int busy_timeout_ms,
                                           bool allow_old_schema) {
  if (IsPostgresSpec(spec)) {
#ifdef RCPTDB_WITH_PGSQL
    return PgStore::Open(spec, mode, busy_timeout_ms, allow_old_schema);
#else
    return NoPostgres(spec);
#endif
  }
  return SqliteStore::Open(spec, mode, busy_timeout_ms, allow_old_schema);
}

Result<std::unique_ptr<Store>> Store::Create(const std::string& spec) {
  if (IsPostgresSpec(spec)) {
#ifdef RCPTDB_WITH_PGSQL
    return PgStore::Create(spec);
#else
    return NoPostgres(spec);
#endif
  }
  return SqliteStore::Create(spec);
}

std::unique_ptr<ChangeSignal> Store::NewChangeSignal(LiveStore& live) {
#ifdef RCPTDB_WITH_PGSQL
  if (IsPostgresSpec(live.path())) return std::make_unique<PgChangeSignal>(live);
#endif
  // Without libpq a PostgreSQL URI never opens: any signal will do.
  return std::make_unique<SnapshotSignal>(live);
}

Result<std::uint64_t> Store::SnapshotVersion() {
  if (!in_snapshot_) return DataVersion();
  if (!snapshot_version_) {
    Result<std::uint64_t> version = DataVersion();
    if (!version.ok()) return version;
    snapshot_version_ = *version;
  }
  return *snapshot_version_;
}

Store::SnapshotMemo* Store::Memo() {
  if (!in_snapshot_) return nullptr;
  Result<std::uint64_t> version = SnapshotVersion();
  // Trouble reading it will show on the read itself: keep nothing now.
  if (!version.ok()) return nullptr;
  if (memo_.version != *version) {
    memo_.domains.clear();
    memo_.settings.clear();
    memo_.version = *version;
  }
  return &memo_;
}

void Store::SnapshotBegun(bool ok) {
  in_snapshot_ = ok && mode_ == Mode::kReadOnly;
  snapshot_version_.reset();
}

Result<std::optional<Domain>> Store::FindDomain(std::string_view name) {
  SnapshotMemo* memo = Memo();
  if (memo) {
    auto kept = memo->domains.find(name);
    if (kept != memo->domains.end()) return kept->second;
  }
  Result<std::optional<Domain>> found = ReadDomain(name);
  if (memo && found.ok()) {
    if (memo->domains.size() >= kMaxMemoRows) memo->domains.clear();
    memo->domains.emplace(std::string(name), *found);
  }
  return found;
}

const Domain* Store::RememberedDomain(std::string_view name) const {
  auto kept = memo_.domains.find(name);
  if (kept == memo_.domains.end() || !kept->second) return nullptr;
  return &*kept->second;
}

Result<std::string> Store::GetSetting(std::string_view name) {
  SnapshotMemo* memo = Memo();
  if (memo) {
    auto kept = memo->settings.find(name);
    if (kept != memo->settings.end()) return kept->second;
  }
  Result<std::string> value = ReadSetting(name);
  if (memo && value.ok()) {
    if (memo->settings.size() >= kMaxMemoRows) memo->settings.clear();
    memo->settings.emplace(std::string(name), *value);
  }
  return value;
}

// Only a read-only connection's snapshot is sure not to change until it
// ends: a read-write one could write inside it.
Status Store::BeginRead() {
  SnapshotBegun(false);
  Status s = BeginSnapshot();
  expected_.clear();
  SnapshotBegun(s.ok());
  return s;
}

Status Store::RenewRead() {
  SnapshotBegun(false);
  Status s = RenewSnapshot();
  expected_.clear();
  SnapshotBegun(s.ok());
  return s;
}

Status Store::RenewSnapshot() {
  Status s = CommitTransaction();
  return s.ok() ? BeginSnapshot() : s;
}

Result<LocalRows> Store::FindLocal(std::string_view address) {
  LocalRows rows;
  Result<std::optional<Mailbox>> mbox = FindMailbox(address);
  if (!mbox.ok()) return mbox.status();
  rows.mailbox = std::move(*mbox);
  if (rows.mailbox) return rows;
  Result<std::vector<AliasTarget>> aliases = FindAlias(address);
  if (!aliases.ok()) return aliases.status();
  rows.aliases = std::move(*aliases);
  return rows;
}

Status Store::Commit() {
  SnapshotBegun(false);
  return CommitTransaction();
}

void Store::Rollback() {
  SnapshotBegun(false);
  RollbackTransaction();
}

}  // namespace rcptdb
