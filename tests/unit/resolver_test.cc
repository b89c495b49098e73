// SPDX-License-Identifier: MIT
// resolver_test - the resolver's rules, one table row per case
//
// Each row: an input as it may arrive from Postfix, LMTP or an admin, the
// verdict, and what is delivered (mailbox: the delivery address; alias:
// the comma-joined targets; relay: the delivery address). The same table
// drives the map-answer consistency checks in map_answers_test.cc.
#include "resolver.h"

#include <gtest/gtest.h>

#include "fixture.h"
#include "resolver_cases.h"

namespace rcptdb::test {
namespace {

class ResolverTest : public ::testing::TestWithParam<ResolverCase> {
 protected:
  static void SetUpTestSuite() {
    db_ = new TempDatabase();
    CreateFilled(db_->path());
  }
  static void TearDownTestSuite() {
    delete db_;
    db_ = nullptr;
  }
  static TempDatabase* db_;
};

TempDatabase* ResolverTest::db_ = nullptr;

std::string Delivered(const Resolution& r) {
  if (r.verdict == Verdict::kAlias) {
    std::string out;
    for (const Target& t : r.targets) out += (out.empty() ? "" : ",") + t.address;
    return out;
  }
  return r.delivery;
}

TEST_P(ResolverTest, Resolves) {
  const ResolverCase& c = GetParam();
  Result<std::unique_ptr<Store>> store = Store::Open(db_->path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status().message();
  Resolver resolver(**store);
  Result<Resolution> r = resolver.Resolve(c.input);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::string path;
  for (const std::string& line : r->path) path += "\n  " + line;
  EXPECT_EQ(VerdictName(r->verdict), std::string(VerdictName(c.verdict)))
      << "input [" << c.input << "]" << path;
  EXPECT_EQ(Delivered(*r), c.delivered) << "input [" << c.input << "]" << path;
  if (c.transport != nullptr) {
    EXPECT_EQ(r->transport, c.transport) << "input [" << c.input << "]";
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ResolverTest, ::testing::ValuesIn(kResolverCases));

TEST(ResolverTableSize, HasAtLeastSixtyCases) { EXPECT_GE(std::size(kResolverCases), 60u); }

// The delimiter set lives in the database and changes the meaning at once.
TEST(ResolverSettings, DelimiterSetFromDatabase) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> rw = Store::Open(db.path(), Store::Mode::kReadWrite);
  ASSERT_TRUE(rw.ok());
  Result<std::unique_ptr<Store>> ro = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(ro.ok());
  Resolver resolver(**ro);

  EXPECT_EQ(resolver.Resolve("alice-news@example.com")->verdict, Verdict::kUnknownRecipient);
  Must((*rw)->SetSetting("delimiter", "+-"));
  Result<Resolution> r = resolver.Resolve("alice-news@example.com");
  EXPECT_EQ(r->verdict, Verdict::kMailbox);
  EXPECT_EQ(r->detail, "-news");
  EXPECT_EQ(r->mailbox, "alice@example.com");

  Must((*rw)->SetSetting("delimiter", ""));
  EXPECT_EQ(resolver.Resolve("alice+news@example.com")->verdict, Verdict::kUnknownRecipient);
  // A delimiter that is also a letter would make real names ambiguous.
  EXPECT_FALSE((*rw)->SetSetting("delimiter", "a").ok());
}

}  // namespace
}  // namespace rcptdb::test
