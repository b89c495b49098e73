// SPDX-License-Identifier: MIT
// verify_password.h - check a stored hash the way Dovecot would
//
// rcptdb only writes password hashes (password.h); Dovecot verifies them.
// Tests check HashPassword()'s output with this, without a Dovecot.
//
// Thread safety: pure function (crypt_r, per-call state).
#ifndef RCPTDB_TESTS_VERIFY_PASSWORD_H
#define RCPTDB_TESTS_VERIFY_PASSWORD_H

#include <string_view>

namespace rcptdb {

// Returns true iff plain matches a {SHA512-CRYPT} or {CRYPT} hash.
bool VerifyPassword(std::string_view plain, std::string_view hashed);

}  // namespace rcptdb

#endif
