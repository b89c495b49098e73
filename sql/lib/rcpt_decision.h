// SPDX-License-Identifier: MIT
// rcpt_decision.h - the LMTP plugin's reply to one RCPT
//
// DecideRcpt turns the Resolver's result for a RCPT path into the reply the
// Dovecot plugin gives: accept (perhaps delivering to another address),
// reject with the code Postfix's maps implied, or defer on database trouble.
// The words come from the reply table (rcpt_replies.h); the same Resolution
// feeds Postfix's maps (map_answers.h), so the two cannot disagree.
//
// Thread safety: a pure function.
#ifndef RCPTDB_RCPT_DECISION_H
#define RCPTDB_RCPT_DECISION_H

#include <string>
#include <string_view>

#include "rcpt_replies.h"
#include "resolver.h"
#include "status.h"

namespace rcptdb {

// The LMTP plugin's reply to RCPT TO:<path>.
struct RcptReply {
  enum class Kind { kAccept, kReject, kDefer };
  Kind kind = Kind::kReject;
  ReplyId id = ReplyId::kUserUnknown;  // the table row the reply came from
  int code = 550;                      // SMTP code
  std::string enhanced;                // e.g. "5.1.1"
  std::string text;                    // reply text, without code
  std::string rewrite;                 // kAccept: deliver to this address instead
                                       // of path (empty: keep path)
};

// Decides the RCPT reply for path. dovecot_delimiters is Dovecot's own
// recipient_delimiter: a +detail is kept in the rewritten address only if
// Dovecot will strip it, so that its userdb finds the mailbox. A refusal's
// or deferral's text starts with "<path>: ".
RcptReply DecideRcpt(const Result<Resolution>& res, std::string_view path,
                     std::string_view dovecot_delimiters);

}  // namespace rcptdb

#endif
