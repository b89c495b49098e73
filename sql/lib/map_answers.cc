// SPDX-License-Identifier: MIT
// NAME
//   map_answers - derive Postfix's map answers from one resolution
// DESCRIPTION
//   The only place that turns a Resolution into what Postfix's maps are
//   told (the LMTP plugin's reply: rcpt_decision.cc). Guards against open relay first: the domains
//   map answers only for active domains in the table, address maps never answer "*" or a bare
//   domain, and nothing is found by default.
// SEE ALSO
//   map_answers.h, rcpt_replies.h, resolver.h, tcp_table(5), socketmap(5)
#include "map_answers.h"

#include <set>

#include "address.h"
#include "forwarding_rules.h"
#include "rcpt_replies.h"

namespace rcptdb {

const char* MapName(MapId map) {
  switch (map) {
    case MapId::kDomains:
      return "domains";
    case MapId::kTransport:
      return "transport";
    case MapId::kRecipients:
      return "recipients";
    case MapId::kAliases:
      return "aliases";
    case MapId::kSenders:
      return "senders";
    case MapId::kAccess:
      return "access";
  }
  return "domains";
}

std::optional<MapId> ParseMapName(std::string_view name) {
  for (MapId m : kAllMaps)
    if (name == MapName(m)) return m;
  return std::nullopt;
}

namespace {

MapAnswer Found(std::string value, std::string why) {
  return {MapAnswer::Kind::kFound, std::move(value), std::move(why)};
}
MapAnswer NotFound(std::string why) { return {MapAnswer::Kind::kNotFound, "", std::move(why)}; }
MapAnswer Temporary(const Status& s) {
  return {MapAnswer::Kind::kTemporary, s.message(), s.message(), s.cause()};
}

MapAnswer AnswerDomain(Store& store, std::string_view key) {
  if (key.find('@') != std::string_view::npos) return NotFound("not a bare domain");
  std::optional<std::string> name = NormalizeDomain(key);
  if (!name) return NotFound("not a valid domain");
  Result<DomainMatch> dom = MatchDomain(store, *name);
  if (!dom.ok()) return Temporary(dom.status());
  if (!dom->ours()) return NotFound(dom->why);
  return Found(DomainKindName(dom->asked.kind), "domain " + *name + " is ours");
}

// Address maps answer addresses only, and the bare "postmaster" that the
// resolver gives a meaning (rule 7 of resolver.h). A bare domain or "*"
// is never an address: answering one would be a default route.
bool IsAddressKey(std::string_view key) {
  return key.find('@') != std::string_view::npos || IsBarePostmaster(key);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

MapAnswer AnswerSenders(Store& store, const Resolution& r) {
  std::vector<std::string> logins;
  auto add = [&logins](const std::string& login) {
    for (const std::string& l : logins)
      if (l == login) return;
    logins.push_back(login);
  };
  // A catch-all grants no sender rights unless the database says so: it
  // would let its owner send as every unassigned address of the domain.
  bool defaults = true;
  if (r.via_catchall) {
    Result<std::string> setting = store.GetSetting("catchall_senders");
    if (!setting.ok()) return Temporary(setting.status());
    defaults = *setting == "yes";
  }
  if (defaults && r.verdict == Verdict::kMailbox) add(r.mailbox);
  if (defaults && r.verdict == Verdict::kAlias)
    for (const Target& t : r.targets)
      if (t.local()) add(t.mailbox);
  // Explicit rows refine the defaults: allow adds a login, deny removes one.
  // r.input is the key's normal form (empty if it is no address).
  if (!r.input.empty()) {
    Result<std::vector<SenderLogin>> rows = store.FindSenderLogins(r.input);
    if (!rows.ok()) return Temporary(rows.status());
    for (const SenderLogin& row : *rows) {
      if (row.allow) {
        add(row.login);
      } else {
        std::erase(logins, row.login);
      }
    }
  }
  if (logins.empty())
    return NotFound(defaults ? "no login may send as this address"
                             : "no login may send as this address (a catch-all grants no "
                               "sender rights while catchall_senders = no)");
  return Found(Join(logins), "owned by its mailbox, alias targets and sender rules");
}

}  // namespace

MapAnswer AnswerFromResolution(Store& store, MapId map, std::string_view key,
                               const Result<Resolution>& res) {
  if (map == MapId::kDomains) return AnswerDomain(store, key);
  if (!IsAddressKey(key)) return NotFound("not an address");
  if (map == MapId::kSenders && key.find('@') == std::string_view::npos)
    return NotFound("a sender address needs a domain");
  if (!res.ok()) return Temporary(res.status());
  const Resolution& r = *res;
  std::string why = VerdictName(r.verdict);
  if (!r.path.empty()) why += ": " + r.path.back();
  switch (map) {
    case MapId::kTransport:
      if (!r.domain_ours || r.transport.empty()) return NotFound(why);
      return Found(r.transport, why);
    case MapId::kRecipients:
      if (r.verdict == Verdict::kMailbox || r.verdict == Verdict::kAlias ||
          r.verdict == Verdict::kRelay)
        return Found(VerdictName(r.verdict), why);
      return NotFound(why);
    case MapId::kAliases: {
      if (r.verdict == Verdict::kAlias) {
        std::vector<std::string> targets;
        for (const Target& t : r.targets) targets.push_back(t.address);
        if (targets.size() == 1 && targets[0] == key) return NotFound(why);
        return Found(Join(targets), why);
      }
      if ((r.verdict == Verdict::kMailbox || r.verdict == Verdict::kRelay) && r.delivery != key)
        return Found(r.delivery, why);
      return NotFound(why);
    }
    case MapId::kSenders:
      return AnswerSenders(store, r);
    case MapId::kAccess:
      // Postfix can then refuse a disabled mailbox with the plugin's own
      // code and words instead of "User unknown". Only refusals: an OK
      // here would be a permission.
      if (r.verdict == Verdict::kDisabled)
        return Found(AccessAction(ReplyId::kMailboxDisabled), why);
      return NotFound(why);
    case MapId::kDomains:
      break;
  }
  return NotFound(why);
}

MapAnswer AnswerMap(Store& store, MapId map, std::string_view key) {
  if (map == MapId::kDomains) return AnswerDomain(store, key);
  if (!IsAddressKey(key)) return NotFound("not an address");
  Resolver resolver(store);
  return AnswerFromResolution(store, map, key, resolver.Resolve(key));
}

}  // namespace rcptdb
