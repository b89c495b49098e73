// SPDX-License-Identifier: MIT
// socketmap_codec_test - netstrings and socketmap(5) messages, byte for byte
#include "socketmap_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "postfix_replies.h"

namespace rcptdb {

// Readable names in failure messages.
void PrintTo(NetstringParse s, std::ostream* os) {
  static const char* const kNames[] = {"kComplete", "kNeedMore", "kTooLong", "kMalformed"};
  *os << kNames[static_cast<int>(s)];
}
void PrintTo(SocketmapParse s, std::ostream* os) {
  static const char* const kNames[] = {"kRequest", "kNeedMore", "kTooLong", "kBadFrame",
                                       "kMalformed"};
  *os << kNames[static_cast<int>(s)];
}
void PrintTo(SocketmapReply s, std::ostream* os) {
  static const char* const kNames[] = {"kOk", "kNotFound", "kTemp", "kTimeout", "kPerm"};
  *os << kNames[static_cast<int>(s)];
}

namespace {

using namespace std::string_literals;

SocketmapParse StatusOf(const std::string& buffer, std::size_t max = kSocketmapMaxRequest) {
  return ParseSocketmapRequest(buffer, max).status;
}

TEST(EncodeNetstring, FramesThePayload) {
  EXPECT_EQ(EncodeNetstring(""), "0:,");
  EXPECT_EQ(EncodeNetstring("abc"), "3:abc,");
  EXPECT_EQ(EncodeNetstring("a,b:c"), "5:a,b:c,");
  EXPECT_EQ(EncodeNetstring("\0\n"s), "2:\0\n,"s);
  EXPECT_EQ(EncodeNetstring(std::string(12345, 'x')), "12345:" + std::string(12345, 'x') + ",");
}

TEST(ParseNetstring, ReadsStrictLengths) {
  Netstring n = ParseNetstring("0:,", 10);
  EXPECT_EQ(n.status, NetstringParse::kComplete);
  EXPECT_EQ(n.payload, "");
  EXPECT_EQ(n.consumed, 3u);

  n = ParseNetstring("3:a,c,tail", 10);
  EXPECT_EQ(n.status, NetstringParse::kComplete);
  EXPECT_EQ(n.payload, "a,c");
  EXPECT_EQ(n.consumed, 6u);

  for (const char* bad : {":", ":,", "-1:", "+1:a,", "00:", "01:a,", "007:", " 1:a,", "1 :a,", "1a",
                          "x", "3:abcX", "3:abc:", "0:;", "1:\n\n"}) {
    n = ParseNetstring(bad, 10);
    EXPECT_EQ(n.status, NetstringParse::kMalformed) << bad;
    EXPECT_EQ(n.consumed, 0u) << bad;
  }
  for (const char* partial : {"", "0", "1", "12", "3:", "3:ab", "3:abc", "10:abc"}) {
    n = ParseNetstring(partial, 12);
    EXPECT_EQ(n.status, NetstringParse::kNeedMore) << partial;
    EXPECT_EQ(n.consumed, 0u) << partial;
  }
}

TEST(ParseNetstring, JudgesTheLengthAsItArrives) {
  EXPECT_EQ(ParseNetstring("10:0123456789,", 10).status, NetstringParse::kComplete);
  EXPECT_EQ(ParseNetstring("11:", 10).status, NetstringParse::kTooLong);
  EXPECT_EQ(ParseNetstring("11", 10).status, NetstringParse::kTooLong);  // no ':' needed
  EXPECT_EQ(ParseNetstring("999999999999:", 100000).status, NetstringParse::kTooLong);
  EXPECT_EQ(ParseNetstring("18446744073709551617:", SIZE_MAX).status, NetstringParse::kTooLong);
  EXPECT_EQ(ParseNetstring("9999999999", SIZE_MAX).status, NetstringParse::kNeedMore);
  EXPECT_EQ(ParseNetstring("99999999999", SIZE_MAX).status, NetstringParse::kTooLong);
}

TEST(ParseSocketmapRequest, SplitsAtTheFirstSpace) {
  SocketmapRequest r = ParseSocketmapRequest("27:recipients user@example.com,");
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.map, "recipients");
  EXPECT_EQ(r.key, "user@example.com");
  EXPECT_EQ(r.consumed, 31u);

