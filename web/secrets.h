// SPDX-License-Identifier: MIT
// secrets.h - random tokens, digests and comparisons that leak no timing
//
// Session identifiers and CSRF tokens are 32 random bytes (libsodium's
// generator), written in base64url. What is kept of a session identifier
// is its SHA-256, so a lookup's timing says nothing about the secret, and
// every comparison of secrets goes through ConstantTimeEqual.
//
// Thread safety: pure functions.
#ifndef RCPTDB_WEB_SECRETS_H
#define RCPTDB_WEB_SECRETS_H

#include <cstddef>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb::web {

// Returns bytes random bytes in base64url without padding.
Result<std::string> RandomToken(std::size_t bytes = 32);

// Returns the SHA-256 of s as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view s);

// Returns true iff a and b are equal; the time taken depends only on
// their lengths.
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace rcptdb::web

#endif
