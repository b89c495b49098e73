// SPDX-License-Identifier: MIT
// NAME
//   handlers_aliases - /api/v1/domains/{domain}/aliases[/{local}]
// DESCRIPTION
//   rcptdb alias add|del|show|list|enable|disable, over HTTP, one alias
//   (a source and all its targets) per resource. An alias belongs to the
//   domain of its source, which is always the path's; its targets may be
//   anywhere (forwarding). Every new target is loop-checked after it is
//   written, in the same transaction, as the CLI does.
// SEE ALSO
//   handlers.h, provision.h
#include <set>

#include "handlers.h"
#include "provision.h"
#include "record_json.h"
#include "request_target.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

// The refusal of an alias left without targets; hint says what to do.
Problem NoTargets(std::string_view hint) {
  return Invalid("targets: at least one target" + std::string(hint), "targets");
}

std::string AliasLocation(const std::string& source) {
  std::size_t at = source.rfind('@');
  return "/api/v1/domains/" + EncodeSegment(source.substr(at + 1)) + "/aliases/" +
         EncodeSegment(source.substr(0, at));
}

// Adds every target, then checks each new step for loops and bounds.
Status AddTargets(Provisioner& prov, const std::string& source,
                  const std::vector<std::string>& targets, std::optional<bool> active) {
  std::vector<LoopEdge> edges;
  for (const std::string& t : targets) {
    Result<LoopEdge> e = prov.AddAliasTarget(source, t, active);
    if (!e.ok()) return e.status();
    edges.push_back(*e);
  }
  for (const LoopEdge& e : edges) {
    Status s = prov.CheckForwarding(e);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Reply AliasReply(Call& call, int status, const std::string& source) {
  Result<std::vector<AliasTarget>> rows = call.store.FindAlias(source);
  if (!rows.ok()) return ProblemFor(rows.status());
  if (rows->empty()) return NotFound(source + ": no such alias");
  return RecordResponse(status, AliasSourceJson(source, *rows), RecordVersion(source, *rows),
                        status == 201 ? AliasLocation(source) : "");
}

Result<std::string> RouteAlias(Call& call, Action action, std::optional<Problem>* refused) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return domain.status();
  *refused = call.Allowed(action, {Object::Kind::kAlias, *domain});
  Result<std::string> source = AddressIn(*domain, call.Param("local"));
  if (!source.ok()) return Status::NotFound(source.status().message());
  return *source;
}

const std::initializer_list<FieldHint> kAliasHints = {
    {"target", "targets"}, {"loop", "targets"}, {"defer", "targets"}, {"active flag", "active"}};

}  // namespace

Reply ListAliases(Call& call) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return ProblemFor(domain.status());
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, {Object::Kind::kAlias, *domain}))
    return *p;
  Result<std::vector<AliasTarget>> rows =
      call.store.ListAliasPage(PageRequest{*domain, page.after, page.q, page.limit});
  if (!rows.ok()) return ProblemFor(rows.status());
  // The page holds whole aliases, rows in source order: group them.
  Json items = Json::array();
  std::string last;
  for (std::size_t i = 0; i < rows->size();) {
    std::size_t j = i;
    std::vector<AliasTarget> one;
    while (j < rows->size() && (*rows)[j].source == (*rows)[i].source) one.push_back((*rows)[j++]);
    last = one.front().source;
    items.push_back(RecordJson(AliasSourceJson(last, one), RecordVersion(last, one)));
    i = j;
  }
  return JsonReply(200, PageJson(std::move(items), page.limit, last));
}

