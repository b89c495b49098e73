// SPDX-License-Identifier: MIT
// address_test - normalisation of addresses and domains
#include "address.h"

#include <gtest/gtest.h>

namespace rcptdb {
namespace {

TEST(NormalizeDomain, FoldsAndConverts) {
  EXPECT_EQ(NormalizeDomain("Example.COM"), "example.com");
  EXPECT_EQ(NormalizeDomain("example.com."), "example.com");
  EXPECT_EQ(NormalizeDomain(" example.com "), "example.com");
  EXPECT_EQ(NormalizeDomain("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("BÜCHER.example"), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(NormalizeDomain("localhost"), "localhost");
}

TEST(NormalizeDomain, RejectsWhatIsNoDomain) {
  for (const char* bad :
       {"", ".", "..", ".example.com", "example..com", "-a.example", "a-.example", "exa mple.com",
        "exa_mple.com", "a@b", "*", "example.com..", "xn--zz.example"})
    EXPECT_FALSE(NormalizeDomain(bad)) << bad;
  EXPECT_FALSE(NormalizeDomain(std::string(64, 'a') + ".example"));
  EXPECT_TRUE(NormalizeDomain(std::string(63, 'a') + ".example"));
  std::string long_domain;
  for (int i = 0; i < 64; ++i) long_domain += "abc.";
  long_domain += "com";
  EXPECT_FALSE(NormalizeDomain(long_domain));
  EXPECT_FALSE(NormalizeDomain(std::string(5000, 'a')));
}

TEST(NormalizeAddress, SplitsAtTheLastAt) {
  std::optional<Address> a = NormalizeAddress("John.Doe@Example.COM");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->local, "john.doe");
  EXPECT_EQ(a->domain, "example.com");
  EXPECT_EQ(a->str(), "john.doe@example.com");
  EXPECT_EQ(NormalizeAddress("\"john.doe\"@example.com")->str(), "john.doe@example.com");
  EXPECT_FALSE(NormalizeAddress("john@doe@example.com"));
  EXPECT_FALSE(NormalizeAddress("john@ example.com"));
  EXPECT_TRUE(NormalizeAddress(std::string(64, 'a') + "@example.com"));
  EXPECT_FALSE(NormalizeAddress(std::string(65, 'a') + "@example.com"));
}

TEST(StripDetail, FirstDelimiterAfterTheFirstCharacter) {
  EXPECT_EQ(StripDetail("alice+x", "+"), "alice");
  EXPECT_EQ(StripDetail("alice+x+y", "+"), "alice");
  EXPECT_EQ(StripDetail("alice-x+y", "+-"), "alice");
  EXPECT_FALSE(StripDetail("+alice", "+"));
  EXPECT_FALSE(StripDetail("alice", "+"));
  EXPECT_FALSE(StripDetail("alice+x", ""));
}

// 1.2.3.4 is an IPv4 address, never a domain we could host (issue 8).
TEST(NormalizeDomain, RefusesAnAllNumericLastLabel) {
  for (const char* bad : {"1.2.3.4", "127.0.0.1", "example.123", "42"})
    EXPECT_FALSE(NormalizeDomain(bad)) << bad;
  EXPECT_FALSE(NormalizeAddress("user@1.2.3.4"));
  EXPECT_EQ(NormalizeDomain("123.example"), "123.example");
  EXPECT_EQ(NormalizeDomain("example.a1"), "example.a1");
  EXPECT_EQ(NormalizeDomain("1a.2b"), "1a.2b");
}

TEST(HasDelimiter, SplitsAfterTheFirstCharacterOnly) {
  EXPECT_TRUE(HasDelimiter("alice+y", "+"));
  EXPECT_TRUE(HasDelimiter("john-doe", "+-"));
  EXPECT_FALSE(HasDelimiter("john-doe", "+"));
  EXPECT_FALSE(HasDelimiter("+lead", "+"));
  EXPECT_FALSE(HasDelimiter("alice+y", ""));
}

TEST(IsBarePostmaster, AnyCaseNoDomain) {
  for (const char* yes : {"postmaster", "PostMaster", " POSTMASTER ", "\"postmaster\""})
    EXPECT_TRUE(IsBarePostmaster(yes)) << yes;
  for (const char* no : {"postmaster@example.com", "postmasters", "abuse", ""})
    EXPECT_FALSE(IsBarePostmaster(no)) << no;
}

}  // namespace
}  // namespace rcptdb
