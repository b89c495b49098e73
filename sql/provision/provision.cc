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

#include <set>

#include "alias_walk.h"
#include "forwarding_rules.h"
#include "password.h"
#include "resolver.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb {

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
  if (catchall_edge != nullptr && !d.catchall.empty())
    *catchall_edge = LoopEdge{d.catchall, CatchallNode(d.name), d.name};
  return Status::Ok();
}

namespace {

// Checks the fields of m that need no database.
Status CheckMailboxFields(const Mailbox& m) {
  if (!m.password.empty() && !IsSchemeHash(m.password))
    return Status::Invalid(m.address +
                           ": password hash is not in {SCHEME}hash form "
                           "(e.g. {SHA512-CRYPT}$6$..., see doveadm-pw(1))");
  if (m.quota < 0) return Status::Invalid(m.address + ": quota must not be negative");
  if (!m.transport.empty()) {
    Status s = CheckTransport(m.transport);
    if (!s.ok()) return Status::Invalid(m.address + ": " + s.message());
  }
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
  return Explain(s, m.address);
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
  return Explain(st, s);
}

Status Provisioner::SetSenderLogin(std::string_view address, std::string_view login, bool allow) {
  Result<Address> a = ParseAddress(address);
  if (!a.ok()) return a.status();
  Result<std::string> l = ParseLogin(login);
  if (!l.ok()) return Status::Invalid(a->str() + ": " + l.status().message());
  return Explain(store_.SetSenderLogin(SenderLogin{a->str(), *l, allow}), a->str());
}

Status Provisioner::SetSetting(std::string_view name, std::string_view value) {
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
  return Explain(store_.SetSetting(name, stored), name);
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

}  // namespace rcptdb
