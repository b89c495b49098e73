// SPDX-License-Identifier: MIT
// NAME
//   socketmap_codec - encode and decode socketmap(5) messages
// DESCRIPTION
//   The protocol, as Postfix 3.7's dict_sockmap client speaks it: every
//   message is a netstring, "LEN:payload,", LEN the payload size in decimal.
//
//     request  name SP key             key unencoded; the first space splits
//     reply    OK SP data | NOTFOUND SP | TEMP SP reason | TIMEOUT SP reason
//              | PERM SP reason        payload <= 100000 bytes
//
//   The client sends one request and reads one reply; it closes an idle
//   connection after 10 s and retries once on EOF. TEMP and TIMEOUT defer
//   the mail, PERM is logged as a configuration error.
//
//   Lengths are read strictly (digits only, no leading zeros, at most ten
//   digits) and judged as soon as they arrive, so a peer announcing a huge
//   payload is refused before a byte of it is buffered. Postfix writes
//   lengths with "%ld", which never has leading zeros, so strictness costs
//   nothing. A found value that would not reach Postfix intact is refused
//   with TEMP, never cut.
// SEE ALSO
//   socketmap_table(5), Postfix src/util/dict_sockmap.c and netstring.c (the
//   client), tcp_table_codec.cc (the other lookup protocol)
#include "socketmap_codec.h"

#include <cstdint>

namespace rcptdb {
namespace {

// Returns word + " " + text, with text shortened so the payload fits.
std::string Payload(std::string_view word, std::string_view text, std::size_t max_reply) {
  std::string out(word);
  out += ' ';
  std::size_t room = max_reply > out.size() ? max_reply - out.size() : 0;
  out += text.substr(0, room);
  return out;
}

}  // namespace

// ParseNetstring - one netstring, judged digit by digit
Netstring ParseNetstring(std::string_view buffer, std::size_t max_payload) {
  Netstring result;

  // The length: digits, no sign, no leading zero, bounded as it arrives.
  std::uint64_t length = 0;
  std::size_t i = 0;
  for (; i < buffer.size() && buffer[i] >= '0' && buffer[i] <= '9'; ++i) {
    if (i == 1 && buffer[0] == '0') {
      result.status = NetstringParse::kMalformed;
      return result;
    }
    if (i == kNetstringMaxDigits) {
      result.status = NetstringParse::kTooLong;
      return result;
    }
    length = length * 10 + static_cast<std::uint64_t>(buffer[i] - '0');
    if (length > max_payload) {
      result.status = NetstringParse::kTooLong;
      return result;
    }
  }
  if (i == buffer.size()) return result;  // kNeedMore: the length may go on
  if (i == 0 || buffer[i] != ':') {
    result.status = NetstringParse::kMalformed;
    return result;
  }

  // The payload and its ',' terminator.
  std::size_t start = i + 1;
  std::size_t end = start + static_cast<std::size_t>(length);
  if (buffer.size() <= end) return result;  // kNeedMore
  if (buffer[end] != ',') {
    result.status = NetstringParse::kMalformed;
    return result;
  }
  result.status = NetstringParse::kComplete;
  result.payload = buffer.substr(start, end - start);
  result.consumed = end + 1;
  return result;
}

// EncodeNetstring - frame a payload
std::string EncodeNetstring(std::string_view payload) {
  std::string out = std::to_string(payload.size());
  out.reserve(out.size() + payload.size() + 2);
  out += ':';
  out += payload;
  out += ',';
  return out;
}

// ParseSocketmapRequest - one "name SP key" netstring
SocketmapRequest ParseSocketmapRequest(std::string_view buffer, std::size_t max_request) {
  SocketmapRequest result;
  Netstring frame = ParseNetstring(buffer, max_request);
  switch (frame.status) {
    case NetstringParse::kNeedMore:
      return result;
    case NetstringParse::kTooLong:
      result.status = SocketmapParse::kTooLong;
      return result;
    case NetstringParse::kMalformed:
      result.status = SocketmapParse::kBadFrame;
      return result;
    case NetstringParse::kComplete:
      break;
  }

  // Framed: whatever the payload holds, the next request starts after it.
  result.consumed = frame.consumed;
  result.status = SocketmapParse::kMalformed;
  std::string_view payload = frame.payload;
  std::size_t space = payload.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == payload.size() ||
      payload.find('\0') != std::string_view::npos)
    return result;
  result.status = SocketmapParse::kRequest;
  result.map.assign(payload.substr(0, space));
  result.key.assign(payload.substr(space + 1));
  return result;
}

// EncodeSocketmapReply - one reply netstring that Postfix will accept
std::string EncodeSocketmapReply(SocketmapReply kind, std::string_view text,
                                 std::size_t max_reply) {
  switch (kind) {
    case SocketmapReply::kOk:
      // Refuse, never alter, a value Postfix would not receive intact.
      if (text.empty()) return EncodeNetstring(Payload("TEMP", "rcptdb: empty value", max_reply));
      if (text.find('\0') != std::string_view::npos)
        return EncodeNetstring(Payload("TEMP", "rcptdb: value contains NUL", max_reply));
      if (text.size() > max_reply - 3)
        return EncodeNetstring(Payload("TEMP", "rcptdb: value too long for socketmap", max_reply));
      return EncodeNetstring(Payload("OK", text, max_reply));
    case SocketmapReply::kNotFound:
      return EncodeNetstring("NOTFOUND ");
    case SocketmapReply::kTemp:
      return EncodeNetstring(Payload("TEMP", text.empty() ? "temporary failure" : text, max_reply));
    case SocketmapReply::kTimeout:
      return EncodeNetstring(Payload("TIMEOUT", text.empty() ? "timeout" : text, max_reply));
    case SocketmapReply::kPerm:
      return EncodeNetstring(Payload("PERM", text.empty() ? "permanent failure" : text, max_reply));
  }
  return EncodeNetstring(Payload("TEMP", "rcptdb: bad reply kind", max_reply));
}

}  // namespace rcptdb
