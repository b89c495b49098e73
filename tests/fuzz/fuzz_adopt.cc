// SPDX-License-Identifier: MIT
// NAME
//   fuzz_adopt - libFuzzer target for rcptdb adopt's readers
// DESCRIPTION
//   rcptdb adopt reads what an existing installation holds: Postfix map
//   source text, main.cf table lists, inline: and static: tables, Dovecot
//   passwd-file lines, PostfixAdmin rows and a MariaDB URI. Every one of
//   them gets arbitrary bytes here, and the plans built from them must
//   hold their promises. Aborts when:
//     - a map entry has an empty, blank-holding or upper-case key, an
//       empty or unstripped value, a line number out of order, or a
//       logical line past kMaxMapLine;
//     - a passwd-file user holds white space, or its password is neither
//       empty nor a {SCHEME}hash, or its quota is negative;
//     - NamedHash() is not idempotent or returns something that is not a
//       {SCHEME}hash;
//     - a parsed MariaDB URI has no database or a port past 65535;
//     - a plan (Postfix or PostfixAdmin) has a record that import's CSV
//       cannot carry, or not one origin per record.
// SEE ALSO
//   admin/adopt_map_text.h, admin/adopt_passwd.h, admin/adopt_plan.h,
//   admin/adopt_postfixadmin.h, tests/fuzz/run-fuzzers
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "adopt_map_text.h"
#include "adopt_passwd.h"
#include "adopt_plan.h"
#include "adopt_postfixadmin.h"
#include "fuzz_check.h"
#include "password.h"

namespace rcptdb::admin {
namespace {

bool HasBlank(std::string_view s) {
  for (char c : s)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') return true;
  return false;
}

void CheckMapText(std::string_view text, MapText& parsed) {
  parsed = ParseMapSource(text);
  std::size_t last = 0;
  for (const MapEntry& e : parsed.entries) {
    CHECK(!e.key.empty());
    CHECK(!HasBlank(e.key));
    for (char c : e.key) CHECK(!(c >= 'A' && c <= 'Z'));
    CHECK(!e.value.empty());
    CHECK(!HasBlank(std::string_view(&e.value.front(), 1)));
    CHECK(!HasBlank(std::string_view(&e.value.back(), 1)));
    CHECK(e.line > last);
    CHECK(e.key.size() + e.value.size() <= kMaxMapLine);
    last = e.line;
  }
}

void CheckPlan(const AdoptPlan& plan) {
  CHECK(plan.origins.size() == plan.records.size());
  for (const Record& r : plan.records) CHECK(EncodeRecord(RecordFormat::kCsv, r).ok());
}

// Splits text into lines, then each line into fields at '|'.
std::vector<std::vector<std::string>> Rows(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  while (!text.empty() && rows.size() < 200) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    std::vector<std::string> f;
    std::size_t start = 0;
    while (true) {
      std::size_t bar = line.find('|', start);
      f.emplace_back(line.substr(start, bar - start));
      if (bar == std::string_view::npos) break;
      start = bar + 1;
    }
    f.resize(4);
    rows.push_back(std::move(f));
  }
  return rows;
}

constexpr const char* kParams[] = {"relay_domains",           "virtual_alias_domains",
                                   "virtual_mailbox_domains", "transport_maps",
                                   "virtual_alias_maps",      "virtual_mailbox_maps",
                                   "relay_recipient_maps",    "smtpd_sender_login_maps"};

}  // namespace
}  // namespace rcptdb::admin

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb::admin;
  using rcptdb::Result;
  std::string_view in(reinterpret_cast<const char*>(data), size);

  MapText parsed;
  CheckMapText(in, parsed);
  if (Result<std::vector<TableSpec>> l = SplitTableList(in); l.ok())
    for (const TableSpec& t : *l) CHECK(!t.text.empty());
  if (Result<std::vector<MapEntry>> e = ParseInlineTable(in); e.ok())
    for (const MapEntry& m : *e) CHECK(!m.key.empty() && !m.value.empty());
  (void)ParseStaticTable(in);
  for (const std::string& a : SplitAddressList(in)) CHECK(!a.empty());

  // The first line as a passwd-file line and as a hash.
  std::string_view first = in.substr(0, in.find('\n'));
  if (Result<std::optional<PasswdUser>> u = ParsePasswdLine(first); u.ok() && *u) {
    CHECK(!(*u)->user.empty() && !HasBlank((*u)->user));
    CHECK((*u)->password.empty() || rcptdb::IsSchemeHash((*u)->password));
    CHECK((*u)->quota >= 0);
  }
  if (Result<std::string> h = NamedHash(first); h.ok()) {
    CHECK(h->empty() || rcptdb::IsSchemeHash(*h));
    Result<std::string> again = NamedHash(*h);
    CHECK(again.ok() && *again == *h);
  }
  if (Result<MysqlLocation> l = ParseMysqlUri(first); l.ok())
    CHECK(!l->database.empty() && l->port <= 65535);

  // A Postfix site: each entry goes to the parameter its key's length picks.
  PostfixSite site;
  site.recipient_delimiter = "+";
  for (const MapEntry& e : parsed.entries)
    site.params[kParams[e.key.size() % std::size(kParams)]].push_back(
        {e.key, e.value, "fuzz line " + std::to_string(e.line)});
  CheckPlan(PlanFromPostfix(site));

  // PostfixAdmin rows: domains, mailboxes and aliases from the same lines.
  PostfixAdminSite admin;
  admin.keys_fold_case = size % 2 == 0;
  for (const std::vector<std::string>& r : Rows(in)) {
    admin.domains.push_back({r[0], r[1], r[2], r[3]});
    admin.mailboxes.push_back({r[1], r[2], r[3], r[0], r[2]});
    admin.aliases.push_back({r[2], r[3], r[0]});
    admin.alias_domains.push_back({r[3], r[0], r[1]});
  }
  CheckPlan(PlanFromPostfixAdmin(admin));
  return 0;
}
