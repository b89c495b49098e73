// SPDX-License-Identifier: MIT
// NAME
//   provision - validated writes shared by rcptdb's commands and its import
// DESCRIPTION
//   Each Add/Set function normalises its input, checks the rules whose
//   refusal an admin should read in words, and only then writes. The
//   schema checks the same rules again (plain SQL must not be able to break
//   them); what it refuses anyway is explained by store_words.
//
//   Mailbox existence is left to the primary key on the import path: a
//   million pre-checks would double the work of a bulk import.
// SEE ALSO
//   provision.h, values.h, alias_walk.h, sql/schema.sql
#include "provision.h"

#include <algorithm>
#include <set>

#include "alias_walk.h"
#include "forwarding_rules.h"
#include "json.h"
#include "network_list.h"
#include "password.h"
#include "record_json.h"
#include "resolver.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb {
namespace {

// The domain part of a normalised address.
std::string_view DomainOf(std::string_view address) {
  std::size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace

Status Provisioner::Audit(std::string_view kind, std::string_view object, std::string_view domain,
                          std::string_view action, const std::string& before,
                          const std::string& after) {
  AuditRecord r;
  r.time = UtcNow();
  r.actor = actor_.who;
  r.client = actor_.client;
  r.request_id = actor_.request_id;
  r.kind = kind;
  r.object = object;
  r.domain = domain;
  r.action = action;
  r.before = before;
  r.after = after;
  Status s = store_.AppendAudit(r);
  // A refused audit row (a bad actor name) is no fault of the change's
  // input: say so, and the caller rolls the change back with it.
  if (!s.ok() && !s.temporary()) return s.Reworded("audit log: " + ConstraintInWords(s.message()));
  return s;
}

Status Provisioner::AuditAlias(const std::string& source, std::string_view domain,
                               const std::vector<AliasTarget>& before) {
  Result<std::vector<AliasTarget>> after = store_.FindAlias(source);
  if (!after.ok()) return after.status();
  return Audit("alias", source, domain,
               before.empty()   ? "create"
               : after->empty() ? "delete"
                                : "update",
               before.empty() ? "" : AliasSourceJson(source, before),
               after->empty() ? "" : AliasSourceJson(source, *after));
}

Result<std::optional<Domain>> Provisioner::FindDomain(const std::string& name) {
  if (auto it = domains_.find(name); it != domains_.end()) return it->second;
  Result<std::optional<Domain>> d = store_.FindDomain(name);
  if (d.ok()) domains_[name] = *d;
  return d;
}

// Returns the domain name if it exists and has kind; else Invalid naming value.
Result<Domain> Provisioner::RequireDomain(const std::string& name, std::string_view value,
                                          DomainKind kind, std::string_view what) {
  Result<std::optional<Domain>> d = FindDomain(name);
  if (!d.ok()) return d.status();
  std::string prefix = std::string(value) + ": domain " + name;
  if (!*d) return Status::Invalid(prefix + " does not exist");
  if ((*d)->kind != kind) {
    std::string is = (*d)->kind == DomainKind::kAlias
                         ? " is an alias domain of " + (*d)->target
                         : std::string(" is a ") + DomainKindName((*d)->kind) + " domain";
    return Status::Invalid(prefix + is + "; " + std::string(what) + " live in " +
                           DomainKindName(kind) + " domains only");
  }
  return **d;
}

// Checks and normalises kind-dependent fields: target, transport, catch-all.
Status Provisioner::CheckDomainFields(Domain& d) {
  const std::string& n = d.name;
  if (d.kind != DomainKind::kAlias) {
    if (!d.target.empty()) return Status::Invalid(n + ": only alias domains have a target");
  } else {
    if (d.target.empty()) return Status::Invalid(n + ": an alias domain needs a target domain");
    if (!d.transport.empty())
      return Status::Invalid(n + ": an alias domain has no transport of its own");
    Result<std::string> t = ParseDomainName(d.target);
    if (!t.ok()) return Status::Invalid(n + ": target " + t.status().message());
    d.target = *t;
    if (d.target == n) return Status::Invalid(n + ": an alias domain cannot point to itself");
    Result<std::optional<Domain>> target = FindDomain(d.target);
    if (!target.ok()) return target.status();
    if (!*target) return Status::Invalid(n + ": target domain " + d.target + " does not exist");
    if (!IsAliasDomainTarget(**target))
      return Status::Invalid(n + ": target domain " + d.target + " is itself an alias domain");
  }
  if (!d.transport.empty()) {
    Status s = CheckTransport(d.transport);
    if (!s.ok()) return Status::Invalid(n + ": " + s.message());
  }
  if (!d.catchall.empty()) {
    if (d.kind != DomainKind::kHosted)
      return Status::Invalid(n + ": only hosted domains have a catch-all");
    Result<Address> c = ParseAddress(d.catchall);
    if (!c.ok()) return Status::Invalid(n + ": catch-all " + c.status().message());
    d.catchall = c->str();
  }
  return Status::Ok();
}

Status Provisioner::AddDomain(Domain d, std::optional<LoopEdge>* catchall_edge) {
  Result<std::string> name = ParseDomainName(d.name);
  if (!name.ok()) return name.status();
  d.name = *name;
  Status s = CheckDomainFields(d);
  if (!s.ok()) return s;
  Result<std::optional<Domain>> existing = FindDomain(d.name);
  if (!existing.ok()) return existing.status();
  if (*existing) return Status::Conflict(d.name + ": domain exists already");
  s = store_.InsertDomain(d);
  if (!s.ok()) return Explain(s, d.name);
  domains_[d.name] = d;
  s = Audit("domain", d.name, d.name, "create", "", DomainJson(d));
  if (!s.ok()) return s;
  if (catchall_edge != nullptr && !d.catchall.empty())
    *catchall_edge = LoopEdge{d.catchall, CatchallNode(d.name), d.name};
  return Status::Ok();
}

namespace {

// Ok iff hash is a {SCHEME}hash or empty (no login); otherwise Invalid
// naming owner, the one wording for mailboxes and admins.
Status CheckPasswordHash(std::string_view owner, std::string_view hash) {
  if (hash.empty() || IsSchemeHash(hash)) return Status::Ok();
  return Status::Invalid(std::string(owner) +
                         ": password hash is not in {SCHEME}hash form "
                         "(e.g. {SHA512-CRYPT}$6$..., see doveadm-pw(1))");
}

// Checks the fields of m that need no database.
Status CheckMailboxFields(const Mailbox& m) {
  if (Status s = CheckPasswordHash(m.address, m.password); !s.ok()) return s;
  if (m.quota < 0) return Status::Invalid(m.address + ": quota must not be negative");
  if (!m.transport.empty()) {
    Status s = CheckTransport(m.transport);
    if (!s.ok()) return Status::Invalid(m.address + ": " + s.message());
  }
  if (Status s = CheckDescription(m.description); !s.ok())
    return Status::Invalid(m.address + ": " + s.message());
  return Status::Ok();
}

}  // namespace

// Invalid if a's local part holds the recipient delimiter: Dovecot strips
// it before its userdb lookup, so the mail would land in another mailbox.
Status Provisioner::CheckMailboxName(const Address& a) {
  if (!delimiters_) {
    Result<std::string> d = store_.GetSetting("delimiter");
    if (!d.ok()) return d.status();
    delimiters_ = std::move(*d);
  }
  std::optional<std::string_view> base = StripDetail(a.local, *delimiters_);
  if (!base) return Status::Ok();
  return Status::Invalid(a.str() + ": a mailbox name cannot contain the recipient delimiter \"" +
                         *delimiters_ + "\" after its first character (Dovecot would deliver " +
                         "to " + std::string(*base) + "@" + a.domain +
                         "); make it an alias of a mailbox instead");
}

Status Provisioner::CheckMailbox(Mailbox& m) {
  Result<Address> a = ParseAddress(m.address);
  if (!a.ok()) return a.status();
  m.address = a->str();
  Result<Domain> d = RequireDomain(a->domain, m.address, DomainKind::kHosted, "mailboxes");
  if (!d.ok()) return d.status();
  Status s = CheckMailboxName(*a);
  if (s.ok()) s = CheckMailboxFields(m);
  return s;
}

Status Provisioner::CheckNewMailbox(Mailbox& m) {
  Status s = CheckMailbox(m);
  if (!s.ok()) return s;
  Result<std::optional<Mailbox>> have = store_.FindMailbox(m.address);
  if (!have.ok()) return have.status();
  if (*have) return Status::Conflict(m.address + ": mailbox exists already");
  Result<std::vector<AliasTarget>> alias = store_.FindAlias(m.address);
  if (!alias.ok()) return alias.status();
  if (!alias->empty()) return Status::Conflict(m.address + ": an alias with this address exists");
  return Status::Ok();
}

Status Provisioner::AddMailbox(Mailbox m) {
  Status s = CheckMailbox(m);
  if (!s.ok()) return s;
  s = store_.InsertMailbox(m);
  if (s.code() == Status::Code::kConflict)
    return Status::Conflict(m.address + ": mailbox exists already");
  if (!s.ok()) return Explain(s, m.address);
  return Audit("mailbox", m.address, DomainOf(m.address), "create", "", MailboxJson(m));
}

Result<LoopEdge> Provisioner::AddAliasTarget(std::string_view source, std::string_view target,
                                             std::optional<bool> active) {
  Result<Address> src = ParseAddress(source);
  if (!src.ok()) return src.status();
  Result<Address> dst = ParseAddress(target);
  if (!dst.ok()) return dst.status();
  std::string s = src->str(), t = dst->str();
  Result<Domain> d = RequireDomain(src->domain, s, DomainKind::kHosted, "aliases");
  if (!d.ok()) return d.status();
  if (s == t) return Status::Invalid(s + ": an alias cannot point to itself");
  Result<std::vector<AliasTarget>> rows = store_.FindAlias(s);
  if (!rows.ok()) return rows.status();
  // Store keeps one active flag per source (SetAliasActive): a new target
  // takes the flag of the targets already there.
  bool flag = rows->empty() ? active.value_or(true) : rows->front().active;
  if (active && *active != flag)
    return Status::Invalid(s + ": all targets of an alias share one active flag; " + t + " has " +
                           (*active ? "1" : "0") + ", earlier targets " + (flag ? "1" : "0"));
  Status st = store_.InsertAlias(s, t);
  if (st.code() == Status::Code::kConflict)
    return Status::Conflict(s + ": alias to " + t + " exists already");
  if (st.ok() && !flag) st = store_.SetAliasActive(s, false);
  if (!st.ok()) return Explain(st, s);
  st = AuditAlias(s, src->domain, *rows);
  if (!st.ok()) return st;
  return LoopEdge{t, s, s};
}

Result<std::optional<LoopEdge>> Provisioner::SetCatchall(std::string_view domain,
                                                         std::string_view target) {
  Result<std::string> name = ParseDomainName(domain);
  if (!name.ok()) return name.status();
  Result<std::optional<Domain>> found = FindDomain(*name);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound(*name + ": no such domain");
  Domain d = **found;
  std::string before = DomainJson(d);
  if (target.empty() && d.catchall.empty())
    return Status::NotFound(*name + ": domain has no catch-all");
  if (!target.empty() && d.kind != DomainKind::kHosted)
    return Status::Invalid(*name + ": only hosted domains have a catch-all");
  d.catchall.clear();
  if (!target.empty()) {
    Result<Address> t = ParseAddress(target);
    if (!t.ok()) return t.status();
    d.catchall = t->str();
  }
  Status s = store_.UpdateDomain(d);
  if (!s.ok()) return Explain(s, d.name);
  domains_[d.name] = d;
  s = Audit("domain", d.name, d.name, "update", before, DomainJson(d));
  if (!s.ok()) return s;
  if (d.catchall.empty()) return std::optional<LoopEdge>();
  return std::optional<LoopEdge>(LoopEdge{d.catchall, CatchallNode(d.name), d.name});
}

Status Provisioner::AddRelayRecipient(std::string_view address) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  std::string s = a->str();
  Result<Domain> d = RequireDomain(a->domain, s, DomainKind::kRelay, "relay recipients");
  if (!d.ok()) return d.status();
  Status st = store_.InsertRelayRecipient(s);
  if (st.code() == Status::Code::kConflict)
    return Status::Conflict(s + ": relay recipient exists already");
  if (!st.ok()) return Explain(st, s);
  return Audit("relay_recipient", s, a->domain, "create", "",
               JsonObject().String("address", s).str());
}

Status Provisioner::SetSenderLogin(std::string_view address, std::string_view login, bool allow) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Result<std::string> l = ParseLogin(login);
  if (!l.ok()) return Status::Invalid(a->str() + ": " + l.status().message());
  Result<std::vector<SenderLogin>> rules = store_.FindSenderLogins(a->str());
  if (!rules.ok()) return rules.status();
  std::string before;
  for (const SenderLogin& r : *rules)
    if (r.login == *l) before = SenderJson(r);
  SenderLogin rule{a->str(), *l, allow};
  Status s = store_.SetSenderLogin(rule);
  if (!s.ok()) return Explain(s, a->str());
  return Audit("sender_login", a->str(), a->domain, before.empty() ? "create" : "update", before,
               SenderJson(rule));
}

