// SPDX-License-Identifier: MIT
// NAME
//   handlers_admin - settings, administrators, tokens, the audit log, and
//   one's own password
// DESCRIPTION
//   rcptdb config, admin, token and audit, over HTTP. Administrators and
//   tokens are objects whose subject is a principal: Authorize()'s rank
//   rule compares what that principal holds (an admin's domains, all of
//   them for a server admin; a token's owner's) with what the asking
//   principal holds, before anything is read out or changed, and a
//   change that would give the subject more is checked against the
//   result too.
// SEE ALSO
//   handlers.h, authorize.h, provision.h, api_token.h
#include <algorithm>
#include <chrono>
#include <map>

#include "api.h"
#include "api_token.h"
#include "authenticate.h"
#include "handlers.h"
#include "password.h"
#include "provision.h"
#include "record_json.h"
#include "request_target.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

Scope ScopeOfAdmin(AdminRole role, const std::vector<std::string>& domains) {
  if (role == AdminRole::kServer) return Scope::All();
  return Scope::Of(std::set<std::string, std::less<>>(domains.begin(), domains.end()));
}

Scope ScopeOfAdmin(const Admin& a) { return ScopeOfAdmin(a.role, a.domains); }

Object AdminObject(const Scope& subject) {
  Object o{Object::Kind::kAdmin};
  o.subject = subject;
  return o;
}

Object TokenObject(const Scope& owner) {
  Object o{Object::Kind::kToken};
  o.subject = owner;
  return o;
}

// The one 404 of an admin that does not exist, or is out of the asker's
// rank (which must read the same).
Problem NoSuchAdmin(std::string_view login) {
  return NotFound(std::string(login) + ": no such admin");
}

// The admin named by the route, if it exists and is within rank for
// action; else the refusal (404 both, so that rank hides existence).
Result<Admin> RankedAdmin(Call& call, std::string_view login, Action action,
                          std::optional<Problem>* refused) {
  Result<std::optional<Admin>> a = call.store.FindAdmin(login);
  if (!a.ok()) return a.status();
  Problem missing = NoSuchAdmin(login);
  if (!*a) {
    *refused = missing;
    return Status::NotFound("");
  }
  *refused = call.Allowed(action, AdminObject(ScopeOfAdmin(**a)), missing);
  return **a;
}

// Reads "password" (hashed here) or "password_hash" into *hash, as
// PasswordFrom() does for a mailbox.
std::optional<Problem> PasswordField(BodyFields& f, std::optional<std::string>* hash) {
  std::string field;
  Result<std::optional<std::string>> given = PasswordFrom(f, &field);
  if (!given.ok()) return Invalid(given.status().message(), field);
  if (*given) *hash = **given;
  return std::nullopt;
}

std::optional<Problem> RoleField(BodyFields& f, std::optional<AdminRole>* role) {
  std::optional<std::string> r = f.String("role");
  if (!r) return std::nullopt;
  Result<AdminRole> parsed = ParseRole(*r);
  if (!parsed.ok()) return Invalid("role: " + parsed.status().message(), "role");
  *role = *parsed;
  return std::nullopt;
}

