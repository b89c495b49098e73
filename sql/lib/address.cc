// SPDX-License-Identifier: MIT
// NAME
//   address - normalise mail addresses and domain names
// DESCRIPTION
//   The single definition of "the same address" for every rcptdb program.
//   Input comes from the network (Postfix table keys, LMTP RCPT) and from
//   admins; it is bounded, trimmed, folded to lower case and checked octet
//   by octet. Internationalised domains are converted to A-labels with
//   libidn2 (IDNA2008, non-transitional), so the database holds ASCII only.
// SEE ALSO
//   address.h, sql/schema.sql (the same rules as CHECK constraints)
#include "address.h"

#include <idn2.h>

#include <cstdlib>
#include <memory>

namespace rcptdb {
namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool HasNonAscii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

// RFC 5322 atext, less the routing characters '%' and '!' that Postfix and
// older MTAs interpret as source routes: a key with them is never ours.
bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '#':
    case '$':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '/':
    case '=':
    case '?':
    case '^':
    case '_':
    case '`':
    case '{':
    case '|':
    case '}':
    case '~':
      return true;
    default:
      return false;
  }
}

// Checks a lower-case ASCII domain: LDH labels of 1..63 octets, and a
// last label that is not all digits (RFC 3696 2: "1.2.3.4" is an IPv4
// address, never a domain name that could be ours).
bool IsValidAsciiDomain(std::string_view d) {
  if (d.empty() || d.size() > kMaxDomain) return false;
  std::size_t label = 0;
  bool numeric = true;  // the current label has digits only
  char prev = '.';
  for (char c : d) {
    if (c == '.') {
      if (label == 0 || prev == '-') return false;
      label = 0;
      numeric = true;
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      if (label == 0 && c == '-') return false;
      if (++label > 63) return false;
      if (c < '0' || c > '9') numeric = false;
    } else {
      return false;
    }
    prev = c;
  }
  return label != 0 && prev != '-' && !numeric;
}

// Unquotes a quoted-string local part if its content is a dot-atom; the
// two spellings then name the same mailbox. Anything needing the quotes
// (white space, '@', escapes) is not an address we host.
std::optional<std::string_view> Unquote(std::string_view local) {
  if (local.size() < 2 || local.front() != '"' || local.back() != '"') return local;
  std::string_view inner = local.substr(1, local.size() - 2);
  if (inner.find_first_of("\"\\") != std::string_view::npos) return std::nullopt;
  return inner;
}

}  // namespace

bool IsValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPart) return false;
  if (local.front() == '.' || local.back() == '.') return false;
  char prev = 0;
  for (char c : local) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (!IsAtext(c)) {
      return false;
    }
    prev = c;
  }
  return true;
}

std::optional<std::string> NormalizeDomain(std::string_view raw) {
  if (raw.size() > kMaxInput) return std::nullopt;
  std::string_view d = Trim(raw);
  // One trailing dot is the root; "example.com." is example.com.
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > kMaxInput) return std::nullopt;
  std::string lower = AsciiLower(d);
  if (!HasNonAscii(lower)) {
    if (!IsValidAsciiDomain(lower)) return std::nullopt;
    // A-labels must be valid IDNA: let libidn2 judge xn-- labels.
    if (lower.find("xn--") == std::string::npos) return lower;
  }
  char* out = nullptr;
  int rc = idn2_to_ascii_8z(lower.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  std::unique_ptr<char, decltype(&idn2_free)> holder(out, &idn2_free);
  if (rc != IDN2_OK || out == nullptr) return std::nullopt;
  std::string ascii = AsciiLower(out);
  if (!IsValidAsciiDomain(ascii)) return std::nullopt;
  return ascii;
}

std::optional<Address> NormalizeAddress(std::string_view raw) {
  if (raw.size() > kMaxInput) return std::nullopt;
  std::string_view s = Trim(raw);
  std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) return std::nullopt;
  std::optional<std::string_view> local = Unquote(s.substr(0, at));
  if (!local) return std::nullopt;
  std::string lower_local = AsciiLower(*local);
  if (!IsValidLocalPart(lower_local)) return std::nullopt;
  std::optional<std::string> domain = NormalizeDomain(s.substr(at + 1));
  if (!domain) return std::nullopt;
  // NormalizeDomain trims; inner white space before the domain is not ours.
  if (IsAsciiSpace(s[at + 1])) return std::nullopt;
  return Address{std::move(lower_local), std::move(*domain)};
}

bool IsBarePostmaster(std::string_view raw) {
  if (raw.size() > kMaxInput) return false;
  std::string_view s = Trim(raw);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return AsciiLower(s) == "postmaster";
}

bool HasDelimiter(std::string_view local, std::string_view delimiters) {
  return StripDetail(local, delimiters).has_value();
}

std::optional<std::string_view> StripDetail(std::string_view local, std::string_view delimiters) {
  if (delimiters.empty() || local.size() < 2) return std::nullopt;
  std::size_t pos = local.find_first_of(delimiters, 1);
  if (pos == std::string_view::npos) return std::nullopt;
  return local.substr(0, pos);
}

}  // namespace rcptdb
