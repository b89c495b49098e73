// NAME
//   answers - derive map answers and LMTP replies from one resolution
// DESCRIPTION
//   The only place that turns a Resolution into what Postfix or Dovecot is
//   told. Guards against open relay first: the domains map answers only for
//   active domains in the table, address maps never answer "*" or a bare
//   domain, and nothing is found by default.
// SEE ALSO
//   answers.h, resolver.h, tcp_table(5), socketmap(5)
#include "answers.h"

#include <set>

#include "address.h"

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
  Result<std::optional<Domain>> dom = store.FindDomain(*name);
  if (!dom.ok()) return Temporary(dom.status());
  if (!*dom) return NotFound("domain " + *name + " is not ours");
  if (!(*dom)->active) return NotFound("domain " + *name + " is disabled");
  if ((*dom)->kind == DomainKind::kAlias) {
    // An alias domain is ours only while its target is.
    Result<std::optional<Domain>> target = store.FindDomain((*dom)->target);
    if (!target.ok()) return Temporary(target.status());
    if (!*target || !(*target)->active || (*target)->kind == DomainKind::kAlias)
      return NotFound("alias domain " + *name + " has no active target");
  }
  return Found(DomainKindName((*dom)->kind), "domain " + *name + " is ours");
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
  if (r.verdict == Verdict::kMailbox) add(r.mailbox);
  if (r.verdict == Verdict::kAlias)
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
  if (logins.empty()) return NotFound("no login may send as this address");
  return Found(Join(logins), "owned by its mailbox, alias targets and sender rules");
}

}  // namespace

MapAnswer AnswerFromResolution(Store& store, MapId map, std::string_view key,
                               const Result<Resolution>& res) {
  if (map == MapId::kDomains) return AnswerDomain(store, key);
  // Address maps: a bare domain or "*" is never an address; answering one
  // would be a default route or a virtual alias domain.
  if (key.find('@') == std::string_view::npos) return NotFound("not an address");
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
      if (r.verdict == Verdict::kDisabled) return Found("550 5.2.1 Mailbox disabled", why);
      return NotFound(why);
    case MapId::kDomains:
      break;
  }
  return NotFound(why);
}

MapAnswer AnswerMap(Store& store, MapId map, std::string_view key) {
  if (map == MapId::kDomains) return AnswerDomain(store, key);
  if (key.find('@') == std::string_view::npos) return NotFound("not an address");
  Resolver resolver(store);
  return AnswerFromResolution(store, map, key, resolver.Resolve(key));
}

namespace {

RcptReply Reject(const char* enhanced, std::string text) {
  return {RcptReply::Kind::kReject, 550, enhanced, std::move(text), ""};
}

}  // namespace

RcptReply DecideRcpt(const Result<Resolution>& res, std::string_view path,
                     std::string_view dovecot_delimiters) {
  std::string who = "<" + std::string(path) + ">";
  if (!res.ok())
    return {RcptReply::Kind::kDefer, 451, "4.3.0",
            who + ": Temporary lookup failure, try again later", ""};
  const Resolution& r = *res;
  switch (r.verdict) {
    case Verdict::kMalformed:
    case Verdict::kUnknownRecipient:
      return Reject("5.1.1", who + ": Recipient address rejected: User unknown");
    case Verdict::kUnknownDomain:
      return Reject("5.1.2", who + ": Recipient address rejected: Domain not served here");
    case Verdict::kDisabled:
      return Reject("5.2.1", who + ": Recipient address rejected: Mailbox disabled");
    case Verdict::kRelay:
      return Reject("5.1.2", who +
                                 ": Recipient address rejected: Relay domain, "
                                 "not delivered by this mail store");
    case Verdict::kMailbox: {
      // Keep +detail only where Dovecot itself strips it before its userdb
      // lookup; otherwise deliver to the mailbox address plainly.
      bool keep =
          !r.detail.empty() && dovecot_delimiters.find(r.detail.front()) != std::string_view::npos;
      std::string to = keep ? r.delivery : r.mailbox;
      RcptReply ok{RcptReply::Kind::kAccept, 250, "2.1.5", "OK", ""};
      if (to != path) ok.rewrite = to;
      return ok;
    }
    case Verdict::kAlias: {
      if (r.targets.size() == 1 && r.targets[0].local()) {
        RcptReply ok{RcptReply::Kind::kAccept, 250, "2.1.5", "OK", ""};
        if (r.targets[0].mailbox != path) ok.rewrite = r.targets[0].mailbox;
        return ok;
      }
      // One RCPT is one Dovecot user; fan-out and forwarding are Postfix's
      // job (virtual_alias_maps), which expands before mail reaches LMTP.
      return Reject("5.3.0", who + ": Recipient address rejected: Alias with " +
                                 std::to_string(r.targets.size()) +
                                 " targets or a foreign target; expand it in Postfix "
                                 "(virtual_alias_maps)");
    }
  }
  return Reject("5.1.1", who + ": Recipient address rejected: User unknown");
}

}  // namespace rcptdb
