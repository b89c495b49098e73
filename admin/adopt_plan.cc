// SPDX-License-Identifier: MIT
// NAME
//   adopt_plan - what an existing Postfix setup becomes in rcptdb
// DESCRIPTION
//   Collects the facts per domain and per address first (a domain's kind
//   depends on everything said about it, in any map), then writes the
//   records in the order import needs: settings, domains (alias domains
//   after their targets), mailboxes, aliases, relay recipients, senders.
//
//   Postfix's own lookup rules decide what an entry means:
//   - virtual(5) tries user+ext@domain, user@domain, user+ext, user,
//     @domain; the bare-user forms apply to $mydestination only, which a
//     mail host on rcptdb does not use, so such keys are refused;
//   - transport(5) tries user+ext@domain, user@domain, domain, .domain,
//     *; rcptdb keeps routes per domain and per mailbox;
//   - relay_recipient_maps answers existence; "@domain" accepts every
//     address of the domain, which rcptdb never does (it is the trap the
//     table exists to avoid), so it is refused.
// SEE ALSO
//   adopt_plan.h, cmd_adopt.cc, virtual(5), transport(5), postconf(5)
#include "adopt_plan.h"

#include <set>

#include "address.h"
#include "adopt_map_text.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

struct DomainFacts {
  std::string where;  // first mention
  bool virtual_mailbox = false;
  bool virtual_alias = false;
  std::string transport, transport_where;
  std::string alias_target, alias_where;
  std::string catchall, catchall_where;
  std::size_t locals = 0;                                       // mailboxes and aliases
  std::vector<std::pair<std::string, std::string>> recipients;  // address, where
};

struct MailboxFacts {
  std::string password;
  std::int64_t quota = 0;
  std::string transport;
  std::string where;
  bool self_alias = false;
};

struct AliasFacts {
  std::vector<std::string> targets;
  std::string where;
};

class Planner {
 public:
  explicit Planner(const PostfixSite& site) : site_(site) {}
  AdoptPlan Run();

 private:
  const std::vector<SiteEntry>& Param(const std::string& name) const;
  void Refuse(const std::string& where, const std::string& text) {
    plan_.refusals.push_back({where, text});
  }
  void Note(const std::string& where, const std::string& text) {
    plan_.notes.push_back({where, text});
  }
  // Returns the domain's facts if name is one of ours, else nullptr.
  DomainFacts* Ours(const std::string& name);
  // Reads addr as an address of one of our domains; refuses otherwise.
  std::optional<Address> OurAddress(const SiteEntry& e, const std::string& addr,
                                    const std::string& what);

  void ReadDomains(const std::string& param);
  void ReadUsers();
  void ReadVirtualMailboxes();
  void ReadAliases();
  void ReadAlias(const SiteEntry& e);
  void ReadCatchall(const SiteEntry& e, const std::string& domain);
  void ReadRelayRecipients();
  void ReadTransports();
  void Emit();
  void EmitSenders();

  const PostfixSite& site_;
  AdoptPlan plan_;
  std::map<std::string, DomainFacts> domains_;
  std::map<std::string, MailboxFacts> mailboxes_;
  std::map<std::string, AliasFacts> aliases_;
  std::string delimiters_;
};

const std::vector<SiteEntry>& Planner::Param(const std::string& name) const {
  static const std::vector<SiteEntry> kNone;
  auto it = site_.params.find(name);
  return it == site_.params.end() ? kNone : it->second;
}

DomainFacts* Planner::Ours(const std::string& name) {
  auto it = domains_.find(name);
  return it == domains_.end() ? nullptr : &it->second;
}

std::optional<Address> Planner::OurAddress(const SiteEntry& e, const std::string& addr,
                                           const std::string& what) {
  std::optional<Address> a = NormalizeAddress(addr);
  if (!a) {
    Refuse(e.where, addr + ": not an address (" + what + ")");
    return std::nullopt;
  }
  if (Ours(a->domain) == nullptr) {
    Refuse(e.where, addr + ": " + what + " in " + a->domain +
                        ", which no domain list names (rcptdb answers for its own domains only)");
    return std::nullopt;
  }
  return a;
}

void Planner::ReadDomains(const std::string& param) {
  for (const SiteEntry& e : Param(param)) {
    const std::string& k = e.key;
    // virtual_*_domains default to the *_maps tables: Postfix asks them
    // for bare domains only, so their address keys say nothing here.
    if (k.find('@') != std::string::npos && param != "relay_domains") continue;
    if (k.starts_with(".")) {
      Refuse(e.where, k + ": a parent-domain match (every subdomain of " + k.substr(1) +
                          "); list each domain");
      continue;
    }
    if (k.starts_with("!")) {
      Refuse(e.where, k + ": an exclusion in a domain list");
      continue;
    }
    std::optional<std::string> name = NormalizeDomain(k);
    if (!name) {
      Refuse(e.where, k + ": not a domain name");
      continue;
    }
    auto [it, fresh] = domains_.try_emplace(*name);
    if (fresh) it->second.where = e.where;
    if (param == "virtual_mailbox_domains") it->second.virtual_mailbox = true;
    if (param == "virtual_alias_domains") it->second.virtual_alias = true;
  }
}

