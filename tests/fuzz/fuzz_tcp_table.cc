// SPDX-License-Identifier: MIT
// NAME
//   fuzz_tcp_table - libFuzzer target for the tcp_table(5) codec
// DESCRIPTION
//   Feeds arbitrary bytes to ParseTcpTableRequest() the way rcptdb-server
//   does: appended to a buffer in chunks, requests consumed one at a time,
//   overlong lines skipped to their LF. Aborts when an invariant breaks:
//   consumption beyond the buffer or without progress, a request whose key
//   is empty or holds NUL, a buffer that outgrows max_line, a transcript that
//   depends on how the bytes were chunked, a reply over 4096 bytes or one
//   Postfix's reader would not return intact, or a failed round trip
//   TcpTableDecode(TcpTableEncode(x)) == x.
// SEE ALSO
//   tcp-table/tcp_table_codec.h, tests/fuzz/run-fuzzers
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "postfix_replies.h"
#include "tcp_table_codec.h"

namespace rcptdb {
namespace {

struct Event {
  TcpTableParse status;
  std::string key;
  bool operator==(const Event&) const = default;
};

// Checks what one parse result promises about the buffer it came from.
void CheckRequest(const TcpTableRequest& r, std::string_view buffer, std::size_t max_line) {
  CHECK(r.consumed <= buffer.size());
  switch (r.status) {
    case TcpTableParse::kNeedMore:
      CHECK(r.consumed == 0);
      CHECK(buffer.size() < max_line);
      CHECK(buffer.find('\n') == std::string_view::npos);
      break;
    case TcpTableParse::kTooLong:
      CHECK(r.consumed == max_line);
      CHECK(buffer.substr(0, max_line).find('\n') == std::string_view::npos);
      break;
    case TcpTableParse::kMalformed:
      CHECK(r.key.empty());
      [[fallthrough]];
    case TcpTableParse::kRequest:
      CHECK(r.consumed > 0 && r.consumed <= max_line);
      CHECK(buffer[r.consumed - 1] == '\n');
      CHECK(buffer.substr(0, r.consumed - 1).find('\n') == std::string_view::npos);
      break;
  }
  if (r.status != TcpTableParse::kRequest) return;
  CHECK(!r.key.empty());
  CHECK(r.key.find('\0') == std::string::npos);

  // What Postfix would send for this key must parse back to the same key.
  TcpTableRequest again = ParseTcpTableRequest("get " + TcpTableEncode(r.key) + "\n", SIZE_MAX);
  CHECK(again.status == TcpTableParse::kRequest);
  CHECK(again.key == r.key);
}

// Runs the server's read loop over input delivered chunk bytes at a time and
// returns what it saw.
std::vector<Event> Serve(std::string_view input, std::size_t max_line, std::size_t chunk) {
  std::vector<Event> events;
  std::string buffer;
  bool discarding = false;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    buffer.append(input.substr(pos, chunk));
    for (;;) {
      if (discarding) {
        TcpTableSkip skip = SkipRestOfTcpTableLine(buffer);
        CHECK(skip.consumed <= buffer.size());
        CHECK(skip.line_done == (skip.consumed > 0 && buffer[skip.consumed - 1] == '\n'));
        buffer.erase(0, skip.consumed);
        if (!skip.line_done) break;
        discarding = false;
        continue;
      }
      TcpTableRequest r = ParseTcpTableRequest(buffer, max_line);
      CheckRequest(r, buffer, max_line);
      if (r.status == TcpTableParse::kNeedMore) break;
      if (r.status == TcpTableParse::kTooLong) discarding = true;
      buffer.erase(0, r.consumed);
      events.push_back({r.status, std::move(r.key)});
    }
    // Memory stays bounded whatever the peer sends.
    CHECK(buffer.size() < max_line);
  }
  return events;
}

// Checks the reply for text: bounded, one line, and read back by Postfix's
// rules as the value itself or as a refusal for a stated reason.
void CheckReply(TcpTableReply kind, std::string_view text) {
  std::string reply = EncodeTcpTableReply(kind, text);
  CHECK(reply.size() <= kTcpTableMaxReply);
  CHECK(reply.find('\n') == reply.size() - 1);
  std::optional<TcpTableReplyLine> parsed = ParseTcpTableReply(reply);
  CHECK(parsed);
  CHECK(!parsed->text.empty());
  if (kind == TcpTableReply::kFound) {
    bool refusable = text.empty() || text.find('\0') != std::string_view::npos ||
                     TcpTableEncode(text).size() + 5 > kTcpTableMaxReply;
    CHECK(parsed->code == (refusable ? 400 : 200));
    if (!refusable) CHECK(parsed->text == text);
  } else {
    CHECK(parsed->code == static_cast<int>(kind));
    if (!text.empty()) CHECK(text.substr(0, parsed->text.size()) == parsed->text);
  }
}

}  // namespace
}  // namespace rcptdb

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // Round trips of the %XX encoding, and canonical decoding.
  std::string encoded = TcpTableEncode(input);
  CHECK(TcpTableDecode(encoded) == std::string(input));
  if (std::optional<std::string> decoded = TcpTableDecode(input))
    CHECK(TcpTableDecode(TcpTableEncode(*decoded)) == *decoded);

  // The server's view: the transcript must not depend on the chunking.
  std::size_t chunk = size == 0 ? 1 : 1 + data[0] % 13;
  std::size_t small_line = size == 0 ? 1 : 1 + data[size - 1] % 40;
  for (std::size_t max_line : {kTcpTableMaxLine, small_line}) {
    std::vector<Event> whole = Serve(input, max_line, size == 0 ? 1 : size);
    CHECK(Serve(input, max_line, chunk) == whole);
  }

  for (TcpTableReply kind :
       {TcpTableReply::kFound, TcpTableReply::kNotFound, TcpTableReply::kTemporary})
    CheckReply(kind, input);
  return 0;
}
