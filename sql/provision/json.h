// SPDX-License-Identifier: MIT
// json.h - the small JSON subset rcptdb writes and reads
//
// rcptdb writes JSON for --json output and JSON-lines exports, and reads
// JSON-lines imports. Records are flat objects of strings, integers,
// booleans and null, so a full JSON library would be weight without use.
// Output is compact, one object per call; strings are escaped as RFC 8259
// requires, and bytes that are not valid UTF-8 become U+FFFD so that the
// output always parses.
//
// Thread safety: pure functions and plain values.
#ifndef RCPTDB_PROVISION_JSON_H
#define RCPTDB_PROVISION_JSON_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "status.h"

namespace rcptdb {

// Returns s as a quoted JSON string; bytes that are not UTF-8 become U+FFFD.
std::string JsonQuote(std::string_view s);

// Returns true iff s is a JSON number literal (RFC 8259 grammar).
bool IsJsonNumber(std::string_view s);

// JsonObject - builds one compact JSON object, keys in insertion order.
class JsonObject {
 public:
  JsonObject& String(std::string_view key, std::string_view value);
  // Adds value, or null if it is empty.
  JsonObject& StringOrNull(std::string_view key, std::string_view value);
  JsonObject& Int(std::string_view key, std::int64_t value);
  JsonObject& Bool(std::string_view key, bool value);
  // Adds already-encoded JSON (an array or an object).
  JsonObject& Raw(std::string_view key, std::string_view json);
  // Returns the object text, "{...}".
  std::string str() const { return "{" + body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// Returns a JSON array of already-encoded items.
std::string JsonArray(const std::vector<std::string>& items);
// Returns a JSON array of strings.
std::string JsonStringArray(const std::vector<std::string>& items);

// One scalar value of a parsed object.
struct JsonValue {
  enum class Kind { kString, kNumber, kBool, kNull };
  Kind kind = Kind::kNull;
  std::string text;  // string content, number literal, "true"/"false"
};

// At most this many members in an object ParseFlatObject reads; a record
// has at most seven.
inline constexpr std::size_t kMaxJsonMembers = 32;

// Parses one flat JSON object (scalar values only, no nesting). Invalid,
// naming the position, on anything else. Refused as well, because no
// record can hold them and a C string would silently cut them short:
// duplicate keys, more than kMaxJsonMembers members, \u0000, unpaired
// surrogates and bytes that are not UTF-8. Number literals follow RFC 8259
// exactly.
Result<std::vector<std::pair<std::string, JsonValue>>> ParseFlatObject(std::string_view text);

}  // namespace rcptdb

#endif
