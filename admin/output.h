// SPDX-License-Identifier: MIT
// output.h - how rcptdb shows domains, mailboxes, aliases and rules
//
// Two forms of every listing: text for people and shell scripts (one row
// per line, fields separated by a tab, "-" for an empty field, no header),
// and with --json one JSON array of objects (one object per line inside
// the array, so that `grep` still works); each object is record_json.h's
// form, the one rcptdb-web and the audit log use too. `show` prints "key value" lines,
// or one JSON object. Password hashes are never shown, only their scheme:
// `export` is the one command that writes them.
//
// Thread safety: writes to stdout; single-threaded.
#ifndef RCPTDB_ADMIN_OUTPUT_H
#define RCPTDB_ADMIN_OUTPUT_H

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "record_json.h"
#include "store.h"

namespace rcptdb::admin {

std::string DomainRow(const Domain& d);
std::string MailboxRow(const Mailbox& m);
std::string AliasRow(const AliasTarget& a);
std::string SenderRow(const SenderLogin& s);

// ListPrinter - prints rows as they come, as text lines or a JSON array.
class ListPrinter {
 public:
  explicit ListPrinter(bool json) : json_(json) {}
  bool json() const { return json_; }
  // Prints one row: a JSON object if json(), else a text line.
  void Add(const std::string& text_or_json);
  // Ends the list (closes the JSON array). Not called after a failure, so
  // that a half-read list never looks complete.
  void Finish();

 private:
  bool json_;
  bool any_ = false;
};

// Prints "key value" lines, keys padded to one column.
void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace rcptdb::admin

#endif