void Planner::ReadUsers() {
  for (const PostfixSite::User& u : site_.users) {
    SiteEntry e{u.user.user, "", u.where};
    std::optional<Address> a = NormalizeAddress(u.user.user);
    if (!a) {
      Refuse(u.where, u.user.user + ": a Dovecot user that is not an address");
      continue;
    }
    if (Ours(a->domain) == nullptr) {
      Note(u.where, a->str() + ": skipped: a Dovecot user in " + a->domain +
                        ", which no Postfix map names (Postfix never accepted mail for it)");
      continue;
    }
    auto [it, fresh] = mailboxes_.try_emplace(a->str());
    if (!fresh) {
      Refuse(u.where,
             a->str() + ": a second Dovecot user of this name (first: " + it->second.where + ")");
      continue;
    }
    it->second.password = u.user.password;
    it->second.quota = u.user.quota;
    it->second.where = u.where;
    for (const std::string& f : u.user.dropped)
      Note(u.where, a->str() + ": extra field " + f + " is not kept");
  }
}

void Planner::ReadVirtualMailboxes() {
  for (const SiteEntry& e : Param("virtual_mailbox_maps")) {
    if (e.key.find('@') == std::string::npos) continue;  // a bare domain (the domain list)
    if (e.key.starts_with("@")) {
      Refuse(e.where, e.key +
                          ": a catch-all mailbox (every address of the domain delivered to one "
                          "store); use an alias catch-all");
      continue;
    }
    std::optional<Address> a = OurAddress(e, e.key, "a mailbox");
    if (!a) continue;
    auto [it, fresh] = mailboxes_.try_emplace(a->str());
    if (fresh) it->second.where = e.where;
  }
}

void Planner::ReadCatchall(const SiteEntry& e, const std::string& domain) {
  DomainFacts* d = Ours(domain);
  if (d == nullptr) {
    Refuse(e.where, e.key + ": a catch-all for " + domain + ", which no domain list names");
    return;
  }
  std::vector<std::string> targets = SplitAddressList(e.value);
  if (targets.size() == 1 && targets[0].starts_with("@")) {
    std::optional<std::string> target = NormalizeDomain(targets[0].substr(1));
    if (!target) {
      Refuse(e.where, e.key + ": " + targets[0] + " is not a domain");
      return;
    }
    d->alias_target = *target;
    d->alias_where = e.where;
    return;
  }
  if (targets.size() != 1) {
    Refuse(e.where, e.key + ": a catch-all with " + std::to_string(targets.size()) +
                        " targets; rcptdb's catch-all has one (make it an alias)");
    return;
  }
  std::optional<Address> t = NormalizeAddress(targets[0]);
  if (!t) {
    Refuse(e.where, e.key + ": catch-all target " + targets[0] + " is not an address");
    return;
  }
  d->catchall = t->str();
  d->catchall_where = e.where;
}

void Planner::ReadAlias(const SiteEntry& e) {
  std::optional<Address> a = OurAddress(e, e.key, "an alias");
  if (!a) return;
  if (HasDelimiter(a->local, delimiters_)) {
    Refuse(e.where,
           e.key + ": a key with the recipient delimiter (rcptdb strips the detail itself)");
    return;
  }
  std::string source = a->str();
  std::vector<std::string> targets;
  bool self = false;
  for (const std::string& t : SplitAddressList(e.value)) {
    std::optional<Address> ta = NormalizeAddress(t);
    if (!ta) {
      Refuse(e.where, source + ": target " + t +
                          " is not an address (a bare local part is delivered locally)");
      return;
    }
    if (ta->str() == source)
      self = true;
    else
      targets.push_back(ta->str());
  }
  auto mailbox = mailboxes_.find(source);
  if (mailbox != mailboxes_.end()) {
    if (!targets.empty()) {
      Refuse(e.where, source + ": a mailbox that also forwards" +
                          std::string(self ? " (keeping a copy)" : " (its mailbox gets nothing)") +
                          "; rcptdb's mailboxes do not forward: make it an alias or drop the "
                          "forwarding");
      return;
    }
    mailbox->second.self_alias = true;
    return;
  }
  if (self) {
    Refuse(e.where, source + ": an alias to itself that is no mailbox");
    return;
  }
  if (targets.empty()) {
    Refuse(e.where, source + ": an alias without targets");
    return;
  }
  auto [it, fresh] = aliases_.try_emplace(source);
  if (!fresh) {
    Refuse(e.where, source + ": listed twice (first: " + it->second.where +
                        "); Postfix uses the first table that has it");
    return;
  }
  it->second.targets = std::move(targets);
  it->second.where = e.where;
}

