// SPDX-License-Identifier: MIT
// record_json.h - each record as JSON, its version (ETag), and the time
//
// One JSON form per kind of record, shared by `rcptdb ... --json`,
// rcptdb-web's answers and the audit log's before and after, so that the
// three cannot drift. Secrets never appear: a mailbox or an admin shows
// only its password's scheme, a token never its hash.
//
// RecordVersion() is a record's version for HTTP's ETag and If-Match: a
// digest of every stored field (the password hash included, so that a
// password change is a new version), 16 bytes of SHA-256 in hex. It is
// derived from the content, so it needs no column, is the same on both
// engines, and changes with plain SQL changes too; a record changed and
// changed back has its old version again, which is right for If-Match
// (the writer's view matches what is stored). The settings, a few rows of
// name and value, are versioned together as one record.
//
// Thread safety: pure functions.
#ifndef RCPTDB_PROVISION_RECORD_JSON_H
#define RCPTDB_PROVISION_RECORD_JSON_H

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store.h"

namespace rcptdb {

// Every setting as (name, value), in kSettingNames' order: the settings
// are one record, with one version.
using SettingValues = std::vector<std::pair<std::string, std::string>>;

// Returns the scheme of a {SCHEME}hash ("SHA512-CRYPT"), "" if none.
std::string PasswordScheme(std::string_view hash);

std::string DomainJson(const Domain& d);
std::string MailboxJson(const Mailbox& m);
// One alias row (rcptdb alias list).
std::string AliasJson(const AliasTarget& a);
// A whole alias: {"source", "active", "targets": [...]}, from its rows
// (all of one source, as Store::FindAlias returns them).
std::string AliasSourceJson(std::string_view source, const std::vector<AliasTarget>& rows);
std::string SenderJson(const SenderLogin& s);
std::string SettingJson(std::string_view name, std::string_view value);
// All settings: {"delimiter": "+", ...} (rcptdb --json config list).
std::string SettingsJson(const SettingValues& all);
std::string AdminJson(const Admin& a);
std::string TokenJson(const Token& t);

std::string RecordVersion(const Domain& d);
std::string RecordVersion(const Mailbox& m);
// The same, given mailbox_json = MailboxJson(m) already written (a list
// writes each row's JSON once).
std::string RecordVersion(const Mailbox& m, std::string_view mailbox_json);
std::string RecordVersion(std::string_view source, const std::vector<AliasTarget>& rows);
std::string RecordVersion(const Admin& a);
std::string RecordVersion(const SettingValues& all);

// Returns t as the schema's time: UTC, ISO 8601, with milliseconds
// ("2026-01-31T12:00:00.000Z"), which sorts as text in time order.
std::string UtcTime(std::chrono::system_clock::time_point t);
std::string UtcNow();
// Returns the normal form of a time given as YYYY-MM-DD, YYYY-MM-DDTHH:MM
// or YYYY-MM-DDTHH:MM:SS (optionally with a trailing Z), UTC; Invalid
// naming raw otherwise.
Result<std::string> ParseUtcTime(std::string_view raw);

}  // namespace rcptdb

#endif