Reply CreateAlias(Call& call) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (std::optional<Problem> p = call.Allowed(Action::kCreate, {Object::Kind::kAlias, *domain}))
    return *p;
  BodyFields f = call.Fields();
  std::string local = f.String("local").value_or("");
  std::vector<std::string> targets = f.Strings("targets").value_or(std::vector<std::string>());
  std::optional<bool> active = f.Bool("active");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  Result<std::string> source = AddressIn(*domain, local);
  if (!source.ok()) return ProblemFor(source.status(), "local");
  if (targets.empty()) return NoTargets("");
  for (const std::string& t : targets)
    if (Result<Address> a = ParseAddress(t); !a.ok()) return ProblemFor(a.status(), "targets");
  Result<std::vector<AliasTarget>> existing = call.store.FindAlias(*source);
  if (!existing.ok()) return ProblemFor(existing.status());
  if (!existing->empty())
    return ProblemFor(Status::Conflict(*source + ": alias exists already (PATCH it to change its "
                                                 "targets)"),
                      "local");
  Provisioner prov(call.store, ActorOf(call));
  Status s = AddTargets(prov, *source, targets, active);
  if (!s.ok()) return ProblemFor(s, FieldFor(s, kAliasHints, "local"));
  return AliasReply(call, 201, *source);
}

Reply GetAlias(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> source = RouteAlias(call, Action::kRead, &refused);
  if (!source.ok()) return ProblemFor(source.status());
  if (refused) return *refused;
  return AliasReply(call, 200, *source);
}

Reply UpdateAlias(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> source = RouteAlias(call, Action::kUpdate, &refused);
  if (!source.ok()) return ProblemFor(source.status());
  if (refused) return *refused;
  BodyFields f = call.Fields();
  std::optional<std::vector<std::string>> targets = f.Strings("targets");
  std::optional<bool> active = f.Bool("active");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  Result<std::vector<AliasTarget>> rows = call.store.FindAlias(*source);
  if (!rows.ok()) return ProblemFor(rows.status());
  if (rows->empty()) return NotFound(*source + ": no such alias");
  std::string wanted = IfMatchVersion(call);
  Status stale = CheckVersion(wanted, RecordVersion(*source, *rows), *source);
  if (!stale.ok()) return ProblemFor(stale);
  Provisioner prov(call.store, ActorOf(call));
  if (active) {
    Status s = prov.SetAliasActive(*source, *active);
    if (!s.ok()) return ProblemFor(s, "active");
  }
  if (targets) {
    if (targets->empty()) return NoTargets(" (DELETE the alias)");
    // Replace the set: normalise the new targets, drop the old ones that
    // are not among them, add the new ones.
    std::set<std::string> keep;
    for (const std::string& t : *targets) {
      Result<Address> a = ParseAddress(t);
      if (!a.ok()) return ProblemFor(a.status(), "targets");
      keep.insert(a->str());
    }
    std::set<std::string> have;
    for (const AliasTarget& r : *rows) have.insert(r.target);
    for (const std::string& t : have)
      if (!keep.contains(t)) {
        Status s = prov.DeleteAlias(*source, t);
        if (!s.ok()) return ProblemFor(s, "targets");
      }
    std::vector<std::string> fresh;
    for (const std::string& t : keep)
      if (!have.contains(t)) fresh.push_back(t);
    Status s = AddTargets(prov, *source, fresh, std::nullopt);
    if (!s.ok()) return ProblemFor(s, FieldFor(s, kAliasHints, "targets"));
  }
  return AliasReply(call, 200, *source);
}

Reply DeleteAlias(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> source = RouteAlias(call, Action::kDelete, &refused);
  if (!source.ok()) return ProblemFor(source.status());
  if (refused) return *refused;
  std::string wanted = IfMatchVersion(call);
  if (!wanted.empty()) {
    Result<std::vector<AliasTarget>> rows = call.store.FindAlias(*source);
    if (!rows.ok()) return ProblemFor(rows.status());
    if (!rows->empty()) {  // none: DeleteAlias says so
      Status stale = CheckVersion(wanted, RecordVersion(*source, *rows), *source);
      if (!stale.ok()) return ProblemFor(stale);
    }
  }
  Status s = Provisioner(call.store, ActorOf(call)).DeleteAlias(*source, "");
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

}  // namespace rcptdb::web