  r = ParseSocketmapRequest("19:aliases a b  c@x.y ,");
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.map, "aliases");
  EXPECT_EQ(r.key, "a b  c@x.y ");  // raw: spaces are data

  r = ParseSocketmapRequest("23:domains bücher.example,");
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.key, "bücher.example");

  r = ParseSocketmapRequest("10:m %41%25 x,");  // no %XX decoding here
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.key, "%41%25 x");

  r = ParseSocketmapRequest("5:m ,:x,");  // ',' and ':' in a key are data
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.key, ",:x");
}

TEST(ParseSocketmapRequest, AnswersNotFoundToFramedNonsense) {
  for (const std::string& bad :
       {"0:,"s, "7:nospace,"s, "2: k,"s, "2:m ,"s, "1: ,"s, "5:m a\0b,"s, "5:m\0 ab,"s}) {
    SocketmapRequest r = ParseSocketmapRequest(bad);
    EXPECT_EQ(r.status, SocketmapParse::kMalformed) << bad;
    EXPECT_EQ(r.consumed, bad.size()) << bad;
    EXPECT_EQ(r.map, "") << bad;
    EXPECT_EQ(r.key, "") << bad;
  }
}

TEST(ParseSocketmapRequest, ClosesOnBrokenFraming) {
  for (const char* bad : {"-1:", "00:", "01:m k,", ":m k,", "3:m kX", "get x\n", "3:m k;"}) {
    SocketmapRequest r = ParseSocketmapRequest(bad);
    EXPECT_EQ(r.status, SocketmapParse::kBadFrame) << bad;
    EXPECT_EQ(r.consumed, 0u) << bad;
  }
  EXPECT_EQ(StatusOf("999999999999:"), SocketmapParse::kTooLong);
  EXPECT_EQ(StatusOf("10241:"), SocketmapParse::kTooLong);
  EXPECT_EQ(ParseSocketmapRequest("10241:").consumed, 0u);
}

TEST(ParseSocketmapRequest, WaitsForTheComma) {
  for (const char* partial : {"", "3", "3:", "3:abc", "3:m k", "26:recipients user@"}) {
    SocketmapRequest r = ParseSocketmapRequest(partial);
    EXPECT_EQ(r.status, SocketmapParse::kNeedMore) << partial;
    EXPECT_EQ(r.consumed, 0u) << partial;
  }
}

TEST(ParseSocketmapRequest, BoundsTheRequest) {
  // Postfix sends keys up to 10000 bytes; the default leaves room for a map name.
  const std::string key(10000, 'k');
  const std::string payload = "recipients " + key;
  SocketmapRequest r = ParseSocketmapRequest(EncodeNetstring(payload));
  EXPECT_EQ(r.status, SocketmapParse::kRequest);
  EXPECT_EQ(r.key, key);

  EXPECT_EQ(StatusOf("5:m abc,", 5), SocketmapParse::kRequest);
  EXPECT_EQ(StatusOf("6:m abcd,", 5), SocketmapParse::kTooLong);
  EXPECT_EQ(StatusOf(EncodeNetstring(std::string(kSocketmapMaxRequest, 'x'))),
            SocketmapParse::kMalformed);
  EXPECT_EQ(StatusOf(EncodeNetstring(std::string(kSocketmapMaxRequest + 1, 'x'))),
            SocketmapParse::kTooLong);
}

