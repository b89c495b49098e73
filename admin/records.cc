// SPDX-License-Identifier: MIT
// NAME
//   records - the import/export record format (CSV and JSON lines)
// DESCRIPTION
//   The field tables below are the format's definition; rcptdb(1) repeats
//   them for admins. Decoding checks shape only (known type, field count,
//   JSON value kinds); values are checked by the importer, which names the
//   line.
//
//   The input is untrusted (a file from anywhere), so the decoder bounds
//   the line before it looks at it and refuses what no field can hold
//   rather than passing it on: a NUL would be cut off by every C string
//   consumer (Dovecot reads the password column as one), and a line break
//   inside a CSV record would split it in two on the way back. The
//   encoder refuses the same values, so that an export never writes a
//   line the importer would read differently or not at all.
//   tests/fuzz/fuzz_records.cc holds both sides to that.
// SEE ALSO
//   records.h, json.h, cmd_import.cc, cmd_export.cc, rcptdb(1)
#include "records.h"

#include "json.h"
#include "utf8.h"

namespace rcptdb::admin {
namespace {

using K = FieldKind;
constexpr FieldSpec kConfigFields[] = {{"name", K::kText}, {"value", K::kText}};
constexpr FieldSpec kDomainFields[] = {{"name", K::kText},
                                       {"kind", K::kText},
                                       {"transport", K::kOptionalText},
                                       {"target", K::kOptionalText},
                                       {"catchall", K::kOptionalText},
                                       {"active", K::kFlag}};
constexpr FieldSpec kMailboxFields[] = {{"address", K::kText}, {"password", K::kOptionalText},
                                        {"quota", K::kInt},    {"transport", K::kOptionalText},
                                        {"active", K::kFlag},  {"description", K::kOptionalText}};
constexpr FieldSpec kAliasFields[] = {
    {"source", K::kText}, {"target", K::kText}, {"active", K::kFlag}};
constexpr FieldSpec kRelayFields[] = {{"address", K::kText}};
constexpr FieldSpec kSenderFields[] = {
    {"address", K::kText}, {"login", K::kText}, {"allow", K::kFlag}};

const RecordSpec kSpecs[] = {
    {RecordType::kConfig, "config", kConfigFields},
    {RecordType::kDomain, "domain", kDomainFields},
    {RecordType::kMailbox, "mailbox", kMailboxFields},
    {RecordType::kAlias, "alias", kAliasFields},
    {RecordType::kRelayRecipient, "relay-recipient", kRelayFields},
    {RecordType::kSender, "sender", kSenderFields},
};

const RecordSpec* SpecNamed(std::string_view name) {
  for (const RecordSpec& spec : kSpecs)
    if (spec.name == name) return &spec;
  return nullptr;
}

Status UnknownType(std::string_view name) {
  return Status::Invalid("unknown record type " + std::string(name) +
                         " (known: config, domain, mailbox, alias, relay-recipient, sender)");
}

Status TooLong(std::size_t size) {
  return Status::Invalid("line of " + std::to_string(size) + " bytes, longer than the " +
                         std::to_string(kMaxRecordLine) + " a record may take");
}

// Splits one CSV line into fields; quoted fields may hold commas and "".
Result<std::vector<std::string>> SplitCsv(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (true) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      for (++i;; ++i) {
        if (i >= line.size()) return Status::Invalid("CSV: unterminated quoted field");
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          break;
        }
      }
      ++i;
      if (i < line.size() && line[i] != ',')
        return Status::Invalid("CSV: text after a closing quote");
    } else {
      std::size_t end = line.find(',', i);
      if (end == std::string_view::npos) end = line.size();
      field.assign(line.substr(i, end - i));
      i = end;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return fields;
    ++i;  // the comma
  }
}

// Names the first byte of s that CSV cannot carry, or returns nullptr.
const char* CsvUnfit(std::string_view s) {
  for (char c : s) {
    if (c == '\0') return "a NUL byte";
    if (c == '\n' || c == '\r') return "a line break";
  }
  return nullptr;
}

Result<std::optional<Record>> DecodeCsv(std::string_view line) {
  std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return std::optional<Record>();
  if (const char* what = CsvUnfit(line))
    return Status::Invalid("CSV: " + std::string(what) + " in a record");
  Result<std::vector<std::string>> fields = SplitCsv(line);
  if (!fields.ok()) return fields.status();
  const RecordSpec* spec = SpecNamed(fields->front());
  if (spec == nullptr) return UnknownType(fields->front());
  if (fields->size() - 1 > spec->fields.size())
    return Status::Invalid(std::string(spec->name) + " record has " +
                           std::to_string(fields->size() - 1) + " fields, at most " +
                           std::to_string(spec->fields.size()) + " expected");
  Record r{spec->type, {}};
  r.fields.assign(std::make_move_iterator(fields->begin() + 1),
                  std::make_move_iterator(fields->end()));
  r.fields.resize(spec->fields.size());
  return std::optional<Record>(std::move(r));
}

// Converts one JSON value to the CSV form of a field of kind.
Result<std::string> FieldFromJson(const FieldSpec& field, const JsonValue& v) {
  using J = JsonValue::Kind;
  auto bad = [&field](const char* want) {
    return Status::Invalid("field " + std::string(field.name) + " must be " + want);
  };
  switch (field.kind) {
    case K::kText:
      if (v.kind != J::kString) return bad("a string");
      return v.text;
    case K::kOptionalText:
      if (v.kind == J::kNull) return std::string();
      if (v.kind != J::kString) return bad("a string or null");
      return v.text;
    case K::kInt:
      // A string carries a size such as "512M"; null is "not given".
      if (v.kind == J::kNull) return std::string();
      if (v.kind != J::kNumber && v.kind != J::kString)
        return bad("a number or a size string like \"512M\" (null: 0)");
      return v.text;
    case K::kFlag:
      if (v.kind == J::kNull) return std::string();
      if (v.kind != J::kBool) return bad("true or false (null: the default)");
      return std::string(v.text == "true" ? "1" : "0");
  }
  return bad("a value");
}

