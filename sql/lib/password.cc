// SPDX-License-Identifier: MIT
// NAME
//   password - hash mailbox passwords in a Dovecot-verifiable scheme
// DESCRIPTION
//   crypt_gensalt_rn() draws the salt from the kernel's random source;
//   crypt_r() hashes it. Both come from libxcrypt (Debian's libcrypt).
// SEE ALSO
//   password.h, doveadm-pw(1), crypt(5)
#include "password.h"

#include <crypt.h>

#include <cstring>
#include <memory>

namespace rcptdb {

Result<std::string> HashPassword(std::string_view plain) {
  if (plain.empty()) return Status::Invalid("empty password");
  if (plain.size() > 1024 || plain.find('\0') != std::string_view::npos)
    return Status::Invalid("password too long or holds a NUL byte");
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$6$", 0, nullptr, 0, salt, sizeof salt) == nullptr)
    return Status::Temporary("cannot make a password salt");
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string p(plain);
  const char* hash = crypt_r(p.c_str(), salt, data.get());
  if (hash == nullptr || hash[0] == '*') return Status::Temporary("crypt_r failed");
  return std::string("{SHA512-CRYPT}") + hash;
}

bool VerifyPassword(std::string_view plain, std::string_view hashed) {
  std::string_view value;
  for (std::string_view scheme : {"{SHA512-CRYPT}", "{SHA256-CRYPT}", "{BLF-CRYPT}", "{CRYPT}"})
    if (hashed.starts_with(scheme)) value = hashed.substr(scheme.size());
  if (value.empty() || plain.size() > 1024 || plain.find('\0') != std::string_view::npos)
    return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string p(plain), v(value);
  const char* out = crypt_r(p.c_str(), v.c_str(), data.get());
  if (out == nullptr || out[0] == '*' || std::strlen(out) != v.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < v.size(); ++i) diff |= static_cast<unsigned char>(out[i] ^ v[i]);
  return diff == 0;
}

bool IsSchemeHash(std::string_view hashed) {
  if (hashed.size() < 4 || hashed.front() != '{') return false;
  std::size_t close = hashed.find('}');
  if (close == std::string_view::npos || close < 2 || close + 1 == hashed.size()) return false;
  for (std::size_t i = 1; i < close; ++i) {
    char c = hashed[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  for (char c : hashed.substr(close + 1))
    if (c <= ' ' || c == 0x7f) return false;
  return true;
}

}  // namespace rcptdb
