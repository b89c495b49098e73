// SPDX-License-Identifier: MIT
// NAME
//   record_json - each record as JSON, its version (ETag), and the time
// DESCRIPTION
//   Empty optional fields are null, so that a reader tells "none" from an
//   empty string. The version digests the record's JSON and its secret
//   (kept out of the JSON) with libsodium's SHA-256.
// SEE ALSO
//   record_json.h, json.h, sql/schema.sql
#include "record_json.h"

#include <sodium.h>

#include <cstdio>
#include <ctime>

#include "json.h"

namespace rcptdb {
namespace {

std::string Version(std::string_view content) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(content.data()),
                     content.size());
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, digest, 16);
  return hex;
}

}  // namespace

std::string PasswordScheme(std::string_view hash) {
  if (!hash.starts_with("{")) return "";
  std::size_t close = hash.find('}');
  return close == std::string_view::npos ? "" : std::string(hash.substr(1, close - 1));
}

std::string DomainJson(const Domain& d) {
  return JsonObject()
      .String("name", d.name)
      .String("kind", DomainKindName(d.kind))
      .Bool("active", d.active)
      .StringOrNull("transport", d.transport)
      .StringOrNull("target", d.target)
      .StringOrNull("catchall", d.catchall)
      .str();
}

std::string MailboxJson(const Mailbox& m) {
  return JsonObject()
      .String("address", m.address)
      .Bool("active", m.active)
      .StringOrNull("password_scheme", PasswordScheme(m.password))
      .Int("quota", m.quota)
      .StringOrNull("transport", m.transport)
      .String("description", m.description)
      .str();
}

std::string AliasJson(const AliasTarget& a) {
  return JsonObject()
      .String("source", a.source)
      .String("target", a.target)
      .Bool("active", a.active)
      .str();
}

std::string AliasSourceJson(std::string_view source, const std::vector<AliasTarget>& rows) {
  std::vector<std::string> targets;
  for (const AliasTarget& a : rows) targets.push_back(a.target);
  return JsonObject()
      .String("source", source)
      .Bool("active", rows.empty() || rows.front().active)
      .Raw("targets", JsonStringArray(targets))
      .str();
}

std::string SenderJson(const SenderLogin& s) {
  return JsonObject()
      .String("address", s.address)
      .String("login", s.login)
      .Bool("allow", s.allow)
      .str();
}

std::string SettingJson(std::string_view name, std::string_view value) {
  return JsonObject().String("name", name).String("value", value).str();
}

std::string SettingsJson(const SettingValues& all) {
  JsonObject j;
  for (const auto& [name, value] : all) j.String(name, value);
  return j.str();
}

std::string AdminJson(const Admin& a) {
  return JsonObject()
      .String("login", a.login)
      .String("role", AdminRoleName(a.role))
      .Bool("active", a.active)
      .Raw("domains", JsonStringArray(a.domains))
      .StringOrNull("password_scheme", PasswordScheme(a.password))
      .StringOrNull("created", a.created)
      .StringOrNull("last_login", a.last_login)
      .str();
}

std::string TokenJson(const Token& t) {
  return JsonObject()
      .String("prefix", t.prefix)
      .String("login", t.login)
      .Raw("domains", t.all_domains ? "null" : JsonStringArray(t.domains))
      .Bool("read_only", t.read_only)
      .StringOrNull("expires", t.expires)
      .StringOrNull("networks", t.networks)
      .StringOrNull("created", t.created)
      .str();
}

std::string RecordVersion(const Domain& d) { return Version(DomainJson(d)); }

std::string RecordVersion(const Mailbox& m) { return RecordVersion(m, MailboxJson(m)); }

std::string RecordVersion(const Mailbox& m, std::string_view mailbox_json) {
  return Version(std::string(mailbox_json) + '\n' + m.password);
}

std::string RecordVersion(std::string_view source, const std::vector<AliasTarget>& rows) {
  return Version(AliasSourceJson(source, rows));
}

std::string RecordVersion(const Admin& a) {
  return Version(JsonObject()
                     .String("login", a.login)
                     .String("role", AdminRoleName(a.role))
                     .Bool("active", a.active)
                     .Raw("domains", JsonStringArray(a.domains))
                     .str() +
                 '\n' + a.password);
}

std::string RecordVersion(const SettingValues& all) { return Version(SettingsJson(all)); }

std::string UtcTime(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::string UtcNow() { return UtcTime(std::chrono::system_clock::now()); }

Result<std::string> ParseUtcTime(std::string_view raw) {
  std::string s(raw);
  if (s.ends_with("Z") || s.ends_with("z")) s.pop_back();
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  int fields = std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n);
  bool ok = fields == 3 && n == 10;
  if (ok && s.size() > 10) {
    int m = 0;
    ok = (s[10] == 'T' || s[10] == ' ') &&
         ((std::sscanf(s.c_str() + 11, "%2d:%2d:%2d%n", &h, &mi, &sec, &m) == 3 && m == 8 &&
           s.size() == 19) ||
          (std::sscanf(s.c_str() + 11, "%2d:%2d%n", &h, &mi, &m) == 2 && m == 5 && s.size() == 16));
  }
  ok = ok && y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 &&
       mi <= 59 && sec <= 60 && h >= 0 && mi >= 0 && sec >= 0;
  if (!ok)
    return Status::Invalid(
        std::string(raw) +
        ": not a time (YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, UTC)");
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.000Z", y, mo, d, h, mi, sec);
  return std::string(buf);
}

}  // namespace rcptdb
