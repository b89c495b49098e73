// SPDX-License-Identifier: MIT
// NAME
//   fuzz_records - libFuzzer target for rcptdb's import/export records
// DESCRIPTION
//   rcptdb import reads files from anywhere, so DecodeRecord() gets
//   arbitrary bytes here, both as one line and split into lines the way
//   the importer splits a file, in CSV and in JSON. Aborts when a promise
//   of records.h breaks:
//     - a line longer than kMaxRecordLine decodes;
//     - a decoded record has the wrong number of fields, or a field holds
//       what its format cannot carry (NUL; a line break in CSV; text that
//       is not UTF-8 in JSON);
//     - a decoded record does not encode in its own format (only a line
//       that grew past the bound may fail), or the line it encodes to
//       decodes to anything else, is not one line, or is not canonical
//       (encoding the decoded record again changes it);
//     - the same holds across formats whenever the other format can carry
//       the record at all.
//   The input is also read as a record built field by field (type from
//   the first byte, then length-prefixed fields), so that the encoders see
//   values no decoder would produce; each must encode exactly when its
//   format can carry the values, and round-trip when it does.
//   Memory stays bounded by the line bound; run-fuzzers caps single
//   allocations as well.
// SEE ALSO
//   admin/records.h, admin/json.h, tests/fuzz/run-fuzzers
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "json.h"
#include "records.h"
#include "utf8.h"

namespace rcptdb::admin {
namespace {

constexpr RecordFormat kFormats[] = {RecordFormat::kCsv, RecordFormat::kJson};

bool Has(std::string_view s, std::string_view chars) {
  return s.find_first_of(chars) != std::string_view::npos;
}

bool Mentions(const Status& s, std::string_view words) {
  return s.message().find(words) != std::string::npos;
}

// True iff format can carry every field of r (length aside).
bool Carries(RecordFormat format, const Record& r) {
  const RecordSpec& spec = SpecOf(r.type);
  if (r.fields.size() > spec.fields.size()) return false;
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    const std::string& v = r.fields[i];
    if (v.find('\0') != std::string::npos) return false;
    if (format == RecordFormat::kCsv && Has(v, "\r\n")) return false;
    if (format == RecordFormat::kJson) {
      if (!IsUtf8(v)) return false;
      if (spec.fields[i].kind == FieldKind::kFlag && v != "" && v != "0" && v != "1") return false;
    }
  }
  return true;
}

// Encodes r in format; checks that it encodes iff the format carries it
// and that the line reads back as r, canonically.
void CheckEncoding(RecordFormat format, const Record& r) {
  Result<std::string> line = EncodeRecord(format, r);
  if (!line.ok()) {
    CHECK(!line.status().message().empty());
    // Refused although the values fit: only for the length.
    if (Carries(format, r)) CHECK(Mentions(line.status(), "longer than"));
    return;
  }
  CHECK(Carries(format, r));
  CHECK(line->size() <= kMaxRecordLine);
  CHECK(!Has(*line, std::string_view("\n\r\0", 3)));
  if (format == RecordFormat::kJson) CHECK(IsUtf8(*line) && ParseFlatObject(*line).ok());

  Result<std::optional<Record>> back = DecodeRecord(format, *line);
  CHECK(back.ok());
  CHECK(back->has_value());
  Record want = r;
  want.fields.resize(SpecOf(r.type).fields.size());
  CHECK(**back == want);
  Result<std::string> again = EncodeRecord(format, **back);
  CHECK(again.ok() && *again == *line);
}

// Decodes line as the importer would and checks what came out.
void CheckLine(RecordFormat format, std::string_view line) {
  Result<std::optional<Record>> r = DecodeRecord(format, line);
  if (line.size() > kMaxRecordLine) CHECK(!r.ok());
  if (!r.ok()) {
    CHECK(!r.status().message().empty());
    return;
  }
  if (!r->has_value()) return;  // a comment or a blank line
  const Record& record = **r;
  CHECK(record.fields.size() == SpecOf(record.type).fields.size());
  CHECK(Carries(format, record));
  for (RecordFormat other : kFormats) CheckEncoding(other, record);
}

// Builds a record from bytes: type, then per field a length byte and text.
Record RecordFromBytes(std::string_view in) {
  Record r;
  if (in.empty()) return r;
  r.type = static_cast<RecordType>(static_cast<unsigned char>(in[0]) % 6);
  in.remove_prefix(1);
  std::size_t n = SpecOf(r.type).fields.size();
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t len = in.empty() ? 0 : static_cast<unsigned char>(in[0]);
    if (!in.empty()) in.remove_prefix(1);
    // The last field takes the rest, so that long values occur too.
    if (i + 1 == n) len = in.size();
    len = std::min(len, in.size());
    r.fields.emplace_back(in.substr(0, len));
    in.remove_prefix(len);
  }
  return r;
}

}  // namespace
}  // namespace rcptdb::admin

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb::admin;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  for (RecordFormat format : kFormats) {
    CheckLine(format, input);
    // The importer's view of a file: LF-separated lines, a CR before the
    // LF dropped.
    if (input.find('\n') == std::string_view::npos) continue;
    for (std::size_t pos = 0; pos <= input.size();) {
      std::size_t end = std::min(input.find('\n', pos), input.size());
      std::string_view line = input.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      CheckLine(format, line);
      pos = end + 1;
    }
  }

  Record built = RecordFromBytes(input);
  for (RecordFormat format : kFormats) CheckEncoding(format, built);
  return 0;
}
