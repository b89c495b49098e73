// SPDX-License-Identifier: MIT
// records.h - the import/export record format (CSV and JSON lines)
//
// One record per line, first the record type, then its fields in a fixed
// order (rcptdb(1), IMPORT AND EXPORT FORMAT):
//
//   config,NAME,VALUE
//   domain,NAME,KIND,TRANSPORT,TARGET,CATCHALL,ACTIVE
//   mailbox,ADDRESS,PASSWORD_HASH,QUOTA,TRANSPORT,ACTIVE,DESCRIPTION
//   alias,SOURCE,TARGET,ACTIVE
//   relay-recipient,ADDRESS
//   sender,ADDRESS,LOGIN,ALLOW
//
// CSV: fields separated by commas, a field holding a comma, a quote or
// white space is quoted "..." with "" for a quote; trailing fields may be
// left out (empty), and the encoder leaves out trailing empty ones; lines
// that are blank or start with '#' are comments.
// JSON lines: one flat object per line with "type" and the field names in
// lower case; flags are true/false, QUOTA a number (or a size string such
// as "512M"), empty optional fields null or absent. Both forms decode to
// the same Record, whose fields are text in CSV form ("1"/"0" for flags,
// "" for empty), so one importer reads both.
//
// A record is one line of at most kMaxRecordLine bytes. Neither form
// carries a NUL byte (a C string would cut the value short), and CSV
// carries no line break. Within those limits every decoded record encodes
// to a line that decodes to the same record: always in its own format (if
// the line stays within the bound), in the other one whenever that can
// carry the values (JSON cannot carry bytes that are not UTF-8, nor a flag
// other than 1 or 0). Every encoded line is the canonical form of its
// record.
//
// This file only encodes and decodes; what a record means is import's job.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_RECORDS_H
#define RCPTDB_ADMIN_RECORDS_H

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace rcptdb::admin {

enum class RecordType { kConfig, kDomain, kMailbox, kAlias, kRelayRecipient, kSender };

// How a field is written in JSON.
enum class FieldKind { kText, kOptionalText, kInt, kFlag };

struct FieldSpec {
  std::string_view name;
  FieldKind kind;
};

struct RecordSpec {
  RecordType type;
  std::string_view name;  // first CSV field, JSON "type"
  std::span<const FieldSpec> fields;
};

// Returns the spec of type.
const RecordSpec& SpecOf(RecordType type);

struct Record {
  RecordType type = RecordType::kConfig;
  std::vector<std::string> fields;  // one per spec field, CSV form

  // Returns field i, or "" if the record has fewer fields.
  const std::string& Field(std::size_t i) const;
  bool operator==(const Record&) const = default;
};

// The longest line, without its line end, that a record may take. Longer
// input is refused before it is buffered, so a hostile file cannot make
// rcptdb import hold more than this per line.
inline constexpr std::size_t kMaxRecordLine = 64 * 1024;

enum class RecordFormat { kCsv, kJson };

// Returns the format named name ("csv", "json"), or nullopt.
std::optional<RecordFormat> ParseRecordFormat(std::string_view name);

// Decodes one line (without its line end). nullopt: a comment or blank
// line. Invalid, saying why, for a line longer than kMaxRecordLine, a
// malformed line, an unknown type or a field the type does not have; the
// fields' values are not checked here. A decoded record has exactly one
// field per spec field.
Result<std::optional<Record>> DecodeRecord(RecordFormat format, std::string_view line);

// Encodes one record as one line, without the line end; fields missing at
// the end are empty. Invalid, naming the field, if the format cannot carry
// a value: more fields than the type has, a NUL byte, a line break (CSV),
// text that is not UTF-8 or a flag other than 1, 0 or empty (JSON), or a
// line longer than kMaxRecordLine.
Result<std::string> EncodeRecord(RecordFormat format, const Record& record);

}  // namespace rcptdb::admin

#endif
