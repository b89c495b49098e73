// SPDX-License-Identifier: MIT
// quota_policy_test - which mailboxes are asked about, and the combination rule
#include "quota_policy.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

ListenAddress Addr(const std::string& text) { return *ParseListenAddress(text); }

QuotaRoutes Routes() {
  QuotaRoutes r;
  r.fallback = Addr("127.0.0.1:12340");
  r.routes.emplace_back("lmtp:inet:store2:24", Addr("unix:/run/store2/quota-status"));
  return r;
}

Resolution Alias(std::vector<Target> targets) {
  Resolution r;
  r.verdict = Verdict::kAlias;
  r.targets = std::move(targets);
  return r;
}

TEST(ParseQuotaRoutes, SplitsAtTheLastEquals) {
  auto r = ParseQuotaRoutes("lmtp:inet:[10.0.0.2]:24=10.0.0.2:12340, relay=x=unix:/q");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].first, "lmtp:inet:[10.0.0.2]:24");
  EXPECT_EQ((*r)[0].second.str(), "10.0.0.2:12340");
  EXPECT_EQ((*r)[1].first, "relay=x");
  EXPECT_FALSE(ParseQuotaRoutes("lmtp:x").ok());
  EXPECT_FALSE(ParseQuotaRoutes("=127.0.0.1:1").ok());
  EXPECT_FALSE(ParseQuotaRoutes("a=nohost").ok());
}

TEST(PlanQuotaChecks, MailboxUsesItsRouteOrTheFallback) {
  Resolution r;
  r.verdict = Verdict::kMailbox;
  r.mailbox = "a@x";
  QuotaPlan p = PlanQuotaChecks(r, Routes());
  ASSERT_TRUE(p.judge);
  ASSERT_EQ(p.checks.size(), 1u);
  EXPECT_EQ(p.checks[0].endpoint.str(), "127.0.0.1:12340");
  r.transport = "lmtp:inet:store2:24";
  p = PlanQuotaChecks(r, Routes());
  EXPECT_EQ(p.checks[0].endpoint.str(), "unix:/run/store2/quota-status");
}

TEST(PlanQuotaChecks, AliasChecksEachLocalMailboxOnceAndSkipsForeign) {
  Resolution r = Alias({{"a+x@x", "a@x", ""},
                        {"far@elsewhere", "", ""},
                        {"a@x", "a@x", ""},
                        {"b@y", "b@y", "lmtp:inet:store2:24"}});
  QuotaPlan p = PlanQuotaChecks(r, Routes());
  ASSERT_TRUE(p.judge);
  ASSERT_EQ(p.checks.size(), 2u);
  EXPECT_EQ(p.checks[0].mailbox, "a@x");
  EXPECT_EQ(p.checks[1].mailbox, "b@y");
  ASSERT_EQ(p.skipped.size(), 1u);
}

TEST(PlanQuotaChecks, ForeignOnlyOrNotLocalIsNotJudged) {
  EXPECT_FALSE(PlanQuotaChecks(Alias({{"far@elsewhere", "", ""}}), Routes()).judge);
  for (Verdict v : {Verdict::kMalformed, Verdict::kUnknownDomain, Verdict::kUnknownRecipient,
                    Verdict::kDisabled, Verdict::kRelay}) {
    Resolution r;
    r.verdict = v;
    r.mailbox = "a@x";
    EXPECT_FALSE(PlanQuotaChecks(r, Routes()).judge) << VerdictName(v);
  }
}

TEST(PlanQuotaChecks, NoEndpointMeansNotChecked) {
  Resolution r;
  r.verdict = Verdict::kMailbox;
  r.mailbox = "a@x";
  QuotaRoutes none;
  QuotaPlan p = PlanQuotaChecks(r, none);
  EXPECT_FALSE(p.judge);
  EXPECT_EQ(p.skipped.size(), 1u);
}

std::vector<QuotaCheck> Checks(std::size_t n) {
  std::vector<QuotaCheck> c;
  for (std::size_t i = 0; i < n; ++i)
    c.push_back({"m" + std::to_string(i) + "@x", "", Addr("127.0.0.1:1")});
  return c;
}

