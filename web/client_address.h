// SPDX-License-Identifier: MIT
// client_address.h - who the client is: the peer, or what a trusted proxy says
//
// The audit log and the login throttle need the client's address. It is
// the TCP peer's, unless that peer is one of trusted_proxies (a reverse
// proxy such as nginx); only then is X-Forwarded-For read, from the
// right: each proxy appends the address it saw, so the right-most entry
// that is not itself a trusted proxy is the client. Entries further left
// were written by the client and prove nothing (a spoofed X-Forwarded-For
// or X-Real-IP from anyone else is ignored: mailcow CVE-2026-40875). A
// peer on a unix socket is a trusted proxy only if trusted_proxies says
// "unix"; otherwise its address is "unix".
//
// Thread safety: pure functions.
#ifndef RCPTDB_WEB_CLIENT_ADDRESS_H
#define RCPTDB_WEB_CLIENT_ADDRESS_H

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "network_list.h"
#include "status.h"

namespace rcptdb::web {

struct ProxyTrust {
  NetworkList networks;     // trusted_proxies' CIDR blocks
  bool unix_peers = false;  // trusted_proxies lists "unix"

  // Parses trusted_proxies: CIDR blocks and/or the word "unix".
  static Result<ProxyTrust> Parse(std::string_view text);
  bool empty() const { return networks.empty() && !unix_peers; }
  std::string str() const;
};

// Parses a numeric address ("192.0.2.1", "2001:db8::1") into ss; false
// if it is not one, with ss a unix sockaddr (which lies in no network).
bool ToSockaddr(const std::string& text, sockaddr_storage& ss);

// Returns the numeric address of peer ("192.0.2.1", "2001:db8::1"; an
// IPv4-mapped IPv6 peer as IPv4), or "unix" for null or a unix socket.
std::string PeerAddress(const sockaddr* peer);

// Returns the client's address (see above). peer is null for a unix
// socket; forwarded_for is the X-Forwarded-For header ("" if none).
std::string ClientAddress(const sockaddr* peer, std::string_view forwarded_for,
                          const ProxyTrust& trust);

}  // namespace rcptdb::web

#endif
