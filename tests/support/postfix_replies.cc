// SPDX-License-Identifier: MIT
// NAME
//   postfix_replies - read replies as Postfix's tcp_table and socketmap
//   clients do (test support, not linked into rcptdb-server)
// SEE ALSO
//   postfix_replies.h, Postfix's dict_tcp.c and dict_sockmap.c
#include "postfix_replies.h"

namespace rcptdb {

// ParseTcpTableReply - read a reply line as Postfix's dict_tcp does
std::optional<TcpTableReplyLine> ParseTcpTableReply(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (line.size() + 1 > kTcpTableMaxReply || line.find('\n') != std::string_view::npos)
    return std::nullopt;
  if (line.size() < 4) return std::nullopt;
  int code = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (line[i] < '0' || line[i] > '9') return std::nullopt;
    code = code * 10 + (line[i] - '0');
  }
  if (line[0] != '2' && line[0] != '4' && line[0] != '5') return std::nullopt;
  // Postfix accepts any white space after the code (its ISSPACE).
  if (std::string_view(" \t\v\f\r").find(line[3]) == std::string_view::npos) return std::nullopt;
  std::optional<std::string> text = TcpTableDecode(line.substr(4));
  if (!text) return std::nullopt;
  return TcpTableReplyLine{code, std::move(*text)};
}

// ParseSocketmapReply - read a reply payload as Postfix's dict_sockmap does
std::optional<SocketmapAnswer> ParseSocketmapReply(std::string_view payload) {
  std::size_t space = payload.find(' ');
  std::string_view word = payload.substr(0, space);
  std::string_view text = space == std::string_view::npos ? "" : payload.substr(space + 1);
  SocketmapAnswer answer;
  if (word == "OK") {
    answer.kind = SocketmapReply::kOk;
  } else if (word == "NOTFOUND") {
    answer.kind = SocketmapReply::kNotFound;
  } else if (word == "TEMP") {
    answer.kind = SocketmapReply::kTemp;
  } else if (word == "TIMEOUT") {
    answer.kind = SocketmapReply::kTimeout;
  } else if (word == "PERM") {
    answer.kind = SocketmapReply::kPerm;
  } else {
    return std::nullopt;
  }
  answer.text.assign(text);
  return answer;
}

}  // namespace rcptdb
