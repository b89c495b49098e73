// SPDX-License-Identifier: MIT
// socketmap_codec.h - the bytes of the socketmap(5) lookup protocol
//
// Postfix's socketmap: client (Sendmail's protocol) sends one netstring per
// request, "LEN:name SP key,", and reads one netstring reply: "OK data",
// "NOTFOUND ", "TEMP reason", "TIMEOUT reason" or "PERM reason". The key is
// sent as is (it may hold spaces; the first space ends the map name), so
// one listener serves every map. Postfix refuses keys over 10000 bytes on
// its own side and replies over 100000 bytes (netstring framing excluded).
//
// These functions turn received bytes into requests and answers into bytes.
// They know nothing of sockets, timeouts or the database, allocate only what
// they return, never throw, and bound everything they look at.
//
// Two kinds of bad input differ in what the server can do next. A netstring
// whose payload is no request (kMalformed) is framed: answer NOTFOUND and go
// on. Broken framing (kBadFrame) or an oversized declared length (kTooLong)
// leaves no safe place to resume: answer PERM if you like, then close. Postfix
// itself produces neither, and reconnects once on EOF.
//
// Thread safety: pure functions on caller-owned data; call from any thread.
#ifndef RCPTDB_SOCKETMAP_CODEC_H
#define RCPTDB_SOCKETMAP_CODEC_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rcptdb {

// The default bound on a request payload: Postfix's 10000-byte key limit
// (socketmap_max_query) plus a map name and the space.
inline constexpr std::size_t kSocketmapMaxRequest = 10000 + 240;

// The longest reply payload Postfix accepts (DICT_SOCKMAP_DEF_MAX_REPLY).
inline constexpr std::size_t kSocketmapMaxReply = 100000;

// A netstring length has at most this many decimal digits here.
inline constexpr std::size_t kNetstringMaxDigits = 10;

enum class NetstringParse {
  kComplete,   // payload is set
  kNeedMore,   // a valid prefix of a netstring: read more bytes, keep the buffer
  kTooLong,    // the declared length exceeds max_payload
  kMalformed,  // not a netstring: bad length, or a missing ':' or ','
};

struct Netstring {
  NetstringParse status = NetstringParse::kNeedMore;
  std::string_view payload;  // iff kComplete; points into the parsed buffer
  std::size_t consumed = 0;  // bytes to drop from the front of the buffer
};

// Parses the netstring at the front of buffer: decimal length without sign
// or leading zeros ("0" itself is fine), ':', payload, ','. consumed is the
// whole netstring for kComplete and 0 otherwise. A length is judged as soon
// as its digits arrive: too long (or more than kNetstringMaxDigits digits)
// is kTooLong even before the ':' is seen.
Netstring ParseNetstring(std::string_view buffer, std::size_t max_payload);

// Returns "LEN:" + payload + ",".
std::string EncodeNetstring(std::string_view payload);

enum class SocketmapParse {
  kRequest,    // map and key are set
  kNeedMore,   // no complete netstring yet: read more bytes, keep the buffer
  kTooLong,    // declared length > max_request: close the connection
  kBadFrame,   // not a netstring: close the connection
  kMalformed,  // a netstring that is not "name SP key": answer NOTFOUND, go on
};

struct SocketmapRequest {
  SocketmapParse status = SocketmapParse::kNeedMore;
  std::string map;           // iff kRequest: non-empty, no space, no NUL
  std::string key;           // iff kRequest: raw, non-empty, no NUL, may hold spaces
  std::size_t consumed = 0;  // bytes to drop: the netstring for kRequest and kMalformed
};

// Parses the first request in buffer (the bytes received and not yet
// consumed). The payload splits at its first space into map name and key;
// a payload without a space, with an empty name or key, or with a NUL byte
// is kMalformed.
SocketmapRequest ParseSocketmapRequest(std::string_view buffer,
                                       std::size_t max_request = kSocketmapMaxRequest);

enum class SocketmapReply { kOk, kNotFound, kTemp, kTimeout, kPerm };

// Returns one reply netstring whose payload is at most max_reply bytes.
// kOk: "OK " + text, never altered: an empty text, one containing NUL
// (Postfix would cut it there) or one that does not fit becomes a TEMP
// reply, so the mail is deferred rather than delivered to a truncated alias
// list. kNotFound: "NOTFOUND " (text ignored). kTemp, kTimeout, kPerm: the
// word, a space and text, shortened to fit; an empty text gets a default.
// REQUIRES: max_reply >= 32
std::string EncodeSocketmapReply(SocketmapReply kind, std::string_view text,
                                 std::size_t max_reply = kSocketmapMaxReply);

}  // namespace rcptdb

#endif