// The domains as given, normalised (unknown names are the provisioning
// code's to refuse).
std::optional<Problem> DomainsField(BodyFields& f, std::optional<std::vector<std::string>>* out) {
  std::optional<std::vector<std::string>> given = f.Strings("domains");
  if (!given) return std::nullopt;
  std::vector<std::string> names;
  for (const std::string& d : *given) {
    Result<std::string> n = ParseDomainName(d);
    if (!n.ok()) return Invalid("domains: " + n.status().message(), "domains");
    names.push_back(*n);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  *out = std::move(names);
  return std::nullopt;
}

// The refusal of a domain outside the asker's scope, given to principal
// login: the provisioning code's refusal of a domain that does not exist,
// so that the two read alike.
Problem ForeignDomain(std::string_view login, const std::string& domain) {
  return ProblemFor(Provisioner::NoSuchDomain(login, domain), "domains");
}

// A refusal of giving principal login more than the asker holds: as if
// the first domain outside the asker's scope did not exist.
Problem OutOfRank(const Call& call, std::string_view login, const Scope& subject, Problem refused) {
  if (refused.status != 404 || subject.all()) return refused;
  for (const std::string& d : subject.domains())
    if (!call.principal.scope.Covers(d)) return ForeignDomain(login, d);
  return refused;
}

std::string AdminLocation(const std::string& login) {
  return "/api/v1/admins/" + EncodeSegment(login);
}

// The owners of tokens, as they are now, read once per request.
class Owners {
 public:
  explicit Owners(Store& store) : store_(store) {}
  Result<std::optional<Scope>> ScopeOf(const std::string& login) {
    auto it = scopes_.find(login);
    if (it != scopes_.end()) return it->second;
    Result<std::optional<Admin>> a = store_.FindAdmin(login);
    if (!a.ok()) return a.status();
    std::optional<Scope> s;
    if (*a) s = ScopeOfAdmin(**a);
    scopes_.emplace(login, s);
    return s;
  }

 private:
  Store& store_;
  std::map<std::string, std::optional<Scope>> scopes_;
};

Json AuditJson(const AuditRecord& r) {
  auto text = [](const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); };
  auto object = [](const std::string& s) {
    return s.empty() ? Json(nullptr) : Json::parse(s, nullptr, false);
  };
  Json j;
  j["id"] = r.id;
  j["time"] = r.time;
  j["actor"] = r.actor;
  j["client"] = text(r.client);
  j["request_id"] = text(r.request_id);
  j["kind"] = r.kind;
  j["object"] = r.object;
  j["domain"] = text(r.domain);
  j["action"] = r.action;
  j["before"] = object(r.before);
  j["after"] = object(r.after);
  return j;
}

}  // namespace

Reply GetSettings(Call& call) {
  if (std::optional<Problem> p = call.Allowed(Action::kRead, Object{Object::Kind::kSettings}))
    return *p;
  Result<SettingValues> all = ReadSettings(call.store);
  if (!all.ok()) return ProblemFor(all.status());
  return RecordResponse(200, SettingsJson(*all), RecordVersion(*all));
}

Reply UpdateSettings(Call& call) {
  if (std::optional<Problem> p = call.Allowed(Action::kUpdate, Object{Object::Kind::kSettings}))
    return *p;
  BodyFields f = call.Fields();
  SettingValues wanted;
  for (std::string_view name : kSettingNames)
    if (std::optional<std::string> v = f.String(name)) wanted.emplace_back(name, *v);
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  std::string refused;
  Status s =
      Provisioner(call.store, ActorOf(call)).SetSettings(wanted, IfMatchVersion(call), &refused);
  if (!s.ok()) return ProblemFor(s, refused);
  return GetSettings(call);
}

Reply ListAdmins(Call& call) {
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, AdminObject(Scope::None()))) return *p;
  Result<std::vector<Admin>> all = call.store.ListAdmins();
  if (!all.ok()) return ProblemFor(all.status());
  MemoryPage out(page);
  for (const Admin& a : *all)
    if (out.Wants(a.login, a.login) &&
        Authorize(call.principal, Action::kRead, AdminObject(ScopeOfAdmin(a))) == Decision::kAllow)
      out.Add(a.login, RecordJson(AdminJson(a), RecordVersion(a)));
  return JsonReply(200, out.Finish());
}

