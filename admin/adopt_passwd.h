// SPDX-License-Identifier: MIT
// adopt_passwd.h - read Dovecot passwd-file lines and name hash schemes
//
// A Dovecot passwd-file line (doc: passwd-file) is
//   user:password:uid:gid:gecos:home:shell:extra_fields
// where extra fields are space-separated key=value pairs. adopt keeps
// what rcptdb stores of a user: the address, the password hash and the
// quota (userdb_quota_rule=*:storage=SIZE or *:bytes=N); every other
// extra field is named, so the report says what was left behind.
//
// Hashes keep Dovecot's "{SCHEME}hash" form. A bare crypt(3) hash, which
// Dovecot verifies with its CRYPT scheme, gets its scheme named:
// "$6$" SHA512-CRYPT, "$5$" SHA256-CRYPT, "$1$" MD5-CRYPT, "$2y$" (and
// "$2a$", "$2b$") BLF-CRYPT; any other bare crypt(3) form is {CRYPT}.
// PostfixAdmin's hashes go through the same function.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_ADOPT_PASSWD_H
#define RCPTDB_ADMIN_ADOPT_PASSWD_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace rcptdb::admin {

struct PasswdUser {
  std::string user;                  // as written (adopt normalises it as an address)
  std::string password;              // {SCHEME}hash, or "" for none
  std::int64_t quota = 0;            // bytes; 0: no quota rule
  std::vector<std::string> dropped;  // extra fields rcptdb does not keep
  bool operator==(const PasswdUser&) const = default;
};

// Reads one line (without its line end). nullopt: blank or a '#' comment.
// Invalid, saying why, for a line without a user, a user or password
// holding white space, an unreadable hash (NamedHash) or quota rule.
Result<std::optional<PasswdUser>> ParsePasswdLine(std::string_view line);

// Returns hash in "{SCHEME}hash" form: already prefixed hashes as they
// are (the scheme upper-cased), bare crypt(3) hashes with their scheme
// named (see above), "" for "". Invalid for anything else (a plain-text
// password, a hash holding white space).
Result<std::string> NamedHash(std::string_view hash);

// Reads a Dovecot quota size: digits with an optional suffix b, k, M, G
// or T (powers of 1024, either case). Invalid for a percentage or other
// text, or a value past 2^62.
Result<std::int64_t> ParseDovecotSize(std::string_view size);

}  // namespace rcptdb::admin

#endif
