// SPDX-License-Identifier: MIT
// listen_address_test.cc - the listener addresses admins write in rcptdb.conf
// and on the command line (listen_address.h).
#include "listen_address.h"

#include <gtest/gtest.h>

#include <string>

namespace rcptdb {
namespace {

TEST(ListenAddress, ParsesTheSpellingsAdminsWrite) {
  struct Case {
    const char* text;
    const char* canonical;
    bool loopback;
  } cases[] = {
      {"127.0.0.1:10041", "127.0.0.1:10041", true},
      {"inet:127.0.0.1:10041", "127.0.0.1:10041", true},
      {"localhost:25", "127.0.0.1:25", true},
      {"127.8.9.10:1", "127.8.9.10:1", true},
      {"[::1]:65535", "[::1]:65535", true},
      {"0.0.0.0:10041", "0.0.0.0:10041", false},
      {"192.0.2.7:10041", "192.0.2.7:10041", false},
      {"[2001:db8::1]:7", "[2001:db8::1]:7", false},
      {"[::]:7", "[::]:7", false},
      {"unix:/run/rcptdb/socketmap", "unix:/run/rcptdb/socketmap", true},
  };
  for (const Case& c : cases) {
    Result<ListenAddress> a = ParseListenAddress(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status().message();
    EXPECT_EQ(a->str(), c.canonical) << c.text;
    EXPECT_EQ(a->loopback(), c.loopback) << c.text;
  }
}

TEST(ListenAddress, RefusesWhatWouldSurpriseAtBoot) {
  for (const char* text :
       {"", "10041", ":10041", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:-1", "127.0.0.1:80x", "mail.example:25", "::1:25", "[::1]25", "[::1:25",
        "unix:", "unix:relative/path", "999.0.0.1:25"}) {
    EXPECT_FALSE(ParseListenAddress(text).ok()) << text;
  }
  EXPECT_FALSE(ParseListenAddress("unix:/" + std::string(107, 'x')).ok());
  EXPECT_TRUE(ParseListenAddress("unix:/" + std::string(106, 'x')).ok());
}

}  // namespace
}  // namespace rcptdb