Reply CreateAdmin(Call& call) {
  BodyFields f = call.Fields();
  Admin a;
  a.login = f.String("login").value_or("");
  a.active = f.Bool("active").value_or(true);
  std::optional<AdminRole> role;
  std::optional<std::vector<std::string>> domains;
  std::optional<Problem> p = RoleField(f, &role);
  if (!p) p = DomainsField(f, &domains);
  f.Has("password");
  f.Has("password_hash");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (p) return *p;
  if (!role) return Invalid("role: required (server or domain)", "role");
  a.role = *role;
  a.domains = domains.value_or(std::vector<std::string>());
  if (a.login.empty()) return Required("login");
  // Nobody makes a principal that holds more than they do.
  if (std::optional<Problem> refused = call.Allowed(Action::kCreate, AdminObject(ScopeOfAdmin(a))))
    return OutOfRank(call, a.login, ScopeOfAdmin(a), *refused);
  std::optional<std::string> hash;
  BodyFields pw = call.Fields();
  if (std::optional<Problem> bad = PasswordField(pw, &hash)) return *bad;
  a.password = hash.value_or("");
  Status s = Provisioner(call.store, ActorOf(call)).AddAdmin(a);
  if (!s.ok())
    return ProblemFor(s,
                      FieldFor(s, {{"domain", "domains"}, {"password", "password_hash"}}, "login"));
  Result<std::optional<Admin>> made = call.store.FindAdmin(a.login);
  if (!made.ok() || !*made)
    return ProblemFor(made.ok() ? Status::Temporary("the new admin is not there") : made.status());
  return RecordResponse(201, AdminJson(**made), RecordVersion(**made),
                        AdminLocation((*made)->login));
}

Reply GetAdmin(Call& call) {
  std::optional<Problem> refused;
  Result<Admin> a = RankedAdmin(call, call.Param("login"), Action::kRead, &refused);
  if (refused) return *refused;
  if (!a.ok()) return ProblemFor(a.status());
  return RecordResponse(200, AdminJson(*a), RecordVersion(*a));
}

Reply UpdateAdmin(Call& call) {
  std::optional<Problem> refused;
  Result<Admin> a = RankedAdmin(call, call.Param("login"), Action::kUpdate, &refused);
  if (refused) return *refused;
  if (!a.ok()) return ProblemFor(a.status());
  BodyFields f = call.Fields();
  AdminChange change;
  change.active = f.Bool("active");
  std::optional<Problem> p = RoleField(f, &change.role);
  if (!p) p = DomainsField(f, &change.domains);
  if (!p) p = PasswordField(f, &change.password);
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (p) return *p;
  // What the admin would hold afterwards must be within rank as well.
  Scope after = ScopeOfAdmin(change.role.value_or(a->role), change.domains.value_or(a->domains));
  if (std::optional<Problem> wider = call.Allowed(Action::kUpdate, AdminObject(after)))
    return OutOfRank(call, a->login, after, *wider);
  Result<Admin> changed =
      Provisioner(call.store, ActorOf(call)).UpdateAdmin(a->login, change, IfMatchVersion(call));
  if (!changed.ok())
    return ProblemFor(
        changed.status(),
        FieldFor(changed.status(), {{"domain", "domains"}, {"password", "password_hash"}}, ""));
  return RecordResponse(200, AdminJson(*changed), RecordVersion(*changed));
}

Reply DeleteAdmin(Call& call) {
  std::optional<Problem> refused;
  Result<Admin> a = RankedAdmin(call, call.Param("login"), Action::kDelete, &refused);
  if (refused) return *refused;
  if (!a.ok()) return ProblemFor(a.status());
  Status s = Provisioner(call.store, ActorOf(call)).DeleteAdmin(a->login);
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

Reply ListTokens(Call& call) {
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, TokenObject(Scope::None()))) return *p;
  Result<std::vector<Token>> all = call.store.ListTokens("");
  if (!all.ok()) return ProblemFor(all.status());
  std::sort(all->begin(), all->end(),
            [](const Token& a, const Token& b) { return a.prefix < b.prefix; });
  Owners owners(call.store);
  MemoryPage out(page);
  for (const Token& t : *all) {
    if (!out.Wants(t.prefix, t.prefix)) continue;
    Result<std::optional<Scope>> owner = owners.ScopeOf(t.login);
    if (!owner.ok()) return ProblemFor(owner.status());
    if (*owner &&
        Authorize(call.principal, Action::kRead, TokenObject(**owner)) == Decision::kAllow)
      out.Add(t.prefix, RecordJson(TokenJson(t)));
  }
  return JsonReply(200, out.Finish());
}