void Planner::ReadAliases() {
  for (const SiteEntry& e : Param("virtual_alias_maps")) {
    if (e.key.starts_with("@")) {
      ReadCatchall(e, e.key.substr(1));
    } else if (e.key.find('@') == std::string::npos) {
      std::optional<std::string> d = NormalizeDomain(e.key);
      if (d && Ours(*d) != nullptr && Ours(*d)->virtual_alias) continue;  // the domain's marker
      Refuse(e.where, e.key +
                          ": a bare local part (virtual(5) applies it to $mydestination "
                          "only)");
    } else {
      ReadAlias(e);
    }
  }
}

void Planner::ReadRelayRecipients() {
  for (const SiteEntry& e : Param("relay_recipient_maps")) {
    if (e.key.starts_with("@")) {
      Refuse(e.where, e.key + ": accepts every address of " + e.key.substr(1) +
                          "; rcptdb accepts listed recipients only (list them)");
      continue;
    }
    if (e.key.find('@') == std::string::npos) {
      Refuse(e.where, e.key + ": a bare local part (access(5) applies it to $mydestination only)");
      continue;
    }
    std::optional<Address> a = OurAddress(e, e.key, "a relay recipient");
    if (!a) continue;
    if (HasDelimiter(a->local, delimiters_)) {
      Refuse(e.where, e.key + ": a key with the recipient delimiter");
      continue;
    }
    Ours(a->domain)->recipients.emplace_back(a->str(), e.where);
  }
}

void Planner::ReadTransports() {
  for (const SiteEntry& e : Param("transport_maps")) {
    const std::string& k = e.key;
    if (k == "*") {
      Refuse(e.where, "*: a default route for all mail; set default_transport in main.cf instead");
      continue;
    }
    if (k.starts_with(".")) {
      Refuse(e.where, k + ": a parent-domain route; list each domain");
      continue;
    }
    std::string route = TransportValue(e.value);
    if (Status s = CheckTransport(route); !s.ok()) {
      Refuse(e.where, k + ": " + s.message());
      continue;
    }
    if (k.find('@') == std::string::npos) {
      std::optional<std::string> name = NormalizeDomain(k);
      DomainFacts* d = name ? Ours(*name) : nullptr;
      if (d == nullptr) {
        Refuse(e.where, k + ": a route for a domain that is not ours (rcptdb routes its own "
                            "domains only; keep it in a transport map of its own)");
        continue;
      }
      d->transport = route;
      d->transport_where = e.where;
      continue;
    }
    std::optional<Address> a = OurAddress(e, k, "a route");
    if (!a) continue;
    auto m = mailboxes_.find(a->str());
    if (m == mailboxes_.end()) {
      Refuse(e.where, k + ": a route for an address that is no mailbox");
      continue;
    }
    m->second.transport = route;
  }
}

Record MakeRecord(RecordType type, std::vector<std::string> fields) {
  Record r{type, std::move(fields)};
  r.fields.resize(SpecOf(type).fields.size());
  return r;
}

