// SPDX-License-Identifier: MIT
// NAME
//   cmd_database - rcptdb init, migrate, backup and config
// DESCRIPTION
//   Commands about the database file as a whole and its settings. Settings
//   decide what an address means (the recipient delimiter), so they live
//   in the database and every reader sees the same value on its next
//   lookup; there is nothing to reload.
// SEE ALSO
//   commands.h, store.h (Create, Migrate, BackupTo), rcptdb(1)
#include "commands.h"
#include "json.h"
#include "output.h"
#include "provision.h"
#include "values.h"

namespace rcptdb::admin {

Outcome Init(Cli& cli) {
  Result<std::unique_ptr<Store>> store = Store::Create(cli.db_path);
  return store.status();
}

Outcome Migrate(Cli& cli) {
  Result<std::unique_ptr<Store>> store =
      Store::Open(cli.db_path, Store::Mode::kReadWrite, 10000, /*allow_old_schema=*/true);
  if (!store.ok()) return store.status();
  Result<int> before = (*store)->SchemaVersion();
  if (!before.ok()) return before.status();
  Status s = (*store)->Migrate();
  if (!s.ok()) return s;
  if (cli.json)
    PrintLine(JsonObject().Int("from", *before).Int("to", kSchemaVersion).str());
  else if (*before == kSchemaVersion)
    PrintLine("schema version " + std::to_string(kSchemaVersion) + " is current");
  else
    PrintLine("schema version " + std::to_string(*before) + " -> " +
              std::to_string(kSchemaVersion));
  return Outcome();
}

Outcome Backup(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  return (*store)->BackupTo(cli.args[0]);
}

Outcome ConfigSet(Cli& cli) {
  return WriteTransaction(
      cli, [&cli](Provisioner& p) { return p.SetSetting(cli.args[0], cli.args[1]); });
}

Outcome ConfigGet(Cli& cli) {
  Status s = CheckSettingName(cli.args[0]);
  if (!s.ok()) return s;
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<std::string> value = (*store)->GetSetting(cli.args[0]);
  if (!value.ok()) return value.status();
  PrintLine(cli.json ? JsonObject().String("name", cli.args[0]).String("value", *value).str()
                     : *value);
  return Outcome();
}

Outcome ConfigList(Cli& cli) {
  Result<std::unique_ptr<Store>> store = OpenForReading(cli);
  if (!store.ok()) return store.status();
  Result<SettingValues> all = ReadSettings(**store);
  if (!all.ok()) return all.status();
  if (cli.json) {
    PrintLine(SettingsJson(*all));
  } else {
    for (const auto& [name, value] : *all) PrintLine(name + '\t' + value);
  }
  return Outcome();
}

}  // namespace rcptdb::admin
