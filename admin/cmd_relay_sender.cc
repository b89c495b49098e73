// SPDX-License-Identifier: MIT
// NAME
//   cmd_relay_sender - rcptdb relay-recipient and sender commands
// DESCRIPTION
//   Relay recipients are the addresses a backup MX accepts for a relay
//   domain. Sender rules refine who may send as an address
//   (smtpd_sender_login_maps): a mailbox may send as itself and as the
//   aliases that lead to it; "allow" adds a login, "deny" takes one away,
//   "del" removes the rule and the default applies again.
// SEE ALSO
//   commands.h, provision.h, map_answers.h (the senders map), rcptdb(1)
#include "commands.h"
#include "json.h"
#include "output.h"
#include "provision.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

Outcome SetSender(Cli& cli, bool allow) {
  return WriteTransaction(cli, [&cli, allow](Provisioner& p) {
    return p.SetSenderLogin(cli.args[0], cli.args[1], allow);
  });
}

}  // namespace

Outcome RelayRecipientAdd(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) { return p.AddRelayRecipient(cli.args[0]); });
}

Outcome RelayRecipientDel(Cli& cli) {
  return WriteTransaction(cli,
                          [&cli](Provisioner& p) { return p.DeleteRelayRecipient(cli.args[0]); });
}

Outcome RelayRecipientList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::string> domain = ListedDomain(**store, cli);
  if (!domain.ok()) return domain.status();
  Result<std::vector<std::string>> rows = (*store)->ListRelayRecipients(*domain);
  if (!rows.ok()) return rows.status();
  ListPrinter out(cli.json);
  for (const std::string& a : *rows) out.Add(cli.json ? JsonQuote(a) : a);
  out.Finish();
  return Outcome();
}

Outcome SenderAllow(Cli& cli) { return SetSender(cli, true); }
Outcome SenderDeny(Cli& cli) { return SetSender(cli, false); }

Outcome SenderDel(Cli& cli) {
  return WriteTransaction(
      cli, [&cli](Provisioner& p) { return p.DeleteSenderLogin(cli.args[0], cli.args[1]); });
}

Outcome SenderList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::vector<SenderLogin>> rows = (*store)->ListSenderLogins();
  if (!rows.ok()) return rows.status();
  ListPrinter out(cli.json);
  for (const SenderLogin& s : *rows) out.Add(cli.json ? SenderJson(s) : SenderRow(s));
  out.Finish();
  return Outcome();
}

}  // namespace rcptdb::admin
