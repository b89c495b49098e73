// SPDX-License-Identifier: MIT
// NAME
//   authenticate - Bearer tokens, session cookies and logins
// DESCRIPTION
//   The checks themselves are the provisioning library's
//   (AuthenticateToken, AuthenticateAdmin: api_token.h), the same the CLI
//   would make; this file adds what only HTTP has: the Authorization
//   header, the cookie, the client's address for a token's networks, the
//   throttle, and one reply for every failure.
// SEE ALSO
//   authenticate.h, api_token.h, sessions.h, login_throttle.h
#include "authenticate.h"

#include <cctype>

#include "api.h"
#include "api_token.h"
#include "client_address.h"
#include "password.h"
#include "record_json.h"
#include "values.h"

namespace rcptdb::web {
namespace {

Principal AdminPrincipal(const Admin& a) {
  Principal p;
  p.login = a.login;
  if (a.role == AdminRole::kServer) {
    p.kind = Principal::Kind::kServerAdmin;
    p.scope = Scope::All();
  } else {
    p.kind = Principal::Kind::kDomainAdmin;
    p.scope = Scope::Of(std::set<std::string, std::less<>>(a.domains.begin(), a.domains.end()));
  }
  return p;
}

Principal MailboxPrincipal(const Mailbox& m) {
  Principal p;
  p.kind = Principal::Kind::kMailbox;
  p.login = m.address;
  p.scope = Scope::Of({m.address.substr(m.address.rfind('@') + 1)});
  return p;
}

// A hash of nothing anyone knows, verified for an unknown mailbox so that
// its reply takes as long as a wrong password's.
const std::string& DummyMailboxHash() {
  static const std::string hash = [] {
    Result<std::string> h = HashPassword("rcptdb-web: no such mailbox");
    return h.ok() ? *h : std::string();
  }();
  return hash;
}

bool IsBearer(std::string_view header, std::string_view* token) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  std::string_view t = header.substr(kScheme.size());
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  *token = t;
  return !t.empty();
}

}  // namespace

Problem AuthenticationFailed() {
  Problem p;
  p.status = 401;
  p.detail = "authentication failed";
  return p;
}

Problem Throttled(std::chrono::seconds wait) {
  return MakeProblem(429,
                     "too many failed logins; try again in " + std::to_string(wait.count()) + " s",
                     static_cast<int>(wait.count()));
}

std::optional<Problem> CheckThrottled(LoginThrottle& throttle, std::string_view login,
                                      std::string_view client,
                                      const std::function<Result<bool>()>& right, Problem wrong) {
  auto now = LoginThrottle::Clock::now();
  std::chrono::seconds wait = throttle.Wait(login, client, now);
  if (wait.count() > 0) return Throttled(wait);
  Result<bool> r = right();
  if (!r.ok()) return ProblemFor(r.status());
  if (*r) return std::nullopt;
  throttle.Failure(login, client, now);
  return wrong;
}

Authentication Authenticate(Api& api, Store& store, const HttpRequest& request) {
  Authentication a;
  LoginThrottle& throttle = api.throttle();
  auto now = LoginThrottle::Clock::now();
  std::optional<std::string_view> header = request.Header("authorization");
  std::optional<std::string_view> cookie = request.Cookie(kSessionCookie);
  if (!header && !cookie) return a;
  // Neither kind of secret is checked for a client the throttle holds.
  std::chrono::seconds wait = throttle.Wait("", request.client, now);
  if (wait.count() > 0) {
    a.problem = Throttled(wait);
    a.log_note = "throttled";
    return a;
  }
  auto fail = [&](std::string why) {
    throttle.Failure("", request.client, now);
    a.problem = AuthenticationFailed();
    a.log_note = std::move(why);
    return a;
  };
  if (header) {
    std::string_view token;
    if (!IsBearer(*header, &token)) return fail("Authorization is not a Bearer token");
    // A client that is no address ("unix": a socket peer no proxy vouched
    // for) is a unix sockaddr, in no network: a token limited to networks
    // is refused there, never let through unchecked.
    sockaddr_storage client;
    ToSockaddr(request.client, client);
    std::string why;
    Result<TokenGrant> g =
        AuthenticateToken(store, token, UtcNow(), reinterpret_cast<const sockaddr*>(&client), &why);
    if (!g.ok()) {
      if (g.status().temporary()) {
        a.problem = ProblemFor(g.status());
        a.log_note = g.status().message();
        return a;
      }
      return fail(why);
    }
    Principal p;
    p.kind = g->owner_role == AdminRole::kServer ? Principal::Kind::kServerAdmin
                                                 : Principal::Kind::kDomainAdmin;
    p.login = g->token.login;
    p.scope =
        g->every_domain
            ? Scope::All()
            : Scope::Of(std::set<std::string, std::less<>>(g->domains.begin(), g->domains.end()));
    p.read_only = g->token.read_only;
    p.token = g->token.prefix;
    a.principal = std::move(p);
    return a;
  }
  std::optional<Session> session = api.sessions().Find(*cookie, Sessions::Clock::now());
  if (!session) return fail("unknown or expired session");
  Result<std::optional<Principal>> p = PrincipalOfSession(store, *session);
  if (!p.ok()) {
    a.problem = ProblemFor(p.status());
    a.log_note = p.status().message();
    return a;
  }
  if (!*p) return fail("session of " + session->login + ", who may no longer sign in");
  a.principal = std::move(**p);
  a.principal.cookie = true;
  a.csrf = session->csrf;
  return a;
}

Result<std::optional<Principal>> CheckLogin(Store& store, std::string_view login,
                                            std::string_view password) {
  Result<Admin> admin = AuthenticateAdmin(store, login, password, nullptr);
  if (admin.ok()) return std::optional<Principal>(AdminPrincipal(*admin));
  if (admin.status().temporary()) return admin.status();
  // Not an administrator's: a mailbox owner's, if login is an address.
  std::optional<Mailbox> m;
  if (Result<Address> a = ParseAddress(login); a.ok()) {
    Result<std::optional<Mailbox>> found = store.FindMailbox(a->str());
    if (!found.ok()) return found.status();
    m = *found;
  }
  const std::string& hash = m && !m->password.empty() ? m->password : DummyMailboxHash();
  bool right = VerifyPassword(password, hash) && m && !m->password.empty() && m->active;
  if (!right) return std::optional<Principal>();
  return std::optional<Principal>(MailboxPrincipal(*m));
}

Result<std::optional<Principal>> PrincipalOfSession(Store& store, const Session& session) {
  if (session.kind == Session::Kind::kAdmin) {
    Result<std::optional<Admin>> a = store.FindAdmin(session.login);
    if (!a.ok()) return a.status();
    if (!*a || !(*a)->active) return std::optional<Principal>();
    return std::optional<Principal>(AdminPrincipal(**a));
  }
  Result<std::optional<Mailbox>> m = store.FindMailbox(session.login);
  if (!m.ok()) return m.status();
  if (!*m || !(*m)->active || (*m)->password.empty()) return std::optional<Principal>();
  return std::optional<Principal>(MailboxPrincipal(**m));
}

}  // namespace rcptdb::web
