// SPDX-License-Identifier: MIT
// password.h - password hashes that Dovecot verifies
//
// Mailbox passwords are stored in Dovecot's "{SCHEME}hash" form so that
// Dovecot's sql passdb reads the same column. The scheme is SHA512-CRYPT
// (crypt(3) "$6$", salted, 5000 rounds), which every Dovecot 2.3 verifies.
//
// Thread safety: pure functions (crypt_r, per-call state).
#ifndef RCPTDB_PASSWORD_H
#define RCPTDB_PASSWORD_H

#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb {

// Returns "{SHA512-CRYPT}$6$salt$hash" for plain. Invalid if plain is empty,
// longer than 1024 octets or holds a NUL.
Result<std::string> HashPassword(std::string_view plain);

// Returns true iff plain matches hashed, a {SHA512-CRYPT}, {SHA256-CRYPT},
// {BLF-CRYPT} or {CRYPT} hash (crypt(5)), as Dovecot would decide; false
// for any other scheme. The comparison takes the same time wherever the
// two differ.
bool VerifyPassword(std::string_view plain, std::string_view hashed);

// Returns true iff hashed is a well-formed "{SCHEME}value" string.
bool IsSchemeHash(std::string_view hashed);

}  // namespace rcptdb

#endif