const QuotaAnswer kOk{true, "DUNNO", ""};
const QuotaAnswer kFull{true, "552 5.2.2 Mailbox is full", ""};
const QuotaAnswer kDefer{true, "DEFER_IF_PERMIT Internal error occurred", ""};
const QuotaAnswer kDown{false, "", "connection refused"};
const std::string kTrouble = "DEFER_IF_PERMIT quota service unavailable";

PolicyDecision Combine(std::vector<QuotaAnswer> a, QuotaRule rule) {
  return CombineQuotaAnswers(Checks(a.size()), a, rule, kTrouble);
}

TEST(CombineQuotaAnswers, AnyRefusesIfOneIsFullWithDovecotsWords) {
  PolicyDecision d = Combine({kOk, kFull}, QuotaRule::kAny);
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kRefuse);
  EXPECT_EQ(d.action, "552 5.2.2 Mailbox is full");
  EXPECT_NE(d.why.find("m1@x"), std::string::npos) << d.why;
  EXPECT_EQ(Combine({kFull, kDown}, QuotaRule::kAny).kind, PolicyDecision::Kind::kRefuse);
}

TEST(CombineQuotaAnswers, AnyAcceptsWithDunnoNeverOk) {
  PolicyDecision d = Combine({kOk, {true, "OK", ""}}, QuotaRule::kAny);
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kAccept);
  EXPECT_EQ(d.action, "DUNNO");
}

TEST(CombineQuotaAnswers, DeferralStaysADeferral) {
  PolicyDecision d = Combine({kOk, kDefer}, QuotaRule::kAny);
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kDefer);
  EXPECT_EQ(d.action, kDefer.action);
  EXPECT_EQ(Combine({{true, "452 4.2.2 full", ""}}, QuotaRule::kAny).action, "452 4.2.2 full");
}

TEST(CombineQuotaAnswers, TroubleGivesTheTroubleAction) {
  PolicyDecision d = Combine({kOk, kDown}, QuotaRule::kAny);
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kTrouble);
  EXPECT_EQ(d.action, kTrouble);
  EXPECT_NE(d.why.find("connection refused"), std::string::npos);
}

TEST(CombineQuotaAnswers, AllRefusesOnlyIfEveryTargetIsFull) {
  EXPECT_EQ(Combine({kOk, kFull}, QuotaRule::kAll).kind, PolicyDecision::Kind::kAccept);
  EXPECT_EQ(Combine({kFull, kOk}, QuotaRule::kAll).action, "DUNNO");
  PolicyDecision d = Combine({kFull, kFull}, QuotaRule::kAll);
  EXPECT_EQ(d.kind, PolicyDecision::Kind::kRefuse);
  EXPECT_EQ(d.action, kFull.action);
  EXPECT_EQ(Combine({kFull, kDown}, QuotaRule::kAll).kind, PolicyDecision::Kind::kTrouble);
  EXPECT_EQ(Combine({kFull, kDefer}, QuotaRule::kAll).kind, PolicyDecision::Kind::kDefer);
  EXPECT_EQ(Combine({kDown, kOk}, QuotaRule::kAll).kind, PolicyDecision::Kind::kAccept);
}

TEST(CheckTroubleAction, OnlyDunnoOrADeferral) {
  EXPECT_TRUE(CheckTroubleAction("DUNNO").ok());
  EXPECT_TRUE(CheckTroubleAction("DEFER_IF_PERMIT quota check unavailable").ok());
  EXPECT_TRUE(CheckTroubleAction("451 4.3.0 try again").ok());
  EXPECT_FALSE(CheckTroubleAction("").ok());
  EXPECT_FALSE(CheckTroubleAction("552 5.2.2 full").ok());
  EXPECT_FALSE(CheckTroubleAction("REJECT").ok());
  EXPECT_FALSE(CheckTroubleAction("OK").ok());
  EXPECT_FALSE(CheckTroubleAction("ok fine").ok());
  EXPECT_FALSE(CheckTroubleAction("HOLD").ok());
  EXPECT_FALSE(CheckTroubleAction("DUNNO\nx").ok());
}

}  // namespace
}  // namespace rcptdb