Status Provisioner::SetSetting(std::string_view name, std::string_view value,
                               std::string_view if_match) {
  return SetSettings({{std::string(name), std::string(value)}}, if_match);
}

Status Provisioner::SetSettings(const SettingValues& changes, std::string_view if_match,
                                std::string* refused) {
  if (!if_match.empty()) {
    Result<SettingValues> now = ReadSettings(store_);
    if (!now.ok()) return now.status();
    Status s = CheckVersion(if_match, RecordVersion(*now), "settings");
    if (!s.ok()) return s;
  }
  for (const auto& [name, value] : changes) {
    Status s = SetOneSetting(name, value);
    if (!s.ok()) {
      if (refused != nullptr) *refused = name;
      return s;
    }
  }
  return Status::Ok();
}

Status Provisioner::SetOneSetting(std::string_view name, std::string_view value) {
  Status s = CheckSettingName(name);
  if (!s.ok()) return s;
  std::string stored(value);
  if (name == "delimiter") {
    s = CheckDelimiters(value);
    if (!s.ok()) return s;
    // A new delimiter must not split an existing mailbox name.
    Result<std::vector<std::string>> in_the_way = store_.MailboxesWithDelimiter(value);
    if (!in_the_way.ok()) return in_the_way.status();
    if (!in_the_way->empty()) {
      std::string list;
      for (const std::string& n : *in_the_way) list += (list.empty() ? "" : ", ") + n;
      return Status::Conflict("delimiter " + stored +
                              ": these mailbox names would contain it, and Dovecot would "
                              "deliver their mail to another mailbox: " +
                              list + (in_the_way->size() >= 20 ? ", ..." : ""));
    }
    delimiters_ = stored;
  } else if (name == "postmaster" && !value.empty()) {
    Result<Address> a = ParseAddress(value);
    if (!a.ok()) return Status::Invalid("postmaster " + a.status().message());
    stored = a->str();
  } else if (name == "catchall_senders" && value != "yes" && value != "no") {
    return Status::Invalid("catchall_senders " + stored + ": must be yes or no");
  }
  Result<std::string> old = store_.GetSetting(name);
  if (!old.ok()) return old.status();
  s = store_.SetSetting(name, stored);
  if (!s.ok()) return Explain(s, name);
  return Audit("setting", name, "", "update", SettingJson(name, *old), SettingJson(name, stored));
}

