// SPDX-License-Identifier: MIT
// NAME
//   database_probe - read the standby lag outside the lookup path
// DESCRIPTION
//   The probe's LiveStore is opened only for a PostgreSQL database, and
//   only when a scrape asks: a server nobody scrapes holds no extra
//   connection. A failed read drops the connection (the next read
//   connects afresh) and shows no value; the lookups' own failures are
//   what rcptdb_database_up reports.
// SEE ALSO
//   database_probe.h, pg_store.h (StandbyLag)
#include "database_probe.h"

#ifdef RCPTDB_WITH_PGSQL
#include "pg_store.h"
#endif
#include "store.h"

namespace rcptdb {

DatabaseProbe::DatabaseProbe(std::string database, int busy_timeout_ms)
    : database_(std::move(database)), busy_timeout_ms_(busy_timeout_ms) {}

DatabaseProbe::~DatabaseProbe() = default;

void DatabaseProbe::SetDatabase(std::string database, int busy_timeout_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (database == database_ && busy_timeout_ms == busy_timeout_ms_) return;
  database_ = std::move(database);
  busy_timeout_ms_ = busy_timeout_ms;
  store_.reset();
  lag_.reset();
  read_at_ = {};
}

std::optional<double> DatabaseProbe::StandbyLagSeconds() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!IsPostgresSpec(database_)) return std::nullopt;
#ifdef RCPTDB_WITH_PGSQL
  auto now = std::chrono::steady_clock::now();
  if (read_at_ != std::chrono::steady_clock::time_point() &&
      now - read_at_ < std::chrono::seconds(1))
    return lag_;
  read_at_ = now;
  lag_.reset();
  if (store_ == nullptr) store_ = std::make_unique<LiveStore>(database_, busy_timeout_ms_);
  Result<Store*> store = store_->Get();
  auto* pg = store.ok() ? dynamic_cast<PgStore*>(*store) : nullptr;
  if (pg == nullptr) {
    store_->Invalidate();
    return std::nullopt;
  }
  Result<std::optional<std::chrono::milliseconds>> lag = pg->StandbyLag();
  if (!lag.ok()) {
    store_->Invalidate();
    return std::nullopt;
  }
  if (*lag) lag_ = static_cast<double>((*lag)->count()) / 1000.0;
  return lag_;
#else
  return std::nullopt;
#endif
}

}  // namespace rcptdb
