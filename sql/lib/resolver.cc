// SPDX-License-Identifier: MIT
// NAME
//   resolver - resolve a recipient address against the database
// DESCRIPTION
//   Implements the rules listed in resolver.h. Resolution is a short walk:
//   normalise, find the domain, follow an alias domain once, then look for
//   a mailbox, an alias, the address without its detail, and the catch-all.
//   The rules themselves are forwarding_rules.h's; this file walks them.
//   Alias targets are resolved with the same walk, cut by a visited set
//   (loops) and by the bounds of resolver.h, which end the walk with a
//   temporary failure instead of a partial answer.
//   Each step appends a line to Resolution::path so that `rcptdb check`
//   can say why an address means what it means; a Resolver made without
//   notes (rcptdb-server's lookups, unless -v) formats none of them.
// SEE ALSO
//   resolver.h, map_answers.h, rcpt_decision.h, doc/DESIGN.md "The resolver rules"
#include "resolver.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "address.h"

namespace rcptdb {

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kMalformed:
      return "malformed";
    case Verdict::kUnknownDomain:
      return "unknown-domain";
    case Verdict::kUnknownRecipient:
      return "unknown-recipient";
    case Verdict::kDisabled:
      return "disabled";
    case Verdict::kMailbox:
      return "mailbox";
    case Verdict::kAlias:
      return "alias";
    case Verdict::kRelay:
      return "relay";
  }
  return "malformed";
}

// State shared by one top-level Resolve() and the alias expansions below it.
struct Resolver::Walk {
  Delimiters* delimiters = nullptr;
  std::string root;  // the address asked for, named by bound failures
  int depth = 0;
  std::set<std::string> visited;  // alias sources and targets already seen
  std::size_t reply_bytes = 0;    // of the joined targets so far
  std::vector<std::string>* path = nullptr;
  bool notes = true;
  // Appends the line made of parts, indented by depth, if notes are kept.
  template <typename... Parts>
  void Note(const Parts&... parts) {
    if (!notes) return;
    std::string line(static_cast<std::size_t>(depth) * 2, ' ');
    (line.append(std::string_view(parts)), ...);
    path->push_back(std::move(line));
  }
};

Result<Resolution> Resolver::Resolve(std::string_view raw) {
  std::optional<Address> addr = NormalizeAddress(raw);
  bool postmaster = !addr && IsBarePostmaster(raw);
  if (!addr && !postmaster) {
    Resolution r;
    if (notes_) r.path.push_back("not a valid address");
    return r;
  }
  // One read snapshot for the whole walk: one consistent state of the file,
  // and SQLite takes its WAL read lock once instead of once per query. A
  // caller already inside a transaction has its own snapshot.
  Transaction snapshot(store_);
  bool own = !store_.InTransaction();
  if (own) {
    Status begun = snapshot.BeginRead();
    if (!begun.ok()) return begun;
  }
  Delimiters delimiters;
  Walk w;
  w.notes = notes_;
  w.delimiters = &delimiters;
  Resolution start;
  w.path = &start.path;
  Result<Resolution> r = postmaster ? ResolvePostmaster(w, std::move(start))
                                    : ResolveAddress(w, *addr, std::move(start));
  if (own && r.ok()) {
    Status done = snapshot.Commit();
    if (!done.ok()) return done;
  }
  return r;
}

std::optional<std::string> Resolver::FirstLocalLookup(const Store& store, std::string_view raw) {
  std::optional<Address> addr = NormalizeAddress(raw);
  if (!addr) return std::nullopt;
  // MatchDomain then finds the domain under its own name and ResolveIn's
  // first MatchLocal read is local@domain.
  const Domain* domain = store.RememberedDomain(addr->domain);
  if (domain == nullptr || !domain->active || domain->kind != DomainKind::kHosted)
    return std::nullopt;
  return addr->str();
}

// Rule 7: the bare "postmaster" means what the setting names.
Result<Resolution> Resolver::ResolvePostmaster(Walk& w, Resolution r) {
  w.path = &r.path;  // r was moved here: its path is the one to write
  Result<std::string> setting = store_.GetSetting("postmaster");
  if (!setting.ok()) return setting.status();
  std::optional<Address> addr = NormalizeAddress(*setting);
  if (!addr) {
    r.input = "postmaster";
    r.verdict = Verdict::kUnknownRecipient;
    w.Note("postmaster without a domain, and no postmaster setting");
    return r;
  }
  w.Note("postmaster without a domain -> ", addr->str(), " (postmaster setting)");
  Result<Resolution> out = ResolveAddress(w, *addr, std::move(r));
  if (out.ok()) out->input = "postmaster";
  return out;
}

