// SPDX-License-Identifier: MIT
// request_target.h - the path and query of an HTTP request, decoded
//
// The API's paths carry names: /api/v1/domains/{d}/mailboxes/{local}.
// A name may hold any character an address may ("a/b@x" is a valid
// local part), so the path is split at '/' first and each segment is
// percent-decoded after: %2F is part of a name, never a separator. The
// query (limit, cursor, q, dry_run) is split at '&' and '=' and decoded
// the same way, '+' meaning a space as in HTML forms.
//
// Everything is bounded and checked before a handler sees it, and any
// doubt is a refusal (400), never a guess: a target that is not an
// absolute path, a malformed or NUL escape, a decoded value that is not
// UTF-8, an empty, "." or ".." segment, more than kMaxSegments segments,
// more than kMaxQueryParams parameters, or more than kMaxTargetBytes.
// A trailing '/' is refused too: one resource has one name.
//
// Thread safety: pure functions and plain values.
#ifndef RCPTDB_WEB_REQUEST_TARGET_H
#define RCPTDB_WEB_REQUEST_TARGET_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace rcptdb::web {

inline constexpr std::size_t kMaxTargetBytes = 8192;
inline constexpr std::size_t kMaxSegments = 16;
inline constexpr std::size_t kMaxQueryParams = 32;

struct RequestTarget {
  std::vector<std::string> segments;                       // decoded, in order
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // Returns the value of the first query parameter named name.
  std::optional<std::string> Query(std::string_view name) const;
};

// Parses an origin-form request-target ("/a/b?x=1"); Invalid naming the
// fault otherwise.
Result<RequestTarget> ParseRequestTarget(std::string_view raw);

// Returns s percent-encoded for one path segment (unreserved characters
// and "@" stay as they are), so that ParseRequestTarget gives s back.
std::string EncodeSegment(std::string_view s);

}  // namespace rcptdb::web

#endif
