// SPDX-License-Identifier: MIT
// network_list.h - the networks whose clients may connect (allow_networks)
//
// Neither tcp_table(5) nor socketmap(5) authenticates its client, and the
// domains map decides what Postfix relays, so a listener on a non-loopback
// address must say which clients it serves. A NetworkList holds IPv4 and
// IPv6 CIDR blocks ("192.0.2.0/24", "2001:db8::/32", or a single address);
// Contains() is asked for each accepted TCP peer. IPv4-mapped IPv6 peers
// (::ffff:192.0.2.1, as a dual-stack socket reports them) match IPv4 blocks.
//
// Thread safety: immutable after Parse(); Contains() from any thread.
#ifndef RCPTDB_NETWORK_LIST_H
#define RCPTDB_NETWORK_LIST_H

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "status.h"

namespace rcptdb {

class NetworkList {
 public:
  // Parses blocks separated by commas and/or white space; Invalid names the
  // first bad block. A block with bits set past its prefix is refused
  // ("192.0.2.1/24"): it is almost always a typo for something else.
  static Result<NetworkList> Parse(std::string_view text);

  // Returns true iff addr (AF_INET or AF_INET6) lies in one of the blocks.
  bool Contains(const sockaddr* addr) const;
  // Returns true iff addr is a loopback address (127/8, ::1, ::ffff:127/104).
  static bool IsLoopback(const sockaddr* addr);
  bool empty() const { return blocks_.empty(); }
  // Returns the blocks, canonical, separated by ", ".
  std::string str() const;

 private:
  // Every address is kept as IPv6; IPv4 as ::ffff:a.b.c.d with prefix + 96.
  struct Block {
    std::array<std::uint8_t, 16> net;
    int prefix;
  };
  static bool Match(const Block& b, const std::array<std::uint8_t, 16>& a);
  std::vector<Block> blocks_;
};

}  // namespace rcptdb

#endif
