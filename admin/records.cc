// NAME
//   records - the import/export record format (CSV and JSON lines)
// DESCRIPTION
//   The field tables below are the format's definition; rcptdb(1) repeats
//   them for admins. Decoding checks shape only (known type, field count,
//   JSON value kinds); values are checked by the importer, which names the
//   line.
// SEE ALSO
//   records.h, json.h, cmd_import.cc, cmd_export.cc, rcptdb(1)
#include "records.h"

#include "json.h"

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
constexpr FieldSpec kMailboxFields[] = {{"address", K::kText},
                                        {"password", K::kOptionalText},
                                        {"quota", K::kInt},
                                        {"transport", K::kOptionalText},
                                        {"active", K::kFlag}};
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

Result<std::optional<Record>> DecodeCsv(std::string_view line) {
  std::size_t first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return std::optional<Record>();
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
      if (v.kind != J::kNumber && v.kind != J::kString) return bad("a number");
      return v.text;
    case K::kFlag:
      if (v.kind != J::kBool) return bad("true or false");
      return std::string(v.text == "true" ? "1" : "0");
  }
  return bad("a value");
}

Result<std::optional<Record>> DecodeJson(std::string_view line) {
  if (line.find_first_not_of(" \t") == std::string_view::npos) return std::optional<Record>();
  auto object = ParseFlatObject(line);
  if (!object.ok()) return object.status();
  const RecordSpec* spec = nullptr;
  for (const auto& [key, value] : *object)
    if (key == "type") spec = SpecNamed(value.text);
  if (spec == nullptr) {
    for (const auto& [key, value] : *object)
      if (key == "type") return UnknownType(value.text);
    return Status::Invalid("JSON record has no \"type\"");
  }
  Record r{spec->type, std::vector<std::string>(spec->fields.size())};
  for (const auto& [key, value] : *object) {
    if (key == "type") continue;
    std::size_t i = 0;
    while (i < spec->fields.size() && spec->fields[i].name != key) ++i;
    if (i == spec->fields.size())
      return Status::Invalid(std::string(spec->name) + " record has no field " + key);
    Result<std::string> text = FieldFromJson(spec->fields[i], value);
    if (!text.ok()) return text.status();
    r.fields[i] = std::move(*text);
  }
  return std::optional<Record>(std::move(r));
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

std::string EncodeJson(const Record& r) {
  const RecordSpec& spec = SpecOf(r.type);
  JsonObject o;
  o.String("type", spec.name);
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const std::string& v = r.Field(i);
    switch (spec.fields[i].kind) {
      case K::kText:
        o.String(spec.fields[i].name, v);
        break;
      case K::kOptionalText:
        o.StringOrNull(spec.fields[i].name, v);
        break;
      case K::kInt:
        o.Raw(spec.fields[i].name, v.empty() ? "0" : v);
        break;
      case K::kFlag:
        o.Bool(spec.fields[i].name, v != "0");
        break;
    }
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
  return format == RecordFormat::kCsv ? DecodeCsv(line) : DecodeJson(line);
}

std::string EncodeRecord(RecordFormat format, const Record& record) {
  if (format == RecordFormat::kJson) return EncodeJson(record);
  std::string line(SpecOf(record.type).name);
  for (const std::string& f : record.fields) {
    line += ',';
    line += CsvField(f);
  }
  return line;
}

}  // namespace rcptdb::admin
