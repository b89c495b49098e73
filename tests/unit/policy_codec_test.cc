// SPDX-License-Identifier: MIT
// policy_codec_test - Postfix policy delegation blocks, byte for byte
#include "policy_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace rcptdb {

void PrintTo(PolicyParse s, std::ostream* os) {
  static const char* const kNames[] = {"kBlock", "kNeedMore", "kTooLong", "kMalformed"};
  *os << kNames[static_cast<int>(s)];
}

namespace {

using namespace std::string_literals;

TEST(ParsePolicyBlock, ReadsAttributesUpToTheEmptyLine) {
  std::string in = "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=a@x\nsize=\n\nnext";
  PolicyBlock b = ParsePolicyBlock(in);
  ASSERT_EQ(b.status, PolicyParse::kBlock);
  EXPECT_EQ(b.consumed, in.size() - 4);
  ASSERT_EQ(b.attributes.size(), 4u);
  EXPECT_EQ(b.Get("protocol_state"), "RCPT");
  EXPECT_EQ(b.Get("recipient"), "a@x");
  EXPECT_EQ(b.Get("size"), "");
  EXPECT_EQ(b.Get("sender"), std::nullopt);
}

TEST(ParsePolicyBlock, ValueMayHoldEqualsSigns) {
  PolicyBlock b = ParsePolicyBlock("ccert_subject=CN=a,O=b\n\n");
  ASSERT_EQ(b.status, PolicyParse::kBlock);
  EXPECT_EQ(b.Get("ccert_subject"), "CN=a,O=b");
}

TEST(ParsePolicyBlock, AcceptsCrLf) {
  PolicyBlock b = ParsePolicyBlock("recipient=a@x\r\nsize=1\r\n\r\n");
  ASSERT_EQ(b.status, PolicyParse::kBlock);
  EXPECT_EQ(b.Get("recipient"), "a@x");
  EXPECT_EQ(b.consumed, 25u);  // 15 + 8 + 2 octets
}

TEST(ParsePolicyBlock, WaitsForTheEmptyLine) {
  EXPECT_EQ(ParsePolicyBlock("").status, PolicyParse::kNeedMore);
  EXPECT_EQ(ParsePolicyBlock("recipient=a@x").status, PolicyParse::kNeedMore);
  EXPECT_EQ(ParsePolicyBlock("recipient=a@x\n").status, PolicyParse::kNeedMore);
  EXPECT_EQ(ParsePolicyBlock("recipient=a@x\n").consumed, 0u);
}

TEST(ParsePolicyBlock, EmptyBlockIsABlock) {
  PolicyBlock b = ParsePolicyBlock("\n");
  EXPECT_EQ(b.status, PolicyParse::kBlock);
  EXPECT_EQ(b.consumed, 1u);
  EXPECT_TRUE(b.attributes.empty());
}

TEST(ParsePolicyBlock, LineWithoutEqualsIsMalformedButConsumed) {
  PolicyBlock b = ParsePolicyBlock("recipient=a@x\nhello\n\nsize=1\n\n");
  EXPECT_EQ(b.status, PolicyParse::kMalformed);
  EXPECT_EQ(b.consumed, 21u);
  EXPECT_TRUE(b.attributes.empty());
  EXPECT_EQ(ParsePolicyBlock("=x\n\n").status, PolicyParse::kMalformed);
  EXPECT_EQ(ParsePolicyBlock("a=x\0y\n\n"s).status, PolicyParse::kMalformed);
}

TEST(ParsePolicyBlock, BoundsTheBlock) {
  std::string big = "recipient=" + std::string(100, 'a') + "\n";
  EXPECT_EQ(ParsePolicyBlock(big, 50).status, PolicyParse::kTooLong);
  EXPECT_EQ(ParsePolicyBlock(big + "\n", big.size() + 1).status, PolicyParse::kBlock);
  EXPECT_EQ(ParsePolicyBlock(big + "\n", big.size()).status, PolicyParse::kTooLong);
  std::string many;
  for (std::size_t i = 0; i <= kPolicyMaxAttributes; ++i) many += "a=b\n";
  EXPECT_EQ(ParsePolicyBlock(many).status, PolicyParse::kTooLong);
  EXPECT_EQ(ParsePolicyBlock(many.substr(4) + "\n").status, PolicyParse::kBlock);
}

TEST(EncodePolicyReply, OneLineAndAnEmptyLine) {
  EXPECT_EQ(EncodePolicyReply("DUNNO"), "action=DUNNO\n\n");
  EXPECT_EQ(EncodePolicyReply("552 5.2.2 Mailbox is full"), "action=552 5.2.2 Mailbox is full\n\n");
  EXPECT_EQ(EncodePolicyReply("450 a\n\naction=OK"), "action=450 a  action=OK\n\n");
  EXPECT_EQ(EncodePolicyReply(""), "action=DUNNO\n\n");
  EXPECT_EQ(EncodePolicyReply(" \r"), "action=DUNNO\n\n");
}

TEST(EncodePolicyRequest, ValuesCannotInjectLines) {
  EXPECT_EQ(EncodePolicyRequest({{"recipient", "a@x"}, {"size", "10"}}),
            "recipient=a@x\nsize=10\n\n");
  EXPECT_EQ(EncodePolicyRequest({{"recipient", "a@x\n\nsize=1"}}), "recipient=a@x  size=1\n\n");
}

TEST(ClassifyPolicyAction, ReadsCodesAndWords) {
  EXPECT_EQ(ClassifyPolicyAction("DUNNO"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction("OK"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction("552 5.2.2 Mailbox is full"), PolicyVerdict::kReject);
  EXPECT_EQ(ClassifyPolicyAction("554"), PolicyVerdict::kReject);
  EXPECT_EQ(ClassifyPolicyAction("452 4.2.2 Mailbox is full"), PolicyVerdict::kDefer);
  EXPECT_EQ(ClassifyPolicyAction("reject full"), PolicyVerdict::kReject);
  EXPECT_EQ(ClassifyPolicyAction("DEFER_IF_PERMIT Internal error"), PolicyVerdict::kDefer);
  EXPECT_EQ(ClassifyPolicyAction("defer"), PolicyVerdict::kDefer);
  EXPECT_EQ(ClassifyPolicyAction("DEFER_IF_REJECT x"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction("REJECTED"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction("5521 x"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction("250 ok"), PolicyVerdict::kNeutral);
  EXPECT_EQ(ClassifyPolicyAction(""), PolicyVerdict::kNeutral);
}

}  // namespace
}  // namespace rcptdb
