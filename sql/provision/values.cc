// SPDX-License-Identifier: MIT
// NAME
//   values - read the values an admin types: names, sizes, flags, routes
// DESCRIPTION
//   Thin rules over librcptdb's normalisation with error messages that
//   name the value and say what would have been accepted. The limits
//   repeat the schema's CHECK constraints on purpose: a refusal here reads
//   better than SQLite's "CHECK constraint failed".
// SEE ALSO
//   values.h, address.h, sql/schema.sql
#include "values.h"

#include <charconv>
#include <limits>

#include "store.h"
#include "utf8.h"

namespace rcptdb {

Result<std::string> ParseDomainName(std::string_view raw) {
  std::optional<std::string> d = NormalizeDomain(raw);
  if (!d || raw.find('@') != std::string_view::npos)
    return Status::Invalid(std::string(raw) + ": not a valid domain name");
  return *d;
}

Result<DomainKind> ParseKind(std::string_view raw) {
  std::optional<DomainKind> k = ParseDomainKind(raw);
  if (!k) return Status::Invalid(std::string(raw) + ": must be hosted, relay or alias");
  return *k;
}

Result<AdminRole> ParseRole(std::string_view raw) {
  std::optional<AdminRole> r = ParseAdminRole(raw);
  if (!r) return Status::Invalid(std::string(raw) + ": must be server or domain");
  return *r;
}

namespace {

Status NotTokenDays(std::string_view raw) {
  return Status::Invalid(std::string(raw) + ": must be a number of days, 1 to " +
                         std::to_string(kMaxTokenDays));
}

}  // namespace

Status CheckTokenDays(std::int64_t days) {
  if (days < 1 || days > kMaxTokenDays) return NotTokenDays(std::to_string(days));
  return Status::Ok();
}

Result<std::int64_t> ParseTokenDays(std::string_view raw) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (ec != std::errc() || end != raw.data() + raw.size() || !CheckTokenDays(n).ok())
    return NotTokenDays(raw);
  return n;
}

Status CheckAdminDomains(AdminRole role, bool has_domains) {
  if (role == AdminRole::kServer && has_domains)
    return Status::Invalid("a server admin holds every domain; domains are for domain admins");
  return Status::Ok();
}

Result<Address> ParseAddress(std::string_view raw) {
  std::optional<Address> a = NormalizeAddress(raw);
  if (!a) return Status::Invalid(std::string(raw) + ": not a valid address");
  return *a;
}

namespace {

// The suffixes ParseQuota reads, largest first for FormatQuota.
struct Unit {
  char suffix;
  int shift;
};
constexpr Unit kUnits[] = {{'T', 40}, {'G', 30}, {'M', 20}, {'K', 10}};

}  // namespace

Result<std::int64_t> ParseQuota(std::string_view raw) {
  auto bad = [raw] {
    return Status::Invalid("quota " + std::string(raw) +
                           ": not a size in bytes (e.g. 1073741824, 512M, 2G; 0: no limit)");
  };
  std::string_view digits = raw;
  int shift = 0;
  if (!digits.empty()) {
    char last = digits.back();
    for (const Unit& u : kUnits)
      if (last == u.suffix || last == u.suffix - 'A' + 'a') shift = u.shift;
    if (shift != 0) digits.remove_suffix(1);
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value < 0)
    return bad();
  if (value > (std::numeric_limits<std::int64_t>::max() >> shift)) return bad();
  return value << shift;
}

std::string FormatQuota(std::int64_t bytes) {
  for (const Unit& u : kUnits) {
    std::int64_t unit = std::int64_t{1} << u.shift;
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + u.suffix;
  }
  return std::to_string(bytes);
}

Status CheckTransport(std::string_view t) {
  // transport(5): "transport:nexthop", either part may be empty, and the
  // nexthop of error: and discard: is free text with blanks. Postfix trims
  // a table value, so a leading or trailing blank would be lost.
  bool printable = !t.empty() && t.front() != ' ' && t.back() != ' ';
  for (char c : t)
    if (c < ' ' || c > '~') printable = false;
  if (!printable || t.find(':') == std::string_view::npos)
    return Status::Invalid("transport " + std::string(t) +
                           ": not a transport(5) value like lmtp:inet:127.0.0.1:24, "
                           "smtp:[mx.example] or error:5.7.1 Mailbox moved (printable ASCII, "
                           "no leading or trailing blanks)");
  return Status::Ok();
}

Status CheckDescription(std::string_view text) {
  std::size_t characters = 0;
  for (std::size_t i = 0; i < text.size(); ++characters) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = Utf8Length(text, i);
    if (n == 0 || c < 0x20 || c == 0x7f) return Status::Invalid(std::string(kDescriptionRule));
    i += n;
  }
  if (characters > kMaxDescription) return Status::Invalid(std::string(kDescriptionRule));
  return Status::Ok();
}

Result<bool> ParseFlag(std::string_view raw, bool if_empty, std::string_view what) {
  if (raw.empty()) return if_empty;
  if (raw == "1") return true;
  if (raw == "0") return false;
  return Status::Invalid(std::string(what) + " " + std::string(raw) + ": must be 1 or 0");
}

Status CheckDelimiters(std::string_view chars) {
  constexpr std::string_view kAllowed = "-+=_.#~";
  if (chars.size() > 8 || chars.find_first_not_of(kAllowed) != std::string_view::npos)
    return Status::Invalid("delimiter " + std::string(chars) +
                           ": must be at most 8 of the characters " + std::string(kAllowed));
  return Status::Ok();
}

Status CheckSettingName(std::string_view name) {
  std::string known;
  for (std::string_view n : kSettingNames) {
    if (name == n) return Status::Ok();
    known += (known.empty() ? "" : ", ") + std::string(n);
  }
  return Status::Invalid("setting " + std::string(name) + ": unknown (known: " + known + ")");
}

Result<std::string> ParseLogin(std::string_view raw) {
  if (raw.find('@') != std::string_view::npos) {
    if (std::optional<Address> a = NormalizeAddress(raw)) return a->str();
  }
  bool ok = !raw.empty() && raw.size() <= 254;
  for (char c : raw)
    if (c <= ' ' || c > '~' || c == ',') ok = false;
  if (!ok)
    return Status::Invalid("login " + std::string(raw) +
                           ": not a login (printable ASCII, no spaces or commas)");
  return std::string(raw);
}

}  // namespace rcptdb