void Planner::Emit() {
  plan_.Add(MakeRecord(RecordType::kConfig, {"delimiter", delimiters_}), "recipient_delimiter");
  for (const auto& [source, a] : aliases_) ++domains_[source.substr(source.find('@') + 1)].locals;
  for (const auto& [address, m] : mailboxes_)
    ++domains_[address.substr(address.find('@') + 1)].locals;
  std::set<std::string> alias_domains;
  for (auto& [name, d] : domains_) {
    if (d.alias_target.empty()) continue;
    if (d.locals != 0 || !d.catchall.empty() || !d.recipients.empty() || !d.transport.empty()) {
      Refuse(d.alias_where, "@" + name +
                                ": an alias domain that has addresses or a route of its "
                                "own besides; rcptdb's alias domains have none");
      continue;
    }
    if (Ours(d.alias_target) == nullptr) {
      Refuse(d.alias_where,
             "@" + name + ": alias domain of " + d.alias_target + ", which no domain list names");
      continue;
    }
    alias_domains.insert(name);
  }
  std::set<std::string> relay;
  for (auto& [name, d] : domains_) {
    if (alias_domains.contains(name)) continue;
    bool hosted = d.locals != 0 || !d.catchall.empty() || d.virtual_mailbox || d.virtual_alias ||
                  d.transport.starts_with("lmtp:");
    if (!hosted && !Param("relay_recipient_maps").empty()) relay.insert(name);
    if (!hosted && Param("relay_recipient_maps").empty()) {
      Refuse(d.where, name +
                          ": a relay domain without relay_recipient_maps accepts every "
                          "address; rcptdb accepts listed recipients only");
      continue;
    }
    std::string transport = d.transport;
    if (transport.empty() && d.virtual_mailbox && !site_.virtual_transport.empty())
      transport = TransportValue(site_.virtual_transport);
    if (Status s = transport.empty() ? Status::Ok() : CheckTransport(transport); !s.ok()) {
      Refuse(d.where, name + ": virtual_transport " + s.message());
      continue;
    }
    plan_.Add(MakeRecord(RecordType::kDomain,
                         {name, hosted ? "hosted" : "relay", transport, "", d.catchall, "1"}),
              d.catchall_where.empty() ? d.where : d.catchall_where);
    if (!d.catchall.empty()) {
      std::size_t shadowed = 0;
      for (const auto& [address, m] : mailboxes_)
        if (address.ends_with("@" + name) && !m.self_alias) ++shadowed;
      if (shadowed != 0)
        Note(d.catchall_where,
             "@" + name + ": Postfix sends " + std::to_string(shadowed) +
                 " mailbox(es) without a self-alias to this catch-all; rcptdb's catch-all never "
                 "shadows a mailbox (rcptdb compare shows each)");
    }
  }
  for (const std::string& name : alias_domains)
    plan_.Add(
        MakeRecord(RecordType::kDomain, {name, "alias", "", domains_[name].alias_target, "", "1"}),
        domains_[name].alias_where);
  bool have_recipient_maps = !Param("relay_recipient_maps").empty();
  std::set<std::string> listed;
  for (const auto& [name, d] : domains_)
    for (const auto& [address, where] : d.recipients) listed.insert(address);
  for (const auto& [address, m] : mailboxes_) {
    std::string domain = address.substr(address.find('@') + 1);
    if (relay.contains(domain) || alias_domains.contains(domain)) continue;
    if (have_recipient_maps && !domains_[domain].virtual_mailbox && !listed.contains(address))
      Note(m.where, address +
                        ": a mailbox that relay_recipient_maps does not list (Postfix "
                        "refused it at RCPT); rcptdb accepts it");
    plan_.Add(MakeRecord(RecordType::kMailbox,
                         {address, m.password, std::to_string(m.quota), m.transport, "1"}),
              m.where);
  }
  for (const auto& [source, a] : aliases_) {
    std::string domain = source.substr(source.find('@') + 1);
    if (relay.contains(domain)) {
      Refuse(a.where, source + ": an alias in a relay domain");
      continue;
    }
    for (const std::string& t : a.targets)
      plan_.Add(MakeRecord(RecordType::kAlias, {source, t, "1"}), a.where);
  }
  for (const auto& [name, d] : domains_) {
    for (const auto& [address, where] : d.recipients) {
      if (relay.contains(name)) {
        plan_.Add(MakeRecord(RecordType::kRelayRecipient, {address}), where);
      } else if (!mailboxes_.contains(address) && !aliases_.contains(address) &&
                 !alias_domains.contains(name)) {
        Note(where, address +
                        ": accepted by relay_recipient_maps but no Dovecot user or alias: "
                        "adopted as a mailbox without a password");
        plan_.Add(MakeRecord(RecordType::kMailbox, {address, "", "0", "", "1"}), where);
      }
    }
  }
}

void Planner::EmitSenders() {
  for (const SiteEntry& e : Param("smtpd_sender_login_maps")) {
    if (e.key.find('@') == std::string::npos || e.key.starts_with("@")) {
      Refuse(e.where, e.key + ": a sender pattern; rcptdb's sender rules name whole addresses");
      continue;
    }
    std::optional<Address> a = OurAddress(e, e.key, "a sender address");
    if (!a) continue;
    for (const std::string& login : SplitAddressList(e.value)) {
      if (login == a->str()) continue;  // rcptdb's default: a mailbox sends as itself
      plan_.Add(MakeRecord(RecordType::kSender, {a->str(), login, "1"}), e.where);
    }
  }
}

AdoptPlan Planner::Run() {
  plan_.refusals = site_.unreadable;
  delimiters_ = site_.recipient_delimiter;
  ReadDomains("relay_domains");
  ReadDomains("virtual_mailbox_domains");
  ReadDomains("virtual_alias_domains");
  ReadUsers();
  ReadVirtualMailboxes();
  ReadAliases();
  ReadRelayRecipients();
  ReadTransports();
  Emit();
  EmitSenders();
  return std::move(plan_);
}

}  // namespace

void AdoptPlan::Add(Record r, std::string origin) {
  records.push_back(std::move(r));
  origins.push_back(std::move(origin));
}

std::string TransportValue(std::string_view transport) {
  std::string t(transport);
  if (t.find(':') == std::string::npos) t += ':';
  return t;
}

AdoptPlan PlanFromPostfix(const PostfixSite& site) { return Planner(site).Run(); }

}  // namespace rcptdb::admin
