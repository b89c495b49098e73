// SPDX-License-Identifier: MIT
// NAME
//   adopt_postfixadmin - what a PostfixAdmin database becomes in rcptdb
// DESCRIPTION
//   PostfixAdmin's documented Postfix maps (its DOCUMENTS/POSTFIX_CONF.txt)
//   decide what a row meant:
//     virtual_alias_maps: alias WHERE address='%s' AND active, then the
//       alias-domain forms, then "@domain" (the catch-all) last;
//     virtual_mailbox_maps: mailbox WHERE username='%s' AND active.
//   So a mailbox is found through its self-alias before any catch-all,
//   and a mailbox without one is swallowed by the catch-all; rcptdb's
//   catch-all never shadows a mailbox, so the self-alias carries nothing
//   and is dropped.
//
//   Rows are identified in the report by table and key ("alias
//   info@example.com"), as a database has no lines.
// SEE ALSO
//   adopt_postfixadmin.h, adopt_postfixadmin_db.h, adopt_plan.h
#include "adopt_postfixadmin.h"

#include <map>
#include <set>

#include "address.h"
#include "adopt_map_text.h"
#include "adopt_passwd.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Record MakeRecord(RecordType type, std::vector<std::string> fields) {
  Record r{type, std::move(fields)};
  r.fields.resize(SpecOf(type).fields.size());
  return r;
}

class Planner {
 public:
  explicit Planner(const PostfixAdminSite& site) : site_(site) {}
  AdoptPlan Run();

 private:
  void Refuse(const std::string& where, const std::string& text) {
    plan_.refusals.push_back({where, text});
  }
  void Note(const std::string& where, const std::string& text) {
    plan_.notes.push_back({where, text});
  }
  // A key as Postfix finds it: refused (nullopt) if it is in mixed case on
  // an engine whose '=' compares case.
  bool CaseOk(const std::string& where, const std::string& key);
  bool Flag(const std::string& where, const std::string& text, bool& out);
  void ReadDomains();
  void ReadMailboxes();
  void ReadAliases();
  void ReadAlias(const PostfixAdminSite::Alias& a);
  void Emit();

  const PostfixAdminSite& site_;
  AdoptPlan plan_;
  struct DomainRow {
    bool active = true;
    std::string transport;
    std::string alias_target;
    bool alias_active = true;
    std::string catchall;
    std::size_t locals = 0;
  };
  std::map<std::string, DomainRow> domains_;
  struct MailboxRow {
    std::string password;
    std::int64_t quota = 0;
    bool active = true;
    std::string description;
  };
  std::map<std::string, MailboxRow> mailboxes_;
  std::map<std::string, std::pair<std::vector<std::string>, bool>> aliases_;  // targets, active
};

bool Planner::CaseOk(const std::string& where, const std::string& key) {
  if (site_.keys_fold_case || Lower(key) == key) return true;
  Refuse(where, key +
                    ": mixed case; Postfix looks up lower-cased keys and this database compares "
                    "case, so the row was never found (lower-case it, or delete it, then adopt)");
  return false;
}

bool Planner::Flag(const std::string& where, const std::string& text, bool& out) {
  std::optional<bool> f = ParsePostfixAdminFlag(text);
  if (!f) {
    Refuse(where, "active is " + text + ", neither true nor false");
    return false;
  }
  out = *f;
  return true;
}

void Planner::ReadDomains() {
  for (const PostfixAdminSite::Domain& d : site_.domains) {
    if (d.domain == "ALL") continue;  // PostfixAdmin's placeholder for superadmins
    std::string where = "domain " + d.domain;
    if (!CaseOk(where, d.domain)) continue;
    std::optional<std::string> name = NormalizeDomain(d.domain);
    if (!name) {
      Refuse(where, d.domain + ": not a domain name");
      continue;
    }
    std::optional<bool> backup = ParsePostfixAdminFlag(d.backupmx);
    if (backup.value_or(false)) {
      Refuse(where, *name +
                        ": a backup MX domain; PostfixAdmin's relay_domains map accepts every "
                        "address of it, rcptdb accepts listed relay recipients only (add it "
                        "with rcptdb domain add --kind relay and list them)");
      continue;
    }
    DomainRow row;
    if (!Flag(where, d.active, row.active)) continue;
    std::string t = d.transport;
    if (!site_.transport.empty() && (t.empty() || t == "virtual" || t == "virtual:"))
      t = site_.transport;
    if (!t.empty()) row.transport = TransportValue(t);
    if (Status s = row.transport.empty() ? Status::Ok() : CheckTransport(row.transport); !s.ok()) {
      Refuse(where, *name + ": transport " + s.message());
      continue;
    }
    domains_[*name] = row;
  }
  for (const PostfixAdminSite::AliasDomain& ad : site_.alias_domains) {
    std::string where = "alias_domain " + ad.alias_domain;
    if (!CaseOk(where, ad.alias_domain) || !CaseOk(where, ad.target_domain)) continue;
    std::optional<std::string> name = NormalizeDomain(ad.alias_domain);
    std::optional<std::string> target = NormalizeDomain(ad.target_domain);
    if (!name || !target || !domains_.contains(*name) || !domains_.contains(*target)) {
      Refuse(where, ad.alias_domain + " -> " + ad.target_domain +
                        ": both must be domains of the domain table");
      continue;
    }
    DomainRow& row = domains_[*name];
    if (!Flag(where, ad.active, row.alias_active)) continue;
    row.alias_target = *target;
  }
}

