// SPDX-License-Identifier: MIT
// api_token.h - API tokens: made, shown once, stored as a hash, checked
//
// A token reads "rcptdb_PREFIX_SECRET": PREFIX is 12 lower-case letters
// and digits, public, the key of its row (and token:PREFIX in the audit
// log); SECRET is 32 random bytes in unpadded base64url. The database
// keeps only the SHA-256 of the whole token (libsodium's
// crypto_hash_sha256): a fast hash is right for a 256-bit random secret,
// which no dictionary holds and no brute force reaches, and keeps each
// API request's check cheap (a slow password hash would cost every
// request tens of milliseconds). The comparison takes constant time.
//
// AuthenticateToken() is the one check of a presented token, made at
// every use: the row joined with its owner as the owner is now
// (Store::FindTokenGrant), so a token never holds more than its owner.
//
// Thread safety: pure functions, and the Store given (one thread).
#ifndef RCPTDB_PROVISION_API_TOKEN_H
#define RCPTDB_PROVISION_API_TOKEN_H

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "status.h"
#include "store.h"

namespace rcptdb {

inline constexpr std::size_t kTokenPrefixLength = 12;

// A token just made: its row's prefix and hash, and the token itself,
// which is shown once and never stored.
struct MadeToken {
  std::string prefix;
  std::string token;
  std::string secret_hash;
};

// Makes a new token from the system's random source (randombytes_buf).
MadeToken MakeToken();

// Returns the prefix of a token in the form above; Invalid otherwise.
Result<std::string> TokenPrefix(std::string_view token);

// Returns the SHA-256 of token, in lower-case hex (the stored form).
std::string TokenHash(std::string_view token);

// Returns what token may do now, if it may be used at all: its row exists,
// its hash matches, its owner is active, it has not expired (now: UTC, as
// UtcNow()), and client (null: not checked; for rcptdb itself) lies in
// its networks if it has any. Every refusal is Invalid with the same
// message, "token refused", and the reason in *why (for the log, never
// for the client); Temporary on database trouble.
Result<TokenGrant> AuthenticateToken(Store& store, std::string_view token, std::string_view now,
                                     const sockaddr* client, std::string* why);

// Returns the admin login names if it exists, is active, has a password
// and password matches it; Invalid "login refused" otherwise, with the
// reason in *why. Takes as long for an unknown login as for a known one.
Result<Admin> AuthenticateAdmin(Store& store, std::string_view login, std::string_view password,
                                std::string* why);

}  // namespace rcptdb

#endif
