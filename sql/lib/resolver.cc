// NAME
//   resolver - resolve a recipient address against the database
// DESCRIPTION
//   Implements the rules listed in resolver.h. Resolution is a short walk:
//   normalise, find the domain, follow an alias domain once, then look for
//   a mailbox, an alias, the address without its detail, and the catch-all.
//   Alias targets are resolved with the same walk, bounded by kMaxDepth and
//   a visited set, so loops and long chains end instead of recursing.
//   Each step appends a line to Resolution::path so that `rcptdb check`
//   can say why an address means what it means.
// SEE ALSO
//   resolver.h, map_answers.h, rcpt_decision.h, doc/DESIGN.md "The resolver rules"
#include "resolver.h"

#include <algorithm>
#include <set>

#include "address.h"

namespace rcptdb {
namespace {

// Alias nesting beyond this is a configuration error; targets that deep are
// dropped (and the path says so) rather than expanded forever.
constexpr int kMaxDepth = 8;
// Bounds the work one lookup can cause through a huge alias fan-out.
constexpr std::size_t kMaxTargets = 1000;

}  // namespace

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
  // The delimiter setting, read on first need: most lookups match exactly
  // (or not at all) and never ask for it. Shared by the alias expansions.
  std::optional<std::string>* delimiters = nullptr;
  int depth = 0;
  std::set<std::string> visited;  // alias sources and targets already seen
  std::vector<std::string>* path = nullptr;
  void Note(std::string line) { path->push_back(std::string(depth * 2, ' ') + std::move(line)); }
};

