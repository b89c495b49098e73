// records.h - the import/export record format (CSV and JSON lines)
//
// One record per line, first the record type, then its fields in a fixed
// order (rcptdb(1), IMPORT AND EXPORT FORMAT):
//
//   config,NAME,VALUE
//   domain,NAME,KIND,TRANSPORT,TARGET,CATCHALL,ACTIVE
//   mailbox,ADDRESS,PASSWORD_HASH,QUOTA,TRANSPORT,ACTIVE
//   alias,SOURCE,TARGET,ACTIVE
//   relay-recipient,ADDRESS
//   sender,ADDRESS,LOGIN,ALLOW
//
// CSV: fields separated by commas, a field holding a comma, a quote or
// white space is quoted "..." with "" for a quote; trailing fields may be
// left out (empty); lines that are blank or start with '#' are comments.
// JSON lines: one flat object per line with "type" and the field names in
// lower case; flags are true/false, QUOTA a number, empty optional fields
// null. Both forms decode to the same Record, whose fields are text in
// CSV form ("1"/"0" for flags, "" for empty), so one importer reads both.
//
// This file only encodes and decodes; what a record means is import's job.
//
// Thread safety: pure functions.
#ifndef RCPTDB_ADMIN_RECORDS_H
#define RCPTDB_ADMIN_RECORDS_H

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
};

enum class RecordFormat { kCsv, kJson };

// Returns the format named name ("csv", "json"), or nullopt.
std::optional<RecordFormat> ParseRecordFormat(std::string_view name);

// Decodes one line (without its newline). nullopt: a comment or blank line.
Result<std::optional<Record>> DecodeRecord(RecordFormat format, std::string_view line);

// Encodes one record as one line, without the newline.
std::string EncodeRecord(RecordFormat format, const Record& record);

}  // namespace rcptdb::admin

#endif
