// SPDX-License-Identifier: MIT
// NAME
//   listen_address - parse and print listener addresses
// DESCRIPTION
//   Accepts "HOST:PORT", "[IPV6]:PORT", "inet:HOST:PORT" (as Postfix writes
//   tcp and socketmap client addresses) and "unix:PATH". Only numeric
//   hosts and "localhost" (127.0.0.1) are accepted: a listener must not
//   depend on DNS at boot, and loopback-only checks need a real address.
// SEE ALSO
//   listen_address.h, rcptdb.conf(5)
#include "listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace rcptdb {

std::string ListenAddress::str() const {
  if (kind == Kind::kUnix) return "unix:" + path;
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

bool ListenAddress::loopback() const {
  if (kind == Kind::kUnix) return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

namespace {

Status Bad(std::string_view text, const char* why) {
  return Status::Invalid("bad listen address \"" + std::string(text) + "\": " + why);
}

}  // namespace

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  ListenAddress a;
  if (text.starts_with("unix:")) {
    a.kind = ListenAddress::Kind::kUnix;
    a.path = text.substr(5);
    if (a.path.empty() || a.path.front() != '/')
      return Bad(text, "unix socket path must be absolute");
    // sun_path holds 108 bytes including the terminating NUL.
    if (a.path.size() > 107) return Bad(text, "unix socket path is longer than 107 bytes");
    if (a.path.find('\0') != std::string::npos) return Bad(text, "NUL in path");
    return a;
  }
  std::string_view rest = text;
  if (rest.starts_with("inet:")) rest.remove_prefix(5);
  std::string_view host;
  std::string_view port;
  if (rest.starts_with("[")) {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
      return Bad(text, "expected [IPV6]:PORT");
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    std::size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return Bad(text, "expected HOST:PORT or unix:PATH");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return Bad(text, "write IPv6 hosts as [ADDR]:PORT");
  }
  if (host.empty()) return Bad(text, "missing host (write 0.0.0.0 to mean every interface)");
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
    return Bad(text, "port must be a number from 1 to 65535");
  a.port = static_cast<std::uint16_t>(value);
  a.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, a.host.c_str(), &v4) != 1 && inet_pton(AF_INET6, a.host.c_str(), &v6) != 1)
    return Bad(text, "host must be a numeric IPv4 or IPv6 address, or localhost");
  return a;
}

}  // namespace rcptdb
