// SPDX-License-Identifier: MIT
// NAME
//   handlers_mailboxes - /api/v1/domains/{domain}/mailboxes[/{local}]
// DESCRIPTION
//   rcptdb mailbox add|del|show|list|enable|disable|passwd|quota|set,
//   over HTTP. A password comes as "password" (hashed here, with the
//   CLI's hashing: SHA512-CRYPT, which Dovecot verifies) or as
//   "password_hash" (a {SCHEME}hash, as --password-hash takes it). The
//   mailbox's domain is always the path's: a body names only the local
//   part, so no body can point a change at another domain.
// SEE ALSO
//   handlers.h, provision.h, password.h
#include "handlers.h"
#include "provision.h"
#include "record_json.h"
#include "request_target.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

std::string MailboxLocation(const std::string& address) {
  std::size_t at = address.rfind('@');
  return "/api/v1/domains/" + EncodeSegment(address.substr(at + 1)) + "/mailboxes/" +
         EncodeSegment(address.substr(0, at));
}

// The mailbox the route names, after the scope check for action.
Result<std::string> RouteMailbox(Call& call, Action action, std::optional<Problem>* refused) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return domain.status();
  Object o{Object::Kind::kMailbox, *domain};
  Result<std::string> address = AddressIn(*domain, call.Param("local"));
  if (!address.ok()) return Status::NotFound(address.status().message());
  o.self = call.principal.kind == Principal::Kind::kMailbox && call.principal.login == *address;
  *refused = call.Allowed(action, o);
  return *address;
}

const std::initializer_list<FieldHint> kMailboxHints = {{"password", "password_hash"},
                                                        {"quota", "quota"},
                                                        {"transport", "transport"},
                                                        {"description", "description"}};

}  // namespace

Reply ListMailboxes(Call& call) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return ProblemFor(domain.status());
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, {Object::Kind::kMailbox, *domain}))
    return *p;
  Result<std::vector<Mailbox>> rows =
      call.store.ListMailboxPage(PageRequest{*domain, page.after, page.q, page.limit});
  if (!rows.ok()) return ProblemFor(rows.status());
  // Each row's JSON is written once, as text: parsed to be written again,
  // a page of 100 took 1.19 ms of rcptdb-web's time instead of 0.72.
  std::vector<std::string> items;
  items.reserve(rows->size());
  for (const Mailbox& m : *rows) {
    std::string json = MailboxJson(m);
    items.push_back(RecordText(json, RecordVersion(m, json)));
  }
  return JsonTextResponse(200,
                          PageText(items, page.limit, rows->empty() ? "" : rows->back().address));
}

Reply CreateMailbox(Call& call) {
  Result<std::string> domain = RouteDomain(call);
  if (!domain.ok()) return ProblemFor(domain.status());
  if (std::optional<Problem> p = call.Allowed(Action::kCreate, {Object::Kind::kMailbox, *domain}))
    return *p;
  BodyFields f = call.Fields();
  std::string local = f.String("local").value_or("");
  Mailbox m;
  m.active = f.Bool("active").value_or(true);
  m.quota = f.Int("quota").value_or(0);
  m.transport = f.String("transport").value_or("");
  m.description = f.String("description").value_or("");
  std::string password_field;
  Result<std::optional<std::string>> password = PasswordFrom(f, &password_field);
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (!password.ok()) return ProblemFor(password.status(), password_field);
  m.password = password->value_or("");
  Result<std::string> address = AddressIn(*domain, local);
  if (!address.ok()) return ProblemFor(address.status(), "local");
  m.address = *address;
  Provisioner prov(call.store, ActorOf(call));
  Status s = prov.AddMailbox(m);
  if (!s.ok()) return ProblemFor(s, FieldFor(s, kMailboxHints, "local"));
  Result<std::optional<Mailbox>> made = call.store.FindMailbox(m.address);
  if (!made.ok()) return ProblemFor(made.status());
  if (!*made) return ProblemFor(Status::Temporary("the new mailbox is not there"));
  return RecordResponse(201, MailboxJson(**made), RecordVersion(**made),
                        MailboxLocation(m.address));
}

Reply GetMailbox(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> address = RouteMailbox(call, Action::kRead, &refused);
  if (!address.ok()) return ProblemFor(address.status());
  if (refused) return *refused;
  Result<std::optional<Mailbox>> m = call.store.FindMailbox(*address);
  if (!m.ok()) return ProblemFor(m.status());
  if (!*m) return NotFound(*address + ": no such mailbox");
  return RecordResponse(200, MailboxJson(**m), RecordVersion(**m));
}

Reply UpdateMailbox(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> address = RouteMailbox(call, Action::kUpdate, &refused);
  if (!address.ok()) return ProblemFor(address.status());
  if (refused) return *refused;
  BodyFields f = call.Fields();
  MailboxChange change;
  change.active = f.Bool("active");
  change.quota = f.Int("quota");
  if (f.Has("transport")) change.transport = f.String("transport").value_or("");
  if (f.Has("description")) change.description = f.String("description").value_or("");
  std::string password_field;
  Result<std::optional<std::string>> password = PasswordFrom(f, &password_field);
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (!password.ok()) return ProblemFor(password.status(), password_field);
  change.password = *password;
  Result<Mailbox> m =
      Provisioner(call.store, ActorOf(call)).UpdateMailbox(*address, change, IfMatchVersion(call));
  if (!m.ok()) return ProblemFor(m.status(), FieldFor(m.status(), kMailboxHints, ""));
  return RecordResponse(200, MailboxJson(*m), RecordVersion(*m));
}

Reply DeleteMailbox(Call& call) {
  std::optional<Problem> refused;
  Result<std::string> address = RouteMailbox(call, Action::kDelete, &refused);
  if (!address.ok()) return ProblemFor(address.status());
  if (refused) return *refused;
  Status s = Provisioner(call.store, ActorOf(call)).DeleteMailbox(*address, IfMatchVersion(call));
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

}  // namespace rcptdb::web
