// SPDX-License-Identifier: MIT
// NAME
//   socketmap_responder - the server side of Postfix's socketmap(5)
// DESCRIPTION
//   Protocol (Sendmail's, Postfix dict_sockmap.c): the client sends a
//   netstring "LEN:name SP key," (key unencoded) and reads one netstring:
//     OK SP data        found
//     NOTFOUND SP       not found
//     TEMP SP reason    temporary error: Postfix defers
//     PERM SP reason    permanent error: a configuration problem
//   Postfix closes an idle connection after 10 s and retries once on
//   EOF, so a server restart is transparent to it. Requests over 10240
//   bytes and broken framing get PERM and a close.
// SEE ALSO
//   socketmap_responder.h, socketmap_codec.h, socketmap(5)
#include "socketmap_responder.h"

#include "logger.h"
#include "socketmap_codec.h"

namespace rcptdb {

Responder::Step SocketmapResponder::Feed(std::string_view input, std::string& out) {
  std::size_t pos = 0;
  while (pos < input.size() && out.size() < kFlushBytes) {
    SocketmapRequest req = ParseSocketmapRequest(input.substr(pos), kSocketmapMaxRequest);
    switch (req.status) {
      case SocketmapParse::kNeedMore:
        return {pos, false};
      case SocketmapParse::kTooLong:
        worker_.stats().RecordError(LookupProtocol::kSocketmap, ProtocolError::kTooLong);
        Warn("netstring longer than the 10240-byte limit; closing");
        out += EncodeSocketmapReply(SocketmapReply::kPerm, "request too long");
        return {input.size(), true};
      case SocketmapParse::kBadFrame:
        worker_.stats().RecordError(LookupProtocol::kSocketmap, ProtocolError::kBadFrame);
        Warn("malformed netstring; closing");
        out += EncodeSocketmapReply(SocketmapReply::kPerm, "malformed netstring");
        return {input.size(), true};
      case SocketmapParse::kMalformed:
        worker_.stats().RecordError(LookupProtocol::kSocketmap, ProtocolError::kMalformed);
        Warn("request is not \"MAP KEY\"; answered NOTFOUND");
        out += EncodeSocketmapReply(SocketmapReply::kNotFound, "");
        break;
      case SocketmapParse::kRequest:
        Answer(req.map, req.key, out);
        break;
    }
    pos += req.consumed;
  }
  return {pos, false};
}

void SocketmapResponder::Answer(const std::string& map, const std::string& key, std::string& out) {
  if (map == "stats") {
    out += EncodeSocketmapReply(SocketmapReply::kOk,
                                worker_.state().Snapshot().Format(ParseMapName(key)));
    return;
  }
  std::optional<MapId> id = ParseMapName(map);
  if (!id) {
    // A lookup all the same, answered PERM (a configuration mistake).
    worker_.stats().Begin();
    worker_.stats().Record(LookupProtocol::kSocketmap, kUnknownMapSlot, LookupResult::kPermFail,
                           std::chrono::nanoseconds(0));
    Warn("unknown map \"" + Printable(map, 40) + "\"; answered PERM");
    out += EncodeSocketmapReply(SocketmapReply::kPerm, "unknown map " + Printable(map, 40));
    return;
  }
  MapAnswer a = worker_.Lookup(LookupProtocol::kSocketmap, *id, key, peer_);
  switch (a.kind) {
    case MapAnswer::Kind::kFound: {
      std::string reply = EncodeSocketmapReply(SocketmapReply::kOk, a.value);
      if (reply.find(":OK ") == std::string::npos) {
        worker_.stats().RecordError(LookupProtocol::kSocketmap, ProtocolError::kReplyTooLong);
        LogWarning(
            "{} map {} key {}: value of {} bytes does not fit a socketmap reply; "
            "answered TEMP",
            peer_, map, Printable(key), a.value.size());
      }
      out += reply;
      return;
    }
    case MapAnswer::Kind::kNotFound:
      out += EncodeSocketmapReply(SocketmapReply::kNotFound, "");
      return;
    case MapAnswer::Kind::kTemporary:
      out += EncodeSocketmapReply(SocketmapReply::kTemp,
                                  std::string(CauseName(a.cause)) + ", try again later");
      return;
  }
}

void SocketmapResponder::Warn(std::string_view what) {
  if (!warned_)
    LogWarning("{} socketmap: {} (further bad requests on this connection are not logged)", peer_,
               what);
  warned_ = true;
}

}  // namespace rcptdb
