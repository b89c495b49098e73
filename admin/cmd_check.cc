// SPDX-License-Identifier: MIT
// NAME
//   cmd_check - rcptdb check: what an address means, and what each side says
// DESCRIPTION
//   Resolves one address with the same Resolver the lookup server and the
//   LMTP plugin use, and prints the verdict, the path that led to it, what
//   each Postfix map would answer (map_answers.h, the server's own code) and
//   the LMTP plugin's RCPT reply (with Dovecot's usual delimiter "+"). An
//   admin asking "why was this mail refused?" gets the answer the mail
//   system got, not a re-implementation of it.
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
//   commands.h, resolver.h, map_answers.h, rcpt_decision.h, rcptdb(1) "check"
#include <charconv>
#include <set>

#include "commands.h"
#include "json.h"
#include "map_answers.h"
#include "output.h"
#include "policy_question.h"
#include "rcpt_decision.h"

namespace rcptdb::admin {
namespace {

// Dovecot's default recipient_delimiter, as the plugin is usually run.
constexpr std::string_view kDovecotDelimiter = "+";

struct Report {
  std::string raw;
  std::string key;         // normalised address, or raw if malformed
  std::string domain_key;  // what relay_domains would be asked
  Result<Resolution> res = Status::Temporary("not resolved");
  std::vector<std::pair<MapId, MapAnswer>> maps;
  RcptReply lmtp;
};

const char* AnswerKind(MapAnswer::Kind k) {
  switch (k) {
    case MapAnswer::Kind::kFound:
      return "found";
    case MapAnswer::Kind::kNotFound:
      return "notfound";
    case MapAnswer::Kind::kTemporary:
      return "temporary";
  }
  return "notfound";
}

const char* ReplyKind(RcptReply::Kind k) {
  switch (k) {
    case RcptReply::Kind::kAccept:
      return "accept";
    case RcptReply::Kind::kReject:
      return "reject";
    case RcptReply::Kind::kDefer:
      return "defer";
  }
  return "reject";
}

Report Build(Store& store, const std::string& raw) {
  Report r;
  r.raw = raw;
  r.res = Resolver(store).Resolve(raw);
  r.key = r.res.ok() && !r.res->input.empty() ? r.res->input : raw;
  std::size_t at = r.key.rfind('@');
  r.domain_key = at == std::string::npos ? r.key : r.key.substr(at + 1);
  for (MapId map : kAllMaps)
    r.maps.emplace_back(map, AnswerFromResolution(
                                 store, map, map == MapId::kDomains ? r.domain_key : r.key, r.res));
  r.lmtp = DecideRcpt(r.res, r.key, kDovecotDelimiter);
  return r;
}

std::string TargetsJson(const Resolution& res) {
  std::vector<std::string> items;
  for (const Target& t : res.targets)
    items.push_back(JsonObject()
                        .String("address", t.address)
                        .StringOrNull("mailbox", t.mailbox)
                        .StringOrNull("transport", t.transport)
                        .str());
  return JsonArray(items);
}

std::string ResolutionJson(const Report& r) {
  JsonObject o;
  o.String("address", r.raw);
  if (!r.res.ok()) return o.Raw("verdict", "null").String("error", r.res.status().message()).str();
  const Resolution& res = *r.res;
  return o.StringOrNull("normalized", res.input)
      .String("verdict", VerdictName(res.verdict))
      .StringOrNull("domain", res.domain)
      .StringOrNull("mailbox", res.mailbox)
      .StringOrNull("delivery", res.delivery)
      .StringOrNull("transport", res.transport)
      .StringOrNull("detail", res.detail)
      .Raw("targets", TargetsJson(res))
      .Raw("path", JsonStringArray(res.path))
      .str();
}

void PrintJson(const Report& r) {
  JsonObject maps;
  for (const auto& [map, a] : r.maps)
    maps.Raw(MapName(map), JsonObject()
                               .String("key", map == MapId::kDomains ? r.domain_key : r.key)
                               .String("result", AnswerKind(a.kind))
                               .StringOrNull("value", a.value)
                               .String("why", a.why)
                               .str());
  std::string lmtp = JsonObject()
                         .String("result", ReplyKind(r.lmtp.kind))
                         .Int("code", r.lmtp.code)
                         .String("enhanced", r.lmtp.enhanced)
                         .String("text", r.lmtp.text)
                         .StringOrNull("rewrite", r.lmtp.rewrite)
                         .str();
  std::string res = ResolutionJson(r);
  res.pop_back();  // reopen the object to add maps and lmtp
  PrintLine(res + ",\"maps\":" + maps.str() + ",\"lmtp\":" + lmtp + "}");
}

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

void PrintText(const Report& r) {
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
  for (const auto& [map, a] : r.maps)
    PrintLine(MapLine(map, map == MapId::kDomains ? r.domain_key : r.key, a));
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

Result<PolicyReport> AskPolicy(const Cli& cli, const Report& r) {
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
  Report r = Build(**store, cli.args[0]);
  if (cli.json)
    PrintJson(r);
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
