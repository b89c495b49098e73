// SPDX-License-Identifier: MIT
// rcpt_check.h - the LMTP plugin's per-process recipient check
//
// RcptCheck is everything the Dovecot LMTP plugin decides, without any
// Dovecot type in sight, so that it can be tested on its own: it owns the
// process's one read-only database connection (a LiveStore), resolves each
// RCPT path with the shared Resolver, and turns the result into the reply
// Postfix was given for the same address (DecideRcpt in rcpt_decision.h).
//
// Failure contract: Check() never throws and never returns a verdict it
// did not get from the database. Database trouble of any kind (missing
// file, lock held too long, wrong schema, an exception from below) becomes
// a 451 4.3.0 deferral, and the connection is dropped so that the next
// RCPT opens the file afresh.
//
// Thread safety: one RcptCheck per thread. Dovecot's lmtp processes are
// single-threaded and keep one RcptCheck for all their connections.
#ifndef RCPTDB_PLUGIN_RCPT_CHECK_H
#define RCPTDB_PLUGIN_RCPT_CHECK_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "live_store.h"
#include "rcpt_decision.h"
#include "status.h"

namespace rcptdb {

class RcptCheck {
 public:
  // The reply for one RCPT, and a line for the log when there is
  // something to say (why a recipient was rejected or deferred).
  // reason is one word for the event rcptdb_rcpt_finished (a label in
  // Dovecot's metrics, so from a fixed set): the resolver's verdict
  // ("mailbox", "unknown-recipient", ...), or the cause of a deferral
  // ("database locked", ...). data_version is the change counter of the
  // snapshot that answered, where the engine shares it among readers
  // (PostgreSQL); rcptdb-server's rcptdb_data_version is the same number.
  struct Outcome {
    RcptReply reply;
    std::string cause;
    std::string reason;
    std::optional<std::uint64_t> data_version;
  };

  explicit RcptCheck(std::string db_path, int busy_timeout_ms = 1000);

  const std::string& db_path() const { return live_.path(); }

  // Opens the database now, so that a process about to drop privileges
  // holds its connection already. Returns the failure, if any; Check()
  // retries later either way.
  Status Open() noexcept;

  // Returns the reply to RCPT TO:<path>. dovecot_delimiters is Dovecot's
  // own recipient_delimiter setting. Never throws.
  Outcome Check(std::string_view path, std::string_view dovecot_delimiters) noexcept;

  // Compares Dovecot's recipient_delimiter with the database's delimiter
  // setting. Returns the database's value if the two differ as sets of
  // characters, nullopt if they agree; Temporary if the database cannot be
  // read. Never throws.
  Result<std::optional<std::string>> DelimiterMismatch(
      std::string_view dovecot_delimiters) noexcept;

 private:
  Outcome Defer(std::string_view path, std::string cause, Status::Cause why);

  LiveStore live_;
};

// Returns reply.text without the leading "<path>: " that DecideRcpt puts
// there: Dovecot prefixes every recipient reply with the path itself.
std::string ReplyTextWithoutPath(const RcptReply& reply, std::string_view path);

}  // namespace rcptdb

#endif
