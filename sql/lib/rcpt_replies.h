// SPDX-License-Identifier: MIT
// rcpt_replies.h - every reply rcptdb gives to a recipient, in one table
//
// The codes, enhanced status codes and words of each RCPT reply live here
// and nowhere else. The LMTP decision (rcpt_decision.h) builds the plugin's
// replies from this table, the access map (map_answers.h) gives Postfix the
// same words for a disabled mailbox, and the plugin takes its own deferral
// for trouble inside Dovecot from here as well.
//
// Thread safety: constant data and pure functions.
#ifndef RCPTDB_RCPT_REPLIES_H
#define RCPTDB_RCPT_REPLIES_H

#include <cstddef>
#include <string>

namespace rcptdb {

// Why a recipient got its reply; one row of the table each.
enum class ReplyId {
  kAccepted,            // 250 2.1.5: deliver (perhaps to a rewritten address)
  kUserUnknown,         // 550 5.1.1: no such recipient, or malformed
  kDomainNotServed,     // 550 5.1.2: the domain is not ours
  kMailboxDisabled,     // 550 5.2.1: the mailbox exists but is disabled
  kRelayDomain,         // 550 5.1.2: a relay domain, not stored here
  kAliasNotOneMailbox,  // 550 5.3.0: fan-out or a foreign target
  kTemporaryFailure,    // 451 4.3.0: database trouble, retry later
};

struct ReplyWording {
  int code;              // SMTP reply code
  const char* enhanced;  // RFC 3463 enhanced status code, e.g. "5.1.1"
  const char* reason;    // the words alone, as Postfix's access map says them
  bool refusal;          // true: said after "Recipient address rejected: "
};

// Returns the table row for id.
const ReplyWording& Wording(ReplyId id);

// Returns the reply text that follows the codes, without any "<path>: "
// prefix: "Recipient address rejected: " and the reason for refusals, the
// reason alone otherwise. targets fills in the number of alias targets
// (kAliasNotOneMailbox only).
std::string ReplyText(ReplyId id, std::size_t targets = 0);

// Returns "CODE ENHANCED REASON", the form of an access(5) map action, e.g.
// "550 5.2.1 Mailbox disabled". Postfix adds the "<address>: Recipient
// address rejected: " prefix itself, so both say the same words.
std::string AccessAction(ReplyId id);

}  // namespace rcptdb

#endif
