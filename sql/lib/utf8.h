// SPDX-License-Identifier: MIT
// utf8.h - strict UTF-8 (RFC 3629), for text that must travel as JSON
//
// rcptdb's JSON (the CLI's export and --json output, the API's requests
// and replies) carries only valid UTF-8: no overlong forms, no
// surrogates, nothing above U+10FFFF, so that what one side writes any
// JSON reader accepts.
//
// Thread safety: pure functions.
#ifndef RCPTDB_UTF8_H
#define RCPTDB_UTF8_H

#include <cstddef>
#include <string_view>

namespace rcptdb {

// Returns the length of the valid UTF-8 sequence at s[i], or 0 if there
// is none. REQUIRES: i < s.size().
std::size_t Utf8Length(std::string_view s, std::size_t i);

// Returns true iff s is valid UTF-8.
bool IsUtf8(std::string_view s);

}  // namespace rcptdb

#endif
