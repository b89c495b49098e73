// SPDX-License-Identifier: MIT
// postfix_replies.h - read rcptdb-server's replies as Postfix's clients do
//
// The server only writes replies (tcp_table_codec.h, socketmap_codec.h);
// reading them back is what tests, fuzz targets and probes need, to check
// that every reply the server can write is one Postfix accepts. These
// readers mirror Postfix 3.7's dict_tcp.c and dict_sockmap.c.
//
// Thread safety: pure functions.
#ifndef RCPTDB_TESTS_POSTFIX_REPLIES_H
#define RCPTDB_TESTS_POSTFIX_REPLIES_H

#include <optional>
#include <string>
#include <string_view>

#include "socketmap_codec.h"
#include "tcp_table_codec.h"

namespace rcptdb {

struct TcpTableReplyLine {
  int code = 0;      // 100..999
  std::string text;  // decoded
};

// Reads a reply line the way Postfix's client does (three digits, one white
// space character, %XX-encoded text; the trailing LF, if present, is not part
// of the text). Returns nullopt for a reply Postfix would call malformed or
// for one longer than kTcpTableMaxReply.
std::optional<TcpTableReplyLine> ParseTcpTableReply(std::string_view line);

struct SocketmapAnswer {
  SocketmapReply kind = SocketmapReply::kNotFound;
  std::string text;  // what follows the first space ("" if none)
};

// Reads a reply payload (netstring framing removed) as Postfix's client
// does: the word before the first space decides. Returns nullopt for a word
// Postfix does not know.
std::optional<SocketmapAnswer> ParseSocketmapReply(std::string_view payload);

}  // namespace rcptdb

#endif
