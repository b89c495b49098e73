// SPDX-License-Identifier: MIT
// NAME
//   rcpt_replies - the table of RCPT reply codes and words
// DESCRIPTION
//   One row per ReplyId. Changing a code or a word here changes it for the
//   LMTP plugin and for Postfix's access map alike, which is the point: the
//   two must say the same thing about the same address.
// SEE ALSO
//   rcpt_replies.h, rcpt_decision.h, map_answers.h, rcptdb-plugin(7)
#include "rcpt_replies.h"

#include <string_view>

namespace rcptdb {
namespace {

constexpr std::string_view kRefusalPrefix = "Recipient address rejected: ";
constexpr std::string_view kTargetsMark = "{targets}";

// Indexed by ReplyId; the static_assert below keeps the two in step.
constexpr ReplyWording kTable[] = {
    {250, "2.1.5", "OK", false},
    {550, "5.1.1", "User unknown", true},
    {550, "5.1.2", "Domain not served here", true},
    {550, "5.2.1", "Mailbox disabled", true},
    {550, "5.1.2", "Relay domain, not delivered by this mail store", true},
    {550, "5.3.0",
     "Alias with {targets} targets or a foreign target; expand it in Postfix "
     "(virtual_alias_maps)",
     true},
    {451, "4.3.0", "Temporary lookup failure, try again later", false},
};
static_assert(std::size(kTable) == static_cast<std::size_t>(ReplyId::kTemporaryFailure) + 1);

}  // namespace

const ReplyWording& Wording(ReplyId id) { return kTable[static_cast<std::size_t>(id)]; }

std::string ReplyText(ReplyId id, std::size_t targets) {
  const ReplyWording& w = Wording(id);
  std::string text = w.refusal ? std::string(kRefusalPrefix) : std::string();
  text += w.reason;
  std::size_t mark = text.find(kTargetsMark);
  if (mark != std::string::npos) text.replace(mark, kTargetsMark.size(), std::to_string(targets));
  return text;
}

std::string AccessAction(ReplyId id) {
  const ReplyWording& w = Wording(id);
  return std::to_string(w.code) + " " + w.enhanced + " " + w.reason;
}

}  // namespace rcptdb
