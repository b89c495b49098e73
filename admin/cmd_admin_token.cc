// SPDX-License-Identifier: MIT
// NAME
//   cmd_admin_token - rcptdb admin, token and audit
// DESCRIPTION
//   The administrators and API tokens of rcptdb-web, and the audit log of
//   every change. Admin passwords are read like mailbox passwords
//   (password_input.h). A token's secret is printed once, by token create;
//   the database keeps only its hash, so a lost token is revoked and made
//   anew. The audit log is read newest first, in pages, without holding
//   it in memory.
// SEE ALSO
//   commands.h, provision.h, api_token.h, rcptdb(1) "admin", "token", "audit"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "password_input.h"
#include "record_json.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

std::string AdminRow(const Admin& a) {
  std::string domains;
  for (const std::string& d : a.domains) domains += (domains.empty() ? "" : ",") + d;
  return a.login + '\t' + AdminRoleName(a.role) + '\t' + (a.active ? "active" : "disabled") + '\t' +
         (domains.empty() ? (a.role == AdminRole::kServer ? "*" : "-") : domains) + '\t' +
         (a.last_login.empty() ? "-" : a.last_login);
}

std::string TokenRow(const Token& t) {
  std::string domains;
  for (const std::string& d : t.domains) domains += (domains.empty() ? "" : ",") + d;
  std::string nets = t.networks;
  for (char& c : nets)
    if (c == ' ') c = ',';
  return t.prefix + '\t' + t.login + '\t' +
         (t.all_domains     ? "*"
          : domains.empty() ? "-"
                            : domains) +
         '\t' + (t.read_only ? "read-only" : "read-write") + '\t' +
         (t.expires.empty() ? "-" : t.expires) + '\t' + (nets.empty() ? "-" : nets);
}

// Reads the password options into a hash ("" for --no-password).
Result<std::string> AdminPassword(const Cli& cli, const std::string& login, bool* usage) {
  if (Outcome o = cli.AtMostOneOf({"password-stdin", "password-hash", "no-password"}); !o.ok()) {
    *usage = true;
    return Status::Invalid(o.message());
  }
  return ObtainPasswordHash(cli, login, usage);
}

Outcome SetAdminActive(Cli& cli, bool active) {
  AdminChange change;
  change.active = active;
  return WriteTransaction(
      cli, [&cli, &change](Provisioner& p) { return p.UpdateAdmin(cli.args[0], change).status(); });
}

}  // namespace

Outcome AdminAdd(Cli& cli) {
  Result<AdminRole> role = ParseRole(cli.Value("role").value_or("domain"));
  if (!role.ok()) return Outcome::Usage("--role " + role.status().message());
  // Refused before a password is asked for; the Provisioner checks it too.
  if (Status s = CheckAdminDomains(*role, cli.Has("domain")); !s.ok())
    return Outcome::Usage("--domain: " + s.message());
  Admin a;
  a.login = cli.args[0];
  a.role = *role;
  a.domains = cli.arguments.Values("domain");
  bool usage = false;
  Result<std::string> hash = AdminPassword(cli, a.login, &usage);
  if (!hash.ok()) return usage ? Outcome::Usage(hash.status().message()) : Outcome(hash.status());
  a.password = *hash;
  return WriteTransaction(cli, [&a](Provisioner& p) { return p.AddAdmin(a); });
}

Outcome AdminDel(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) { return p.DeleteAdmin(cli.args[0]); });
}

Outcome AdminList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::vector<Admin>> all = (*store)->ListAdmins();
  if (!all.ok()) return all.status();
  ListPrinter out(cli.json);
  for (const Admin& a : *all) out.Add(cli.json ? AdminJson(a) : AdminRow(a));
  out.Finish();
  return Outcome();
}

Outcome AdminPasswd(Cli& cli) {
  bool usage = false;
  Result<std::string> hash = AdminPassword(cli, cli.args[0], &usage);
  if (!hash.ok()) return usage ? Outcome::Usage(hash.status().message()) : Outcome(hash.status());
  AdminChange change;
  change.password = *hash;
  return WriteTransaction(
      cli, [&cli, &change](Provisioner& p) { return p.UpdateAdmin(cli.args[0], change).status(); });
}

Outcome AdminEnable(Cli& cli) { return SetAdminActive(cli, true); }
Outcome AdminDisable(Cli& cli) { return SetAdminActive(cli, false); }

Outcome TokenCreate(Cli& cli) {
  TokenRequest r;
  r.login = cli.args[0];
  r.domains = cli.arguments.Values("domain");
  r.read_only = cli.Has("read-only");
  if (std::optional<std::string> days = cli.Value("expires")) {
    Result<std::int64_t> n = ParseTokenDays(*days);
    if (!n.ok()) return Outcome::Usage("--expires " + n.status().message());
    r.expires_days = *n;
  }
  for (const std::string& net : cli.arguments.Values("from"))
    r.networks += (r.networks.empty() ? "" : " ") + net;
  MadeToken made;
  Status s = WriteTransaction(cli, [&r, &made](Provisioner& p) {
    Result<MadeToken> t = p.CreateToken(r);
    if (!t.ok()) return t.status();
    made = std::move(*t);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  // The one time the secret is shown.
  if (cli.json)
    PrintLine(JsonObject().String("prefix", made.prefix).String("token", made.token).str());
  else
    PrintLine(made.token);
  return Outcome();
}

Outcome TokenList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::vector<Token>> all = (*store)->ListTokens(cli.args.empty() ? "" : cli.args[0]);
  if (!all.ok()) return all.status();
  ListPrinter out(cli.json);
  for (const Token& t : *all) out.Add(cli.json ? TokenJson(t) : TokenRow(t));
  out.Finish();
  return Outcome();
}

Outcome TokenRevoke(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) { return p.RevokeToken(cli.args[0]); });
}

Outcome AuditList(Cli& cli) {
  AuditQuery q;
  q.limit = kMaxPageRows;
  if (std::optional<std::string> d = cli.Value("domain")) {
    Result<std::string> name = ParseDomainName(*d);
    if (!name.ok()) return name.status();
    q.domain = *name;
  }
  q.actor = cli.Value("actor").value_or("");
  if (std::optional<std::string> since = cli.Value("since")) {
    Result<std::string> t = ParseUtcTime(*since);
    if (!t.ok()) return t.status();
    q.since = *t;
  }
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  ListPrinter out(cli.json);
  for (;;) {
    Result<std::vector<AuditRecord>> page = (*store)->QueryAudit(q);
    if (!page.ok()) return page.status();
    for (const AuditRecord& r : *page) {
      if (cli.json)
        out.Add(JsonObject()
                    .Int("id", r.id)
                    .String("time", r.time)
                    .String("actor", r.actor)
                    .StringOrNull("client", r.client)
                    .StringOrNull("request_id", r.request_id)
                    .String("kind", r.kind)
                    .String("object", r.object)
                    .StringOrNull("domain", r.domain)
                    .String("action", r.action)
                    .Raw("before", r.before.empty() ? "null" : r.before)
                    .Raw("after", r.after.empty() ? "null" : r.after)
                    .str());
      else
        out.Add(r.time + '\t' + r.actor + '\t' + (r.client.empty() ? "-" : r.client) + '\t' +
                r.action + '\t' + r.kind + '\t' + r.object);
    }
    if (page->size() < static_cast<std::size_t>(q.limit)) break;
    q.before_id = page->back().id;
  }
  out.Finish();
  return Outcome();
}

}  // namespace rcptdb::admin
