// SPDX-License-Identifier: MIT
// NAME
//   verify_password - check a {SHA512-CRYPT} or {CRYPT} hash with crypt_r
//   (test support, not part of librcptdb)
// SEE ALSO
//   verify_password.h, password.h, crypt(5)
#include "verify_password.h"

#include <crypt.h>

#include <cstring>
#include <memory>
#include <string>

namespace rcptdb {

bool VerifyPassword(std::string_view plain, std::string_view hashed) {
  std::string_view value;
  if (hashed.starts_with("{SHA512-CRYPT}"))
    value = hashed.substr(14);
  else if (hashed.starts_with("{CRYPT}"))
    value = hashed.substr(7);
  else
    return false;
  auto data = std::make_unique<crypt_data>();
  std::memset(data.get(), 0, sizeof(crypt_data));
  std::string p(plain), v(value);
  const char* out = crypt_r(p.c_str(), v.c_str(), data.get());
  return out != nullptr && out[0] != '*' && v == out;
}

}  // namespace rcptdb