Status Provisioner::CheckForwarding(const LoopEdge& edge) {
  Status s = CheckLoop(edge);
  return s.ok() ? CheckResolvable(edge) : s;
}

// Resolves, in the transaction, what the new step made reachable. The
// walk up the alias rows is bounded: past kMaxUpstream aliases the
// resolver's own bound still defers (never a partial answer), so the
// check may stop there.
Status Provisioner::CheckResolvable(const LoopEdge& edge) {
  constexpr std::size_t kMaxUpstream = 1000;
  std::string first = edge.owner;
  if (edge.goal.starts_with("@")) {
    // Any local part without a mailbox or alias reaches the catch-all;
    // letters and digits only, so that no delimiter splits it.
    for (int i = 0;; ++i) {
      first = "rcptdbcheck" + std::to_string(i) + "@" + edge.owner;
      Result<std::optional<Mailbox>> m = store_.FindMailbox(first);
      if (!m.ok()) return m.status();
      Result<std::vector<AliasTarget>> a = store_.FindAlias(first);
      if (!a.ok()) return a.status();
      if (!m->has_value() && a->empty()) break;
    }
  }
  std::vector<std::string> todo{first};
  std::set<std::string, std::less<>> seen{first};
  Resolver resolver(store_);
  while (!todo.empty()) {
    std::string address = std::move(todo.back());
    todo.pop_back();
    Result<Resolution> r = resolver.Resolve(address);
    if (!r.ok() && r.status().cause() == Status::Cause::kLimit) {
      std::string why = r.status().message();
      std::string who = address == first ? "it" : "alias " + address;
      if (address == first && edge.goal.starts_with("@")) {
        // Name what the probe stands for, not the probe.
        who = "every address its catch-all takes";
        std::string any = "*@" + edge.owner;
        for (std::size_t at; (at = why.find(first)) != std::string::npos;)
          why.replace(at, first.size(), any);
      }
      return Status::Invalid(edge.owner + ": the resolver would defer " + who +
                             " for good: " + why);
    }
    if (!r.ok()) return r.status();
    if (seen.size() >= kMaxUpstream) continue;
    Result<std::vector<std::string>> up = store_.FindAliasSourcesFor(address);
    if (!up.ok()) return up.status();
    for (std::string& source : *up)
      if (seen.insert(source).second) todo.push_back(std::move(source));
  }
  return Status::Ok();
}

