// SPDX-License-Identifier: MIT
// NAME
//   api_token - API tokens: made, shown once, stored as a hash, checked
// DESCRIPTION
//   libsodium provides the three things a token needs and that are easy
//   to get wrong by hand: random bytes from the kernel, SHA-256, and a
//   comparison whose time does not depend on where the inputs differ.
// SEE ALSO
//   api_token.h, sql/schema.sql (tokens), password.h
#include "api_token.h"

#include <sodium.h>

#include "network_list.h"
#include "password.h"

namespace rcptdb {
namespace {

constexpr std::string_view kTokenTag = "rcptdb_";
constexpr std::size_t kSecretBytes = 32;

// One sodium_init() per process; it is safe to call again.
void InitSodium() {
  static const int init = sodium_init();
  (void)init;
}

// A valid {SHA512-CRYPT} hash of a password nobody has, so that an
// unknown login costs one crypt_r like a known one.
const std::string& DummyHash() {
  static const std::string hash = HashPassword("rcptdb-no-such-login").value();
  return hash;
}

}  // namespace

MadeToken MakeToken() {
  InitSodium();
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  MadeToken t;
  for (std::size_t i = 0; i < kTokenPrefixLength; ++i)
    t.prefix += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  unsigned char secret[kSecretBytes];
  randombytes_buf(secret, sizeof secret);
  char b64[sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, secret, sizeof secret,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(secret, sizeof secret);
  t.token = std::string(kTokenTag) + t.prefix + "_" + b64;
  t.secret_hash = TokenHash(t.token);
  return t;
}

Result<std::string> TokenPrefix(std::string_view token) {
  auto refuse = [] { return Status::Invalid("not an rcptdb token"); };
  if (!token.starts_with(kTokenTag) || token.size() > 128) return refuse();
  std::string_view rest = token.substr(kTokenTag.size());
  if (rest.size() <= kTokenPrefixLength + 1 || rest[kTokenPrefixLength] != '_') return refuse();
  std::string_view prefix = rest.substr(0, kTokenPrefixLength);
  for (char c : prefix)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return refuse();
  for (char c : rest.substr(kTokenPrefixLength + 1))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return refuse();
  return std::string(prefix);
}

std::string TokenHash(std::string_view token) {
  InitSodium();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

Result<TokenGrant> AuthenticateToken(Store& store, std::string_view token, std::string_view now,
                                     const sockaddr* client, std::string* why) {
  auto refuse = [why](std::string reason) -> Result<TokenGrant> {
    if (why != nullptr) *why = std::move(reason);
    return Status::Invalid("token refused");
  };
  Result<std::string> prefix = TokenPrefix(token);
  if (!prefix.ok()) return refuse("malformed token");
  Result<std::optional<TokenGrant>> grant = store.FindTokenGrant(*prefix);
  if (!grant.ok()) return grant.status();
  // Hash and compare even without a row, so that the time taken does not
  // tell a known prefix from an unknown one.
  std::string hash = TokenHash(token);
  std::string stored = *grant ? (*grant)->token.secret_hash : std::string(hash.size(), '0');
  bool match = stored.size() == hash.size() &&
               sodium_memcmp(stored.data(), hash.data(), hash.size()) == 0 && grant->has_value();
  if (!match) return refuse("token " + *prefix + ": no such token, or a wrong secret");
  TokenGrant& g = **grant;
  if (!g.owner_active)
    return refuse("token " + *prefix + ": its owner " + g.token.login + " is disabled");
  if (!g.token.expires.empty() && g.token.expires <= now)
    return refuse("token " + *prefix + ": expired at " + g.token.expires);
  if (client != nullptr && !g.token.networks.empty()) {
    Result<NetworkList> nets = NetworkList::Parse(g.token.networks);
    if (!nets.ok() || !nets->Contains(client))
      return refuse("token " + *prefix + ": the client is outside its networks " +
                    g.token.networks);
  }
  return std::move(g);
}

Result<Admin> AuthenticateAdmin(Store& store, std::string_view login, std::string_view password,
                                std::string* why) {
  auto refuse = [why](std::string reason) -> Result<Admin> {
    if (why != nullptr) *why = std::move(reason);
    return Status::Invalid("login refused");
  };
  Result<std::optional<Admin>> a = store.FindAdmin(login);
  if (!a.ok()) return a.status();
  const std::string& hash = *a && !(*a)->password.empty() ? (*a)->password : DummyHash();
  bool match = VerifyPassword(password, hash) && a->has_value() && !(*a)->password.empty();
  if (!match) return refuse("admin " + std::string(login) + ": no such admin, or a wrong password");
  if (!(*a)->active) return refuse("admin " + std::string(login) + " is disabled");
  return std::move(**a);
}

}  // namespace rcptdb
