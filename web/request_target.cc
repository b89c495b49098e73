// SPDX-License-Identifier: MIT
// NAME
//   request_target - split, then decode: the API's paths and queries
// DESCRIPTION
//   Decoding after splitting keeps "%2F" inside a name. Decoded values
//   must be UTF-8 (every name the API stores is text), and NUL is never
//   accepted: a C string would cut it short further down.
// SEE ALSO
//   request_target.h, RFC 3986 section 3.3
#include "request_target.h"

#include "utf8.h"

namespace rcptdb::web {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes (and '+' as a space if plus_is_space).
Result<std::string> Decode(std::string_view s, bool plus_is_space, std::string_view what) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 2 < s.size() ? HexValue(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Status::Invalid(std::string(what) + ": malformed %-escape");
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '\0') return Status::Invalid(std::string(what) + ": NUL is not allowed");
      out += d;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      // The HTTP layer passes the target as it came: raw blanks, control
      // characters and 8-bit bytes have no business there.
      return Status::Invalid(std::string(what) + ": characters must be %-encoded");
    } else {
      out += c;
    }
  }
  if (!IsUtf8(out)) return Status::Invalid(std::string(what) + ": not UTF-8");
  return out;
}

Status ParsePath(std::string_view path, RequestTarget& t) {
  if (path.empty() || path.front() != '/')
    return Status::Invalid("request target: must be an absolute path");
  if (path == "/") return Status::Ok();
  std::string_view rest = path.substr(1);
  while (true) {
    std::size_t slash = rest.find('/');
    std::string_view raw = rest.substr(0, slash);
    if (raw.empty()) return Status::Invalid("path: empty segment (\"//\" or a trailing \"/\")");
    if (t.segments.size() == kMaxSegments) return Status::Invalid("path: too many segments");
    Result<std::string> seg = Decode(raw, false, "path");
    if (!seg.ok()) return seg.status();
    if (*seg == "." || *seg == "..")
      return Status::Invalid("path: \".\" and \"..\" segments are not allowed");
    t.segments.push_back(std::move(*seg));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return Status::Ok();
}

Status ParseQuery(std::string_view query, RequestTarget& t) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (item.empty()) continue;
    if (t.query.size() == kMaxQueryParams) return Status::Invalid("query: too many parameters");
    std::size_t eq = item.find('=');
    Result<std::string> name = Decode(item.substr(0, eq), true, "query");
    if (!name.ok()) return name.status();
    Result<std::string> value =
        Decode(eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1), true,
               "query parameter " + *name);
    if (!value.ok()) return value.status();
    t.query.emplace_back(std::move(*name), std::move(*value));
  }
  return Status::Ok();
}

}  // namespace

std::optional<std::string> RequestTarget::Query(std::string_view name) const {
  for (const auto& [n, v] : query)
    if (n == name) return v;
  return std::nullopt;
}

Result<RequestTarget> ParseRequestTarget(std::string_view raw) {
  if (raw.size() > kMaxTargetBytes) return Status::Invalid("request target: too long");
  RequestTarget t;
  std::size_t q = raw.find('?');
  Status s = ParsePath(raw.substr(0, q), t);
  if (s.ok() && q != std::string_view::npos) s = ParseQuery(raw.substr(q + 1), t);
  if (!s.ok()) return s;
  return t;
}

std::string EncodeSegment(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '.' || u == '_' || u == '~' || u == '@') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

}  // namespace rcptdb::web
