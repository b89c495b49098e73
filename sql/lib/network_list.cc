// SPDX-License-Identifier: MIT
// NAME
//   network_list - CIDR blocks of clients allowed to connect
// DESCRIPTION
//   Addresses are compared as 128-bit IPv6 values; IPv4 blocks and peers
//   are mapped into ::ffff:0:0/96 so that one comparison covers IPv4
//   peers, IPv6 peers and IPv4 peers seen through a dual-stack socket.
// SEE ALSO
//   network_list.h, rcptdb.conf(5) allow_networks
#include "network_list.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace rcptdb {
namespace {

using Bytes = std::array<std::uint8_t, 16>;

Bytes MapV4(const in_addr& v4) {
  Bytes b{};
  b[10] = 0xff;
  b[11] = 0xff;
  std::memcpy(&b[12], &v4, 4);
  return b;
}

bool FromSockaddr(const sockaddr* addr, Bytes& out) {
  if (addr == nullptr) return false;
  if (addr->sa_family == AF_INET) {
    out = MapV4(reinterpret_cast<const sockaddr_in*>(addr)->sin_addr);
    return true;
  }
  if (addr->sa_family == AF_INET6) {
    std::memcpy(out.data(), &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, 16);
    return true;
  }
  return false;
}

}  // namespace

bool NetworkList::Match(const Block& b, const Bytes& a) {
  int full = b.prefix / 8;
  if (std::memcmp(b.net.data(), a.data(), static_cast<std::size_t>(full)) != 0) return false;
  int rest = b.prefix % 8;
  if (rest == 0) return true;
  std::uint8_t mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (b.net[full] & mask) == (a[full] & mask);
}

Result<NetworkList> NetworkList::Parse(std::string_view text) {
  NetworkList list;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ',' || text[i] == ' ' || text[i] == '\t' || text[i] == '\n') {
      ++i;
      continue;
    }
    std::size_t end = text.find_first_of(", \t\n", i);
    if (end == std::string_view::npos) end = text.size();
    std::string item(text.substr(i, end - i));
    i = end;
    auto bad = [&item](const char* why) {
      return Status::Invalid("bad network \"" + item + "\" in allow_networks: " + why);
    };
    std::string addr = item;
    int prefix = -1;
    if (std::size_t slash = item.find('/'); slash != std::string::npos) {
      addr = item.substr(0, slash);
      std::string_view p = std::string_view(item).substr(slash + 1);
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (ec != std::errc() || ptr != p.data() + p.size() || p.empty())
        return bad("bad prefix length");
    }
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']')
      addr = addr.substr(1, addr.size() - 2);
    Block b{};
    in_addr v4;
    in6_addr v6;
    if (inet_pton(AF_INET, addr.c_str(), &v4) == 1) {
      if (prefix > 32) return bad("IPv4 prefix longer than 32");
      b.net = MapV4(v4);
      b.prefix = (prefix < 0 ? 32 : prefix) + 96;
    } else if (inet_pton(AF_INET6, addr.c_str(), &v6) == 1) {
      if (prefix > 128) return bad("IPv6 prefix longer than 128");
      std::memcpy(b.net.data(), &v6, 16);
      b.prefix = prefix < 0 ? 128 : prefix;
    } else {
      return bad("not a numeric IPv4 or IPv6 address");
    }
    // Host bits set past the prefix: refuse rather than guess.
    Block all = b;
    for (int bit = b.prefix; bit < 128; ++bit)
      all.net[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
    if (all.net != b.net) return bad("address has bits set past the prefix length");
    list.blocks_.push_back(b);
  }
  return list;
}

bool NetworkList::Contains(const sockaddr* addr) const {
  Bytes a;
  if (!FromSockaddr(addr, a)) return false;
  for (const Block& b : blocks_)
    if (Match(b, a)) return true;
  return false;
}

bool NetworkList::IsLoopback(const sockaddr* addr) {
  Bytes a;
  if (!FromSockaddr(addr, a)) return false;
  static const Block kV4{MapV4(in_addr{htonl(0x7f000000)}), 104};
  static const Block kV6{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128};
  return Match(kV4, a) || Match(kV6, a);
}

std::string NetworkList::str() const {
  std::string out;
  for (const Block& b : blocks_) {
    if (!out.empty()) out += ", ";
    char buf[INET6_ADDRSTRLEN];
    bool v4 = b.prefix >= 96 && std::memcmp(b.net.data(), MapV4(in_addr{}).data(), 12) == 0;
    if (v4) {
      inet_ntop(AF_INET, &b.net[12], buf, sizeof buf);
      out += std::string(buf) + "/" + std::to_string(b.prefix - 96);
    } else {
      inet_ntop(AF_INET6, b.net.data(), buf, sizeof buf);
      out += std::string(buf) + "/" + std::to_string(b.prefix);
    }
  }
  return out;
}

}  // namespace rcptdb
