// SPDX-License-Identifier: MIT
// NAME
//   fuzz_socketmap - libFuzzer target for the socketmap(5) codec
// DESCRIPTION
//   Feeds arbitrary bytes to ParseSocketmapRequest() the way rcptdb-server
//   does: appended to a buffer in chunks, requests consumed one at a time,
//   the session ended on broken framing or an oversized length. Aborts when
//   an invariant breaks: consumption beyond the buffer or without progress,
//   a request that does not re-encode to exactly the bytes it came from, a
//   buffer that outgrows one netstring, a transcript that depends on how
//   the bytes were chunked, a reply over max_reply or one Postfix's reader
//   would not return intact, or a failed netstring round trip.
// SEE ALSO
//   tcp-table/socketmap_codec.h, tests/fuzz/run-fuzzers
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "postfix_replies.h"
#include "socketmap_codec.h"

namespace rcptdb {
namespace {

struct Event {
  SocketmapParse status;
  std::string map;
  std::string key;
  bool operator==(const Event&) const = default;
};

// Checks what one parse result promises about the buffer it came from.
void CheckRequest(const SocketmapRequest& r, std::string_view buffer, std::size_t max_request) {
  CHECK(r.consumed <= buffer.size());
  Netstring frame = ParseNetstring(buffer, max_request);
  switch (r.status) {
    case SocketmapParse::kNeedMore:
    case SocketmapParse::kTooLong:
    case SocketmapParse::kBadFrame:
      CHECK(frame.status == (r.status == SocketmapParse::kNeedMore  ? NetstringParse::kNeedMore
                             : r.status == SocketmapParse::kTooLong ? NetstringParse::kTooLong
                                                                    : NetstringParse::kMalformed));
      CHECK(r.consumed == 0);
      CHECK(r.map.empty() && r.key.empty());
      return;
    case SocketmapParse::kMalformed:
      CHECK(r.map.empty() && r.key.empty());
      [[fallthrough]];
    case SocketmapParse::kRequest:
      // Lengths are canonical, so a framed request re-encodes byte for byte.
      CHECK(frame.status == NetstringParse::kComplete);
      CHECK(frame.consumed == r.consumed);
      CHECK(frame.payload.size() <= max_request);
      CHECK(EncodeNetstring(frame.payload) == buffer.substr(0, r.consumed));
      break;
  }
  if (r.status != SocketmapParse::kRequest) return;
  CHECK(!r.map.empty() && !r.key.empty());
  CHECK(r.map.find(' ') == std::string::npos);
  CHECK(r.map.find('\0') == std::string::npos && r.key.find('\0') == std::string::npos);
  CHECK(frame.payload == r.map + " " + r.key);
}

// Runs the server's read loop over input delivered chunk bytes at a time and
// returns what it saw.
std::vector<Event> Serve(std::string_view input, std::size_t max_request, std::size_t chunk) {
  std::vector<Event> events;
  std::string buffer;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    buffer.append(input.substr(pos, chunk));
    for (;;) {
      SocketmapRequest r = ParseSocketmapRequest(buffer, max_request);
      CheckRequest(r, buffer, max_request);
      if (r.status == SocketmapParse::kNeedMore) break;
      events.push_back({r.status, r.map, r.key});
      // Framing lost: the server closes the connection.
      if (r.status == SocketmapParse::kTooLong || r.status == SocketmapParse::kBadFrame)
        return events;
      buffer.erase(0, r.consumed);
    }
    // Memory stays bounded: at most one netstring's worth is ever kept.
    CHECK(buffer.size() < kNetstringMaxDigits + max_request + 2);
  }
  return events;
}

// Checks the reply for text: bounded, well framed, and read back by
// Postfix's rules as the value itself or as a refusal.
void CheckReply(SocketmapReply kind, std::string_view text, std::size_t max_reply) {
  std::string reply = EncodeSocketmapReply(kind, text, max_reply);
  Netstring frame = ParseNetstring(reply, max_reply);
  CHECK(frame.status == NetstringParse::kComplete);
  CHECK(frame.consumed == reply.size());
  std::optional<SocketmapAnswer> answer = ParseSocketmapReply(frame.payload);
  CHECK(answer);
  switch (kind) {
    case SocketmapReply::kOk: {
      bool refusable =
          text.empty() || text.find('\0') != std::string_view::npos || text.size() + 3 > max_reply;
      CHECK(answer->kind == (refusable ? SocketmapReply::kTemp : SocketmapReply::kOk));
      if (!refusable) CHECK(answer->text == text);
      break;
    }
    case SocketmapReply::kNotFound:
      CHECK(frame.payload == "NOTFOUND ");
      break;
    default:
      CHECK(answer->kind == kind);
      CHECK(!answer->text.empty());
      if (!text.empty()) CHECK(text.substr(0, answer->text.size()) == answer->text);
      break;
  }
}

}  // namespace
}  // namespace rcptdb

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Netstring round trip.
  std::string framed = EncodeNetstring(input);
  Netstring back = ParseNetstring(framed, size);
  CHECK(back.status == NetstringParse::kComplete);
  CHECK(back.payload == input && back.consumed == framed.size());

  // The server's view: the transcript must not depend on the chunking.
  std::size_t chunk = size == 0 ? 1 : 1 + data[0] % 13;
  std::size_t small_request = size == 0 ? 0 : data[size - 1] % 40;
  for (std::size_t max_request : {kSocketmapMaxRequest, small_request}) {
    std::vector<Event> whole = Serve(input, max_request, size == 0 ? 1 : size);
    CHECK(Serve(input, max_request, chunk) == whole);
  }

  std::size_t small_reply = 32 + (size == 0 ? 0 : data[0] % 64);
  for (SocketmapReply kind : {SocketmapReply::kOk, SocketmapReply::kNotFound, SocketmapReply::kTemp,
                              SocketmapReply::kTimeout, SocketmapReply::kPerm}) {
    CheckReply(kind, input, kSocketmapMaxReply);
    CheckReply(kind, input, small_reply);
  }
  return 0;
}
