// SPDX-License-Identifier: MIT
// cli.h - what every rcptdb command gets and returns
//
// A command is a function from a Cli (its arguments, options, the database
// path and the output mode) to an Outcome (success, or a Status plus
// whether it was a usage mistake). main() turns the Outcome into the
// exit status (0 success, 1 bad input or not found, 2 usage, 75 database
// trouble, 78 no right to the database) and one line on stderr:
// "rcptdb: mailbox add: VALUE: reason".
//
// The helpers here open the database the way the command needs it:
// readers read-only (they never take a write lock and work on a
// read-only file), writers read-write inside one transaction, so a
// command either happens completely or not at all.
//
// Thread safety: rcptdb is single-threaded; these are plain values.
#ifndef RCPTDB_ADMIN_CLI_H
#define RCPTDB_ADMIN_CLI_H

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "argument_list.h"
#include "provision.h"
#include "status.h"
#include "store.h"

namespace rcptdb::admin {

// EX_TEMPFAIL from sysexits.h: database trouble, try again later.
inline constexpr int kExitTemporary = 75;
// EX_CONFIG from sysexits.h: database trouble that no retry mends, the
// rights this user or role lacks (Status::Cause::kAccess).
inline constexpr int kExitConfig = 78;
inline constexpr int kExitUsage = 2;

class Outcome {
 public:
  Outcome() = default;
  Outcome(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design
  // A mistake in the command line itself (exit status 2).
  static Outcome Usage(std::string message);

  bool ok() const { return status_.ok() && !usage_; }
  bool usage() const { return usage_; }
  const std::string& message() const { return status_.message(); }
  // Returns the process exit status for this outcome.
  int ExitCode() const;

 private:
  Status status_;
  bool usage_ = false;
};

struct Cli {
  std::string name;               // "mailbox add", for messages
  std::vector<std::string> args;  // positional arguments after the command words
  ArgumentList arguments;         // all options
  std::string db_path;
  bool json = false;

  bool Has(std::string_view option) const { return arguments.Has(option); }
  std::optional<std::string> Value(std::string_view option) const {
    return arguments.Value(option);
  }
  // Usage error unless at most one of options was given.
  Outcome AtMostOneOf(std::initializer_list<std::string_view> options) const;
};

// Opens the database read-only, for commands that only look.
Result<std::unique_ptr<Store>> OpenForReading(const Cli& cli);
// Opens the database read-write.
Result<std::unique_ptr<Store>> OpenForWriting(const Cli& cli);

// Opens the database read-write and runs body with a Provisioner whose
// actor is the user running rcptdb (Actor::ForUnixUser) inside one
// transaction (RunProvisioning), committed iff body succeeds; on failure
// nothing body did is kept. Every change rcptdb makes goes through here,
// so every change writes its audit row.
Status WriteTransaction(const Cli& cli, const std::function<Status(Provisioner&)>& body);

// For listings limited to an optional DOMAIN argument: returns "" (all)
// without an argument, else the normal form of an existing domain;
// Invalid or NotFound naming the argument otherwise.
Result<std::string> ListedDomain(Store& store, const Cli& cli);

// Writes text to standard output (buffered); main() checks for errors.
void Print(std::string_view text);
// Writes text and a newline.
void PrintLine(std::string_view text);

}  // namespace rcptdb::admin

#endif
