// SPDX-License-Identifier: MIT
// NAME
//   output - how rcptdb shows domains, mailboxes, aliases and rules
// DESCRIPTION
//   Listings stream: `mailbox list` on a million mailboxes prints as it
//   reads, in either form, without holding the list in memory.
// SEE ALSO
//   output.h, json.h, rcptdb(1) OUTPUT
#include "output.h"

#include <algorithm>

#include "cli.h"
#include "json.h"
#include "record_json.h"

namespace rcptdb::admin {
namespace {

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }
const char* State(bool active) { return active ? "active" : "disabled"; }

}  // namespace

std::string DomainRow(const Domain& d) {
  return d.name + '\t' + DomainKindName(d.kind) + '\t' + State(d.active) + '\t' +
         OrDash(d.transport) + '\t' + OrDash(d.target) + '\t' + OrDash(d.catchall);
}

std::string MailboxRow(const Mailbox& m) {
  return m.address + '\t' + State(m.active) + '\t' + std::to_string(m.quota) + '\t' +
         OrDash(m.transport) + '\t' + OrDash(m.description);
}

std::string AliasRow(const AliasTarget& a) {
  return a.source + '\t' + a.target + '\t' + State(a.active);
}

std::string SenderRow(const SenderLogin& s) {
  return s.address + '\t' + s.login + '\t' + (s.allow ? "allow" : "deny");
}

void ListPrinter::Finish() {
  if (json_) PrintLine(any_ ? "\n]" : "[]");
}

void ListPrinter::Add(const std::string& text_or_json) {
  if (json_) Print(any_ ? ",\n" : "[\n");
  any_ = true;
  if (json_)
    Print(text_or_json);
  else
    PrintLine(text_or_json);
}

void PrintFields(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t width = 0;
  for (const auto& f : fields) width = std::max(width, f.first.size());
  for (const auto& [key, value] : fields)
    PrintLine(key + std::string(width + 2 - key.size(), ' ') + value);
}

}  // namespace rcptdb::admin
