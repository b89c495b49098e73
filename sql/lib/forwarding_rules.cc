// SPDX-License-Identifier: MIT
// NAME
//   forwarding_rules - the resolver's rules, one function each
// DESCRIPTION
//   Plain lookups in rule order. Nothing here recurses: the resolver
//   expands aliases (with its bounds), rcptdb's loop check walks them.
// SEE ALSO
//   forwarding_rules.h, resolver.h, sql/schema.sql
#include "forwarding_rules.h"

#include "address.h"

namespace rcptdb {

Result<std::string_view> Delimiters::Get(Store& store) {
  if (!value_) {
    Result<std::string> d = store.GetSetting("delimiter");
    if (!d.ok()) return d.status();
    value_ = std::move(*d);
  }
  return std::string_view(*value_);
}

Result<std::optional<std::string_view>> Delimiters::Base(Store& store, std::string_view local) {
  Result<std::string_view> d = Get(store);
  if (!d.ok()) return d.status();
  return StripDetail(local, *d);
}

bool IsAliasDomainTarget(const Domain& d) { return d.kind != DomainKind::kAlias; }

Result<DomainMatch> MatchDomain(Store& store, std::string_view name) {
  DomainMatch m;
  Result<std::optional<Domain>> dom = store.FindDomain(name);
  if (!dom.ok()) return dom.status();
  if (!*dom) {
    m.why = "domain " + std::string(name) + " is not ours";
    return m;
  }
  m.asked = std::move(**dom);
  if (!m.asked.active) {
    m.kind = DomainMatch::Kind::kDisabled;
    m.why = "domain " + m.asked.name + " is disabled";
    return m;
  }
  if (m.asked.kind != DomainKind::kAlias) {
    m.kind = DomainMatch::Kind::kOurs;
    m.domain = m.asked;
    m.why = "domain " + m.asked.name + " is ours";
    return m;
  }
  // One hop only: a target that is gone, disabled or itself an alias
  // makes the alias domain unknown, never wider.
  Result<std::optional<Domain>> target = store.FindDomain(m.asked.target);
  if (!target.ok()) return target.status();
  if (!*target || !(*target)->active || !IsAliasDomainTarget(**target)) {
    m.kind = DomainMatch::Kind::kBrokenAlias;
    m.why = "alias domain " + m.asked.name + " points to " + m.asked.target +
            ", which is not an active hosted or relay domain";
    return m;
  }
  m.kind = DomainMatch::Kind::kOurs;
  m.domain = std::move(**target);
  m.why = "alias domain " + m.asked.name + " -> " + m.domain.name;
  return m;
}

namespace {

// Looks for a mailbox or an alias named exactly address.
Status MatchExact(Store& store, const std::string& address, LocalMatch& m) {
  Result<LocalRows> rows = store.FindLocal(address);
  if (!rows.ok()) return rows.status();
  if (rows->mailbox) {
    m.kind = LocalMatch::Kind::kMailbox;
    m.address = address;
    m.mailbox = std::move(*rows->mailbox);
    return Status::Ok();
  }
  if (rows->aliases.empty()) return Status::Ok();
  m.kind = LocalMatch::Kind::kAlias;
  m.address = address;
  m.rows = std::move(rows->aliases);
  return Status::Ok();
}

}  // namespace

Result<LocalMatch> MatchLocal(Store& store, const Domain& domain, std::string_view local,
                              Delimiters& delimiters) {
  LocalMatch m;
  Status s = MatchExact(store, std::string(local) + '@' + domain.name, m);
  if (!s.ok()) return s;
  if (m.kind != LocalMatch::Kind::kNone) return m;
  Result<std::optional<std::string_view>> base = delimiters.Base(store, local);
  if (!base.ok()) return base.status();
  if (*base) {
    s = MatchExact(store, std::string(**base) + '@' + domain.name, m);
    if (!s.ok()) return s;
    if (m.kind != LocalMatch::Kind::kNone) {
      m.detail = std::string(local.substr((*base)->size()));
      return m;
    }
  }
  // Reached only when nothing matched, with or without detail: a
  // catch-all never shadows a mailbox or an alias.
  if (!domain.catchall.empty()) {
    m.kind = LocalMatch::Kind::kCatchall;
    m.address = domain.catchall;
  }
  return m;
}

Result<std::optional<std::string>> MatchRelay(Store& store, const Domain& domain,
                                              std::string_view local, Delimiters& delimiters) {
  std::string exact = std::string(local) + '@' + domain.name;
  Result<bool> listed = store.IsRelayRecipient(exact);
  if (!listed.ok()) return listed.status();
  if (*listed) return std::optional<std::string>(exact);
  Result<std::optional<std::string_view>> base = delimiters.Base(store, local);
  if (!base.ok()) return base.status();
  if (!*base) return std::optional<std::string>();
  std::string candidate = std::string(**base) + '@' + domain.name;
  listed = store.IsRelayRecipient(candidate);
  if (!listed.ok()) return listed.status();
  if (*listed) return std::optional<std::string>(candidate);
  return std::optional<std::string>();
}

}  // namespace rcptdb
