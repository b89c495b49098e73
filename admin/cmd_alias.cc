// SPDX-License-Identifier: MIT
// NAME
//   cmd_alias - rcptdb alias add, del, list, enable, disable; catchall
// DESCRIPTION
//   Aliases and catch-alls forward mail, so they are where loops come
//   from. Every write that adds a forwarding step is followed, inside the
//   same transaction, by a walk from the new target (alias_walk.h); a step
//   that leads back is refused and the transaction rolled back.
// SEE ALSO
//   commands.h, provision.h, alias_walk.h, rcptdb(1) "alias", "catchall"
#include "commands.h"
#include "output.h"
#include "provision.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

Outcome SetAliasActive(Cli& cli, bool active) {
  return WriteTransaction(
      cli, [&cli, active](Provisioner& p) { return p.SetAliasActive(cli.args[0], active); });
}

}  // namespace

Outcome AliasAdd(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) {
    std::vector<LoopEdge> edges;
    for (std::size_t i = 1; i < cli.args.size(); ++i) {
      Result<LoopEdge> edge = p.AddAliasTarget(cli.args[0], cli.args[i], std::nullopt);
      if (!edge.ok()) return edge.status();
      edges.push_back(std::move(*edge));
    }
    for (const LoopEdge& e : edges) {
      Status s = p.CheckForwarding(e);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  });
}

Outcome AliasDel(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) {
    return p.DeleteAlias(cli.args[0], cli.args.size() > 1 ? cli.args[1] : "");
  });
}

Outcome AliasList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::string> domain = ListedDomain(**store, cli);
  if (!domain.ok()) return domain.status();
  Result<std::vector<AliasTarget>> rows = (*store)->ListAliases(*domain);
  if (!rows.ok()) return rows.status();
  ListPrinter out(cli.json);
  for (const AliasTarget& a : *rows) out.Add(cli.json ? AliasJson(a) : AliasRow(a));
  out.Finish();
  return Outcome();
}

Outcome AliasEnable(Cli& cli) { return SetAliasActive(cli, true); }
Outcome AliasDisable(Cli& cli) { return SetAliasActive(cli, false); }

Outcome CatchallSet(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) {
    Result<std::optional<LoopEdge>> edge = p.SetCatchall(cli.args[0], cli.args[1]);
    if (!edge.ok()) return edge.status();
    return *edge ? p.CheckForwarding(**edge) : Status::Ok();
  });
}

Outcome CatchallUnset(Cli& cli) {
  return WriteTransaction(
      cli, [&cli](Provisioner& p) { return p.SetCatchall(cli.args[0], "").status(); });
}

}  // namespace rcptdb::admin