// Resolves a normalised address; see the rules in resolver.h.
Result<Resolution> Resolver::ResolveAddress(Walk& w, const Address& addr, Resolution r) {
  w.path = &r.path;
  r.input = addr.str();
  w.root = r.input;
  w.visited.insert(r.input);

  Result<DomainMatch> dom = MatchDomain(store_, addr.domain);
  if (!dom.ok()) return dom.status();
  if (!dom->ours()) {
    r.verdict = Verdict::kUnknownDomain;
    w.Note(dom->why);
    return r;
  }
  if (dom->via_alias_domain()) w.Note(dom->why);
  Status s = ResolveIn(w, dom->domain, addr.local, r);
  if (!s.ok()) return s;
  return r;
}

// Rule 4: a relay domain accepts its listed recipients, +detail or not.
Status Resolver::ResolveRelay(Walk& w, const Domain& domain, std::string_view local,
                              Resolution& r) {
  w.Note("relay domain ", domain.name);
  Result<std::optional<std::string>> listed = MatchRelay(store_, domain, local, *w.delimiters);
  if (!listed.ok()) return listed.status();
  if (!*listed) {
    r.verdict = Verdict::kUnknownRecipient;
    w.Note("not a listed relay recipient");
    return Status::Ok();
  }
  r.verdict = Verdict::kRelay;
  r.delivery = std::string(local) + '@' + domain.name;
  std::size_t base = (*listed)->find('@');
  if (base != local.size()) r.detail = std::string(local.substr(base));
  w.Note("listed relay recipient ", **listed);
  return Status::Ok();
}

