// SPDX-License-Identifier: MIT
// provision_test.cc - the rcptdb command's validated writes
// (sql/provision/provision.h): normal forms, refusals in words that name the
// value, the Status each refusal carries, and loop checks.
#include "provision.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fixture.h"

namespace rcptdb {
namespace {

using test::MakeDomain;
using test::MakeMailbox;

class Provision : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = Store::Create(db_.path());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    test::Fill(*store_);
    p_ = std::make_unique<Provisioner>(*store_, Actor{"unix:test", "", ""});
  }
  // Expects s refused with code, its message starting with prefix.
  static void ExpectRefused(const Status& s, Status::Code code, const std::string& prefix) {
    ASSERT_FALSE(s.ok()) << prefix;
    EXPECT_EQ(s.code(), code) << s.message();
    EXPECT_EQ(s.message().rfind(prefix, 0), 0u) << s.message();
  }
  test::TempDatabase db_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Provisioner> p_;
};

TEST_F(Provision, AddsADomainInNormalForm) {
  ASSERT_TRUE(p_->AddDomain(MakeDomain("New.EXAMPLE.", DomainKind::kHosted, "smtp:[mx]")).ok());
  Result<std::optional<Domain>> d = store_->FindDomain("new.example");
  ASSERT_TRUE(d.ok() && *d);
  EXPECT_EQ((*d)->transport, "smtp:[mx]");
  // The cache sees what this Provisioner wrote.
  Result<std::optional<Domain>> cached = p_->FindDomain("new.example");
  ASSERT_TRUE(cached.ok() && *cached);
}

TEST_F(Provision, RefusesDomainsThatBreakTheRules) {
  using K = DomainKind;
  using C = Status::Code;
  ExpectRefused(p_->AddDomain(MakeDomain("EXAMPLE.com", K::kHosted)), C::kConflict,
                "example.com: domain exists already");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kAlias)), C::kInvalid,
                "a.example: an alias domain needs a target domain");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kAlias, "", "a.example")), C::kInvalid,
                "a.example: an alias domain cannot point to itself");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kAlias, "", "nowhere.test")), C::kInvalid,
                "a.example: target domain nowhere.test does not exist");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kAlias, "", "example.net")), C::kInvalid,
                "a.example: target domain example.net is itself an alias domain");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kHosted, "", "example.com")), C::kInvalid,
                "a.example: only alias domains have a target");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kHosted, "lmtp")), C::kInvalid,
                "a.example: transport lmtp");
  ExpectRefused(p_->AddDomain(MakeDomain("a.example", K::kRelay, "", "", "x@a.example")),
                C::kInvalid, "a.example: only hosted domains have a catch-all");
  EXPECT_FALSE(*store_->FindDomain("a.example"));
}

TEST_F(Provision, ChecksANewMailboxWithoutWriting) {
  Mailbox m = MakeMailbox("New@Example.COM");
  ASSERT_TRUE(p_->CheckNewMailbox(m).ok());
  EXPECT_EQ(m.address, "new@example.com");
  EXPECT_FALSE(*store_->FindMailbox("new@example.com"));
  using C = Status::Code;
  Mailbox dup = MakeMailbox("alice@example.com");
  ExpectRefused(p_->CheckNewMailbox(dup), C::kConflict, "alice@example.com: mailbox exists");
  Mailbox alias = MakeMailbox("sales@example.com");
  ExpectRefused(p_->CheckNewMailbox(alias), C::kConflict,
                "sales@example.com: an alias with this address exists");
  Mailbox relay = MakeMailbox("x@relay.example");
  ExpectRefused(p_->CheckNewMailbox(relay), C::kInvalid, "x@relay.example: ");
  Mailbox foreign = MakeMailbox("x@nowhere.test");
  ExpectRefused(p_->CheckNewMailbox(foreign), C::kInvalid,
                "x@nowhere.test: domain nowhere.test does not exist");
  Mailbox hash = MakeMailbox("h@example.com");
  hash.password = "plaintext";
  ExpectRefused(p_->CheckNewMailbox(hash), C::kInvalid, "h@example.com: ");
}

TEST_F(Provision, AddsMailboxesAndAliasRows) {
  Mailbox m = MakeMailbox("Zed@example.com");
  m.password = "{SHA512-CRYPT}$6$salt$hash";
  ASSERT_TRUE(p_->AddMailbox(m).ok());
  EXPECT_TRUE(*store_->FindMailbox("zed@example.com"));
  Result<LoopEdge> edge = p_->AddAliasTarget("Team@example.com", "zed@example.com", std::nullopt);
  ASSERT_TRUE(edge.ok()) << edge.status().message();
  EXPECT_EQ(edge->from, "zed@example.com");
  EXPECT_EQ(edge->goal, "team@example.com");
  EXPECT_TRUE(p_->CheckForwarding(*edge).ok());
  ExpectRefused(p_->AddAliasTarget("team@example.com", "zed@example.com", std::nullopt).status(),
                Status::Code::kConflict, "team@example.com: alias to zed@example.com exists");
  ExpectRefused(p_->AddAliasTarget("me@example.com", "me@example.com", std::nullopt).status(),
                Status::Code::kInvalid, "me@example.com: an alias cannot point to itself");
}

TEST_F(Provision, AliasRowsOfASourceShareOneActiveFlag) {
  // paused@example.com is disabled: a new target takes its flag...
  ASSERT_TRUE(p_->AddAliasTarget("paused@example.com", "bob@example.com", std::nullopt).ok());
  Result<std::vector<AliasTarget>> rows = store_->FindAlias("paused@example.com");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  for (const AliasTarget& row : *rows) EXPECT_FALSE(row.active);
  // ...and an import that says otherwise is refused.
  ExpectRefused(p_->AddAliasTarget("paused@example.com", "dave@example.com", true).status(),
                Status::Code::kInvalid, "paused@example.com: all targets of an alias share");
}