// Returns the spec the object's "type" names.
Result<const RecordSpec*> JsonSpec(const std::vector<std::pair<std::string, JsonValue>>& object) {
  for (const auto& [key, value] : object) {
    if (key != "type") continue;
    if (value.kind != JsonValue::Kind::kString) return Status::Invalid("\"type\" must be a string");
    const RecordSpec* spec = SpecNamed(value.text);
    if (spec == nullptr) return UnknownType(value.text);
    return spec;
  }
  return Status::Invalid("JSON record has no \"type\"");
}

Result<std::optional<Record>> DecodeJson(std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return std::optional<Record>();
  auto object = ParseFlatObject(line);
  if (!object.ok()) return object.status();
  Result<const RecordSpec*> spec = JsonSpec(*object);
  if (!spec.ok()) return spec.status();
  const RecordSpec& rs = **spec;
  Record r{rs.type, std::vector<std::string>(rs.fields.size())};
  for (const auto& [key, value] : *object) {
    if (key == "type") continue;
    std::size_t i = 0;
    while (i < rs.fields.size() && rs.fields[i].name != key) ++i;
    if (i == rs.fields.size())
      return Status::Invalid(std::string(rs.name) + " record has no field " + key);
    Result<std::string> text = FieldFromJson(rs.fields[i], value);
    if (!text.ok()) return text.status();
    r.fields[i] = std::move(*text);
  }
  return std::optional<Record>(std::move(r));
}

Status Unfit(const RecordSpec& spec, std::size_t i, const std::string& why) {
  return Status::Invalid(std::string(spec.name) + " record: field " +
                         std::string(spec.fields[i].name) + " " + why);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\" \t") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::string> EncodeCsv(const RecordSpec& spec, const Record& r) {
  // Trailing empty fields are left out, so that a record without the
  // fields a later version added reads as before (and older rcptdb
  // versions read it).
  std::size_t n = spec.fields.size();
  while (n > 0 && r.Field(n - 1).empty()) --n;
  std::string line(spec.name);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& v = r.Field(i);
    if (const char* what = CsvUnfit(v))
      return Unfit(spec, i, "holds " + std::string(what) + ", which CSV cannot carry (use JSON)");
    line += ',';
    line += CsvField(v);
  }
  return line;
}

// Adds field i of r to o in the JSON form of its kind.
Status AddJsonField(JsonObject& o, const RecordSpec& spec, std::size_t i, const std::string& v) {
  const FieldSpec& f = spec.fields[i];
  if (v.find('\0') != std::string::npos) return Unfit(spec, i, "holds a NUL byte");
  // JsonQuote would replace such bytes, and the value would come back changed.
  if (!IsUtf8(v)) return Unfit(spec, i, "is not UTF-8, which JSON cannot carry (use CSV)");
  switch (f.kind) {
    case K::kText:
      o.String(f.name, v);
      break;
    case K::kOptionalText:
      o.StringOrNull(f.name, v);
      break;
    case K::kInt:
      if (v.empty())
        o.Raw(f.name, "null");
      else if (IsJsonNumber(v))
        o.Raw(f.name, v);
      else
        o.String(f.name, v);
      break;
    case K::kFlag:
      if (!v.empty() && v != "0" && v != "1") return Unfit(spec, i, v + " is not 1 or 0");
      o.Raw(f.name, v.empty() ? "null" : v == "1" ? "true" : "false");
      break;
  }
  return Status::Ok();
}

Result<std::string> EncodeJson(const RecordSpec& spec, const Record& r) {
  JsonObject o;
  o.String("type", spec.name);
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    Status s = AddJsonField(o, spec, i, r.Field(i));
    if (!s.ok()) return s;
  }
  return o.str();
}

}  // namespace

const RecordSpec& SpecOf(RecordType type) {
  for (const RecordSpec& spec : kSpecs)
    if (spec.type == type) return spec;
  return kSpecs[0];
}

const std::string& Record::Field(std::size_t i) const {
  static const std::string kEmpty;
  return i < fields.size() ? fields[i] : kEmpty;
}

std::optional<RecordFormat> ParseRecordFormat(std::string_view name) {
  if (name == "csv") return RecordFormat::kCsv;
  if (name == "json") return RecordFormat::kJson;
  return std::nullopt;
}

Result<std::optional<Record>> DecodeRecord(RecordFormat format, std::string_view line) {
  if (line.size() > kMaxRecordLine) return TooLong(line.size());
  return format == RecordFormat::kCsv ? DecodeCsv(line) : DecodeJson(line);
}

Result<std::string> EncodeRecord(RecordFormat format, const Record& record) {
  const RecordSpec& spec = SpecOf(record.type);
  if (record.fields.size() > spec.fields.size())
    return Status::Invalid(std::string(spec.name) + " record has " +
                           std::to_string(record.fields.size()) + " fields, at most " +
                           std::to_string(spec.fields.size()) + " expected");
  Result<std::string> line =
      format == RecordFormat::kCsv ? EncodeCsv(spec, record) : EncodeJson(spec, record);
  if (line.ok() && line->size() > kMaxRecordLine)
    return Status::Invalid(std::string(spec.name) + " record: " + TooLong(line->size()).message());
  return line;
}

}  // namespace rcptdb::admin
