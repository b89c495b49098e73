// SPDX-License-Identifier: MIT
// NAME
//   json_body - strict JSON request bodies, fields read by name and type
// DESCRIPTION
//   nlohmann-json's parser callback sees every key and value as it is
//   read, so duplicates, depth and NUL are refused during the parse,
//   before a large hostile body is turned into a tree.
// SEE ALSO
//   json_body.h, RFC 8259
#include "json_body.h"

namespace rcptdb::web {
namespace {

// Thrown from the parser callback to stop a parse with a reason.
struct Refused {
  std::string why;
};

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

Result<Json> ParseJsonObject(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return Json::object();
  std::vector<std::set<std::string, std::less<>>> keys;  // one set per open object
  auto check = [&keys](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth)
          throw Refused{"nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
        if (event == Json::parse_event_t::object_start) keys.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      case Json::parse_event_t::key: {
        const std::string& k = parsed.get_ref<const std::string&>();
        if (HasNul(k)) throw Refused{"a key holds NUL (\\u0000)"};
        if (!keys.back().insert(k).second) throw Refused{"duplicate key \"" + k + "\""};
        break;
      }
      case Json::parse_event_t::value:
        if (parsed.is_string() && HasNul(parsed.get_ref<const std::string&>()))
          throw Refused{"a string holds NUL (\\u0000)"};
        break;
      default:
        break;
    }
    return true;
  };
  Json j;
  try {
    j = Json::parse(body.begin(), body.end(), check);
  } catch (const Refused& r) {
    return Status::Invalid("body: " + r.why);
  } catch (const Json::exception& e) {
    // Every refusal of the parser: a parse_error ("[json.exception.
    // parse_error.101] parse error at line 1, column 2: syntax error
    // ..."), and also an out_of_range for a number beyond a double
    // ("[json.exception.out_of_range.406] number overflow parsing
    // '1e400'"). Keep the part after the bracketed prefix.
    std::string what = e.what();
    std::size_t at = what.find("] ");
    return Status::Invalid("body: malformed JSON (" +
                           (at == std::string::npos ? what : what.substr(at + 2)) + ")");
  }
  if (!j.is_object()) return Status::Invalid("body: expected a JSON object");
  return j;
}

std::string BodyFields::FieldName(std::string_view name) const {
  return prefix_.empty() ? std::string(name) : prefix_ + "." + std::string(name);
}

const Json* BodyFields::Find(std::string_view name) {
  read_.insert(std::string(name));
  auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

void BodyFields::Wrong(std::string_view name, const char* type) {
  if (!problem_) problem_ = Invalid(FieldName(name) + ": expected " + type, FieldName(name));
}

bool BodyFields::Has(std::string_view name) { return Find(name) != nullptr; }

std::optional<std::string> BodyFields::String(std::string_view name) {
  const Json* v = Find(name);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) {
    Wrong(name, "a string");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<bool> BodyFields::Bool(std::string_view name) {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    Wrong(name, "true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::int64_t> BodyFields::Int(std::string_view name) {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    Wrong(name, "a whole number");
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<std::uint64_t>() > INT64_MAX) {
    Wrong(name, "a whole number below 2^63");
    return std::nullopt;
  }
  return v->get<std::int64_t>();
}

std::optional<std::vector<std::string>> BodyFields::Strings(std::string_view name) {
  const Json* v = Find(name);
  if (v == nullptr) return std::nullopt;
  if (!v->is_array()) {
    Wrong(name, "an array of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const Json& item : *v) {
    if (!item.is_string()) {
      Wrong(name, "an array of strings");
      return std::nullopt;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

void BodyFields::RefuseUnknown() {
  if (problem_) return;
  for (auto it = object_.begin(); it != object_.end(); ++it)
    if (!read_.contains(it.key())) {
      problem_ = Invalid(FieldName(it.key()) + ": unknown field", FieldName(it.key()));
      return;
    }
}

}  // namespace rcptdb::web