Status Provisioner::CheckLoop(const LoopEdge& edge) {
  Result<bool> loops = LeadsTo(store_, edge.from, edge.goal);
  if (!loops.ok()) return loops.status();
  if (!*loops) return Status::Ok();
  if (edge.goal.starts_with("@"))
    return Status::Invalid(edge.owner + ": catch-all target " + edge.from +
                           " leads back to the catch-all (loop; create the target first)");
  return Status::Invalid(edge.owner + ": target " + edge.from + " leads back to " + edge.owner +
                         " (alias loop)");
}

// --- Changes and deletes ---------------------------------------------

Status CheckVersion(std::string_view if_match, const std::string& version, std::string_view what) {
  if (if_match.empty() || if_match == version) return Status::Ok();
  return Status::Changed(std::string(what) + ": changed since version " + std::string(if_match) +
                         " was read (now " + version + ")");
}

Result<SettingValues> ReadSettings(Store& store) {
  SettingValues all;
  for (std::string_view name : kSettingNames) {
    Result<std::string> v = store.GetSetting(name);
    if (!v.ok()) return v.status();
    all.emplace_back(name, *v);
  }
  return all;
}

namespace {

// after with "password_changed": true added when the hash changed: the
// JSON shows only the scheme, which a new password usually keeps.
std::string WithPasswordChange(std::string after, bool changed) {
  if (!changed || after.empty()) return after;
  after.pop_back();
  return after + ",\"password_changed\":true}";
}

}  // namespace

