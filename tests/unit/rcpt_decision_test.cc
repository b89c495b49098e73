// SPDX-License-Identifier: MIT
// rcpt_decision_test - the LMTP reply for a resolution, and the reply table
//
// DecideRcpt's choices that the resolver table does not reach (details,
// database trouble), and the exact words of every row of the reply table,
// as Dovecot and Postfix's access map send them.
#include "rcpt_decision.h"

#include <gtest/gtest.h>

#include "rcpt_replies.h"

namespace rcptdb::test {
namespace {

TEST(DecideRcpt, DetailKeptOnlyWhereDovecotStripsIt) {
  Resolution r;
  r.verdict = Verdict::kMailbox;
  r.mailbox = "alice@example.com";
  r.delivery = "alice-x@example.com";
  r.detail = "-x";
  EXPECT_EQ(DecideRcpt(r, "alice-x@example.com", "+").rewrite, "alice@example.com");
  EXPECT_EQ(DecideRcpt(r, "alice-x@example.com", "+-").rewrite, "");
  EXPECT_EQ(DecideRcpt(r, "Alice-x@example.com", "-").rewrite, "alice-x@example.com");
}

TEST(DecideRcpt, DatabaseTroubleDefers) {
  RcptReply reply = DecideRcpt(Status::Temporary("locked"), "alice@example.com", "+");
  EXPECT_EQ(reply.kind, RcptReply::Kind::kDefer);
  EXPECT_EQ(reply.code, 451);
  EXPECT_EQ(reply.enhanced, "4.3.0");
}

TEST(DecideRcpt, RefusalsNameThePathAndTakeTheTablesWords) {
  Resolution r;
  r.verdict = Verdict::kDisabled;
  RcptReply reply = DecideRcpt(r, "carol@example.com", "+");
  EXPECT_EQ(reply.id, ReplyId::kMailboxDisabled);
  EXPECT_EQ(reply.code, 550);
  EXPECT_EQ(reply.enhanced, "5.2.1");
  EXPECT_EQ(reply.text, "<carol@example.com>: Recipient address rejected: Mailbox disabled");
  r.verdict = Verdict::kAlias;
  r.targets.resize(2);
  EXPECT_EQ(DecideRcpt(r, "sales@example.com", "+").text,
            "<sales@example.com>: Recipient address rejected: Alias with 2 targets or a foreign "
            "target; expand it in Postfix (virtual_alias_maps)");
  EXPECT_EQ(DecideRcpt(Status::Temporary("locked"), "a@example.com", "+").text,
            "<a@example.com>: Temporary lookup failure, try again later");
}

TEST(ReplyTable, EveryRowAsItIsSent) {
  struct Row {
    ReplyId id;
    const char* action;  // the access(5) form
    const char* text;    // after the codes, without a path
  } rows[] = {
      {ReplyId::kAccepted, "250 2.1.5 OK", "OK"},
      {ReplyId::kUserUnknown, "550 5.1.1 User unknown", "Recipient address rejected: User unknown"},
      {ReplyId::kDomainNotServed, "550 5.1.2 Domain not served here",
       "Recipient address rejected: Domain not served here"},
      {ReplyId::kMailboxDisabled, "550 5.2.1 Mailbox disabled",
       "Recipient address rejected: Mailbox disabled"},
      {ReplyId::kRelayDomain, "550 5.1.2 Relay domain, not delivered by this mail store",
       "Recipient address rejected: Relay domain, not delivered by this mail store"},
      {ReplyId::kTemporaryFailure, "451 4.3.0 Temporary lookup failure, try again later",
       "Temporary lookup failure, try again later"},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(AccessAction(row.id), row.action);
    EXPECT_EQ(ReplyText(row.id), row.text);
  }
  EXPECT_EQ(ReplyText(ReplyId::kAliasNotOneMailbox, 3),
            "Recipient address rejected: Alias with 3 targets or a foreign target; expand it in "
            "Postfix (virtual_alias_maps)");
}

}  // namespace
}  // namespace rcptdb::test
