// SPDX-License-Identifier: MIT
// NAME
//   cmd_export - rcptdb export: every row as importable records
// DESCRIPTION
//   Writes the database as records (records.h) in an order that `rcptdb
//   import` accepts into an empty database: settings, domains that alias
//   domains point to before the alias domains, then mailboxes, aliases,
//   relay recipients and sender rules. Mailboxes stream straight from the
//   database, so exporting a million of them needs no memory for the list.
//   Password hashes are included: an export is as secret as the database.
// SEE ALSO
//   records.h, cmd_import.cc, rcptdb(1) IMPORT AND EXPORT FORMAT
#include "commands.h"
#include "records.h"
#include "store_words.h"

namespace rcptdb::admin {
namespace {

std::string Flag(bool b) { return b ? "1" : "0"; }

// Prints r as one line; refuses a value the format cannot carry (plain SQL
// may store one), so that the file never reads back as something else.
Status PrintRecord(RecordFormat f, const Record& r) {
  Result<std::string> line = EncodeRecord(f, r);
  if (!line.ok()) return WithContext(line.status(), r.Field(0));
  PrintLine(*line);
  return Status::Ok();
}

Record DomainRecord(const Domain& d) {
  return {RecordType::kDomain,
          {d.name, DomainKindName(d.kind), d.transport, d.target, d.catchall, Flag(d.active)}};
}

Record MailboxRecord(const Mailbox& m) {
  return {
      RecordType::kMailbox,
      {m.address, m.password, std::to_string(m.quota), m.transport, Flag(m.active), m.description}};
}

// Writes settings and domains; alias domains last, after their targets.
Status ExportDomains(Store& store, RecordFormat f) {
  Status s = Status::Ok();
  for (std::string_view name : kSettingNames) {
    Result<std::string> value = store.GetSetting(name);
    if (!value.ok()) return value.status();
    if (s.ok()) s = PrintRecord(f, {RecordType::kConfig, {std::string(name), *value}});
  }
  Result<std::vector<Domain>> domains = store.ListDomains();
  if (!domains.ok()) return domains.status();
  for (bool alias : {false, true})
    for (const Domain& d : *domains)
      if (s.ok() && (d.kind == DomainKind::kAlias) == alias) s = PrintRecord(f, DomainRecord(d));
  return s;
}

// Writes aliases, relay recipients and sender rules.
Status ExportRules(Store& store, RecordFormat f) {
  Result<std::vector<AliasTarget>> aliases = store.ListAliases("");
  if (!aliases.ok()) return aliases.status();
  Status s;
  for (const AliasTarget& a : *aliases)
    if (s.ok()) s = PrintRecord(f, {RecordType::kAlias, {a.source, a.target, Flag(a.active)}});
  Result<std::vector<std::string>> relay = store.ListRelayRecipients("");
  if (!relay.ok()) return relay.status();
  for (const std::string& a : *relay)
    if (s.ok()) s = PrintRecord(f, {RecordType::kRelayRecipient, {a}});
  Result<std::vector<SenderLogin>> senders = store.ListSenderLogins();
  if (!senders.ok()) return senders.status();
  for (const SenderLogin& sl : *senders)
    if (s.ok()) s = PrintRecord(f, {RecordType::kSender, {sl.address, sl.login, Flag(sl.allow)}});
  return s;
}

}  // namespace

Outcome Export(Cli& cli) {
  std::string name = cli.Value("format").value_or("csv");
  std::optional<RecordFormat> format = ParseRecordFormat(name);
  if (!format) return Outcome::Usage("--format " + name + ": must be csv or json");
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  if (*format == RecordFormat::kCsv)
    PrintLine("# rcptdb export, schema version " + std::to_string(kSchemaVersion) +
              "; format: rcptdb(1) IMPORT AND EXPORT FORMAT");
  // One snapshot for the whole export: a write landing between the
  // statements must not leave an alias without its domain in the file.
  Transaction snapshot(**store);
  Status s = snapshot.BeginRead();
  if (s.ok()) s = ExportDomains(**store, *format);
  Status unfit;
  if (s.ok())
    s = (*store)->ForEachMailbox("", [f = *format, &unfit](const Mailbox& m) {
      unfit = PrintRecord(f, MailboxRecord(m));
      return unfit.ok();
    });
  if (s.ok()) s = unfit;
  if (s.ok()) s = ExportRules(**store, *format);
  if (s.ok()) s = snapshot.Commit();
  return s;
}

}  // namespace rcptdb::admin
