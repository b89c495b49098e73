// SPDX-License-Identifier: MIT
// NAME
//   cli - what every rcptdb command gets and returns
// DESCRIPTION
//   Exit statuses follow sysexits(3) where it has a word for the case:
//   75 (EX_TEMPFAIL) for database trouble, so that scripts and
//   configuration management retry instead of giving up; 78 (EX_CONFIG)
//   for trouble that a retry cannot mend, because it is the rights this
//   user or database role was given (permission denied on the file, a
//   write the server refuses with SQLSTATE 42501, a failed login): the
//   database itself is fine, the setup is not; 2 for usage, as most Unix
//   commands do; 1 for everything the admin must correct in the command.
// SEE ALSO
//   cli.h, commands.cc, rcptdb(1) EXIT STATUS
#include "cli.h"

#include <cstdio>

#include "values.h"

namespace rcptdb::admin {

Outcome Outcome::Usage(std::string message) {
  Outcome o(Status::Invalid(std::move(message)));
  o.usage_ = true;
  return o;
}

int Outcome::ExitCode() const {
  if (usage_) return kExitUsage;
  switch (status_.code()) {
    case Status::Code::kOk:
      return 0;
    case Status::Code::kTemporary:
      return status_.cause() == Status::Cause::kAccess ? kExitConfig : kExitTemporary;
    case Status::Code::kNotFound:
    case Status::Code::kInvalid:
    case Status::Code::kConflict:
      return 1;
  }
  return 1;
}

Outcome Cli::AtMostOneOf(std::initializer_list<std::string_view> options) const {
  std::string given;
  int count = 0;
  for (std::string_view o : options) {
    if (!Has(o)) continue;
    given += (count++ ? " and --" : "--") + std::string(o);
  }
  if (count > 1) return Outcome::Usage(given + " exclude each other");
  return Outcome();
}

Result<std::unique_ptr<Store>> OpenForReading(const Cli& cli) {
  return Store::Open(cli.db_path, Store::Mode::kReadOnly);
}

Result<std::unique_ptr<Store>> OpenForWriting(const Cli& cli) {
  // A longer busy timeout than the servers': an admin can wait for a
  // concurrent import to commit, a mail lookup cannot.
  return Store::Open(cli.db_path, Store::Mode::kReadWrite, 10000);
}

Status WriteTransaction(const Cli& cli, const std::function<Status(Provisioner&)>& body) {
  Result<std::unique_ptr<Store>> store = OpenForWriting(cli);
  if (!store.ok()) return store.status();
  return RunProvisioning(**store, Actor::ForUnixUser(), /*dry_run=*/false, body);
}

Result<std::string> ListedDomain(Store& store, const Cli& cli) {
  if (cli.args.empty()) return std::string();
  Result<std::string> name = ParseDomainName(cli.args[0]);
  if (!name.ok()) return name.status();
  Result<std::optional<Domain>> d = store.FindDomain(*name);
  if (!d.ok()) return d.status();
  if (!*d) return Status::NotFound(*name + ": no such domain");
  return name;
}

void Print(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

void PrintLine(std::string_view text) {
  Print(text);
  std::fputc('\n', stdout);
}

}  // namespace rcptdb::admin