TEST_F(Provision, CheckForwardingNamesTheLoop) {
  Result<LoopEdge> edge = p_->AddAliasTarget("sales@example.com", "nested@example.com", {});
  ASSERT_TRUE(edge.ok()) << edge.status().message();
  Status loop = p_->CheckForwarding(*edge);
  ExpectRefused(loop, Status::Code::kInvalid,
                "sales@example.com: target nested@example.com leads back to sales@example.com");
}

// The schema bounds plain chains of alias rows; a catch-all or an alias
// domain in the chain adds steps only the resolver sees, and the CLI asks
// it before committing.
TEST_F(Provision, CheckForwardingRefusesWhatTheResolverWouldDefer) {
  // c1 -> c2 -> ... -> c8 -> alice: eight rows, the most the schema allows.
  for (int i = 1; i <= 8; ++i) {
    std::string target =
        i == 8 ? "alice@example.com" : "c" + std::to_string(i + 1) + "@example.com";
    Result<LoopEdge> edge =
        p_->AddAliasTarget("c" + std::to_string(i) + "@example.com", target, std::nullopt);
    ASSERT_TRUE(edge.ok()) << edge.status().message();
    ASSERT_TRUE(p_->CheckForwarding(*edge).ok()) << i;
  }
  ASSERT_TRUE(p_->AddDomain(MakeDomain("deep.example", DomainKind::kHosted)).ok());
  Result<std::optional<LoopEdge>> set = p_->SetCatchall("deep.example", "c2@example.com");
  ASSERT_TRUE(set.ok() && *set) << set.status().message();
  EXPECT_TRUE(p_->CheckForwarding(**set).ok());
  // One step more through the catch-all: the resolver would defer.
  set = p_->SetCatchall("deep.example", "c1@example.com");
  ASSERT_TRUE(set.ok() && *set) << set.status().message();
  ExpectRefused(p_->CheckForwarding(**set), Status::Code::kInvalid,
                "deep.example: the resolver would defer every address its catch-all takes for "
                "good: alias *@deep.example nests deeper than 8 alias steps");
  // Upstream: an alias whose target is c1 through an alias domain of
  // example.com; the schema cannot see that it extends the chain.
  ASSERT_TRUE(
      p_->AddDomain(MakeDomain("mirror.example", DomainKind::kAlias, "", "example.com")).ok());
  Result<LoopEdge> via = p_->AddAliasTarget("top@example.com", "c1@mirror.example", std::nullopt);
  ASSERT_TRUE(via.ok()) << via.status().message();
  ExpectRefused(p_->CheckForwarding(*via), Status::Code::kInvalid,
                "top@example.com: the resolver would defer it for good: alias top@example.com "
                "nests deeper than 8 alias steps");
}

TEST_F(Provision, CatchallsAreForHostedDomainsAndLoopChecked) {
  Result<std::optional<LoopEdge>> set = p_->SetCatchall("example.com", "ghost@example.com");
  ASSERT_TRUE(set.ok() && *set) << set.status().message();
  // ghost@ -> nobody@ (unknown) -> the catch-all -> ghost@: a loop.
  ExpectRefused(p_->CheckForwarding(**set), Status::Code::kInvalid,
                "example.com: catch-all target ghost@example.com leads back to the catch-all");
  ExpectRefused(p_->SetCatchall("relay.example", "x@example.com").status(), Status::Code::kInvalid,
                "relay.example: only hosted domains have a catch-all");
  ExpectRefused(p_->SetCatchall("nowhere.test", "x@example.com").status(), Status::Code::kNotFound,
                "nowhere.test: no such domain");
  ExpectRefused(p_->SetCatchall("relay.example", "").status(), Status::Code::kNotFound,
                "relay.example: domain has no catch-all");
  Result<std::optional<LoopEdge>> cleared = p_->SetCatchall("example.org", "");
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(*cleared);
  EXPECT_EQ((*store_->FindDomain("example.org"))->catchall, "");
}

TEST_F(Provision, RelayRecipientsSenderLoginsAndSettings) {
  ASSERT_TRUE(p_->AddRelayRecipient("New@Relay.example").ok());
  EXPECT_TRUE(*store_->IsRelayRecipient("new@relay.example"));
  ExpectRefused(p_->AddRelayRecipient("new@relay.example"), Status::Code::kConflict,
                "new@relay.example: relay recipient exists already");
  ExpectRefused(p_->AddRelayRecipient("x@example.com"), Status::Code::kInvalid, "x@example.com: ");
  ASSERT_TRUE(p_->SetSenderLogin("Alice@example.com", "Bob@Example.com", true).ok());
  ASSERT_TRUE(p_->SetSenderLogin("alice@example.com", "bob@example.com", false).ok());
  Result<std::vector<SenderLogin>> logins = store_->FindSenderLogins("alice@example.com");
  ASSERT_TRUE(logins.ok());
  ASSERT_EQ(logins->size(), 1u);
  EXPECT_EQ((*logins)[0].login, "bob@example.com");
  EXPECT_FALSE((*logins)[0].allow);
  ExpectRefused(p_->SetSenderLogin("alice@example.com", "a b", true), Status::Code::kInvalid,
                "alice@example.com: login a b");
  ASSERT_TRUE(p_->SetSetting("delimiter", "+-").ok());
  EXPECT_EQ(*store_->GetSetting("delimiter"), "+-");
  ExpectRefused(p_->SetSetting("colour", "x"), Status::Code::kInvalid, "setting colour");
  ExpectRefused(p_->SetSetting("delimiter", "@"), Status::Code::kInvalid, "delimiter @");
}

}  // namespace
}  // namespace rcptdb