Result<Resolution> Resolver::Resolve(std::string_view raw) {
  std::optional<Address> addr = NormalizeAddress(raw);
  if (!addr) {
    Resolution r;
    r.path.push_back("not a valid address");
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
  Result<Resolution> r = ResolveAddress(*addr);
  if (own && r.ok()) {
    Status done = snapshot.Commit();
    if (!done.ok()) return done;
  }
  return r;
}

// Resolves a normalised address; see the rules in resolver.h.
Result<Resolution> Resolver::ResolveAddress(const Address& addr) {
  Resolution r;
  std::optional<std::string> delimiters;
  Walk w;
  w.delimiters = &delimiters;
  w.path = &r.path;
  r.input = addr.str();
  w.visited.insert(r.input);

  Result<std::optional<Domain>> dom = store_.FindDomain(addr.domain);
  if (!dom.ok()) return dom.status();
  if (!*dom || !(*dom)->active) {
    r.verdict = Verdict::kUnknownDomain;
    w.Note("domain " + addr.domain + (*dom ? " is disabled" : " is not ours"));
    return r;
  }
  Domain domain = std::move(**dom);
  if (domain.kind == DomainKind::kAlias) {
    // One hop only: the schema forbids alias-to-alias, and a target that
    // is gone or disabled makes the alias domain unknown, never wider.
    Result<std::optional<Domain>> target = store_.FindDomain(domain.target);
    if (!target.ok()) return target.status();
    if (!*target || !(*target)->active || (*target)->kind == DomainKind::kAlias) {
      r.verdict = Verdict::kUnknownDomain;
      w.Note("alias domain " + domain.name + " points to " + domain.target +
             ", which is not an active hosted or relay domain");
      return r;
    }
    w.Note("alias domain " + domain.name + " -> " + domain.target);
    domain = std::move(**target);
  }
  Status s = ResolveIn(w, domain, addr.local, r);
  if (!s.ok()) return s;
  return r;
}

// Resolves local@domain, domain being active and hosted or relay.
Status Resolver::ResolveIn(Walk& w, const Domain& domain, std::string_view local, Resolution& r) {
  r.domain = domain.name;
  r.domain_ours = true;
  r.transport = domain.transport;
  std::string address = std::string(local) + '@' + domain.name;

  if (domain.kind == DomainKind::kRelay) {
    w.Note("relay domain " + domain.name);
    for (bool exact : {true, false}) {
      std::string_view candidate = local;
      if (!exact) {
        Result<std::optional<std::string_view>> base = Base(w, local);
        if (!base.ok()) return base.status();
        if (!*base) break;
        candidate = **base;
      }
      Result<bool> listed = store_.IsRelayRecipient(std::string(candidate) + '@' + domain.name);
      if (!listed.ok()) return listed.status();
      if (*listed) {
        r.verdict = Verdict::kRelay;
        r.delivery = address;
        if (candidate.size() != local.size())
          r.detail = std::string(local.substr(candidate.size()));
        w.Note("listed relay recipient " + std::string(candidate) + '@' + domain.name);
        return Status::Ok();
      }
    }
    r.verdict = Verdict::kUnknownRecipient;
    w.Note("not a listed relay recipient");
    return Status::Ok();
  }

  bool found = false;
  Status s = ResolveLocal(w, domain, local, found, r);
  if (!s.ok() || found) return s;
  Result<std::optional<std::string_view>> base = Base(w, local);
  if (!base.ok()) return base.status();
  if (*base) {
    w.Note("no " + address + ", trying without detail: " + std::string(**base) + '@' + domain.name);
    s = ResolveLocal(w, domain, **base, found, r);
    if (!s.ok()) return s;
    if (found) {
      if (r.verdict == Verdict::kMailbox) {
        r.detail = std::string(local.substr((*base)->size()));
        r.delivery = address;  // keep the detail for Dovecot and Sieve
      }
      return Status::Ok();
    }
  }
  if (!domain.catchall.empty()) {
    // Reached only when no mailbox or alias matched, with or without detail.
    w.Note("catch-all of " + domain.name + " -> " + domain.catchall);
    bool disabled = false;
    s = ExpandTarget(w, domain.catchall, r, disabled);
    if (!s.ok()) return s;
    r.verdict = !r.targets.empty() ? Verdict::kAlias
                : disabled         ? Verdict::kDisabled
                                   : Verdict::kUnknownRecipient;
    return Status::Ok();
  }
  r.verdict = Verdict::kUnknownRecipient;
  w.Note("no mailbox or alias " + address);
  return Status::Ok();
}

// Returns local without its detail, or nullopt if it has none; reads the
// delimiter setting the first time a walk needs it.
Result<std::optional<std::string_view>> Resolver::Base(Walk& w, std::string_view local) {
  if (!*w.delimiters) {
    Result<std::string> d = store_.GetSetting("delimiter");
    if (!d.ok()) return d.status();
    *w.delimiters = std::move(*d);
  }
  return StripDetail(local, **w.delimiters);
}

// Looks for a mailbox or an alias named exactly local@domain.
Status Resolver::ResolveLocal(Walk& w, const Domain& domain, std::string_view local, bool& found,
                              Resolution& r) {
  std::string address = std::string(local) + '@' + domain.name;
  Result<std::optional<Mailbox>> mbox = store_.FindMailbox(address);
  if (!mbox.ok()) return mbox.status();
  if (*mbox) {
    found = true;
    const Mailbox& m = **mbox;
    bool active = m.active;
#if defined(RCPTDB_MUTANT) && RCPTDB_MUTANT == 3
    active = true;  // Test-only mutant (tests/mutants/run): ignores the flag.
#endif
    if (!active) {
      r.verdict = Verdict::kDisabled;
      w.Note("mailbox " + address + " is disabled");
      return Status::Ok();
    }
    r.verdict = Verdict::kMailbox;
    r.mailbox = address;
    r.delivery = address;
    if (!m.transport.empty()) r.transport = m.transport;
    w.Note("mailbox " + address);
    return Status::Ok();
  }
  Result<std::vector<AliasTarget>> rows = store_.FindAlias(address);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::Ok();
  found = true;
  w.visited.insert(address);
  w.Note("alias " + address);
  return ExpandAlias(w, *rows, r);
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

// Resolves one alias or catch-all target and appends what is deliverable.
// Sets disabled if the target is (or leads only to) a disabled mailbox.
Status Resolver::ExpandTarget(Walk& w, const std::string& address, Resolution& r, bool& disabled) {
  if (w.depth >= kMaxDepth || r.targets.size() >= kMaxTargets) {
    w.Note(address + ": alias nesting too deep, dropped");
    return Status::Ok();
  }
  if (!w.visited.insert(address).second) {
    w.Note(address + ": alias loop, dropped");
    return Status::Ok();
  }
  std::optional<Address> addr = NormalizeAddress(address);
  if (!addr) {
    w.Note(address + ": not a valid address, dropped");
    return Status::Ok();
  }
  Result<std::optional<Domain>> dom = store_.FindDomain(addr->domain);
  if (!dom.ok()) return dom.status();
  auto add = [&r](Target t) {
    for (const Target& have : r.targets)
      if (have.address == t.address) return;
    r.targets.push_back(std::move(t));
  };
  if (!*dom) {
    w.Note("-> " + address + " (foreign)");
    add(Target{address, "", ""});
    return Status::Ok();
  }
  // A local target goes through the whole walk, one level deeper.
  Resolution sub;
  Walk inner{w.delimiters, w.depth + 1, std::move(w.visited), w.path};
  Domain domain = std::move(**dom);
  Status s = Status::Ok();
  if (!domain.active) {
    inner.Note("-> " + address + ": domain " + domain.name + " is disabled, dropped");
  } else if (domain.kind == DomainKind::kAlias) {
    Result<std::optional<Domain>> target = store_.FindDomain(domain.target);
    if (!target.ok()) return target.status();
    if (*target && (*target)->active && (*target)->kind != DomainKind::kAlias) {
      inner.Note("-> " + address + " via alias domain " + domain.name + " -> " + domain.target);
      s = ResolveIn(inner, **target, addr->local, sub);
    }
  } else {
    inner.Note("-> " + address);
    s = ResolveIn(inner, domain, addr->local, sub);
  }
  w.visited = std::move(inner.visited);
  if (!s.ok()) return s;
  switch (sub.verdict) {
    case Verdict::kMailbox:
      add(Target{sub.delivery, sub.mailbox, sub.transport});
      break;
    case Verdict::kAlias:
      for (Target& t : sub.targets) add(std::move(t));
      break;
    case Verdict::kRelay:
      add(Target{sub.delivery, "", ""});
      break;
    case Verdict::kDisabled:
      disabled = true;
      break;
    default:
      w.Note("   " + address + " is not deliverable, dropped");
      break;
  }
  return Status::Ok();
}

}  // namespace rcptdb
