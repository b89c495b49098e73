// SPDX-License-Identifier: MIT
// address.h - normalisation of mail addresses and domain names
//
// One way to read an address, shared by the resolver, the CLI, the lookup
// server and the LMTP plugin. Normal form: surrounding white space trimmed,
// local part and domain lower-cased, the domain as an IDNA2008 A-label
// without a trailing dot. A quoted local part whose content is a plain
// dot-atom is unquoted ("john.doe" and john.doe are the same mailbox).
//
// Anything else is malformed and the functions return nullopt: empty parts,
// more than one '@', routing characters ('%', '!', '@', quotes, '\') or
// white space in the local part, non-ASCII local parts (Dovecot 2.3 has no
// SMTPUTF8), labels that are not LDH, an all-numeric last label (an IPv4
// address such as 1.2.3.4 is not a domain name), and overlong values (local part > 64,
// domain > 253 octets). Malformed input is never a temporary error.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADDRESS_H
#define RCPTDB_ADDRESS_H

#include <optional>
#include <string>
#include <string_view>

namespace rcptdb {

inline constexpr std::size_t kMaxLocalPart = 64;
inline constexpr std::size_t kMaxDomain = 253;
inline constexpr std::size_t kMaxInput = 1024;  // longer input is rejected unread

struct Address {
  std::string local;   // normalised local part, never empty
  std::string domain;  // normalised domain (A-label), never empty

  std::string str() const { return local + '@' + domain; }
  bool operator==(const Address&) const = default;
};

// Returns the normal form of a domain name, or nullopt if it is not one.
std::optional<std::string> NormalizeDomain(std::string_view raw);

// Returns the normal form of an address, or nullopt if it is malformed.
std::optional<Address> NormalizeAddress(std::string_view raw);

// Returns true iff local is a valid normalised local part.
bool IsValidLocalPart(std::string_view local);

// Splits local at the first character from delimiters that is not the first
// character of local. Returns the part before it, or nullopt if there is no
// such delimiter ("+foo" keeps its plus: an empty base is not a mailbox).
std::optional<std::string_view> StripDetail(std::string_view local, std::string_view delimiters);

// Returns true iff raw is "postmaster" without a domain, in any case, which
// RFC 5321 4.5.1 requires every SMTP server to accept.
bool IsBarePostmaster(std::string_view raw);

// Returns true iff local would be split by StripDetail(): such a local part
// can never be a mailbox name, because Dovecot (recipient_delimiter) and the
// resolver both look up the part before the delimiter.
bool HasDelimiter(std::string_view local, std::string_view delimiters);

}  // namespace rcptdb

#endif
