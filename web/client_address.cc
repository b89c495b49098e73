// SPDX-License-Identifier: MIT
// NAME
//   client_address - the right-most untrusted hop of X-Forwarded-For
// SEE ALSO
//   client_address.h, RFC 7239 section 5.2 (the same rule for Forwarded)
#include "client_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "config_syntax.h"

namespace rcptdb::web {
bool ToSockaddr(const std::string& text, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return true;
  }
  ss.ss_family = AF_UNIX;
  return false;
}

Result<ProxyTrust> ProxyTrust::Parse(std::string_view text) {
  ProxyTrust t;
  std::string blocks;
  for (const std::string& item : SplitList(text)) {
    if (item == "unix")
      t.unix_peers = true;
    else
      blocks += item + " ";
  }
  Result<NetworkList> n = NetworkList::Parse(blocks);
  if (!n.ok()) return n.status();
  t.networks = *n;
  return t;
}

std::string ProxyTrust::str() const {
  std::string s = networks.str();
  if (unix_peers) s += s.empty() ? "unix" : ", unix";
  return s;
}

std::string PeerAddress(const sockaddr* peer) {
  if (peer == nullptr) return "unix";
  char buf[INET6_ADDRSTRLEN] = "";
  if (peer->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (peer->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof buf);
      return buf;
    }
    inet_ntop(AF_INET6, &a, buf, sizeof buf);
    return buf;
  }
  return "unix";
}

std::string ClientAddress(const sockaddr* peer, std::string_view forwarded_for,
                          const ProxyTrust& trust) {
  bool unix_peer = peer == nullptr || peer->sa_family == AF_UNIX;
  std::string hop = PeerAddress(unix_peer ? nullptr : peer);
  bool trusted = unix_peer ? trust.unix_peers : trust.networks.Contains(peer);
  if (!trusted) return hop;
  // Walk from the right while the hop we stand on is a trusted proxy.
  std::vector<std::string> entries;
  std::size_t start = 0;
  while (start <= forwarded_for.size()) {
    std::size_t comma = forwarded_for.find(',', start);
    if (comma == std::string_view::npos) comma = forwarded_for.size();
    entries.emplace_back(TrimBlanks(forwarded_for.substr(start, comma - start)));
    start = comma + 1;
  }
  for (auto it = entries.rbegin(); it != entries.rend() && trusted; ++it) {
    sockaddr_storage ss;
    if (it->empty() || !ToSockaddr(*it, ss)) break;  // not an address: stop at the proxy
    hop = PeerAddress(reinterpret_cast<const sockaddr*>(&ss));
    trusted = trust.networks.Contains(reinterpret_cast<const sockaddr*>(&ss));
  }
  return hop;
}

}  // namespace rcptdb::web
