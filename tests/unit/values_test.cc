// SPDX-License-Identifier: MIT
// values_test.cc - the values an admin types (sql/provision/values.h): each is
// normalised the one way, and each refusal names the value.
#include "values.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace rcptdb {
namespace {

// Expects r to be refused with a message that contains fragment.
template <typename T>
void ExpectRefused(const Result<T>& r, const std::string& fragment) {
  ASSERT_FALSE(r.ok()) << fragment;
  EXPECT_EQ(r.status().code(), Status::Code::kInvalid);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(Values, DomainNamesHaveOneForm) {
  EXPECT_EQ(*ParseDomainName("Example.COM."), "example.com");
  EXPECT_EQ(*ParseDomainName("bücher.example"), "xn--bcher-kva.example");
  ExpectRefused(ParseDomainName("a@b.example"), "a@b.example: not a valid domain name");
  ExpectRefused(ParseDomainName("exa mple.com"), "exa mple.com");
  ExpectRefused(ParseDomainName(""), "not a valid domain name");
}

TEST(Values, AddressesHaveOneForm) {
  Result<Address> a = ParseAddress("Bob@Example.COM");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->str(), "bob@example.com");
  ExpectRefused(ParseAddress("bob@@x"), "bob@@x: not a valid address");
  ExpectRefused(ParseAddress("nodomain"), "nodomain");
}

TEST(Values, QuotasReadSuffixesAndRefuseOverflow) {
  EXPECT_EQ(*ParseQuota("0"), 0);
  EXPECT_EQ(*ParseQuota("1024"), 1024);
  EXPECT_EQ(*ParseQuota("512M"), std::int64_t{512} << 20);
  EXPECT_EQ(*ParseQuota("2g"), std::int64_t{2} << 30);
  EXPECT_EQ(*ParseQuota("1T"), std::int64_t{1} << 40);
  for (const char* bad :
       {"", "M", "-1", "1.5G", "12X", " 1", "1 ", "9223372036854775808", "8388608T"})
    ExpectRefused(ParseQuota(bad), std::string("quota ") + bad);
  EXPECT_EQ(*ParseQuota("8388607T"), std::int64_t{8388607} << 40);
}

TEST(Values, FormatQuotaIsTheShortestExactForm) {
  EXPECT_EQ(FormatQuota(0), "0");
  EXPECT_EQ(FormatQuota(1000), "1000");
  EXPECT_EQ(FormatQuota(1024), "1K");
  EXPECT_EQ(FormatQuota(std::int64_t{512} << 20), "512M");
  EXPECT_EQ(FormatQuota((std::int64_t{1} << 30) + 1024), "1048577K");
  for (std::int64_t q : {std::int64_t{0}, std::int64_t{1}, std::int64_t{3} << 40,
                         std::numeric_limits<std::int64_t>::max()})
    EXPECT_EQ(*ParseQuota(FormatQuota(q)), q) << q;
}

TEST(Values, TransportsAreTransportValues) {
  EXPECT_TRUE(CheckTransport("lmtp:inet:127.0.0.1:24").ok());
  EXPECT_TRUE(CheckTransport("smtp:[mx.example]").ok());
  // transport(5) values may hold blanks (issue 8): error:5.7.1 Mailbox moved.
  EXPECT_TRUE(CheckTransport("error:5.7.1 Mailbox moved").ok());
  for (const char* bad : {"", "lmtp", "smtp:\x7f", "smtp:caf\xc3\xa9"})
    EXPECT_FALSE(CheckTransport(bad).ok()) << bad;
  EXPECT_NE(CheckTransport("lmtp").message().find("transport lmtp:"), std::string::npos);
}

TEST(Values, FlagsAreOneOrZero) {
  EXPECT_TRUE(*ParseFlag("", true, "active"));
  EXPECT_FALSE(*ParseFlag("", false, "active"));
  EXPECT_TRUE(*ParseFlag("1", false, "active"));
  EXPECT_FALSE(*ParseFlag("0", true, "active"));
  ExpectRefused(ParseFlag("yes", true, "active"), "active yes: must be 1 or 0");
}

TEST(Values, DelimitersAreAtMostEightOfTheAllowedCharacters) {
  EXPECT_TRUE(CheckDelimiters("").ok());
  EXPECT_TRUE(CheckDelimiters("+").ok());
  EXPECT_TRUE(CheckDelimiters("-+=_.#~").ok());
  EXPECT_FALSE(CheckDelimiters("+++++++++").ok());
  EXPECT_FALSE(CheckDelimiters("@").ok());
  EXPECT_FALSE(CheckDelimiters("+ ").ok());
}

TEST(Values, KindsRolesAndTokenDaysHaveOneWording) {
  EXPECT_EQ(*ParseKind("relay"), DomainKind::kRelay);
  ExpectRefused(ParseKind("Hosted"), "Hosted: must be hosted, relay or alias");
  EXPECT_EQ(*ParseRole("server"), AdminRole::kServer);
  ExpectRefused(ParseRole("root"), "root: must be server or domain");
  EXPECT_EQ(*ParseTokenDays("36500"), 36500);
  ExpectRefused(ParseTokenDays("36501"), "36501: must be a number of days, 1 to 36500");
  ExpectRefused(ParseTokenDays("0"), "0: must be a number of days, 1 to 36500");
  ExpectRefused(ParseTokenDays("7d"), "7d: must be a number of days");
  ExpectRefused(ParseTokenDays(""), ": must be a number of days");
  ExpectRefused(ParseTokenDays("99999999999999999999"), "must be a number of days");
  EXPECT_TRUE(CheckTokenDays(1).ok());
  EXPECT_EQ(CheckTokenDays(-1).message(), "-1: must be a number of days, 1 to 36500");
  EXPECT_TRUE(CheckAdminDomains(AdminRole::kDomain, true).ok());
  EXPECT_TRUE(CheckAdminDomains(AdminRole::kServer, false).ok());
  EXPECT_EQ(CheckAdminDomains(AdminRole::kServer, true).message(),
            "a server admin holds every domain; domains are for domain admins");
}

TEST(Values, DescriptionsAreShortTextWithoutControls) {
  EXPECT_TRUE(CheckDescription("").ok());
  EXPECT_TRUE(CheckDescription("Zoë Example <img src=x onerror=alert(1)>").ok());
  // 255 characters, not bytes: each é is two.
  std::string e255;
  for (int i = 0; i < 255; ++i) e255 += "\xc3\xa9";
  EXPECT_TRUE(CheckDescription(e255).ok());
  EXPECT_FALSE(CheckDescription(e255 + "x").ok());
  EXPECT_TRUE(CheckDescription(std::string(255, 'x')).ok());
  EXPECT_FALSE(CheckDescription(std::string(256, 'x')).ok());
  const std::string bads[] = {"a\nb", "tab\there", "del\x7f",     std::string("nul\0x", 5),
                              "\xff", "\xc3",      "\xed\xa0\x80"};
  for (const std::string& bad : bads) {
    Status s = CheckDescription(bad);
    EXPECT_EQ(s.code(), Status::Code::kInvalid) << bad;
    EXPECT_EQ(s.message(), kDescriptionRule) << bad;
  }
}

TEST(Values, LoginsAreAddressesOrPlainNames) {
  EXPECT_EQ(*ParseLogin("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(*ParseLogin("alice"), "alice");
  ExpectRefused(ParseLogin(""), "login : not a login");
  ExpectRefused(ParseLogin("a,b"), "login a,b");
  ExpectRefused(ParseLogin("a b"), "login a b");
  ExpectRefused(ParseLogin(std::string(255, 'x')), "not a login");
}

}  // namespace
}  // namespace rcptdb
