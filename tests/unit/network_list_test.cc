// SPDX-License-Identifier: MIT
// network_list_test.cc - allow_networks: parsing CIDR lists and matching
// IPv4, IPv6 and mapped peers (network_list.h).
#include "network_list.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace rcptdb {
namespace {

sockaddr_storage V4(const char* ip) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &in->sin_addr);
  return ss;
}

sockaddr_storage V6(const char* ip) {
  sockaddr_storage ss{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &in6->sin6_addr);
  return ss;
}

bool In(const NetworkList& list, const sockaddr_storage& ss) {
  return list.Contains(reinterpret_cast<const sockaddr*>(&ss));
}

TEST(NetworkList, MatchesIpv4Ipv6AndMappedPeers) {
  Result<NetworkList> list =
      NetworkList::Parse("192.0.2.0/24, 10.1.2.3 2001:db8::/32,\t198.51.100.128/25");
  ASSERT_TRUE(list.ok()) << list.status().message();
  EXPECT_TRUE(In(*list, V4("192.0.2.0")));
  EXPECT_TRUE(In(*list, V4("192.0.2.255")));
  EXPECT_FALSE(In(*list, V4("192.0.3.0")));
  EXPECT_TRUE(In(*list, V4("10.1.2.3")));
  EXPECT_FALSE(In(*list, V4("10.1.2.4")));
  EXPECT_TRUE(In(*list, V4("198.51.100.200")));
  EXPECT_FALSE(In(*list, V4("198.51.100.127")));
  EXPECT_TRUE(In(*list, V6("2001:db8:ffff::1")));
  EXPECT_FALSE(In(*list, V6("2001:db9::1")));
  // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
  EXPECT_TRUE(In(*list, V6("::ffff:192.0.2.9")));
  EXPECT_FALSE(In(*list, V6("::ffff:192.0.3.9")));
  EXPECT_EQ(list->str(), "192.0.2.0/24, 10.1.2.3/32, 2001:db8::/32, 198.51.100.128/25");
}

TEST(NetworkList, ZeroPrefixMatchesEverythingOfItsFamily) {
  Result<NetworkList> v4 = NetworkList::Parse("0.0.0.0/0");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE(In(*v4, V4("203.0.113.1")));
  EXPECT_FALSE(In(*v4, V6("2001:db8::1")));
  Result<NetworkList> v6 = NetworkList::Parse("::/0");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(In(*v6, V6("2001:db8::1")));
}

TEST(NetworkList, RefusesTyposAndHostBits) {
  for (const char* text : {"192.0.2.1/24", "192.0.2.0/33", "2001:db8::/129", "2001:db8::1/32",
                           "example.com", "192.0.2.0/", "192.0.2.0/x", "300.0.0.0/8"}) {
    EXPECT_FALSE(NetworkList::Parse(text).ok()) << text;
  }
  Result<NetworkList> empty = NetworkList::Parse(" , ");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(NetworkList, KnowsLoopback) {
  auto lo = [](const sockaddr_storage& ss) {
    return NetworkList::IsLoopback(reinterpret_cast<const sockaddr*>(&ss));
  };
  EXPECT_TRUE(lo(V4("127.0.0.1")));
  EXPECT_TRUE(lo(V4("127.255.0.9")));
  EXPECT_FALSE(lo(V4("128.0.0.1")));
  EXPECT_TRUE(lo(V6("::1")));
  EXPECT_TRUE(lo(V6("::ffff:127.0.0.1")));
  EXPECT_FALSE(lo(V6("::2")));
}

}  // namespace
}  // namespace rcptdb
