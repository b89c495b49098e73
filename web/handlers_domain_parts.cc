// SPDX-License-Identifier: MIT
// NAME
//   handlers_domain_parts - a domain's catch-all, relay recipients and
//   sender logins
// DESCRIPTION
//   rcptdb catchall, relay-recipient and sender, over HTTP. Each lives in
//   the path's domain: a relay recipient's and a sender rule's address is
//   local@domain, so a domain admin cannot grant send-as for an address
//   outside its domains. The catch-all's target may be anywhere.
// SEE ALSO
//   handlers.h, provision.h
#include "handlers.h"
#include "provision.h"
#include "record_json.h"
#include "request_target.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

// The route's domain, in scope for action on kind; else the refusal.
Result<std::string> ScopedDomain(Call& call, Object::Kind kind, Action action,
                                 std::optional<Problem>* refused) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return domain.status();
  *refused = call.Allowed(action, {kind, *domain});
  return *domain;
}

Json CatchallJson(const std::string& domain, const std::string& target) {
  return Json{{"domain", domain}, {"target", target}};
}

}  // namespace

Reply GetCatchall(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain = ScopedDomain(call, Object::Kind::kCatchall, Action::kRead, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::optional<Domain>> d = call.store.FindDomain(*domain);
  if (!d.ok()) return ProblemFor(d.status());
  if (!*d) return NotFound(*domain + ": no such domain");
  if ((*d)->catchall.empty()) return NotFound(*domain + ": domain has no catch-all");
  return JsonReply(200, CatchallJson(*domain, (*d)->catchall));
}

Reply SetCatchall(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kCatchall, Action::kUpdate, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  BodyFields f = call.Fields();
  std::string target = f.String("target").value_or("");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (target.empty()) return Invalid("target: required (DELETE removes the catch-all)", "target");
  Provisioner prov(call.store, ActorOf(call));
  Result<std::optional<LoopEdge>> edge = prov.SetCatchall(*domain, target);
  Status s = edge.ok() ? Status::Ok() : edge.status();
  if (s.ok() && *edge) s = prov.CheckForwarding(**edge);
  if (!s.ok()) return ProblemFor(s, "target");
  Result<std::optional<Domain>> d = call.store.FindDomain(*domain);
  if (!d.ok()) return ProblemFor(d.status());
  return JsonReply(200, CatchallJson(*domain, *d ? (*d)->catchall : ""));
}

Reply DeleteCatchall(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kCatchall, Action::kDelete, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::optional<LoopEdge>> edge =
      Provisioner(call.store, ActorOf(call)).SetCatchall(*domain, "");
  if (!edge.ok()) return ProblemFor(edge.status());
  return NoContent();
}

Reply ListRelayRecipients(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kRelayRecipient, Action::kRead, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  Result<std::vector<std::string>> rows =
      call.store.ListRelayRecipientPage(PageRequest{*domain, page.after, page.q, page.limit});
  if (!rows.ok()) return ProblemFor(rows.status());
  Json items = Json::array();
  for (const std::string& a : *rows) items.push_back(Json{{"address", a}});
  return JsonReply(200, PageJson(std::move(items), page.limit, rows->empty() ? "" : rows->back()));
}

Reply CreateRelayRecipient(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kRelayRecipient, Action::kCreate, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  BodyFields f = call.Fields();
  std::string local = f.String("local").value_or("");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  Result<std::string> address = AddressIn(*domain, local);
  if (!address.ok()) return ProblemFor(address.status(), "local");
  Status s = Provisioner(call.store, ActorOf(call)).AddRelayRecipient(*address);
  if (!s.ok()) return ProblemFor(s, "local");
  HttpResponse r = JsonResponse(201, Json{{"address", *address}});
  r.Header("Location", "/api/v1/domains/" + EncodeSegment(*domain) + "/relay-recipients/" +
                           EncodeSegment(local));
  return r;
}

Reply GetRelayRecipient(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kRelayRecipient, Action::kRead, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::string> address = AddressIn(*domain, call.Param("local"));
  if (!address.ok()) return NotFound(address.status().message());
  Result<bool> found = call.store.IsRelayRecipient(*address);
  if (!found.ok()) return ProblemFor(found.status());
  if (!*found) return NotFound(*address + ": no such relay recipient");
  return JsonReply(200, Json{{"address", *address}});
}

Reply DeleteRelayRecipient(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kRelayRecipient, Action::kDelete, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::string> address = AddressIn(*domain, call.Param("local"));
  if (!address.ok()) return NotFound(address.status().message());
  Status s = Provisioner(call.store, ActorOf(call)).DeleteRelayRecipient(*address);
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

Reply ListSenders(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kSenderLogin, Action::kRead, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  Result<std::vector<SenderLogin>> all = call.store.ListSenderLogins();
  if (!all.ok()) return ProblemFor(all.status());
  // Sender rules are few: filter and page in memory, by address and login.
  std::string suffix = "@" + *domain;
  MemoryPage out(page);
  for (const SenderLogin& s : *all) {
    std::string key = s.address + '\n' + s.login;
    if (s.address.ends_with(suffix) && out.Wants(key, s.address))
      out.Add(key, RecordJson(SenderJson(s)));
  }
  return JsonReply(200, out.Finish());
}

Reply CreateSender(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kSenderLogin, Action::kCreate, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  BodyFields f = call.Fields();
  std::string local = f.String("local").value_or("");
  std::string login = f.String("login").value_or("");
  bool allow = f.Bool("allow").value_or(true);
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  Result<std::string> address = AddressIn(*domain, local);
  if (!address.ok()) return ProblemFor(address.status(), "local");
  if (login.empty()) return Required("login");
  Status s = Provisioner(call.store, ActorOf(call)).SetSenderLogin(*address, login, allow);
  if (!s.ok()) return ProblemFor(s, "login");
  Result<std::string> stored = ParseLogin(login);
  return JsonReply(201, RecordJson(SenderJson({*address, stored.ok() ? *stored : login, allow})));
}

Reply GetSender(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kSenderLogin, Action::kRead, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::string> address = AddressIn(*domain, call.Param("local"));
  if (!address.ok()) return NotFound(address.status().message());
  Result<std::string> login = ParseLogin(call.Param("login"));
  if (!login.ok()) return NotFound(login.status().message());
  Result<std::vector<SenderLogin>> rules = call.store.FindSenderLogins(*address);
  if (!rules.ok()) return ProblemFor(rules.status());
  for (const SenderLogin& r : *rules)
    if (r.login == *login) return JsonReply(200, RecordJson(SenderJson(r)));
  return NotFound(*address + ": no sender rule for login " + *login);
}

Reply DeleteSender(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> domain =
      ScopedDomain(call, Object::Kind::kSenderLogin, Action::kDelete, &refused);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (refused) return *refused;
  Result<std::string> address = AddressIn(*domain, call.Param("local"));
  if (!address.ok()) return NotFound(address.status().message());
  Status s =
      Provisioner(call.store, ActorOf(call)).DeleteSenderLogin(*address, call.Param("login"));
  if (!s.ok())
    return ProblemFor(s.code() == Status::Code::kInvalid ? Status::NotFound(s.message()) : s);
  return NoContent();
}

}  // namespace rcptdb::web
