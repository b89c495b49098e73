// SPDX-License-Identifier: MIT
// NAME
//   adopt_passwd - Dovecot passwd-file lines and password hash schemes
// DESCRIPTION
//   The passwd-file is read as Dovecot reads it: colon-separated fields,
//   extra fields separated by spaces. Only the quota rule for all
//   mailboxes ("*:storage=" or "*:bytes=") is a quota rcptdb can hold;
//   a rule for one folder, a percentage or a message count is dropped and
//   named.
// SEE ALSO
//   adopt_passwd.h, adopt_plan.h, Dovecot's passwd-file and quota docs
#include "adopt_passwd.h"

#include <limits>

#include "password.h"

namespace rcptdb::admin {
namespace {

// White space or another control character: no user name or hash has one.
bool HasSpace(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return true;
  return false;
}

struct CryptPrefix {
  std::string_view prefix;
  std::string_view scheme;
};
constexpr CryptPrefix kCryptPrefixes[] = {
    {"$6$", "SHA512-CRYPT"}, {"$5$", "SHA256-CRYPT"}, {"$1$", "MD5-CRYPT"},
    {"$2y$", "BLF-CRYPT"},   {"$2b$", "BLF-CRYPT"},   {"$2a$", "BLF-CRYPT"},
};

// The characters of crypt(3) output: the salt and hash alphabet plus '$'.
bool IsCryptText(std::string_view s) {
  if (s.size() < 13) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '/' || c == '$' || c == '=' || c == ',' || c == '-'))
      return false;
  return true;
}

// Reads one extra field's quota rule; returns true iff it was one.
Result<bool> ReadQuotaRule(std::string_view key, std::string_view value, PasswdUser& u) {
  if (key != "userdb_quota_rule" && key != "quota_rule") return false;
  if (!value.starts_with("*:")) return false;
  value.remove_prefix(2);
  std::string_view size;
  if (value.starts_with("storage="))
    size = value.substr(8);
  else if (value.starts_with("bytes="))
    size = value.substr(6);
  else
    return false;
  Result<std::int64_t> bytes = ParseDovecotSize(size);
  if (!bytes.ok()) return Status::Invalid(std::string(key) + ": " + bytes.status().message());
  u.quota = *bytes;
  return true;
}

}  // namespace

Result<std::string> NamedHash(std::string_view hash) {
  if (hash.empty()) return std::string();
  if (HasSpace(hash)) return Status::Invalid("a password hash holds white space");
  if (hash.front() == '{') {
    std::size_t close = hash.find('}');
    std::string out(hash);
    if (close != std::string_view::npos)
      for (std::size_t i = 1; i < close; ++i)
        if (out[i] >= 'a' && out[i] <= 'z') out[i] = static_cast<char>(out[i] - 'a' + 'A');
    if (!IsSchemeHash(out)) return Status::Invalid("not a {SCHEME}hash password");
    return out;
  }
  for (const CryptPrefix& p : kCryptPrefixes)
    if (hash.starts_with(p.prefix) && IsCryptText(hash))
      return "{" + std::string(p.scheme) + "}" + std::string(hash);
  if (IsCryptText(hash)) return "{CRYPT}" + std::string(hash);
  return Status::Invalid("neither a {SCHEME}hash nor a crypt(3) hash (a plain-text password?)");
}

Result<std::int64_t> ParseDovecotSize(std::string_view size) {
  if (size.empty()) return Status::Invalid("empty size");
  std::int64_t unit = 1;
  switch (size.back()) {
    case 'b':
    case 'B':
      unit = 1;
      break;
    case 'k':
    case 'K':
      unit = std::int64_t{1} << 10;
      break;
    case 'm':
    case 'M':
      unit = std::int64_t{1} << 20;
      break;
    case 'g':
    case 'G':
      unit = std::int64_t{1} << 30;
      break;
    case 't':
    case 'T':
      unit = std::int64_t{1} << 40;
      break;
    default:
      unit = 0;
  }
  if (unit != 0)
    size.remove_suffix(1);
  else
    unit = 1;
  if (size.empty() || size.size() > 18) return Status::Invalid("not a size: " + std::string(size));
  std::int64_t n = 0;
  for (char c : size) {
    if (c < '0' || c > '9') return Status::Invalid("not a size in bytes: " + std::string(size));
    n = n * 10 + (c - '0');
  }
  if (n > (std::int64_t{1} << 62) / unit) return Status::Invalid("size too large");
  return n * unit;
}

Result<std::optional<PasswdUser>> ParsePasswdLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return std::optional<PasswdUser>();
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  // Seven colon-separated fields; the eighth (extra fields) keeps its colons.
  while (fields.size() < 7) {
    std::size_t colon = line.find(':', start);
    if (colon == std::string_view::npos) break;
    fields.push_back(line.substr(start, colon - start));
    start = colon + 1;
  }
  fields.push_back(line.substr(start));
  PasswdUser u;
  u.user = std::string(fields[0]);
  if (u.user.empty()) return Status::Invalid("a line without a user");
  if (HasSpace(u.user)) return Status::Invalid(u.user + ": white space in the user name");
  if (fields.size() > 1) {
    Result<std::string> hash = NamedHash(fields[1]);
    if (!hash.ok()) return Status::Invalid(u.user + ": " + hash.status().message());
    u.password = *hash;
  }
  // uid, gid, home and shell are the Dovecot configuration's business
  // (rcptdb dovecot-config sets them for every user).
  if (fields.size() == 8) {
    std::string_view extra = fields[7];
    std::size_t i = 0;
    while (i < extra.size()) {
      while (i < extra.size() && (extra[i] == ' ' || extra[i] == '\t')) ++i;
      std::size_t s = i;
      while (i < extra.size() && extra[i] != ' ' && extra[i] != '\t') ++i;
      if (i == s) break;
      std::string_view field = extra.substr(s, i - s);
      std::size_t eq = field.find('=');
      std::string_view key = field.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : field.substr(eq + 1);
      Result<bool> quota = ReadQuotaRule(key, value, u);
      if (!quota.ok()) return Status::Invalid(u.user + ": " + quota.status().message());
      if (!*quota) u.dropped.emplace_back(field.substr(0, 120));
    }
  }
  return std::optional<PasswdUser>(std::move(u));
}

}  // namespace rcptdb::admin