Result<Mailbox> Provisioner::UpdateMailbox(std::string_view address, const MailboxChange& change,
                                           std::string_view if_match) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Result<std::optional<Mailbox>> found = store_.FindMailbox(a->str());
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound(a->str() + ": no such mailbox");
  Mailbox m = **found;
  Status s = CheckVersion(if_match, RecordVersion(m), m.address);
  if (!s.ok()) return s;
  std::string before = MailboxJson(m);
  std::string old_password = m.password;
  if (change.active) m.active = *change.active;
  if (change.password) m.password = *change.password;
  if (change.quota) m.quota = *change.quota;
  if (change.transport) m.transport = *change.transport;
  if (change.description) m.description = *change.description;
  s = CheckMailbox(m);
  if (!s.ok()) return s;
  s = store_.UpdateMailbox(m);
  if (!s.ok()) return Explain(s, m.address);
  s = Audit("mailbox", m.address, DomainOf(m.address), "update", before,
            WithPasswordChange(MailboxJson(m), m.password != old_password));
  if (!s.ok()) return s;
  return m;
}

Status Provisioner::DeleteMailbox(std::string_view address, std::string_view if_match) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Result<std::optional<Mailbox>> found = store_.FindMailbox(a->str());
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound(a->str() + ": no such mailbox");
  Status s = CheckVersion(if_match, RecordVersion(**found), a->str());
  if (!s.ok()) return s;
  s = store_.DeleteMailbox(a->str());
  if (!s.ok()) return Explain(s, a->str());
  return Audit("mailbox", a->str(), a->domain, "delete", MailboxJson(**found), "");
}

