// SPDX-License-Identifier: MIT
// NAME
//   rcpt_decision - the LMTP RCPT reply from one resolution
// DESCRIPTION
//   Maps each verdict to a row of the reply table (rcpt_replies.cc) and,
//   for an accepted recipient, to the address Dovecot should deliver to.
//   No wording lives here.
// SEE ALSO
//   rcpt_decision.h, rcpt_replies.h, resolver.h, rcptdb-plugin(7)
#include "rcpt_decision.h"

namespace rcptdb {
namespace {

RcptReply Reply(RcptReply::Kind kind, ReplyId id, std::string_view path, std::size_t targets = 0) {
  const ReplyWording& w = Wording(id);
  std::string text = ReplyText(id, targets);
  if (kind != RcptReply::Kind::kAccept) text = "<" + std::string(path) + ">: " + text;
  return {kind, id, w.code, w.enhanced, std::move(text), ""};
}

RcptReply Reject(ReplyId id, std::string_view path, std::size_t targets = 0) {
  return Reply(RcptReply::Kind::kReject, id, path, targets);
}

// Accepts, delivering to `to` (no rewrite if that is path itself).
RcptReply Accept(std::string_view path, const std::string& to) {
  RcptReply ok = Reply(RcptReply::Kind::kAccept, ReplyId::kAccepted, path);
  if (to != path) ok.rewrite = to;
  return ok;
}

}  // namespace

RcptReply DecideRcpt(const Result<Resolution>& res, std::string_view path,
                     std::string_view dovecot_delimiters) {
  if (!res.ok()) return Reply(RcptReply::Kind::kDefer, ReplyId::kTemporaryFailure, path);
  const Resolution& r = *res;
  switch (r.verdict) {
    case Verdict::kMalformed:
    case Verdict::kUnknownRecipient:
      return Reject(ReplyId::kUserUnknown, path);
    case Verdict::kUnknownDomain:
      return Reject(ReplyId::kDomainNotServed, path);
    case Verdict::kDisabled:
      return Reject(ReplyId::kMailboxDisabled, path);
    case Verdict::kRelay:
      return Reject(ReplyId::kRelayDomain, path);
    case Verdict::kMailbox: {
      // Keep +detail only where Dovecot itself strips it before its userdb
      // lookup; otherwise deliver to the mailbox address plainly.
      bool keep =
          !r.detail.empty() && dovecot_delimiters.find(r.detail.front()) != std::string_view::npos;
      return Accept(path, keep ? r.delivery : r.mailbox);
    }
    case Verdict::kAlias:
      if (r.targets.size() == 1 && r.targets[0].local()) return Accept(path, r.targets[0].mailbox);
      // One RCPT is one Dovecot user; fan-out and forwarding are Postfix's
      // job (virtual_alias_maps), which expands before mail reaches LMTP.
      return Reject(ReplyId::kAliasNotOneMailbox, path, r.targets.size());
  }
  return Reject(ReplyId::kUserUnknown, path);
}

}  // namespace rcptdb
