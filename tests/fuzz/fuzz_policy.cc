// SPDX-License-Identifier: MIT
// NAME
//   fuzz_policy - libFuzzer target for the policy delegation codec
// DESCRIPTION
//   Feeds arbitrary bytes to ParsePolicyBlock() the way rcptdb-server's
//   policy session does: appended to a buffer in chunks, blocks consumed
//   one at a time, the session ended on an oversized block. Aborts when an
//   invariant breaks: consumption beyond the buffer or without progress, a
//   block over its bound, attributes that do not re-encode to the bytes
//   they came from (modulo "\r"), a buffer that outgrows one block, a
//   transcript that depends on how the bytes were chunked, or a reply or
//   request encoding that a parser reads back as anything but itself.
// SEE ALSO
//   tcp-table/policy_codec.h, tests/fuzz/run-fuzzers
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "policy_codec.h"

namespace rcptdb {
namespace {

struct Event {
  PolicyParse status;
  std::vector<std::pair<std::string, std::string>> attributes;
  bool operator==(const Event&) const = default;
};

std::string WithoutCr(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) out += s[i];
  return out;
}

void CheckBlock(const PolicyBlock& b, std::string_view buffer, std::size_t max_block) {
  CHECK(b.consumed <= buffer.size());
  CHECK(b.consumed <= max_block);
  switch (b.status) {
    case PolicyParse::kNeedMore:
    case PolicyParse::kTooLong:
      CHECK(b.consumed == 0 && b.attributes.empty());
      return;
    case PolicyParse::kMalformed:
      CHECK(b.consumed > 0 && b.attributes.empty());
      return;
    case PolicyParse::kBlock:
      break;
  }
  CHECK(b.consumed > 0 && b.attributes.size() <= kPolicyMaxAttributes);
  for (const auto& [name, value] : b.attributes) {
    CHECK(!name.empty() && name.find('=') == std::string::npos);
    CHECK(name.find('\n') == std::string::npos && value.find('\n') == std::string::npos);
    CHECK(name.find('\0') == std::string::npos && value.find('\0') == std::string::npos);
  }
  // Values with a stray "\r" are encoded as spaces; the rest round-trips.
  bool clean = true;
  for (const auto& [name, value] : b.attributes)
    if (name.find('\r') != std::string::npos || value.find('\r') != std::string::npos)
      clean = false;
  if (clean) CHECK(EncodePolicyRequest(b.attributes) == WithoutCr(buffer.substr(0, b.consumed)));
}

std::vector<Event> Serve(std::string_view input, std::size_t max_block, std::size_t chunk) {
  std::vector<Event> events;
  std::string buffer;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    buffer.append(input.substr(pos, chunk));
    for (;;) {
      PolicyBlock b = ParsePolicyBlock(buffer, max_block);
      CheckBlock(b, buffer, max_block);
      if (b.status == PolicyParse::kNeedMore) break;
      events.push_back({b.status, b.attributes});
      if (b.status == PolicyParse::kTooLong) return events;  // the session closes
      buffer.erase(0, b.consumed);
    }
    // Memory stays bounded: less than one block is ever kept.
    CHECK(buffer.size() < max_block);
  }
  return events;
}

}  // namespace
}  // namespace rcptdb

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rcptdb;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::size_t chunk = size == 0 ? 1 : 1 + data[0] % 13;
  std::size_t small_block = size == 0 ? 1 : 1 + data[size - 1] % 64;
  for (std::size_t max_block : {kPolicyMaxBlock, small_block}) {
    std::vector<Event> whole = Serve(input, max_block, size == 0 ? 1 : size);
    CHECK(Serve(input, max_block, chunk) == whole);
  }

  // Any action becomes one well-formed reply that reads back as one action.
  std::string reply = EncodePolicyReply(input);
  PolicyBlock back = ParsePolicyBlock(reply, reply.size());
  CHECK(back.status == PolicyParse::kBlock && back.consumed == reply.size());
  CHECK(back.attributes.size() == 1 && back.attributes[0].first == "action");
  CHECK(!back.attributes[0].second.empty());
  // Classification never reads past the action and is total.
  (void)ClassifyPolicyAction(input);

  // A request built from any value stays one attribute per line.
  std::string request = EncodePolicyRequest({{"recipient", std::string(input)}, {"size", "1"}});
  PolicyBlock req = ParsePolicyBlock(request, request.size());
  CHECK(req.status == PolicyParse::kBlock && req.consumed == request.size());
  CHECK(req.attributes.size() == 2 && req.attributes[1].second == "1");
  return 0;
}
