// SPDX-License-Identifier: MIT
// values.h - read the values an admin types: names, sizes, flags, routes
//
// Every command argument and every imported field goes through one of
// these functions, so that "example.COM." and "example.com" are the same
// domain everywhere and every refusal is one line naming the value
// ("bob@@x: not a valid address"). Normalisation itself is librcptdb's
// (address.h); this file adds the admin's words and the rules the schema
// enforces (sql/schema.sql), checked before SQLite sees them.
//
// Thread safety: pure functions.
#ifndef RCPTDB_PROVISION_VALUES_H
#define RCPTDB_PROVISION_VALUES_H

#include <cstdint>
#include <string>
#include <string_view>

#include "address.h"
#include "status.h"
#include "store.h"

namespace rcptdb {

// Returns the normal form of a domain name; Invalid naming raw otherwise.
Result<std::string> ParseDomainName(std::string_view raw);

// Returns the normal form of an address; Invalid naming raw otherwise.
Result<Address> ParseAddress(std::string_view raw);

// Reads a size in bytes: digits with an optional K, M, G or T suffix
// (powers of 1024). 0 means no limit.
Result<std::int64_t> ParseQuota(std::string_view raw);

// Returns bytes in the shortest exact form ParseQuota reads ("512M").
std::string FormatQuota(std::int64_t bytes);

// Ok iff t is a Postfix transport(5) value the schema accepts:
// "transport:nexthop" in printable ASCII (inner blanks allowed, as in
// "error:5.7.1 Mailbox moved"), without leading or trailing blanks.
Status CheckTransport(std::string_view t);

// A mailbox's description: free text for people, at most
// kMaxDescription characters of UTF-8, without control characters (the
// schema's description_text CHECK, in these words).
inline constexpr std::size_t kMaxDescription = 255;
inline constexpr std::string_view kDescriptionRule =
    "description must be UTF-8 text of at most 255 characters, without control characters";
Status CheckDescription(std::string_view text);

// Reads a 0/1 flag; empty means if_empty. what names the field in errors.
Result<bool> ParseFlag(std::string_view raw, bool if_empty, std::string_view what);

// Ok iff chars is a valid recipient delimiter set (at most 8 of -+=_.#~).
Status CheckDelimiters(std::string_view chars);

// Ok iff name is one of kSettingNames; Invalid listing them otherwise.
Status CheckSettingName(std::string_view name);

// Reads a domain kind: hosted, relay or alias. The one owner of that
// rule's words ("X: must be hosted, relay or alias"), which rcptdb and
// rcptdb-web put after the option or field they read it from.
Result<DomainKind> ParseKind(std::string_view raw);

// Reads an administrator's role: server or domain ("X: must be server or
// domain" otherwise).
Result<AdminRole> ParseRole(std::string_view raw);

// The longest a token may live, in days (about a hundred years).
inline constexpr std::int64_t kMaxTokenDays = 36500;

// Ok iff days is a token lifetime, 1 to kMaxTokenDays; otherwise Invalid,
// "N: must be a number of days, 1 to 36500" (the one wording, also
// ParseTokenDays').
Status CheckTokenDays(std::int64_t days);

// Reads a token lifetime written in decimal digits, checked as
// CheckTokenDays does.
Result<std::int64_t> ParseTokenDays(std::string_view raw);

// Ok iff an administrator of role may be given domains: a server admin
// holds every domain, so it takes none (Invalid, in the one wording
// rcptdb and rcptdb-web give). has_domains: some were given.
Status CheckAdminDomains(AdminRole role, bool has_domains);

// Returns a SASL login in stored form: an address is normalised, anything
// else must be printable ASCII without white space or commas.
Result<std::string> ParseLogin(std::string_view raw);

}  // namespace rcptdb

#endif
