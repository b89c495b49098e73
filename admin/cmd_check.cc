// SPDX-License-Identifier: MIT
// NAME
//   cmd_check - rcptdb check: what an address means, and what each side says
// DESCRIPTION
//   Prints the explanation of one address that rcptdb-web's check
//   endpoint gives too (address_check.h): the verdict, the path that led
//   to it, what each Postfix map would answer and the LMTP plugin's RCPT
//   reply. An admin asking "why was this mail refused?" gets the answer
//   the mail system got, not a re-implementation of it.
//
//   With --size N (or --policy ADDR), it also asks the running policy
//   service (rcptdb-server's policy listener, default 127.0.0.1:10028, the
//   documented one) what it answers Postfix for a message of N octets,
//   and asks it about each local target mailbox alone, so the admin sees
//   which target is full and on which route (store).
//
//   Exit status: 0 if the address is accepted (mailbox, alias, relay),
//   1 if it is refused (by the maps, or by the policy service), 75 on
//   database trouble or a policy service that does not answer.
// SEE ALSO
//   commands.h, address_check.h, rcptdb(1) "check"
#include <charconv>
#include <set>

#include "address_check.h"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "policy_question.h"

namespace rcptdb::admin {
namespace {

std::string MapLine(MapId map, const std::string& key, const MapAnswer& a) {
  std::string name = MapName(map);
  std::string line = "  " + name + std::string(12 - name.size(), ' ') + key + " -> ";
  switch (a.kind) {
    case MapAnswer::Kind::kFound:
      line += "found " + a.value;
      break;
    case MapAnswer::Kind::kNotFound:
      line += "not found";
      break;
    case MapAnswer::Kind::kTemporary:
      line += "temporary error";
      break;
  }
  return line + " (" + a.why + ")";
}

void PrintText(const AddressCheck& r) {
  std::vector<std::pair<std::string, std::string>> fields = {{"address", r.raw}};
  if (!r.res.ok()) {
    fields.emplace_back("error", r.res.status().message());
  } else {
    const Resolution& res = *r.res;
    fields.emplace_back("normalised", res.input.empty() ? "- (not a valid address)" : res.input);
    fields.emplace_back("verdict", VerdictName(res.verdict));
    if (!res.mailbox.empty()) fields.emplace_back("mailbox", res.mailbox);
    if (!res.delivery.empty()) fields.emplace_back("delivery", res.delivery);
    if (!res.transport.empty()) fields.emplace_back("transport", res.transport);
    for (const Target& t : res.targets)
      fields.emplace_back("target", t.address + (t.local() ? " (local)" : " (foreign)"));
  }
  PrintFields(fields);
  PrintLine("path:");
  if (r.res.ok())
    for (const std::string& line : r.res->path) PrintLine("  " + line);
  PrintLine("postfix maps:");
  for (const auto& [map, a] : r.maps) PrintLine(MapLine(map, r.KeyFor(map), a));
  std::string reply = std::to_string(r.lmtp.code) + " " + r.lmtp.enhanced + " " + r.lmtp.text;
  if (!r.lmtp.rewrite.empty()) reply += " (delivers to " + r.lmtp.rewrite + ")";
  PrintLine("lmtp plugin:");
  PrintLine("  RCPT TO:<" + r.key + "> -> " + reply);
}

// What the policy service said: for the address, and per local target.
struct PolicyReport {
  std::string service;
  std::uint64_t size = 0;
  std::string action;
  struct TargetAnswer {
    std::string mailbox, route, action;
  };
  std::vector<TargetAnswer> targets;
};

Result<PolicyReport> AskPolicy(const Cli& cli, const AddressCheck& r) {
  PolicyReport p;
  p.service = cli.Value("policy").value_or("127.0.0.1:10028");
  if (std::optional<std::string> size = cli.Value("size")) {
    auto [end, ec] = std::from_chars(size->data(), size->data() + size->size(), p.size);
    if (size->empty() || ec != std::errc() || end != size->data() + size->size())
      return Status::Invalid("--size " + *size + ": expected a number of octets");
  }
  Result<std::string> action = AskPolicyService(p.service, r.raw, p.size);
  if (!action.ok()) return action.status();
  p.action = *action;
  if (!r.res.ok()) return p;
  std::vector<std::pair<std::string, std::string>> locals;
  if (r.res->verdict == Verdict::kMailbox) locals.emplace_back(r.res->mailbox, r.res->transport);
  if (r.res->verdict == Verdict::kAlias)
    for (const Target& t : r.res->targets)
      if (t.local()) locals.emplace_back(t.mailbox, t.transport);
  std::set<std::string> seen;
  for (const auto& [mailbox, route] : locals) {
    if (!seen.insert(mailbox).second) continue;
    Result<std::string> a = AskPolicyService(p.service, mailbox, p.size);
    if (!a.ok()) return a.status();
    p.targets.push_back({mailbox, route, *a});
  }
  return p;
}

void PrintPolicy(const Cli& cli, const PolicyReport& p, const std::string& address) {
  if (cli.json) {
    std::vector<std::string> items;
    for (const auto& t : p.targets)
      items.push_back(JsonObject()
                          .String("mailbox", t.mailbox)
                          .StringOrNull("route", t.route)
                          .String("action", t.action)
                          .str());
    PrintLine(JsonObject()
                  .String("policy_service", p.service)
                  .Int("size", static_cast<std::int64_t>(p.size))
                  .String("action", p.action)
                  .Raw("targets", JsonArray(items))
                  .str());
    return;
  }
  PrintLine("policy service " + p.service + ":");
  PrintLine("  RCPT TO:<" + address + "> SIZE=" + std::to_string(p.size) + " -> " + p.action);
  for (const auto& t : p.targets)
    PrintLine("  target " + t.mailbox + " (route " + (t.route.empty() ? "-" : t.route) + ") -> " +
              t.action);
}

}  // namespace

Outcome Check(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  AddressCheck r = CheckAddress(**store, cli.args[0]);
  if (cli.json)
    PrintLine(AddressCheckJson(r));
  else
    PrintText(r);
  if (!r.res.ok()) return r.res.status();
  if (cli.Has("size") || cli.Has("policy")) {
    Result<PolicyReport> p = AskPolicy(cli, r);
    if (!p.ok()) return p.status();
    PrintPolicy(cli, *p, r.raw);
    char first = p->action.empty() ? ' ' : p->action[0];
    if (first == '5' || p->action.starts_with("REJECT"))
      return Status::NotFound(r.key + ": refused by the policy service (" + p->action + ")");
    if (first == '4' || p->action.starts_with("DEFER"))
      return Status::Temporary(r.key + ": deferred by the policy service (" + p->action + ")");
  }
  Verdict v = r.res->verdict;
  if (v == Verdict::kMailbox || v == Verdict::kAlias || v == Verdict::kRelay) return Outcome();
  // Refused is an answer, not an error: say so in one line, exit 1.
  return Status::NotFound(r.key + ": refused (" + VerdictName(v) + ")");
}

}  // namespace rcptdb::admin