Reply CreateToken(Call& call) {
  BodyFields f = call.Fields();
  TokenRequest r;
  std::optional<std::string> login = f.String("login");
  std::optional<std::vector<std::string>> domains;
  std::optional<Problem> p = DomainsField(f, &domains);
  r.read_only = f.Bool("read_only").value_or(false);
  std::optional<std::int64_t> days = f.Int("expires_days");
  std::vector<std::string> networks = f.Strings("networks").value_or(std::vector<std::string>());
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (p) return *p;
  if (!login && !call.principal.admin()) return NotFound();
  r.login = login.value_or(call.principal.login);
  r.domains = domains.value_or(std::vector<std::string>());
  Result<std::optional<Admin>> owner = call.store.FindAdmin(r.login);
  if (!owner.ok()) return ProblemFor(owner.status());
  if (!*owner) return NoSuchAdmin(r.login);
  if (std::optional<Problem> refused =
          call.Allowed(Action::kCreate, TokenObject(ScopeOfAdmin(**owner)), NoSuchAdmin(r.login)))
    return *refused;
  // A domain outside the asker's scope reads as one that does not exist,
  // in the provisioning code's words for that.
  for (const std::string& d : r.domains)
    if (!call.principal.scope.Covers(d)) return ForeignDomain(r.login, d);
  r.expires_days = days;
  for (const std::string& n : networks) r.networks += (r.networks.empty() ? "" : " ") + n;
  Result<MadeToken> made = Provisioner(call.store, ActorOf(call)).CreateToken(r);
  if (!made.ok())
    return ProblemFor(
        made.status(),
        FieldFor(made.status(),
                 {{"networks", "networks"}, {"domain", "domains"}, {"expires", "expires_days"}},
                 "login"));
  Result<std::optional<TokenGrant>> grant = call.store.FindTokenGrant(made->prefix);
  if (!grant.ok()) return ProblemFor(grant.status());
  if (!*grant) return ProblemFor(Status::Temporary("the new token is not there"));
  Json j = RecordJson(TokenJson((*grant)->token));
  j["token"] = made->token;  // shown this once, stored nowhere
  HttpResponse resp = JsonResponse(201, j);
  resp.Header("Location", "/api/v1/tokens/" + EncodeSegment(made->prefix));
  return resp;
}

namespace {

// The token named by the route, if its owner is within rank for action.
Result<Token> RankedToken(Call& call, Action action, std::optional<Problem>* refused) {
  Result<std::optional<TokenGrant>> grant = call.store.FindTokenGrant(call.Param("prefix"));
  if (!grant.ok()) return grant.status();
  Owners owners(call.store);
  std::optional<Scope> scope;
  if (*grant) {
    Result<std::optional<Scope>> s = owners.ScopeOf((*grant)->token.login);
    if (!s.ok()) return s.status();
    scope = *s;
  }
  Problem missing = NotFound(call.Param("prefix") + ": no such token");
  if (!*grant || !scope) {
    *refused = missing;
    return Status::NotFound("");
  }
  *refused = call.Allowed(action, TokenObject(*scope), missing);
  return (*grant)->token;
}

}  // namespace

Reply GetToken(Call& call) {
  std::optional<Problem> refused;
  Result<Token> t = RankedToken(call, Action::kRead, &refused);
  if (refused) return *refused;
  if (!t.ok()) return ProblemFor(t.status());
  return JsonReply(200, RecordJson(TokenJson(*t)));
}

Reply RevokeToken(Call& call) {
  std::optional<Problem> refused;
  Result<Token> t = RankedToken(call, Action::kDelete, &refused);
  if (refused) return *refused;
  if (!t.ok()) return ProblemFor(t.status());
  Status s = Provisioner(call.store, ActorOf(call)).RevokeToken(t->prefix);
  if (!s.ok()) return ProblemFor(s);
  return NoContent();
}

