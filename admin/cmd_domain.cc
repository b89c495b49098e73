// SPDX-License-Identifier: MIT
// NAME
//   cmd_domain - rcptdb domain add, del, show, enable, disable, list, set
// DESCRIPTION
//   Domains are what Postfix's relay_domains map answers, so every change
//   here decides what this host accepts mail for. Deleting a domain that
//   still holds mailboxes, aliases or relay recipients would delete them
//   with it (the schema cascades); rcptdb refuses unless --force says so.
// SEE ALSO
//   commands.h, provision.h, rcptdb(1) "domain"
#include "commands.h"
#include "output.h"
#include "provision.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

// Returns the existing domain named raw, or NotFound naming it.
Result<Domain> LoadDomain(Store& store, std::string_view raw) {
  Result<std::string> name = ParseDomainName(raw);
  if (!name.ok()) return name.status();
  Result<std::optional<Domain>> d = store.FindDomain(*name);
  if (!d.ok()) return d.status();
  if (!*d) return Status::NotFound(*name + ": no such domain");
  return **d;
}

// Returns the transport that --transport or --nexthop ask for, "" if none.
Result<std::string> TransportOption(const Cli& cli) {
  if (std::optional<std::string> nexthop = cli.Value("nexthop")) {
    if (nexthop->empty()) return Status::Invalid("--nexthop needs a host");
    return "smtp:" + *nexthop;
  }
  return cli.Value("transport").value_or("");
}

// Returns the alias domains whose target is name.
Result<std::vector<std::string>> AliasDomainsOf(Store& store, const std::string& name) {
  Result<std::vector<Domain>> all = store.ListDomains();
  if (!all.ok()) return all.status();
  std::vector<std::string> out;
  for (const Domain& d : *all)
    if (d.kind == DomainKind::kAlias && d.target == name) out.push_back(d.name);
  return out;
}

// Sets the active flag of a domain.
Outcome SetDomainActive(Cli& cli, bool active) {
  DomainChange change;
  change.active = active;
  return WriteTransaction(cli, [&cli, &change](Provisioner& p) {
    return p.UpdateDomain(cli.args[0], change).status();
  });
}

}  // namespace

Outcome DomainAdd(Cli& cli) {
  if (Outcome o = cli.AtMostOneOf({"transport", "nexthop"}); !o.ok()) return o;
  Result<DomainKind> kind = ParseKind(cli.Value("kind").value_or("hosted"));
  if (!kind.ok()) return Outcome::Usage("--kind " + kind.status().message());
  bool alias = *kind == DomainKind::kAlias;
  if (alias && !cli.Has("target")) return Outcome::Usage("an alias domain needs --target DOMAIN");
  if (!alias && cli.Has("target")) return Outcome::Usage("--target applies to --kind alias only");
  if (alias && (cli.Has("transport") || cli.Has("nexthop")))
    return Outcome::Usage(
        "an alias domain takes no --transport or --nexthop "
        "(its mail follows the target domain)");
  Result<std::string> transport = TransportOption(cli);
  if (!transport.ok()) return Outcome::Usage(transport.status().message());
  Domain d;
  d.name = cli.args[0];
  d.kind = *kind;
  d.transport = *transport;
  d.target = cli.Value("target").value_or("");
  return WriteTransaction(cli, [&d](Provisioner& p) { return p.AddDomain(d); });
}

Outcome DomainDel(Cli& cli) {
  bool force = cli.Has("force");
  return WriteTransaction(
      cli, [&cli, force](Provisioner& p) { return p.DeleteDomain(cli.args[0], force); });
}

Outcome DomainShow(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<Domain> d = LoadDomain(**store, cli.args[0]);
  if (!d.ok()) return d.status();
  Result<std::vector<std::string>> aliases = AliasDomainsOf(**store, d->name);
  if (!aliases.ok()) return aliases.status();
  if (cli.json) {
    PrintLine(DomainJson(*d));
    return Outcome();
  }
  std::string alias_list;
  for (const std::string& a : *aliases) alias_list += (alias_list.empty() ? "" : " ") + a;
  PrintFields({{"name", d->name},
               {"kind", DomainKindName(d->kind)},
               {"state", d->active ? "active" : "disabled"},
               {"transport", d->transport.empty() ? "-" : d->transport},
               {"target", d->target.empty() ? "-" : d->target},
               {"catch-all", d->catchall.empty() ? "-" : d->catchall},
               {"alias-domains", alias_list.empty() ? "-" : alias_list}});
  return Outcome();
}

Outcome DomainEnable(Cli& cli) { return SetDomainActive(cli, true); }
Outcome DomainDisable(Cli& cli) { return SetDomainActive(cli, false); }

Outcome DomainList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::vector<Domain>> all = (*store)->ListDomains();
  if (!all.ok()) return all.status();
  ListPrinter out(cli.json);
  for (const Domain& d : *all) out.Add(cli.json ? DomainJson(d) : DomainRow(d));
  out.Finish();
  return Outcome();
}

Outcome DomainSet(Cli& cli) {
  if (Outcome o = cli.AtMostOneOf({"transport", "nexthop", "no-transport"}); !o.ok()) return o;
  if (!cli.Has("transport") && !cli.Has("nexthop") && !cli.Has("no-transport"))
    return Outcome::Usage("nothing to set: give --transport, --nexthop or --no-transport");
  Result<std::string> transport = TransportOption(cli);
  if (!transport.ok()) return Outcome::Usage(transport.status().message());
  DomainChange change;
  change.transport = *transport;
  return WriteTransaction(cli, [&cli, &change](Provisioner& p) {
    return p.UpdateDomain(cli.args[0], change).status();
  });
}

}  // namespace rcptdb::admin
