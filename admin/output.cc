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

namespace rcptdb::admin {
namespace {

std::string OrDash(const std::string& s) { return s.empty() ? "-" : s; }
const char* State(bool active) { return active ? "active" : "disabled"; }

}  // namespace

std::string PasswordScheme(std::string_view hash) {
  if (!hash.starts_with("{")) return "";
  std::size_t close = hash.find('}');
  return close == std::string_view::npos ? "" : std::string(hash.substr(1, close - 1));
}

std::string DomainJson(const Domain& d) {
  return JsonObject()
      .String("name", d.name)
      .String("kind", DomainKindName(d.kind))
      .Bool("active", d.active)
      .StringOrNull("transport", d.transport)
      .StringOrNull("target", d.target)
      .StringOrNull("catchall", d.catchall)
      .str();
}

std::string DomainRow(const Domain& d) {
  return d.name + '\t' + DomainKindName(d.kind) + '\t' + State(d.active) + '\t' +
         OrDash(d.transport) + '\t' + OrDash(d.target) + '\t' + OrDash(d.catchall);
}

std::string MailboxJson(const Mailbox& m) {
  return JsonObject()
      .String("address", m.address)
      .Bool("active", m.active)
      .StringOrNull("password_scheme", PasswordScheme(m.password))
      .Int("quota", m.quota)
      .StringOrNull("transport", m.transport)
      .str();
}

std::string MailboxRow(const Mailbox& m) {
  return m.address + '\t' + State(m.active) + '\t' + std::to_string(m.quota) + '\t' +
         OrDash(m.transport);
}

std::string AliasJson(const AliasTarget& a) {
  return JsonObject()
      .String("source", a.source)
      .String("target", a.target)
      .Bool("active", a.active)
      .str();
}

std::string AliasRow(const AliasTarget& a) {
  return a.source + '\t' + a.target + '\t' + State(a.active);
}

std::string SenderJson(const SenderLogin& s) {
  return JsonObject()
      .String("address", s.address)
      .String("login", s.login)
      .Bool("allow", s.allow)
      .str();
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