void Planner::ReadMailboxes() {
  for (const PostfixAdminSite::Mailbox& m : site_.mailboxes) {
    std::string where = "mailbox " + m.username;
    if (!CaseOk(where, m.username)) continue;
    std::optional<Address> a = NormalizeAddress(m.username);
    if (!a) {
      Refuse(where, m.username + ": not an address");
      continue;
    }
    auto d = domains_.find(a->domain);
    if (d == domains_.end()) {
      Refuse(where, a->str() + ": its domain is not in the domain table (or was refused)");
      continue;
    }
    MailboxRow row;
    if (!Flag(where, m.active, row.active)) continue;
    Result<std::string> hash = NamedHash(m.password);
    if (!hash.ok()) {
      Refuse(where, a->str() + ": password: " + hash.status().message() +
                        "; Dovecot could not verify it as imported");
      continue;
    }
    row.password = *hash;
    Result<std::int64_t> quota = ParseDovecotSize(m.quota.empty() ? "0" : m.quota);
    if (!m.quota.empty() && m.quota.front() == '-') {
      Note(where, a->str() + ": quota " + m.quota + " read as no limit");
      quota = 0;
    }
    if (!quota.ok()) {
      Refuse(where, a->str() + ": quota " + m.quota + ": " + quota.status().message());
      continue;
    }
    row.quota = *quota;
    if (CheckDescription(m.name).ok())
      row.description = m.name;
    else
      Note(where,
           a->str() + ": name not kept as its description: " + std::string(kDescriptionRule));
    if (!mailboxes_.emplace(a->str(), row).second) {
      Refuse(where, a->str() + ": a second mailbox row of this name");
      continue;
    }
    ++d->second.locals;
  }
}

void Planner::ReadAlias(const PostfixAdminSite::Alias& a) {
  std::string where = "alias " + a.address;
  if (!CaseOk(where, a.address)) return;
  bool active = true;
  if (!Flag(where, a.active, active)) return;
  std::vector<std::string> targets;
  bool self = false;
  std::string source;
  std::string domain;
  bool catchall = a.address.starts_with("@");
  if (catchall) {
    std::optional<std::string> d = NormalizeDomain(a.address.substr(1));
    if (!d) return Refuse(where, a.address + ": not a domain");
    domain = *d;
    source = "@" + domain;
  } else {
    std::optional<Address> s = NormalizeAddress(a.address);
    if (!s) return Refuse(where, a.address + ": not an address");
    source = s->str();
    domain = s->domain;
  }
  auto d = domains_.find(domain);
  if (d == domains_.end())
    return Refuse(where, source + ": its domain is not in the domain table (or was refused)");
  for (const std::string& t : SplitAddressList(a.goto_targets)) {
    if (IsVacationTarget(t)) {
      Note(where, source + ": vacation target " + t +
                      " not copied (set the vacation again in "
                      "Dovecot's sieve)");
      continue;
    }
    std::optional<Address> ta = NormalizeAddress(t);
    if (!ta) return Refuse(where, source + ": target " + t + " is not an address");
    if (ta->str() == source)
      self = true;
    else
      targets.push_back(ta->str());
  }
  if (catchall) {
    if (!active || targets.empty()) return;  // an inactive catch-all catches nothing
    if (targets.size() != 1)
      return Refuse(where, source + ": a catch-all with " + std::to_string(targets.size()) +
                               " targets; rcptdb's catch-all has one (point it at an alias)");
    d->second.catchall = targets[0];
    return;
  }
  if (mailboxes_.contains(source)) {
    if (!targets.empty())
      return Refuse(where,
                    source + ": a mailbox that also forwards" +
                        std::string(self ? " (keeping a copy)" : " (its mailbox gets nothing)") +
                        "; rcptdb's mailboxes do not forward: make it an alias or drop "
                        "the forwarding");
    return;  // the self-alias
  }
  if (self) return Refuse(where, source + ": an alias to itself that is no mailbox");
  if (targets.empty()) return;  // only a vacation target: noted above
  if (!aliases_.emplace(source, std::make_pair(targets, active)).second)
    return Refuse(where, source + ": a second alias row of this name");
  ++d->second.locals;
}

void Planner::ReadAliases() {
  for (const PostfixAdminSite::Alias& a : site_.aliases) ReadAlias(a);
}

