// SPDX-License-Identifier: MIT
// policy_question.h - asks a running policy service one question (rcptdb check --size)
//
// `rcptdb check ADDRESS --size N` shows what rcptdb-server's policy service
// answers Postfix for ADDRESS, and asks it again about each local target
// mailbox alone, so the admin sees which target is full. The question is
// the one Postfix's smtpd asks (SMTPD_POLICY_README: name=value lines and
// an empty line; the answer "action=..." and an empty line), written and
// read with the codec rcptdb-server uses (sql/lib/policy_codec.h).
//
// Thread safety: a plain blocking function.
#ifndef RCPTDB_ADMIN_POLICY_QUESTION_H
#define RCPTDB_ADMIN_POLICY_QUESTION_H

#include <cstdint>
#include <string>

#include "status.h"

namespace rcptdb::admin {

// Asks the policy service at where ("HOST:PORT", "[IPV6]:PORT" or
// "unix:PATH") about an RCPT TO:<recipient> with MAIL FROM SIZE=size, and
// returns its action. Temporary if it cannot be reached or does not
// answer within timeout_ms; Invalid if where is no address.
Result<std::string> AskPolicyService(const std::string& where, const std::string& recipient,
                                     std::uint64_t size, int timeout_ms = 10000);

}  // namespace rcptdb::admin

#endif
