// SPDX-License-Identifier: MIT
// NAME
//   handlers_domains - /api/v1/domains and /api/v1/domains/{domain}
// DESCRIPTION
//   rcptdb domain add|del|show|list|enable|disable|set, over HTTP. A
//   domain admin lists and reads the domains it holds; creating, changing
//   and deleting domains is for server admins (authorize.h). A domain's
//   kind and target do not change: delete and add it again.
// SEE ALSO
//   handlers.h, provision.h, record_json.h
#include "handlers.h"
#include "provision.h"
#include "record_json.h"
#include "request_target.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

std::string DomainLocation(const std::string& name) {
  return "/api/v1/domains/" + EncodeSegment(name);
}

}  // namespace

Reply ListDomains(Call& call) {
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, Object{Object::Kind::kDomain}))
    return *p;
  Result<std::vector<Domain>> all = call.store.ListDomains();
  if (!all.ok()) return ProblemFor(all.status());
  // A few domains per database: filter and page in memory, by name.
  MemoryPage out(page);
  for (const Domain& d : *all)
    if (call.principal.scope.Covers(d.name) && out.Wants(d.name, d.name))
      out.Add(d.name, RecordJson(DomainJson(d), RecordVersion(d)));
  return JsonReply(200, out.Finish());
}

Reply CreateDomain(Call& call) {
  BodyFields f = call.Fields();
  Domain d;
  d.name = f.String("name").value_or("");
  std::optional<std::string> kind = f.String("kind");
  d.active = f.Bool("active").value_or(true);
  d.transport = f.String("transport").value_or("");
  d.target = f.String("target").value_or("");
  d.catchall = f.String("catchall").value_or("");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (std::optional<Problem> p = call.Allowed(Action::kCreate, Object{Object::Kind::kDomain}))
    return *p;
  if (d.name.empty()) return Invalid("name: required", "name");
  if (kind) {
    Result<DomainKind> k = ParseKind(*kind);
    if (!k.ok()) return Invalid("kind: " + k.status().message(), "kind");
    d.kind = *k;
  }
  Provisioner prov(call.store, ActorOf(call));
  std::optional<LoopEdge> edge;
  Status s = prov.AddDomain(d, &edge);
  if (s.ok() && edge) s = prov.CheckForwarding(*edge);
  if (!s.ok())
    return ProblemFor(s, FieldFor(s,
                                  {{"target", "target"},
                                   {"transport", "transport"},
                                   {"catch-all", "catchall"},
                                   {"loop", "catchall"},
                                   {"defer", "catchall"}},
                                  "name"));
  Result<std::optional<Domain>> made = prov.FindDomain(*ParseDomainName(d.name));
  if (!made.ok() || !*made)
    return ProblemFor(made.ok() ? Status::NotFound("vanished") : made.status());
  return RecordResponse(201, DomainJson(**made), RecordVersion(**made),
                        DomainLocation((*made)->name));
}

Reply GetDomain(Call& call) {
  Result<std::string> name = RouteDomain(call);
  if (!name.ok()) return ProblemFor(name.status());
  Object o{Object::Kind::kDomain, *name};
  if (std::optional<Problem> p = call.Allowed(Action::kRead, o)) return *p;
  Result<std::optional<Domain>> d = call.store.FindDomain(*name);
  if (!d.ok()) return ProblemFor(d.status());
  if (!*d) return NotFound(*name + ": no such domain");
  return RecordResponse(200, DomainJson(**d), RecordVersion(**d));
}

Reply UpdateDomain(Call& call) {
  Result<std::string> name = RouteDomain(call);
  if (!name.ok()) return ProblemFor(name.status());
  BodyFields f = call.Fields();
  DomainChange change;
  change.active = f.Bool("active");
  if (f.Has("transport")) change.transport = f.String("transport").value_or("");
  bool kind = f.Has("kind"), target = f.Has("target"), catchall = f.Has("catchall");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  Object o{Object::Kind::kDomain, *name};
  if (std::optional<Problem> p = call.Allowed(Action::kUpdate, o)) return *p;
  if (kind || target)
    return Invalid(*name +
                       ": a domain's kind and target do not change; delete it and add it "
                       "again",
                   kind ? "kind" : "target");
  if (catchall)
    return Invalid(*name + ": set the catch-all with PUT /api/v1/domains/" + EncodeSegment(*name) +
                       "/catchall",
                   "catchall");
  Result<Domain> d =
      Provisioner(call.store, ActorOf(call)).UpdateDomain(*name, change, IfMatchVersion(call));
  if (!d.ok())
    return ProblemFor(d.status(), FieldFor(d.status(), {{"transport", "transport"}}, ""));
  return RecordResponse(200, DomainJson(*d), RecordVersion(*d));
}

Reply DeleteDomain(Call& call) {
  Result<std::string> name = RouteDomain(call);
  if (!name.ok()) return ProblemFor(name.status());
  std::optional<std::string> force = call.Query("force");
  if (force && *force != "0" && *force != "1") return BadRequest("force: expected 1 or 0", "force");
  Object o{Object::Kind::kDomain, *name};
  if (std::optional<Problem> p = call.Allowed(Action::kDelete, o)) return *p;
  Status s = Provisioner(call.store, ActorOf(call)).DeleteDomain(*name, force == "1");
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

}  // namespace rcptdb::web