// Resolves local@domain, domain being active and hosted or relay.
Status Resolver::ResolveIn(Walk& w, const Domain& domain, std::string_view local, Resolution& r) {
  r.domain = domain.name;
  r.domain_ours = true;
  r.transport = domain.transport;
  if (domain.kind == DomainKind::kRelay) return ResolveRelay(w, domain, local, r);

  std::string address = std::string(local) + '@' + domain.name;
  Result<LocalMatch> m = MatchLocal(store_, domain, local, *w.delimiters);
  if (!m.ok()) return m.status();
  if (!m->detail.empty()) w.Note("no ", address, ", trying without detail: ", m->address);
  switch (m->kind) {
    case LocalMatch::Kind::kNone:
      r.verdict = Verdict::kUnknownRecipient;
      w.Note("no mailbox or alias ", address);
      return Status::Ok();
    case LocalMatch::Kind::kMailbox: {
      bool active = m->mailbox.active;
#if defined(RCPTDB_MUTANT) && RCPTDB_MUTANT == 3
      active = true;  // Test-only mutant (tests/mutants/run): ignores the flag.
#endif
      if (!active) {
        r.verdict = Verdict::kDisabled;
        w.Note("mailbox ", m->address, " is disabled");
        return Status::Ok();
      }
      r.verdict = Verdict::kMailbox;
      r.mailbox = m->address;
      r.delivery = address;  // keeps a detail for Dovecot and Sieve
      r.detail = m->detail;
      if (!m->mailbox.transport.empty()) r.transport = m->mailbox.transport;
      w.Note("mailbox ", m->address);
      return Status::Ok();
    }
    case LocalMatch::Kind::kAlias:
      w.visited.insert(m->address);
      w.Note("alias ", m->address);
      return ExpandAlias(w, m->rows, r);
    case LocalMatch::Kind::kCatchall: {
      w.Note("catch-all of ", domain.name, " -> ", m->address);
      r.via_catchall = true;
      bool disabled = false;
      Status s = ExpandTarget(w, m->address, r, disabled);
      if (!s.ok()) return s;
      r.verdict = !r.targets.empty() ? Verdict::kAlias
                  : disabled         ? Verdict::kDisabled
                                     : Verdict::kUnknownRecipient;
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// Expands the rows of one alias into r.targets and sets the verdict.
Status Resolver::ExpandAlias(Walk& w, const std::vector<AliasTarget>& rows, Resolution& r) {
  bool any_active = false;
  bool any_disabled = false;
  for (const AliasTarget& row : rows) {
    if (!row.active) continue;
    any_active = true;
    bool disabled = false;
    Status s = ExpandTarget(w, row.target, r, disabled);
    if (!s.ok()) return s;
    any_disabled = any_disabled || disabled;
  }
  if (!any_active) w.Note("alias is disabled");
  r.verdict = !r.targets.empty()              ? Verdict::kAlias
              : (any_disabled || !any_active) ? Verdict::kDisabled
                                              : Verdict::kUnknownRecipient;
  return Status::Ok();
}

// Appends one deliverable target unless it is there already; a bound
// passed ends the whole walk with a temporary failure.
Status Resolver::AddTarget(Walk& w, Target t, Resolution& r) {
  for (const Target& have : r.targets)
    if (have.address == t.address) return Status::Ok();
  w.reply_bytes += t.address.size() + (r.targets.empty() ? 0 : 1);
  r.targets.push_back(std::move(t));
  if (r.targets.size() > kMaxAliasTargets)
    return Status::Temporary(
        Status::Cause::kLimit,
        "alias " + w.root + " expands to more than " + std::to_string(kMaxAliasTargets) +
            " targets (resolver bound kMaxAliasTargets); not answered in part");
  if (w.reply_bytes > kMaxAliasReplyBytes)
    return Status::Temporary(Status::Cause::kLimit,
                             "alias " + w.root + " expands to more than " +
                                 std::to_string(kMaxAliasReplyBytes) +
                                 " bytes of targets (resolver bound kMaxAliasReplyBytes); not "
                                 "answered in part");
  return Status::Ok();
}

// Resolves one alias or catch-all target and appends what is deliverable.
// Sets disabled if the target is (or leads only to) a disabled mailbox.
Status Resolver::ExpandTarget(Walk& w, const std::string& address, Resolution& r, bool& disabled) {
  if (w.depth >= kMaxAliasDepth)
    return Status::Temporary(Status::Cause::kLimit,
                             "alias " + w.root + " nests deeper than " +
                                 std::to_string(kMaxAliasDepth) + " alias steps (at " + address +
                                 "; resolver bound kMaxAliasDepth); not answered in part");
  if (!w.visited.insert(address).second) {
    w.Note(address, ": seen before (alias loop or shared target), dropped");
    return Status::Ok();
  }
  std::optional<Address> addr = NormalizeAddress(address);
  if (!addr) {
    w.Note(address, ": not a valid address, dropped");
    return Status::Ok();
  }
  Result<DomainMatch> dom = MatchDomain(store_, addr->domain);
  if (!dom.ok()) return dom.status();
  if (dom->kind == DomainMatch::Kind::kNotOurs) {
    w.Note("-> ", address, " (foreign)");
    return AddTarget(w, Target{address, "", ""}, r);
  }
  // A local target goes through the whole walk, one level deeper.
  Resolution sub;
  Walk inner{w.delimiters,  w.root, w.depth + 1, std::move(w.visited),
             w.reply_bytes, w.path, w.notes};
  Status s = Status::Ok();
  if (!dom->ours()) {
    inner.Note("-> ", address, ": ", dom->why, ", dropped");
  } else {
    if (dom->via_alias_domain()) {
      inner.Note("-> ", address, " via ", dom->why);
    } else {
      inner.Note("-> ", address);
    }
    s = ResolveIn(inner, dom->domain, addr->local, sub);
  }
  w.visited = std::move(inner.visited);
  if (!s.ok()) return s;
  r.via_catchall = r.via_catchall || sub.via_catchall;
  switch (sub.verdict) {
    case Verdict::kMailbox:
      return AddTarget(w, Target{sub.delivery, sub.mailbox, sub.transport}, r);
    case Verdict::kAlias:
      for (Target& t : sub.targets) {
        s = AddTarget(w, std::move(t), r);
        if (!s.ok()) return s;
      }
      return Status::Ok();
    case Verdict::kRelay:
      return AddTarget(w, Target{sub.delivery, "", ""}, r);
    case Verdict::kDisabled:
      disabled = true;
      return Status::Ok();
    default:
      w.Note("   ", address, " is not deliverable, dropped");
      return Status::Ok();
  }
}

}  // namespace rcptdb
