// SPDX-License-Identifier: MIT
// NAME
//   handlers_meta - openapi.json, check, me, session, batch
// DESCRIPTION
//   The endpoints that are about the API itself rather than one kind of
//   row. check answers exactly what `rcptdb --json check` prints
//   (address_check.h: one function builds both).
// SEE ALSO
//   handlers.h, address_check.h, authenticate.h, sessions.h
#include "address_check.h"
#include "api.h"
#include "authenticate.h"
#include "handlers.h"
#include "record_json.h"
#include "resources.h"
#include "values.h"

namespace rcptdb::web {
namespace {

const char kOpenApi[] =
#include "openapi_json.inc"
    ;

// The session cookie; Max-Age follows the session, Secure under TLS.
std::string SessionCookie(const Call& call, const std::string& value, long max_age) {
  std::string c = std::string(kSessionCookie) + "=" + value +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age);
  if (call.request.tls) c += "; Secure";
  return c;
}

// The 404 of the session endpoints for a request that came with a token.
Problem NoSession() { return NotFound("no session: this request came with a token"); }

Json PrincipalJson(const Principal& p) {
  Json j;
  j["kind"] = p.kind == Principal::Kind::kServerAdmin   ? "server"
              : p.kind == Principal::Kind::kDomainAdmin ? "domain"
                                                        : "mailbox";
  j["login"] = p.login;
  if (p.scope.all())
    j["domains"] = nullptr;
  else
    j["domains"] =
        Json(std::vector<std::string>(p.scope.domains().begin(), p.scope.domains().end()));
  j["read_only"] = p.read_only;
  j["token"] = p.token.empty() ? Json(nullptr) : Json(p.token);
  return j;
}

}  // namespace

std::string_view OpenApiDocument() { return kOpenApi; }

Reply GetOpenApi(Call&) {
  HttpResponse r;
  r.content_type = "application/json";
  r.body = kOpenApi;
  return r;
}

Reply GetCheck(Call& call) {
  const std::string& raw = call.Param("address");
  Object o{Object::Kind::kCheck};
  Result<Address> a = ParseAddress(raw);
  if (a.ok()) o.domain = a->domain;
  if (std::optional<Problem> p = call.Allowed(Action::kRead, o)) return *p;
  AddressCheck check = CheckAddress(call.store, raw);
  if (!check.res.ok()) return ProblemFor(check.res.status());
  HttpResponse r;
  r.content_type = "application/json";
  r.body = AddressCheckJson(check);
  return r;
}

Reply GetMe(Call& call) { return JsonReply(200, PrincipalJson(call.principal)); }

Reply StartSession(Call& call) {
  BodyFields f = call.Fields();
  std::optional<std::string> login = f.String("login");
  std::optional<std::string> password = f.String("password");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  if (!login || login->empty()) return Required("login");
  if (!password) return Required("password");
  std::optional<Principal> who;
  auto right = [&]() -> Result<bool> {
    Result<std::optional<Principal>> p = CheckLogin(call.store, *login, *password);
    if (!p.ok()) return p.status();
    who = std::move(*p);
    return who.has_value();
  };
  if (std::optional<Problem> p = CheckThrottled(call.api.throttle(), *login, call.request.client,
                                                right, AuthenticationFailed()))
    return *p;
  if (who->admin()) {
    Status s = call.store.RecordAdminLogin(who->login, UtcNow());
    if (!s.ok()) return ProblemFor(s);
  }
  Session session;
  Session::Kind kind =
      who->kind == Principal::Kind::kMailbox ? Session::Kind::kMailbox : Session::Kind::kAdmin;
  Result<std::string> id =
      call.api.sessions().Start(kind, who->login, &session, Sessions::Clock::now());
  if (!id.ok()) return ProblemFor(id.status());
  Json j = PrincipalJson(*who);
  j["csrf_token"] = session.csrf;
  long lifetime = static_cast<long>(call.api.config()->session_lifetime.count());
  HttpResponse r = JsonResponse(201, j);
  r.Header("Set-Cookie", SessionCookie(call, *id, lifetime));
  return r;
}

Reply GetSession(Call& call) {
  if (!call.principal.cookie) return NoSession();
  // The page reloaded: it needs its CSRF token again (only a same-origin
  // script can read this answer).
  Json j = PrincipalJson(call.principal);
  j["csrf_token"] = call.csrf;
  return JsonReply(200, j);
}

Reply EndSession(Call& call) {
  if (!call.principal.cookie) return NoSession();
  if (std::optional<std::string_view> id = call.request.Cookie(kSessionCookie))
    call.api.sessions().End(*id);
  HttpResponse r;
  r.status = 204;
  r.Header("Set-Cookie", SessionCookie(call, "", 0));
  return r;
}

Reply RunBatch(Call& call) {
  BodyFields f = call.Fields();
  f.Has("items");
  f.RefuseUnknown();
  if (f.problem()) return *f.problem();
  const Json* items = call.body.contains("items") ? &call.body["items"] : nullptr;
  if (items == nullptr || !items->is_array() || items->empty())
    return Invalid("items: expected a non-empty array of {method, path, body}", "items");
  if (items->size() > kMaxBatchItems)
    return Invalid("items: at most " + std::to_string(kMaxBatchItems) + " in one batch", "items");
  Json results = Json::array();
  for (std::size_t i = 0; i < items->size(); ++i) {
    std::string prefix = "items[" + std::to_string(i) + "]";
    const Json& item = (*items)[i];
    if (!item.is_object()) return Invalid(prefix + ": expected an object", prefix);
    BodyFields fi(item, prefix);
    std::optional<std::string> method = fi.String("method");
    std::optional<std::string> path = fi.String("path");
    std::optional<std::string> if_match = fi.String("if_match");
    Json body = item.contains("body") ? item["body"] : Json::object();
    fi.Has("body");
    fi.RefuseUnknown();
    if (fi.problem()) return *fi.problem();
    if (!method || !path) return Invalid(prefix + ": method and path are required", prefix);
    if (!body.is_object()) return Invalid(prefix + ".body: expected an object", prefix + ".body");
    Reply r =
        call.api.RunItem(call, *method, *path, std::move(body), if_match.value_or(""), prefix);
    if (!r.ok()) {
      // All or nothing: the dispatcher rolls the whole batch back. The
      // answer is this item's refusal, with what the others did.
      Problem p = r.problem();
      if (!p.field.empty() && !p.field.starts_with(prefix)) p.field = prefix + ".body." + p.field;
      p.detail = prefix + ": " + p.detail;
      return BatchRefusal(p, results, i);
    }
    results.push_back(BatchItemResult(r.response()));
  }
  Json out;
  out["dry_run"] = call.dry_run;
  out["results"] = std::move(results);
  return JsonReply(200, out);
}

}  // namespace rcptdb::web
