// SPDX-License-Identifier: MIT
// NAME
//   cmd_mailbox - rcptdb mailbox add, del, show, list, enable, disable,
//   passwd, quota, set
// DESCRIPTION
//   A mailbox is one Dovecot user and one accepted recipient. Commands
//   that ask for a password check everything else first, so that a typo
//   in the address does not cost the admin a prompt, and hold no write
//   lock while a person types.
// SEE ALSO
//   commands.h, provision.h, password_input.h, rcptdb(1) "mailbox"
#include "commands.h"
#include "json.h"
#include "output.h"
#include "password_input.h"
#include "provision.h"
#include "store_words.h"
#include "values.h"

namespace rcptdb::admin {
namespace {

// Returns the existing mailbox named raw, or NotFound naming it.
Result<Mailbox> LoadMailbox(Store& store, std::string_view raw) {
  Result<Address> a = ParseAddress(raw);
  if (!a.ok()) return a.status();
  Result<std::optional<Mailbox>> m = store.FindMailbox(a->str());
  if (!m.ok()) return m.status();
  if (!*m) return Status::NotFound(a->str() + ": no such mailbox");
  return **m;
}

// Changes the mailbox named by the first argument, in one transaction.
Outcome EditMailbox(Cli& cli, const MailboxChange& change) {
  return WriteTransaction(cli, [&cli, &change](Provisioner& p) {
    return p.UpdateMailbox(cli.args[0], change).status();
  });
}

// Reads the password options into a hash ("" for --no-password).
Result<std::string> PasswordFromOptions(const Cli& cli, const std::string& address, bool* usage) {
  if (Outcome o = cli.AtMostOneOf({"password-stdin", "password-hash", "no-password"}); !o.ok()) {
    *usage = true;
    return Status::Invalid(o.message());
  }
  return ObtainPasswordHash(cli, address, usage);
}

Outcome PasswordFailure(const Result<std::string>& hash, bool usage) {
  return usage ? Outcome::Usage(hash.status().message()) : Outcome(hash.status());
}

}  // namespace

Outcome MailboxAdd(Cli& cli) {
  if (Outcome o = cli.AtMostOneOf({"password-stdin", "password-hash", "no-password"}); !o.ok())
    return o;
  Mailbox m;
  m.address = cli.args[0];
  if (std::optional<std::string> quota = cli.Value("quota")) {
    Result<std::int64_t> bytes = ParseQuota(*quota);
    if (!bytes.ok()) return bytes.status();
    m.quota = *bytes;
  }
  m.transport = cli.Value("transport").value_or("");
  m.description = cli.Value("description").value_or("");
  {
    Result<std::unique_ptr<Store>> store = OpenForReading(cli);
    if (!store.ok()) return store.status();
    Status s = Provisioner(**store, Actor::ForUnixUser()).CheckNewMailbox(m);
    if (!s.ok()) return s;
  }
  bool usage = false;
  Result<std::string> hash = PasswordFromOptions(cli, m.address, &usage);
  if (!hash.ok()) return PasswordFailure(hash, usage);
  m.password = *hash;
  return WriteTransaction(cli, [&m](Provisioner& p) { return p.AddMailbox(m); });
}

Outcome MailboxDel(Cli& cli) {
  return WriteTransaction(cli, [&cli](Provisioner& p) { return p.DeleteMailbox(cli.args[0]); });
}

Outcome MailboxShow(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<Mailbox> m = LoadMailbox(**store, cli.args[0]);
  if (!m.ok()) return m.status();
  Result<std::vector<std::string>> aliases = (*store)->FindAliasSourcesFor(m->address);
  if (!aliases.ok()) return aliases.status();
  std::string scheme = PasswordScheme(m->password);
  if (cli.json) {
    PrintLine(JsonObject()
                  .String("address", m->address)
                  .Bool("active", m->active)
                  .StringOrNull("password_scheme", scheme)
                  .Int("quota", m->quota)
                  .StringOrNull("transport", m->transport)
                  .String("description", m->description)
                  .Raw("aliases", JsonStringArray(*aliases))
                  .str());
    return Outcome();
  }
  std::string alias_list;
  for (const std::string& a : *aliases) alias_list += (alias_list.empty() ? "" : " ") + a;
  PrintFields(
      {{"address", m->address},
       {"state", m->active ? "active" : "disabled"},
       {"password", scheme.empty() ? "none" : "{" + scheme + "}"},
       {"quota", m->quota == 0 ? "0 (no limit)"
                               : std::to_string(m->quota) + " (" + FormatQuota(m->quota) + ")"},
       {"transport", m->transport.empty() ? "- (the domain's)" : m->transport},
       {"description", m->description.empty() ? "-" : m->description},
       {"aliases", alias_list.empty() ? "-" : alias_list}});
  return Outcome();
}

Outcome MailboxList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::string> domain = ListedDomain(**store, cli);
  if (!domain.ok()) return domain.status();
  ListPrinter out(cli.json);
  Status s = (*store)->ForEachMailbox(*domain, [&out](const Mailbox& m) {
    out.Add(out.json() ? MailboxJson(m) : MailboxRow(m));
    return true;
  });
  if (!s.ok()) return s;
  out.Finish();
  return Outcome();
}

Outcome MailboxEnable(Cli& cli) {
  MailboxChange change;
  change.active = true;
  return EditMailbox(cli, change);
}

Outcome MailboxDisable(Cli& cli) {
  MailboxChange change;
  change.active = false;
  return EditMailbox(cli, change);
}

Outcome MailboxPasswd(Cli& cli) {
  std::string address;
  {
    Result<std::unique_ptr<Store>> store = OpenForReading(cli);
    if (!store.ok()) return store.status();
    Result<Mailbox> m = LoadMailbox(**store, cli.args[0]);
    if (!m.ok()) return m.status();
    address = m->address;
  }
  bool usage = false;
  Result<std::string> hash = PasswordFromOptions(cli, address, &usage);
  if (!hash.ok()) return PasswordFailure(hash, usage);
  MailboxChange change;
  change.password = *hash;
  return EditMailbox(cli, change);
}

Outcome MailboxQuota(Cli& cli) {
  Result<std::int64_t> bytes = ParseQuota(cli.args[1]);
  if (!bytes.ok()) return bytes.status();
  MailboxChange change;
  change.quota = *bytes;
  return EditMailbox(cli, change);
}

Outcome MailboxSet(Cli& cli) {
  if (Outcome o = cli.AtMostOneOf({"transport", "no-transport"}); !o.ok()) return o;
  if (!cli.Has("transport") && !cli.Has("no-transport") && !cli.Has("quota") &&
      !cli.Has("description"))
    return Outcome::Usage(
        "nothing to set: give --transport, --no-transport, --quota or --description");
  std::optional<std::int64_t> quota;
  if (std::optional<std::string> q = cli.Value("quota")) {
    Result<std::int64_t> bytes = ParseQuota(*q);
    if (!bytes.ok()) return bytes.status();
    quota = *bytes;
  }
  std::optional<std::string> transport = cli.Value("transport");
  if (transport) {
    Status s = CheckTransport(*transport);
    if (!s.ok()) return s;
  }
  if (cli.Has("no-transport")) transport = "";
  MailboxChange change;
  change.quota = quota;
  change.transport = transport;
  change.description = cli.Value("description");
  return EditMailbox(cli, change);
}

}  // namespace rcptdb::admin