Result<Domain> Provisioner::UpdateDomain(std::string_view name, const DomainChange& change,
                                         std::string_view if_match) {
  Result<std::string> n = ParseDomainName(name);
  if (!n.ok()) return n.status();
  Result<std::optional<Domain>> found = FindDomain(*n);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound(*n + ": no such domain");
  Domain d = **found;
  Status s = CheckVersion(if_match, RecordVersion(d), d.name);
  if (!s.ok()) return s;
  std::string before = DomainJson(d);
  if (change.active) d.active = *change.active;
  if (change.transport) {
    if (d.kind == DomainKind::kAlias && !change.transport->empty())
      return Status::Invalid(d.name + ": an alias domain has no transport of its own");
    if (!change.transport->empty()) {
      s = CheckTransport(*change.transport);
      if (!s.ok()) return Status::Invalid(d.name + ": " + s.message());
    }
    d.transport = *change.transport;
  }
  s = store_.UpdateDomain(d);
  if (!s.ok()) return Explain(s, d.name);
  domains_[d.name] = d;
  s = Audit("domain", d.name, d.name, "update", before, DomainJson(d));
  if (!s.ok()) return s;
  return d;
}

Status Provisioner::DeleteDomain(std::string_view name, bool force) {
  Result<std::string> n = ParseDomainName(name);
  if (!n.ok()) return n.status();
  Result<std::optional<Domain>> found = FindDomain(*n);
  if (!found.ok()) return found.status();
  if (!*found) return Status::NotFound(*n + ": no such domain");
  Result<std::vector<Domain>> all = store_.ListDomains();
  if (!all.ok()) return all.status();
  for (const Domain& d : *all)
    if (d.kind == DomainKind::kAlias && d.target == *n)
      return Status::Conflict(*n + ": alias domain " + d.name + " points to it; delete that first");
  if (!force) {
    // Name what it still holds.
    std::size_t mailboxes = 0;
    Status counted = store_.ForEachMailbox(*n, [&mailboxes](const Mailbox&) {
      ++mailboxes;
      return true;
    });
    if (!counted.ok()) return counted;
    Result<std::vector<AliasTarget>> aliases = store_.ListAliases(*n);
    if (!aliases.ok()) return aliases.status();
    Result<std::vector<std::string>> relay = store_.ListRelayRecipients(*n);
    if (!relay.ok()) return relay.status();
    if (mailboxes + aliases->size() + relay->size() != 0)
      return Status::Conflict(*n + ": domain still has " + std::to_string(mailboxes) +
                              " mailboxes, " + std::to_string(aliases->size()) + " alias rows, " +
                              std::to_string(relay->size()) +
                              " relay recipients; use --force to delete them with it");
  }
  Status s = store_.DeleteDomain(*n);
  if (!s.ok()) return Explain(s, *n);
  domains_[*n] = std::nullopt;
  return Audit("domain", *n, *n, "delete", DomainJson(**found), "");
}

Status Provisioner::DeleteAlias(std::string_view source, std::string_view target) {
  Result<Address> src = ParseAddress(source);
  if (!src.ok()) return src.status();
  std::string t;
  if (!target.empty()) {
    Result<Address> dst = ParseAddress(target);
    if (!dst.ok()) return dst.status();
    t = dst->str();
  }
  Result<std::vector<AliasTarget>> before = store_.FindAlias(src->str());
  if (!before.ok()) return before.status();
  Status s = store_.DeleteAlias(src->str(), t);
  if (s.code() == Status::Code::kNotFound)
    return Status::NotFound(src->str() + (t.empty() ? ": no such alias" : ": no alias to " + t));
  if (!s.ok()) return Explain(s, src->str());
  return AuditAlias(src->str(), src->domain, *before);
}

Status Provisioner::SetAliasActive(std::string_view source, bool active) {
  Result<Address> src = ParseAddress(source);
  if (!src.ok()) return src.status();
  Result<std::vector<AliasTarget>> before = store_.FindAlias(src->str());
  if (!before.ok()) return before.status();
  Status s = store_.SetAliasActive(src->str(), active);
  if (s.code() == Status::Code::kNotFound) return Status::NotFound(src->str() + ": no such alias");
  if (!s.ok()) return Explain(s, src->str());
  return AuditAlias(src->str(), src->domain, *before);
}

