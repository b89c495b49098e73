// SPDX-License-Identifier: MIT
// json_body.h - a request body as one JSON object, read field by field
//
// ParseJsonObject() reads a body with nlohmann-json, which validates
// UTF-8, and refuses (400, naming the position or the rule) what a
// lenient reader would let through: anything but one object, a
// duplicate key (two readers could take different ones), nesting deeper
// than kMaxJsonDepth, and NUL inside a string (a C string further down
// would cut it short).
//
// BodyFields then reads the object's members by name, each with its
// type; the first wrong type, and any member no handler asked for (a
// typo would otherwise be ignored silently), becomes a 422 Problem that
// names the field.
//
// Thread safety: pure functions; a BodyFields is used by one thread.
#ifndef RCPTDB_WEB_JSON_BODY_H
#define RCPTDB_WEB_JSON_BODY_H

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "problem.h"
#include "status.h"

namespace rcptdb::web {

using Json = nlohmann::ordered_json;

inline constexpr int kMaxJsonDepth = 16;

// Parses body as one JSON object; Invalid naming the fault otherwise
// (the caller answers 400). An empty body is an empty object.
Result<Json> ParseJsonObject(std::string_view body);

class BodyFields {
 public:
  // REQUIRES: object is a JSON object and outlives this.
  explicit BodyFields(const Json& object, std::string prefix = "")
      : object_(object), prefix_(std::move(prefix)) {}

  // Each returns the member if present with the right type; nullopt if it
  // is absent (or null, for String: null means "none"), and records a
  // Problem if it has another type.
  std::optional<std::string> String(std::string_view name);
  std::optional<bool> Bool(std::string_view name);
  std::optional<std::int64_t> Int(std::string_view name);
  std::optional<std::vector<std::string>> Strings(std::string_view name);
  // Returns true iff the member is present (any type), and marks it read.
  bool Has(std::string_view name);

  // Records a Problem for a member no one read. Call after reading.
  void RefuseUnknown();
  // The first Problem recorded, if any.
  const std::optional<Problem>& problem() const { return problem_; }
  // The field name as a Problem shows it (with the prefix of a batch item).
  std::string FieldName(std::string_view name) const;

 private:
  const Json* Find(std::string_view name);
  void Wrong(std::string_view name, const char* type);

  const Json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> read_;
  std::optional<Problem> problem_;
};

}  // namespace rcptdb::web

#endif
