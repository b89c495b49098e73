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
#ifdef RCPTDB_WITH_PGSQL
#include "pg_fixture.h"
#endif

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

// Resolves one case of the table on store and checks the answer.
void CheckCase(Store& store, const ResolverCase& c) {
  Resolver resolver(store);
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

TEST_P(ResolverTest, Resolves) {
  Result<std::unique_ptr<Store>> store = Store::Open(db_->path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status().message();
  CheckCase(**store, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Table, ResolverTest, ::testing::ValuesIn(kResolverCases));

// Without notes (rcptdb-server's lookups) every case resolves to the very
// same answer, field by field; only the path is left empty.
TEST(ResolverNotes, WithoutNotesEveryCaseMeansTheSameWithAnEmptyPath) {
  TempDatabase db;
  CreateFilled(db.path());
  Result<std::unique_ptr<Store>> store = Store::Open(db.path(), Store::Mode::kReadOnly);
  ASSERT_TRUE(store.ok()) << store.status().message();
  for (const ResolverCase& c : kResolverCases) {
    SCOPED_TRACE("input [" + c.input + "]");
    Result<Resolution> with = Resolver(**store).Resolve(c.input);
    Result<Resolution> without = Resolver(**store, false).Resolve(c.input);
    ASSERT_TRUE(with.ok() && without.ok());
    EXPECT_FALSE(with->path.empty());
    EXPECT_TRUE(without->path.empty());
    EXPECT_EQ(without->verdict, with->verdict);
    EXPECT_EQ(without->input, with->input);
    EXPECT_EQ(without->domain, with->domain);
    EXPECT_EQ(without->domain_ours, with->domain_ours);
    EXPECT_EQ(without->transport, with->transport);
    EXPECT_EQ(without->mailbox, with->mailbox);
    EXPECT_EQ(without->delivery, with->delivery);
    EXPECT_EQ(without->detail, with->detail);
    EXPECT_EQ(without->via_catchall, with->via_catchall);
    ASSERT_EQ(without->targets.size(), with->targets.size());
    for (std::size_t i = 0; i < with->targets.size(); ++i) {
      EXPECT_EQ(without->targets[i].address, with->targets[i].address);
      EXPECT_EQ(without->targets[i].mailbox, with->targets[i].mailbox);
      EXPECT_EQ(without->targets[i].transport, with->targets[i].transport);
    }
  }
}

#ifdef RCPTDB_WITH_PGSQL
// The same table on PostgreSQL (RCPTDB_TEST_PGSQL_URI, pg_fixture.h): one
// fresh schema, filled once, read by one connection.
class PgResolverTest : public ::testing::TestWithParam<ResolverCase> {
 protected:
  static void SetUpTestSuite() {
    uri_ = new std::string(PgTestUri());
    if (uri_->empty()) return;
    setup_error_ = new std::string(ResetPgSchema(*uri_));
    if (!setup_error_->empty()) return;
    {
      Result<std::unique_ptr<Store>> created = Store::Create(*uri_);
      if (!created.ok()) {
        *setup_error_ = created.status().message();
        return;
      }
      Fill(**created);
    }
    Result<std::unique_ptr<Store>> s = Store::Open(*uri_, Store::Mode::kReadOnly);
    if (!s.ok()) *setup_error_ = s.status().message();
    if (s.ok()) store_ = s->release();
  }
  static void TearDownTestSuite() {
    delete store_;
    delete uri_;
    delete setup_error_;
    store_ = nullptr;
    uri_ = setup_error_ = nullptr;
  }
  void SetUp() override {
    if (uri_->empty()) GTEST_SKIP() << "RCPTDB_TEST_PGSQL_URI is not set";
    ASSERT_EQ(*setup_error_, "") << "RCPTDB_TEST_PGSQL_URI is set but unusable";
    ASSERT_NE(store_, nullptr);
  }
  static std::string* uri_;
  static std::string* setup_error_;
  static Store* store_;
};

std::string* PgResolverTest::uri_ = nullptr;
std::string* PgResolverTest::setup_error_ = nullptr;
Store* PgResolverTest::store_ = nullptr;

TEST_P(PgResolverTest, Resolves) { CheckCase(*store_, GetParam()); }

INSTANTIATE_TEST_SUITE_P(Table, PgResolverTest, ::testing::ValuesIn(kResolverCases));
#endif

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
