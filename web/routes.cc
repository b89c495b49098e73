// SPDX-License-Identifier: MIT
// NAME
//   routes - the route table of /api/v1, and the matcher
// DESCRIPTION
//   Columns: method, pattern, handler, access (public or principal),
//   writes (a write transaction, ?dry_run, CSRF for cookies), batchable.
//   Patterns are compared segment by segment after decoding, so a name
//   holding "/" (encoded as %2F) is still one segment.
// SEE ALSO
//   routes.h, handlers.h, openapi.json
#include "routes.h"

#include "handlers.h"

namespace rcptdb::web {
namespace {

using A = Route::Access;

constexpr Route kRoutes[] = {
    // method, pattern, handler, access, writes, batchable
    {"GET", "/api/v1/openapi.json", GetOpenApi, A::kPublic, false, false},
    {"POST", "/api/v1/session", StartSession, A::kPublic, true, false},
    {"GET", "/api/v1/session", GetSession, A::kPrincipal, false, false},
    {"DELETE", "/api/v1/session", EndSession, A::kPrincipal, true, false},
    {"GET", "/api/v1/me", GetMe, A::kPrincipal, false, false},
    {"POST", "/api/v1/me/password", ChangeMyPassword, A::kPrincipal, true, false},
    {"GET", "/api/v1/check/{address}", GetCheck, A::kPrincipal, false, false},
    {"GET", "/api/v1/domains", ListDomains, A::kPrincipal, false, false},
    {"POST", "/api/v1/domains", CreateDomain, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}", GetDomain, A::kPrincipal, false, false},
    {"PATCH", "/api/v1/domains/{domain}", UpdateDomain, A::kPrincipal, true, true},
    {"DELETE", "/api/v1/domains/{domain}", DeleteDomain, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/mailboxes", ListMailboxes, A::kPrincipal, false, false},
    {"POST", "/api/v1/domains/{domain}/mailboxes", CreateMailbox, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/mailboxes/{local}", GetMailbox, A::kPrincipal, false, false},
    {"PATCH", "/api/v1/domains/{domain}/mailboxes/{local}", UpdateMailbox, A::kPrincipal, true,
     true},
    {"DELETE", "/api/v1/domains/{domain}/mailboxes/{local}", DeleteMailbox, A::kPrincipal, true,
     true},
    {"GET", "/api/v1/domains/{domain}/aliases", ListAliases, A::kPrincipal, false, false},
    {"POST", "/api/v1/domains/{domain}/aliases", CreateAlias, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/aliases/{local}", GetAlias, A::kPrincipal, false, false},
    {"PATCH", "/api/v1/domains/{domain}/aliases/{local}", UpdateAlias, A::kPrincipal, true, true},
    {"DELETE", "/api/v1/domains/{domain}/aliases/{local}", DeleteAlias, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/catchall", GetCatchall, A::kPrincipal, false, false},
    {"PUT", "/api/v1/domains/{domain}/catchall", SetCatchall, A::kPrincipal, true, true},
    {"DELETE", "/api/v1/domains/{domain}/catchall", DeleteCatchall, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/relay-recipients", ListRelayRecipients, A::kPrincipal, false,
     false},
    {"POST", "/api/v1/domains/{domain}/relay-recipients", CreateRelayRecipient, A::kPrincipal, true,
     true},
    {"GET", "/api/v1/domains/{domain}/relay-recipients/{local}", GetRelayRecipient, A::kPrincipal,
     false, false},
    {"DELETE", "/api/v1/domains/{domain}/relay-recipients/{local}", DeleteRelayRecipient,
     A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/senders", ListSenders, A::kPrincipal, false, false},
    {"POST", "/api/v1/domains/{domain}/senders", CreateSender, A::kPrincipal, true, true},
    {"GET", "/api/v1/domains/{domain}/senders/{local}/{login}", GetSender, A::kPrincipal, false,
     false},
    {"DELETE", "/api/v1/domains/{domain}/senders/{local}/{login}", DeleteSender, A::kPrincipal,
     true, true},
    {"GET", "/api/v1/settings", GetSettings, A::kPrincipal, false, false},
    {"PATCH", "/api/v1/settings", UpdateSettings, A::kPrincipal, true, true},
    {"GET", "/api/v1/admins", ListAdmins, A::kPrincipal, false, false},
    {"POST", "/api/v1/admins", CreateAdmin, A::kPrincipal, true, true},
    {"GET", "/api/v1/admins/{login}", GetAdmin, A::kPrincipal, false, false},
    {"PATCH", "/api/v1/admins/{login}", UpdateAdmin, A::kPrincipal, true, true},
    {"DELETE", "/api/v1/admins/{login}", DeleteAdmin, A::kPrincipal, true, true},
    {"GET", "/api/v1/tokens", ListTokens, A::kPrincipal, false, false},
    {"POST", "/api/v1/tokens", CreateToken, A::kPrincipal, true, true},
    {"GET", "/api/v1/tokens/{prefix}", GetToken, A::kPrincipal, false, false},
    {"DELETE", "/api/v1/tokens/{prefix}", RevokeToken, A::kPrincipal, true, true},
    {"GET", "/api/v1/audit", ListAudit, A::kPrincipal, false, false},
    {"POST", "/api/v1/batch", RunBatch, A::kPrincipal, true, false},
};

// Splits a pattern into its segments.
std::vector<std::string_view> PatternSegments(std::string_view pattern) {
  std::vector<std::string_view> out;
  std::size_t i = 1;
  while (i <= pattern.size()) {
    std::size_t slash = pattern.find('/', i);
    if (slash == std::string_view::npos) slash = pattern.size();
    out.push_back(pattern.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

// Returns true iff segments fit pattern; fills params.
bool Fits(std::string_view pattern, const std::vector<std::string>& segments,
          std::map<std::string, std::string, std::less<>>& params) {
  std::vector<std::string_view> parts = PatternSegments(pattern);
  if (parts.size() != segments.size()) return false;
  std::map<std::string, std::string, std::less<>> found;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string_view p = parts[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}')
      found.emplace(std::string(p.substr(1, p.size() - 2)), segments[i]);
    else if (p != segments[i])
      return false;
  }
  params = std::move(found);
  return true;
}

}  // namespace

std::span<const Route> Routes() { return kRoutes; }

RouteMatch MatchRoute(std::string_view method, const std::vector<std::string>& segments) {
  RouteMatch m;
  std::string_view wanted = method == "HEAD" ? "GET" : method;
  for (const Route& r : kRoutes) {
    std::map<std::string, std::string, std::less<>> params;
    if (!Fits(r.pattern, segments, params)) continue;
    m.path_known = true;
    m.allow += (m.allow.empty() ? "" : ", ") + std::string(r.method);
    if (r.method == wanted && m.route == nullptr) {
      m.route = &r;
      m.params = std::move(params);
    }
  }
  return m;
}

}  // namespace rcptdb::web
