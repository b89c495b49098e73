// SPDX-License-Identifier: MIT
// alias_walk_test.cc - loops the rcptdb command must refuse before they
// are committed (sql/provision/alias_walk.h), on the unit tests' reference data.
#include "alias_walk.h"

#include <gtest/gtest.h>

#include <memory>

#include "fixture.h"

namespace rcptdb {
namespace {

using test::Must;

class AliasWalk : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> s = Store::Create(db_.path());
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    test::Fill(*store_);
  }
  bool Leads(std::string_view start, std::string_view goal) {
    Result<bool> r = LeadsTo(*store_, start, goal);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() && *r;
  }
  test::TempDatabase db_;
  std::unique_ptr<Store> store_;
};

TEST_F(AliasWalk, FollowsAliasRowsActiveOrNot) {
  EXPECT_TRUE(Leads("nested@example.com", "alice@example.com"));  // via sales@
  EXPECT_TRUE(Leads("loop1@example.com", "loop1@example.com"));   // start is a node
  EXPECT_TRUE(Leads("loop2@example.com", "loop1@example.com"));
  EXPECT_TRUE(Leads("paused@example.com", "alice@example.com"));   // disabled row
  EXPECT_FALSE(Leads("sales@example.com", "nested@example.com"));  // not backwards
}

TEST_F(AliasWalk, FollowsAliasDomainsDetailsAndCatchalls) {
  EXPECT_TRUE(Leads("viadomain@example.com", "bob@example.com"));  // example.net -> .com
  EXPECT_TRUE(Leads("sales+x@example.com", "bob@example.com"));    // +detail stripped
  EXPECT_TRUE(Leads("nobody@example.org", CatchallNode("example.org")));
  EXPECT_TRUE(Leads(CatchallNode("example.org"), "catchall@example.org"));
}

TEST_F(AliasWalk, MailboxesRelayAndForeignDomainsEndTheWalk) {
  EXPECT_FALSE(Leads("alice@example.com", CatchallNode("example.com")));
  EXPECT_FALSE(Leads("listed@relay.example", "alice@example.com"));
  EXPECT_FALSE(Leads("ext@example.com", "alice@example.com"));
  EXPECT_FALSE(Leads("not an address", "alice@example.com"));
}

TEST_F(AliasWalk, FindsTheLoopACatchallWouldClose) {
  // example.com has no catch-all yet: an unknown address goes nowhere.
  EXPECT_FALSE(Leads("ghost@example.com", "sales@example.com"));
  Must(store_->InsertAlias("back@example.com", "someone@example.com"));
  Domain d = **store_->FindDomain("example.com");
  d.catchall = "back@example.com";
  Must(store_->UpdateDomain(d));
  EXPECT_TRUE(Leads("back@example.com", CatchallNode("example.com")));
}

}  // namespace
}  // namespace rcptdb