Reply ListAudit(Call& call) {
  PageParams page;
  if (std::optional<Problem> p = ReadPage(call, &page)) return *p;
  AuditQuery q;
  q.limit = page.limit;
  if (!page.after.empty()) {
    try {
      q.before_id = std::stoll(page.after);
    } catch (const std::exception&) {
      return BadRequest(std::string(kNotACursor), "cursor");
    }
  }
  q.actor = call.Query("actor").value_or("");
  q.object_prefix = page.q;
  if (std::optional<std::string> since = call.Query("since")) {
    Result<std::string> t = ParseUtcTime(*since);
    if (!t.ok()) return BadRequest("since: " + t.status().message(), "since");
    q.since = *t;
  }
  if (std::optional<std::string> d = call.Query("domain")) {
    Result<std::string> n = ParseDomainName(*d);
    if (!n.ok()) return BadRequest("domain: " + n.status().message(), "domain");
    q.domain = *n;
  }
  Object o{Object::Kind::kAudit, q.domain};
  if (std::optional<Problem> p = call.Allowed(Action::kRead, o)) return *p;
  // What the principal may see: one query for a domain or everything;
  // otherwise one per domain it holds, merged newest first.
  std::vector<AuditRecord> rows;
  std::vector<std::string> domains;
  if (!q.domain.empty() || call.principal.scope.all())
    domains.push_back(q.domain);
  else
    domains.assign(call.principal.scope.domains().begin(), call.principal.scope.domains().end());
  for (const std::string& d : domains) {
    AuditQuery one = q;
    one.domain = d;
    Result<std::vector<AuditRecord>> part = call.store.QueryAudit(one);
    if (!part.ok()) return ProblemFor(part.status());
    rows.insert(rows.end(), part->begin(), part->end());
  }
  std::sort(rows.begin(), rows.end(),
            [](const AuditRecord& a, const AuditRecord& b) { return a.id > b.id; });
  if (rows.size() > static_cast<std::size_t>(q.limit)) rows.resize(q.limit);
  Json items = Json::array();
  for (const AuditRecord& r : rows) items.push_back(AuditJson(r));
  return JsonReply(200, PageJson(std::move(items), page.limit,
                                 rows.empty() ? "" : std::to_string(rows.back().id)));
}

Reply ChangeMyPassword(Call& call) {
  BodyFields f = call.Fields();
  std::optional<std::string> current = f.String("current");
  std::optional<std::string> fresh = f.String("new");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (!current) return Required("current");
  if (!fresh) return Required("new");
  const Principal& me = call.principal;
  Object o{Object::Kind::kPassword};
  o.self = true;
  std::optional<Admin> admin;
  std::optional<Mailbox> mailbox;
  if (me.kind == Principal::Kind::kMailbox) {
    Result<std::optional<Mailbox>> m = call.store.FindMailbox(me.login);
    if (!m.ok()) return ProblemFor(m.status());
    if (!*m) return NotFound();
    mailbox = **m;
    o.subject = me.scope;
  } else {
    Result<std::optional<Admin>> a = call.store.FindAdmin(me.login);
    if (!a.ok()) return ProblemFor(a.status());
    if (!*a) return NotFound();
    admin = **a;
    o.subject = ScopeOfAdmin(*admin);
  }
  if (std::optional<Problem> p = call.Allowed(Action::kUpdate, o)) return *p;
  // The current password proves the person, not just the session: a
  // wrong one counts as a failed login.
  auto right = [&]() -> Result<bool> {
    if (mailbox) return VerifyPassword(*current, mailbox->password);
    Result<Admin> a = AuthenticateAdmin(call.store, me.login, *current, nullptr);
    if (!a.ok() && a.status().temporary()) return a.status();
    return a.ok();
  };
  Problem wrong = Forbidden("current: not the current password");
  wrong.field = "current";
  if (std::optional<Problem> p =
          CheckThrottled(call.api.throttle(), me.login, call.request.client, right, wrong))
    return *p;
  Result<std::string> hash = HashPassword(*fresh);
  if (!hash.ok()) return Invalid("new: " + hash.status().message(), "new");
  Provisioner prov(call.store, ActorOf(call));
  if (mailbox) {
    MailboxChange change;
    change.password = *hash;
    Result<Mailbox> m = prov.UpdateMailbox(mailbox->address, change);
    if (!m.ok()) return ProblemFor(m.status(), "new");
  } else {
    AdminChange change;
    change.password = *hash;
    Result<Admin> a = prov.UpdateAdmin(admin->login, change);
    if (!a.ok()) return ProblemFor(a.status(), "new");
  }
  return NoContent();
}

}  // namespace rcptdb::web
