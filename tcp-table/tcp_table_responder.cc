// SPDX-License-Identifier: MIT
// NAME
//   tcp_table_responder - the server side of Postfix's tcp_table(5)
// DESCRIPTION
//   Protocol (Postfix dict_tcp.c): the client sends "get SP key LF", the
//   key %XX-encoded, and waits for one reply line before the next request:
//     200 SP value LF   found; value %XX-encoded, never empty
//     500 SP text LF    not found; the connection stays open
//     400 SP text LF    temporary error; Postfix closes and defers
//   A reply, LF included, is at most 4096 bytes. A value that would not
//   fit becomes a 400 (mail deferred, never a truncated alias list) and is
//   logged. Malformed requests and keys are "not found": Postfix never
//   sends them, and a definite no is safe for an address nobody has.
// SEE ALSO
//   tcp_table_responder.h, tcp_table_codec.h, tcp_table(5)
#include "tcp_table_responder.h"

#include "logger.h"
#include "tcp_table_codec.h"

namespace rcptdb {

Responder::Step TcpTableResponder::Feed(std::string_view input, std::string& out) {
  std::size_t pos = 0;
  while (pos < input.size() && out.size() < kFlushBytes) {
    std::string_view rest = input.substr(pos);
    if (skipping_) {
      TcpTableSkip skip = SkipRestOfTcpTableLine(rest);
      pos += skip.consumed;
      skipping_ = !skip.line_done;
      continue;
    }
    TcpTableRequest req = ParseTcpTableRequest(rest, kTcpTableMaxLine);
    switch (req.status) {
      case TcpTableParse::kNeedMore:
        return {pos, false};
      case TcpTableParse::kTooLong:
        worker_.stats().RecordError(LookupProtocol::kTcpTable, ProtocolError::kTooLong);
        Refuse("request line longer than 4096 bytes, discarding it", rest.substr(0, 40), out);
        skipping_ = true;
        break;
      case TcpTableParse::kMalformed:
        worker_.stats().RecordError(LookupProtocol::kTcpTable, ProtocolError::kMalformed);
        Refuse("malformed request", rest.substr(0, req.consumed), out);
        break;
      case TcpTableParse::kRequest:
        Answer(req.key, out);
        break;
    }
    pos += req.consumed;
  }
  return {pos, false};
}

void TcpTableResponder::Answer(std::string_view key, std::string& out) {
  MapAnswer a = worker_.Lookup(LookupProtocol::kTcpTable, map_, key, peer_);
  switch (a.kind) {
    case MapAnswer::Kind::kFound: {
      std::string reply = EncodeTcpTableReply(TcpTableReply::kFound, a.value);
      if (reply.front() != '2') {
        worker_.stats().RecordError(LookupProtocol::kTcpTable, ProtocolError::kReplyTooLong);
        LogWarning(
            "{} map {} key {}: value of {} bytes does not fit a tcp_table reply; "
            "answered 400",
            peer_, MapName(map_), Printable(key), a.value.size());
      }
      out += reply;
      return;
    }
    case MapAnswer::Kind::kNotFound:
      out += EncodeTcpTableReply(TcpTableReply::kNotFound, "not found");
      return;
    case MapAnswer::Kind::kTemporary:
      // The cause class only: paths and SQLite details stay in our log.
      out += EncodeTcpTableReply(TcpTableReply::kTemporary,
                                 std::string(CauseName(a.cause)) + ", try again later");
      return;
  }
}

void TcpTableResponder::Refuse(const char* cause, std::string_view line, std::string& out) {
  if (!warned_)
    LogWarning(
        "{} map {}: {}: \"{}\" (answered 500; further bad requests on this connection "
        "are not logged)",
        peer_, MapName(map_), cause, Printable(line, 60));
  warned_ = true;
  out += EncodeTcpTableReply(TcpTableReply::kNotFound, "not found");
}

}  // namespace rcptdb