Status Provisioner::DeleteRelayRecipient(std::string_view address) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Status s = store_.DeleteRelayRecipient(a->str());
  if (s.code() == Status::Code::kNotFound)
    return Status::NotFound(a->str() + ": no such relay recipient");
  if (!s.ok()) return Explain(s, a->str());
  return Audit("relay_recipient", a->str(), a->domain, "delete",
               JsonObject().String("address", a->str()).str(), "");
}

Status Provisioner::DeleteSenderLogin(std::string_view address, std::string_view login) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Result<std::string> l = ParseLogin(login);
  if (!l.ok()) return l.status();
  Result<std::vector<SenderLogin>> rules = store_.FindSenderLogins(a->str());
  if (!rules.ok()) return rules.status();
  std::string before;
  for (const SenderLogin& r : *rules)
    if (r.login == *l) before = SenderJson(r);
  Status s = store_.DeleteSenderLogin(a->str(), *l);
  if (s.code() == Status::Code::kNotFound)
    return Status::NotFound(a->str() + ": no sender rule for login " + *l);
  if (!s.ok()) return Explain(s, a->str());
  return Audit("sender_login", a->str(), a->domain, "delete", before, "");
}

// --- Administrators and tokens ------------------------------------------

namespace {

// Returns login in its stored form; Invalid naming it otherwise.
Result<std::string> ParseAdminLogin(std::string_view raw) {
  std::string login;
  for (char c : raw) login += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  bool ok = !login.empty() && login.size() <= 64;
  for (char c : login)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '@' || c == '-');
  if (!ok)
    return Status::Invalid(std::string(raw) +
                           ": not an admin login (1 to 64 letters, digits and . _ @ -)");
  return login;
}

}  // namespace

Result<Admin> Provisioner::RequireAdmin(std::string_view login) {
  Result<std::string> l = ParseAdminLogin(login);
  if (!l.ok()) return l.status();
  Result<std::optional<Admin>> a = store_.FindAdmin(*l);
  if (!a.ok()) return a.status();
  if (!*a) return Status::NotFound(*l + ": no such admin");
  return std::move(**a);
}

Status Provisioner::NoSuchDomain(std::string_view owner, std::string_view domain) {
  return Status::Invalid(std::string(owner) + ": domain " + std::string(domain) +
                         " does not exist");
}

// Returns names normalised, sorted and unique, each an existing domain.
Result<std::vector<std::string>> Provisioner::ExistingDomains(const std::vector<std::string>& names,
                                                              std::string_view owner) {
  std::set<std::string> out;
  for (const std::string& raw : names) {
    Result<std::string> n = ParseDomainName(raw);
    if (!n.ok()) return Status::Invalid(std::string(owner) + ": " + n.status().message());
    Result<std::optional<Domain>> d = FindDomain(*n);
    if (!d.ok()) return d.status();
    if (!*d) return NoSuchDomain(owner, *n);
    out.insert(*n);
  }
  return std::vector<std::string>(out.begin(), out.end());
}

Status Provisioner::AddAdmin(Admin a) {
  Result<std::string> l = ParseAdminLogin(a.login);
  if (!l.ok()) return l.status();
  a.login = *l;
  Status s = CheckPasswordHash(a.login, a.password);
  if (s.ok()) s = CheckAdminDomains(a.role, !a.domains.empty());
  if (!s.ok()) return WithContext(s, a.login);
  Result<std::vector<std::string>> domains = ExistingDomains(a.domains, a.login);
  if (!domains.ok()) return domains.status();
  a.domains = *domains;
  s = store_.InsertAdmin(a);
  if (s.code() == Status::Code::kConflict)
    return Status::Conflict(a.login + ": admin exists already");
  if (!s.ok()) return Explain(s, a.login);
  // As stored: the database sets its created time.
  Result<Admin> made = RequireAdmin(a.login);
  if (!made.ok()) return made.status();
  return Audit("admin", a.login, "", "create", "", AdminJson(*made));
}

