// SPDX-License-Identifier: MIT
// NAME
//   secrets - random tokens, SHA-256 and comparisons, with libsodium
// SEE ALSO
//   secrets.h, randombytes(3), crypto_hash_sha256(3), sodium_memcmp(3)
#include "secrets.h"

#include <sodium.h>

#include <vector>

namespace rcptdb::web {

Result<std::string> RandomToken(std::size_t bytes) {
  if (sodium_init() < 0) return Status::Io("libsodium cannot be initialised");
  std::vector<unsigned char> raw(bytes);
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), raw.data(), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.find('\0'));
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string Sha256Hex(std::string_view s) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(s.data()), s.size());
  char hex[2 * crypto_hash_sha256_BYTES + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace rcptdb::web
