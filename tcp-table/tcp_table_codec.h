// SPDX-License-Identifier: MIT
// tcp_table_codec.h - the bytes of Postfix's tcp_table(5) lookup protocol
//
// Postfix's tcp: map client sends one request line, "get SP key LF", and
// waits for one reply line, "NNN SP text LF", before it sends the next. Both
// key and text are %XX-encoded: '%', white space, non-printing characters
// and every byte >= 0x80 travel as %XX. Postfix reads at most 4096 bytes of
// reply including the LF; a longer reply makes it drop the connection and
// retry. A 2xx reply is "found" (text = the value), 5xx is "not found" (the
// connection stays open), 4xx is a temporary error (Postfix closes the
// connection and defers the mail).
//
// These functions turn received bytes into requests and answers into bytes.
// They know nothing of sockets, timeouts or the database, allocate only
// what they return, never throw, and bound everything they look at: the
// event loop owns the buffer and feeds it here.
//
// Requests the server must answer "not found" (500) and survive: a wrong
// verb (only lower-case "get" exists; Postfix never sends anything else),
// an empty key, a bad %XX escape, a key that decodes to contain NUL. A 500
// is safe for all of them: Postfix treats it as a definite "no", keeps the
// connection, and a request it never sends cannot be a real recipient.
//
// Thread safety: pure functions on caller-owned data; call from any thread.
#ifndef RCPTDB_TCP_TABLE_CODEC_H
#define RCPTDB_TCP_TABLE_CODEC_H

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rcptdb {

// The longest reply Postfix accepts, LF included (DICT_TCP_MAXLEN).
inline constexpr std::size_t kTcpTableMaxReply = 4096;

// The default bound on one request line, LF included. Every key the
// resolver can accept (at most 1024 raw bytes, so at most 3072 encoded)
// fits in "get " + key + CR LF with room to spare.
inline constexpr std::size_t kTcpTableMaxLine = 4096;

enum class TcpTableParse {
  kRequest,    // a well-formed "get" request: key is set
  kNeedMore,   // no complete line yet: read more bytes, keep the buffer
  kTooLong,    // no LF within max_line bytes: see ParseTcpTableRequest
  kMalformed,  // a complete line that is no valid request: answer 500
};

struct TcpTableRequest {
  TcpTableParse status = TcpTableParse::kNeedMore;
  std::string key;           // the decoded key iff status == kRequest; never empty, no NUL
  std::size_t consumed = 0;  // bytes to drop from the front of the buffer
};

// Parses the first request in buffer (the bytes received and not yet
// consumed). A line is the bytes up to and including the first LF; one CR
// before the LF is ignored. Results:
//   kRequest    "get SP key" with key %XX-decoded, non-empty and free of NUL;
//               consumed = the line length. Raw (unencoded) bytes in the key
//               other than NUL are accepted as themselves.
//   kMalformed  any other complete line; consumed = the line length.
//               Answer 500 and go on with the next line.
//   kNeedMore   no LF yet and fewer than max_line bytes; consumed = 0.
//   kTooLong    no LF within the first max_line bytes; consumed = max_line.
//               Recommended handling: answer 500 once (Postfix, which has
//               exactly one request in flight, gets a definite "no" and keeps
//               the connection), then drop input with SkipRestOfTcpTableLine()
//               until it reports the end of the line, then parse again.
// REQUIRES: max_line >= 1
TcpTableRequest ParseTcpTableRequest(std::string_view buffer,
                                     std::size_t max_line = kTcpTableMaxLine);

struct TcpTableSkip {
  std::size_t consumed = 0;  // bytes to drop from the front of the buffer
  bool line_done = false;    // true iff those bytes end with the line's LF
};

// Returns how much of buffer belongs to the rest of an overlong line: up to
// and including the first LF (line_done), or all of buffer.
TcpTableSkip SkipRestOfTcpTableLine(std::string_view buffer);

enum class TcpTableReply {
  kFound = 200,      // text is the value
  kTemporary = 400,  // text says why; Postfix closes the connection and defers
  kNotFound = 500,   // text is ignored by Postfix
};

// Returns one reply line, "NNN SP encoded-text LF", never longer than
// kTcpTableMaxReply. The value of a kFound reply is never altered: if it is
// empty, contains NUL (Postfix would cut it there) or its reply would exceed
// kTcpTableMaxReply, the result is a 400 instead, so the mail is deferred
// rather than delivered to a truncated alias list. An empty kNotFound or
// kTemporary text becomes a default text; an overlong one is shortened.
// REQUIRES: kind == kFound implies !text.empty()
std::string EncodeTcpTableReply(TcpTableReply kind, std::string_view text);

// Returns raw with '%', white space, non-printing bytes and bytes >= 0x80
// (everything outside 0x21..0x7e, plus '%') replaced by upper-case %XX, as
// Postfix encodes keys. Every input, NUL included, has an encoding.
std::string TcpTableEncode(std::string_view raw);

// Returns encoded with every %XX (hex digits of either case) replaced by its
// byte, or nullopt if a '%' is not followed by two hex digits. Other bytes
// stand for themselves. TcpTableDecode(TcpTableEncode(x)) == x for every x.
std::optional<std::string> TcpTableDecode(std::string_view encoded);

}  // namespace rcptdb

#endif