TEST(ParseSocketmapRequest, ConsumesOnePipelinedRequestAtATime) {
  std::string buffer = "5:m a@x,7:n b@y z,0:,3:m c";
  std::vector<SocketmapRequest> seen;
  for (;;) {
    SocketmapRequest r = ParseSocketmapRequest(buffer);
    if (r.status == SocketmapParse::kNeedMore) break;
    ASSERT_GT(r.consumed, 0u);
    buffer.erase(0, r.consumed);
    seen.push_back(std::move(r));
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].map, "m");
  EXPECT_EQ(seen[0].key, "a@x");
  EXPECT_EQ(seen[1].map, "n");
  EXPECT_EQ(seen[1].key, "b@y z");
  EXPECT_EQ(seen[2].status, SocketmapParse::kMalformed);
  EXPECT_EQ(buffer, "3:m c");
}

TEST(EncodeSocketmapReply, WritesWhatPostfixExpects) {
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, "lmtp:inet:127.0.0.1:24"),
            "25:OK lmtp:inet:127.0.0.1:24,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, "a@x, b@y"), "11:OK a@x, b@y,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, " lead"), "8:OK  lead,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kNotFound, ""), "9:NOTFOUND ,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kNotFound, "ignored"), "9:NOTFOUND ,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kTemp, "database locked"),
            "20:TEMP database locked,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kTimeout, "busy"), "12:TIMEOUT busy,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kPerm, "no such map"), "16:PERM no such map,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kTemp, ""), "22:TEMP temporary failure,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kTimeout, ""), "15:TIMEOUT timeout,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kPerm, ""), "22:PERM permanent failure,");
}

TEST(EncodeSocketmapReply, RefusesValuesPostfixWouldCut) {
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, ""), "24:TEMP rcptdb: empty value,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, "a\0b"s),
            "31:TEMP rcptdb: value contains NUL,");

  const std::string fits(kSocketmapMaxReply - 3, 'v');
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, fits), "100000:OK " + fits + ",");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, fits + "v"),
            "41:TEMP rcptdb: value too long for socketmap,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, "abcd", 32), "7:OK abcd,");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kOk, std::string(30, 'v'), 32),
            "32:TEMP rcptdb: value too long for ,");
}

TEST(EncodeSocketmapReply, ShortensLongMessages) {
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kTemp, std::string(200000, 't')),
            "100000:TEMP " + std::string(kSocketmapMaxReply - 5, 't') + ",");
  EXPECT_EQ(EncodeSocketmapReply(SocketmapReply::kPerm, std::string(40, 'p'), 32),
            "32:PERM " + std::string(27, 'p') + ",");
}

TEST(ParseSocketmapReply, ReadsRepliesAsPostfixDoes) {
  std::optional<SocketmapAnswer> a = ParseSocketmapReply("OK a@x, b@y");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketmapReply::kOk);
  EXPECT_EQ(a->text, "a@x, b@y");
  a = ParseSocketmapReply("NOTFOUND ");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketmapReply::kNotFound);
  a = ParseSocketmapReply("NOTFOUND");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketmapReply::kNotFound);
  a = ParseSocketmapReply("TIMEOUT slow");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketmapReply::kTimeout);
  EXPECT_EQ(a->text, "slow");
  for (const char* bad : {"", " OK x", "ok x", "FOUND x", "NOTFOUND\tx", "OKx"})
    EXPECT_FALSE(ParseSocketmapReply(bad)) << bad;
}

TEST(EncodeSocketmapReply, RoundTripsThroughPostfixsReader) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  std::string reply = EncodeSocketmapReply(SocketmapReply::kOk, all);
  Netstring frame = ParseNetstring(reply, kSocketmapMaxReply);
  ASSERT_EQ(frame.status, NetstringParse::kComplete);
  EXPECT_EQ(frame.consumed, reply.size());
  std::optional<SocketmapAnswer> a = ParseSocketmapReply(frame.payload);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->kind, SocketmapReply::kOk);
  EXPECT_EQ(a->text, all);
}

}  // namespace
}  // namespace rcptdb