Result<Admin> Provisioner::UpdateAdmin(std::string_view login, const AdminChange& change,
                                       std::string_view if_match) {
  Result<Admin> a = RequireAdmin(login);
  if (!a.ok()) return a.status();
  Status s = CheckVersion(if_match, RecordVersion(*a), a->login);
  if (!s.ok()) return s;
  std::string before = AdminJson(*a);
  std::string old_password = a->password;
  if (change.password) {
    s = CheckPasswordHash(a->login, *change.password);
    if (!s.ok()) return s;
    a->password = *change.password;
  }
  if (change.active) a->active = *change.active;
  if (change.role) {
    a->role = *change.role;
    if (a->role == AdminRole::kServer && !change.domains) a->domains.clear();
  }
  if (change.domains) {
    Result<std::vector<std::string>> domains = ExistingDomains(*change.domains, a->login);
    if (!domains.ok()) return domains.status();
    a->domains = *domains;
  }
  s = CheckAdminDomains(a->role, !a->domains.empty());
  if (!s.ok()) return WithContext(s, a->login);
  s = store_.UpdateAdmin(*a);
  if (!s.ok()) return Explain(s, a->login);
  s = Audit("admin", a->login, "", "update", before,
            WithPasswordChange(AdminJson(*a), a->password != old_password));
  if (!s.ok()) return s;
  return a;
}

Status Provisioner::DeleteAdmin(std::string_view login) {
  Result<Admin> a = RequireAdmin(login);
  if (!a.ok()) return a.status();
  Status s = store_.DeleteAdmin(a->login);
  if (!s.ok()) return Explain(s, a->login);
  return Audit("admin", a->login, "", "delete", AdminJson(*a), "");
}

Result<MadeToken> Provisioner::CreateToken(const TokenRequest& r) {
  Result<Admin> owner = RequireAdmin(r.login);
  if (!owner.ok()) return owner.status();
  Token t;
  t.login = owner->login;
  t.read_only = r.read_only;
  t.all_domains = r.domains.empty();
  Result<std::vector<std::string>> domains = ExistingDomains(r.domains, t.login);
  if (!domains.ok()) return domains.status();
  t.domains = *domains;
  // A token never holds more than its owner: refused here in words, and
  // narrowed again at every use (Store::FindTokenGrant).
  if (owner->role == AdminRole::kDomain)
    for (const std::string& d : t.domains)
      if (!std::binary_search(owner->domains.begin(), owner->domains.end(), d))
        return Status::Invalid(t.login + ": does not hold domain " + d + ", so no token of it can");
  if (r.expires_days) {
    Status s = CheckTokenDays(*r.expires_days);
    if (!s.ok()) return WithContext(WithContext(s, "expires"), t.login);
    auto at = std::chrono::system_clock::now() + std::chrono::hours(24) * *r.expires_days;
    t.expires = UtcTime(at).substr(0, 19);  // to the second, as ParseUtcTime reads it
  }
  if (!r.networks.empty()) {
    Result<NetworkList> nets = NetworkList::Parse(r.networks);
    if (!nets.ok()) return Status::Invalid("networks " + nets.status().message());
    // Stored space-separated, as the schema's check wants.
    for (char c : nets->str())
      if (c != ',') t.networks += c;
  }
  MadeToken made = MakeToken();
  t.prefix = made.prefix;
  t.secret_hash = made.secret_hash;
  Status s = store_.InsertToken(t);
  if (!s.ok()) return Explain(s, t.prefix);
  s = Audit("token", t.prefix, "", "create", "", TokenJson(t));
  if (!s.ok()) return s;
  return made;
}

Status Provisioner::RevokeToken(std::string_view prefix) {
  std::string p(prefix);
  Result<std::vector<Token>> all = store_.ListTokens("");
  if (!all.ok()) return all.status();
  for (const Token& t : *all) {
    if (t.prefix != p) continue;
    Status s = store_.DeleteToken(p);
    if (!s.ok()) return Explain(s, p);
    return Audit("token", p, "", "delete", TokenJson(t), "");
  }
  return Status::NotFound(p + ": no such token");
}

Status RunProvisioning(Store& store, const Actor& actor, bool dry_run,
                       const std::function<Status(Provisioner&)>& body) {
  Transaction tx(store);
  Status s = tx.Begin();
  if (!s.ok()) return s;
  Provisioner p(store, actor);
  s = body(p);
  if (!s.ok() || dry_run) return s;  // ~Transaction rolls back
  return tx.Commit();
}

}  // namespace rcptdb
