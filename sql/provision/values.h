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

// Reads a 0/1 flag; empty means if_empty. what names the field in errors.
Result<bool> ParseFlag(std::string_view raw, bool if_empty, std::string_view what);

// Ok iff chars is a valid recipient delimiter set (at most 8 of -+=_.#~).
Status CheckDelimiters(std::string_view chars);

// Ok iff name is one of kSettingNames; Invalid listing them otherwise.
Status CheckSettingName(std::string_view name);

// Returns a SASL login in stored form: an address is normalised, anything
// else must be printable ASCII without white space or commas.
Result<std::string> ParseLogin(std::string_view raw);

}  // namespace rcptdb

#endif
