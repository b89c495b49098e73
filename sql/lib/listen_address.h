// SPDX-License-Identifier: MIT
// listen_address.h - where a listener accepts connections
//
// A ListenAddress is what an admin writes after --tcp-table MAP= or
// --socketmap: "127.0.0.1:10041", "[::1]:10041", "localhost:10041",
// Postfix's own spelling "inet:127.0.0.1:10041", or "unix:/run/rcptdb/sock".
// Hosts are numeric (IPv4 or bracketed IPv6) or "localhost", so that a
// configuration never depends on name resolution at boot; a missing host
// (":10041") is refused, because binding every interface must be explicit
// ("0.0.0.0:10041").
//
// Thread safety: plain values; parse functions are pure.
#ifndef RCPTDB_LISTEN_ADDRESS_H
#define RCPTDB_LISTEN_ADDRESS_H

#include <cstdint>
#include <string>
#include <string_view>

#include "status.h"

namespace rcptdb {

struct ListenAddress {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;        // kTcp: numeric IPv4 or IPv6 literal, no brackets
  std::uint16_t port = 0;  // kTcp: 1..65535
  std::string path;        // kUnix: absolute socket path

  // Returns the canonical spelling: "127.0.0.1:10041", "[::1]:10041",
  // "unix:/path". Two addresses are the same listener iff these are equal.
  std::string str() const;
  // Returns true iff only this host can connect: a unix socket, or a TCP
  // address in 127.0.0.0/8 or ::1.
  bool loopback() const;
  bool operator==(const ListenAddress&) const = default;
};

// Parses one listen address (see above); Invalid with the reason otherwise.
Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace rcptdb

#endif