void Planner::Emit() {
  std::set<std::string> alias_domains;
  for (const auto& [name, d] : domains_) {
    if (d.alias_target.empty()) continue;
    if (d.locals != 0 || !d.catchall.empty()) {
      Refuse("alias_domain " + name, name +
                                         ": an alias domain with mailboxes, aliases or a "
                                         "catch-all of its own; rcptdb's alias domains have none");
      continue;
    }
    if (!domains_[d.alias_target].alias_target.empty()) {
      Refuse("alias_domain " + name,
             name + ": alias domain of " + d.alias_target + ", itself an alias domain");
      continue;
    }
    alias_domains.insert(name);
  }
  for (const auto& [name, d] : domains_) {
    if (alias_domains.contains(name)) continue;
    plan_.Add(MakeRecord(RecordType::kDomain,
                         {name, "hosted", d.transport, "", d.catchall, d.active ? "1" : "0"}),
              "domain " + name);
  }
  for (const std::string& name : alias_domains) {
    const DomainRow& d = domains_[name];
    plan_.Add(MakeRecord(RecordType::kDomain, {name, "alias", "", d.alias_target, "",
                                               d.active && d.alias_active ? "1" : "0"}),
              "alias_domain " + name);
  }
  for (const auto& [address, m] : mailboxes_)
    plan_.Add(MakeRecord(RecordType::kMailbox, {address, m.password, std::to_string(m.quota), "",
                                                m.active ? "1" : "0", m.description}),
              "mailbox " + address);
  for (const auto& [source, a] : aliases_)
    for (const std::string& t : a.first)
      plan_.Add(MakeRecord(RecordType::kAlias, {source, t, a.second ? "1" : "0"}),
                "alias " + source);
  if (!mailboxes_.empty())
    Note("mailbox",
         "quota is copied in bytes as stored (PostfixAdmin stores MB times its "
         "quota_multiplier, 1024000 by default, 1048576 on some sites)");
}

AdoptPlan Planner::Run() {
  ReadDomains();
  ReadMailboxes();
  ReadAliases();
  Emit();
  return std::move(plan_);
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return Status::Invalid("bad %-escape");
    int h = Hex(s[i + 1]), l = Hex(s[i + 2]);
    if (h < 0 || l < 0) return Status::Invalid("bad %-escape");
    char c = static_cast<char>(h * 16 + l);
    if (c == '\0') return Status::Invalid("a NUL byte");
    out += c;
    i += 2;
  }
  return out;
}

}  // namespace

AdoptPlan PlanFromPostfixAdmin(const PostfixAdminSite& site) { return Planner(site).Run(); }

std::optional<bool> ParsePostfixAdminFlag(std::string_view text) {
  std::string t = Lower(text);
  if (t == "1" || t == "t" || t == "true" || t == "y" || t == "yes") return true;
  if (t == "0" || t == "f" || t == "false" || t == "n" || t == "no" || t.empty()) return false;
  return std::nullopt;
}

bool IsVacationTarget(std::string_view target) {
  std::size_t at = target.rfind('@');
  return at != std::string_view::npos && target.substr(0, at).find('#') != std::string_view::npos;
}

Result<MysqlLocation> ParseMysqlUri(std::string_view uri) {
  std::string_view rest;
  if (uri.starts_with("mysql://"))
    rest = uri.substr(8);
  else if (uri.starts_with("mariadb://"))
    rest = uri.substr(10);
  else
    return Status::Invalid("not a mysql:// or mariadb:// URI");
  MysqlLocation loc;
  std::string_view query;
  if (std::size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return Status::Invalid("no /DATABASE in the URI");
  std::string_view authority = rest.substr(0, slash);
  Result<std::string> db = Unescape(rest.substr(slash + 1));
  if (!db.ok()) return db.status();
  if (db->empty() || db->find('/') != std::string::npos)
    return Status::Invalid("no database name in the URI");
  loc.database = *db;
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view cred = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::size_t colon = cred.find(':');
    Result<std::string> user = Unescape(cred.substr(0, colon));
    if (!user.ok()) return user.status();
    loc.user = *user;
    if (colon != std::string_view::npos) {
      Result<std::string> pw = Unescape(cred.substr(colon + 1));
      if (!pw.ok()) return pw.status();
      loc.password = *pw;
    }
  }
  if (std::size_t colon = authority.rfind(':');
      colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    std::string_view port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
    if (port.empty() || port.size() > 5) return Status::Invalid("bad port in the URI");
    unsigned p = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return Status::Invalid("bad port in the URI");
      p = p * 10 + static_cast<unsigned>(c - '0');
    }
    if (p == 0 || p > 65535) return Status::Invalid("bad port in the URI");
    loc.port = p;
  }
  loc.host = std::string(authority);
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    std::size_t eq = kv.find('=');
    if (eq == std::string_view::npos || kv.substr(0, eq) != "socket")
      return Status::Invalid("unknown URI parameter " + std::string(kv.substr(0, eq)) +
                             " (known: socket)");
    Result<std::string> sock = Unescape(kv.substr(eq + 1));
    if (!sock.ok()) return sock.status();
    loc.socket = *sock;
  }
  return loc;
}

}  // namespace rcptdb::admin
