// SPDX-License-Identifier: MIT
// NAME
//   api - dispatch: target, route, principal, body, transaction, reply
// DESCRIPTION
//   The steps are in api.h. Two choices worth a word:
//   - The transaction is the dispatcher's, not the handler's: a handler
//     cannot forget to roll back a refusal or a dry run, and a batch runs
//     its items' handlers in one transaction of its own.
//   - Every response carries Cache-Control: no-store (answers are
//     per-principal and may hold secrets) and X-Content-Type-Options:
//     nosniff.
// SEE ALSO
//   api.h, routes.h, authenticate.h, problem.h
#include "api.h"

#include "authenticate.h"
#include "logger.h"
#include "routes.h"
#include "secrets.h"
#include "static_files.h"

namespace rcptdb::web {
namespace {

bool IsSafeMethod(std::string_view m) { return m == "GET" || m == "HEAD"; }

// The 405 of a method the resource does not take; allow lists those it does.
Problem MethodNotAllowed(const std::string& method, std::string allow) {
  Problem p = MakeProblem(405, method + " is not allowed here");
  p.allow = std::move(allow);
  return p;
}

// ?dry_run=1 (or true); anything else but 0/false is a 400.
std::optional<Problem> ReadDryRun(const RequestTarget& t, bool* dry_run) {
  std::optional<std::string> v = t.Query("dry_run");
  *dry_run = false;
  if (!v) return std::nullopt;
  if (*v == "1" || *v == "true") {
    *dry_run = true;
  } else if (*v != "0" && *v != "false") {
    return BadRequest("dry_run: expected 1 or 0", "dry_run");
  }
  return std::nullopt;
}

// Runs the handler of a matched route in call's transaction; refusals
// and dry runs roll back. For a batch the parent holds the transaction.
Reply RunInTransaction(const Route& route, Call& call) {
  Transaction txn(call.store);
  Status begun = route.writes ? txn.Begin() : txn.BeginRead();
  if (!begun.ok()) return ProblemFor(begun);
  Reply reply = route.handler(call);
  if (!reply.ok() || (route.writes && call.dry_run)) return reply;  // rolled back by txn
  Status committed = txn.Commit();
  if (!committed.ok()) return ProblemFor(committed);
  return reply;
}

}  // namespace

const std::string& Call::Param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::optional<Problem> Call::Allowed(Action action, const Object& object, Problem missing) const {
  switch (Authorize(principal, action, object)) {
    case Decision::kAllow:
      return std::nullopt;
    case Decision::kForbidden:
      return Forbidden(principal.read_only && action != Action::kRead
                           ? "this token is read-only"
                           : std::string("a ") + (principal.admin() ? "domain admin" : "mailbox") +
                                 " may not " + ActionName(action) + " this " +
                                 ObjectKindName(object.kind));
    case Decision::kNotFound:
      break;
  }
  return missing;
}

Api::Api(const WebConfig& config)
    : config_(std::make_shared<const WebConfig>(config)),
      pool_(config.database, config.busy_timeout_ms, std::max(4u, config.threads)),
      sessions_(config.session_lifetime),
      throttle_(config.login_limit, config.login_window) {}

void Api::Configure(const WebConfig& config) {
  {
    std::lock_guard<std::mutex> lock(config_mutex_);
    config_ = std::make_shared<const WebConfig>(config);
  }
  pool_.Configure(config.database, config.busy_timeout_ms);
  sessions_.Configure(config.session_lifetime);
  throttle_.Configure(config.login_limit, config.login_window);
}

std::shared_ptr<const WebConfig> Api::config() const {
  std::lock_guard<std::mutex> lock(config_mutex_);
  return config_;
}

std::size_t Api::MaxBodySize() const { return config()->max_body_size; }

bool Api::IsTrustedProxy(const sockaddr* peer) const {
  return config()->trusted_proxies.networks.Contains(peer);
}

std::string Api::ClientOf(const sockaddr* peer, std::string_view forwarded_for) const {
  return ClientAddress(peer, forwarded_for, config()->trusted_proxies);
}

bool Api::ForwardedHttps(const sockaddr* peer, std::string_view proto) const {
  std::shared_ptr<const WebConfig> c = config();
  bool trusted =
      peer == nullptr ? c->trusted_proxies.unix_peers : c->trusted_proxies.networks.Contains(peer);
  return trusted && proto == "https";
}

HttpResponse Api::Handle(HttpRequest& request) {
  std::string note;
  HttpResponse r = Dispatch(request, &note).Take();
  // The page's files set their own policy; everything else is data.
  bool page = false;
  for (const auto& [name, value] : r.headers) page = page || name == "Content-Security-Policy";
  if (!page) {
    r.Header("Content-Security-Policy", kApiPolicy);
    r.Header("Referrer-Policy", "no-referrer");
    r.Header("Cache-Control", "no-store");
  }
  r.Header("X-Content-Type-Options", "nosniff");
  if (r.status >= 500 || config()->verbose || !note.empty())
    LogInfo("{} {} {} {} -> {}{}{}", request.request_id, Printable(request.client, 64),
            Printable(request.method, 16), Printable(request.target, 200), r.status,
            note.empty() ? "" : ": ", note);
  return r;
}

Reply Api::Dispatch(HttpRequest& request, std::string* log_note) {
  Result<RequestTarget> target = ParseRequestTarget(request.target);
  if (!target.ok()) return BadRequest(target.status().message());
  // The page's files (issue 23): anything outside /api/.
  if (target->segments.empty() || target->segments[0] != "api") {
    if (!IsSafeMethod(request.method)) {
      return MethodNotAllowed(request.method, "GET");
    }
    if (std::optional<Reply> r = ServeStatic(config()->static_dir, target->segments)) return *r;
    return NotFound();
  }
  RouteMatch match = MatchRoute(request.method, target->segments);
  if (match.route == nullptr) {
    if (!match.path_known) return NotFound();
    return MethodNotAllowed(request.method, match.allow);
  }
  const Route& route = *match.route;
  bool dry_run = false;
  if (std::optional<Problem> p = ReadDryRun(*target, &dry_run)) return *p;

  Result<StorePool::Lease> lease = pool_.Borrow();
  if (!lease.ok()) {
    *log_note = lease.status().message();
    return ProblemFor(lease.status());
  }
  Store& store = **lease;
  Call call(*this, request, request.method, std::move(*target), std::move(match.params), store);
  call.dry_run = dry_run;
  if (std::optional<std::string_view> m = request.Header("if-match")) call.if_match = *m;

  if (route.access == Route::Access::kPrincipal) {
    Authentication auth = Authenticate(*this, store, request);
    *log_note = auth.log_note;
    if (auth.problem) {
      if (auth.problem->status == 503) lease->Discard();
      return *auth.problem;
    }
    if (auth.principal.kind == Principal::Kind::kNone) return AuthenticationFailed();
    // A cookie rides along with any request the browser sends, also one
    // another site made it send: a state change needs the page's token.
    if (auth.principal.cookie && !IsSafeMethod(request.method)) {
      std::optional<std::string_view> sent = request.Header(kCsrfHeader);
      if (!sent || !ConstantTimeEqual(*sent, auth.csrf))
        return Forbidden("a state-changing request with the session cookie needs the " +
                         std::string("X-CSRF-Token header of that session"));
    }
    call.principal = std::move(auth.principal);
    call.csrf = std::move(auth.csrf);
  }
  if (!IsSafeMethod(request.method)) {
    Result<Json> body = ParseJsonObject(request.body);
    if (!body.ok()) return BadRequest(body.status().message());
    call.body = std::move(*body);
  }
  Reply reply = RunInTransaction(route, call);
  if (!reply.ok() && reply.problem().status == 503) lease->Discard();
  return reply;
}

Reply Api::RunItem(Call& parent, const std::string& method, const std::string& path, Json body,
                   const std::string& if_match, const std::string& prefix) {
  Result<RequestTarget> target = ParseRequestTarget(path);
  if (!target.ok()) return BadRequest(target.status().message(), prefix + ".path");
  RouteMatch match = MatchRoute(method, target->segments);
  if (match.route == nullptr) {
    if (!match.path_known) return NotFound();
    Problem p = MethodNotAllowed(method, match.allow);
    p.field = prefix + ".method";
    return p;
  }
  if (!match.route->batchable)
    return Invalid(method + " " + path + " cannot be an item of a batch", prefix + ".path");
  if (!target->query.empty())
    return Invalid("an item's path takes no query: the batch's dry_run applies to all",
                   prefix + ".path");
  Call call(*this, parent.request, method, std::move(*target), std::move(match.params),
            parent.store);
  call.principal = parent.principal;
  call.body = std::move(body);
  call.dry_run = parent.dry_run;
  call.if_match = if_match;
  call.field_prefix = prefix + ".body";
  return match.route->handler(call);
}

}  // namespace rcptdb::web
