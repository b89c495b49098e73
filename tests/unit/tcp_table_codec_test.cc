// SPDX-License-Identifier: MIT
// tcp_table_codec_test - tcp_table(5) requests and replies, byte for byte
#include "tcp_table_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "postfix_replies.h"

namespace rcptdb {

// Readable names in failure messages.
void PrintTo(TcpTableParse s, std::ostream* os) {
  static const char* const kNames[] = {"kRequest", "kNeedMore", "kTooLong", "kMalformed"};
  *os << kNames[static_cast<int>(s)];
}

namespace {

using namespace std::string_literals;

// Expects buffer to hold exactly one request for key, consuming all of it.
void ExpectRequest(const std::string& buffer, const std::string& key) {
  TcpTableRequest r = ParseTcpTableRequest(buffer);
  EXPECT_EQ(r.status, TcpTableParse::kRequest) << buffer;
  EXPECT_EQ(r.key, key) << buffer;
  EXPECT_EQ(r.consumed, buffer.size()) << buffer;
}

// Expects buffer to hold exactly one malformed line, consuming all of it.
void ExpectMalformed(const std::string& buffer) {
  TcpTableRequest r = ParseTcpTableRequest(buffer);
  EXPECT_EQ(r.status, TcpTableParse::kMalformed) << buffer;
  EXPECT_EQ(r.key, "") << buffer;
  EXPECT_EQ(r.consumed, buffer.size()) << buffer;
}

TEST(TcpTableEncode, EncodesWhatPostfixEncodes) {
  EXPECT_EQ(TcpTableEncode("user@example.com"), "user@example.com");
  EXPECT_EQ(TcpTableEncode("a b"), "a%20b");
  EXPECT_EQ(TcpTableEncode("100%"), "100%25");
  EXPECT_EQ(TcpTableEncode("\t\n\r\v\f"), "%09%0A%0D%0B%0C");
  EXPECT_EQ(TcpTableEncode("\x01\x1f\x7f"), "%01%1F%7F");
  EXPECT_EQ(TcpTableEncode("bücher"), "b%C3%BCcher");
  EXPECT_EQ(TcpTableEncode("\xff\x80"), "%FF%80");
  EXPECT_EQ(TcpTableEncode("a\0b"s), "a%00b");
  EXPECT_EQ(TcpTableEncode("!~+*_\"\\'"), "!~+*_\"\\'");
  EXPECT_EQ(TcpTableEncode(""), "");
}

TEST(TcpTableDecode, AcceptsEitherHexCase) {
  EXPECT_EQ(TcpTableDecode("a%2bb"), "a+b");
  EXPECT_EQ(TcpTableDecode("a%2Bb"), "a+b");
  EXPECT_EQ(TcpTableDecode("%c3%BC%C3%bc"), "\xc3\xbc\xc3\xbc");
  EXPECT_EQ(TcpTableDecode("%25"), "%");
  EXPECT_EQ(TcpTableDecode("%2525"), "%25");
  EXPECT_EQ(TcpTableDecode("%00"), "\0"s);
  EXPECT_EQ(TcpTableDecode("plain"), "plain");
  EXPECT_EQ(TcpTableDecode("raw space"), "raw space");
  EXPECT_EQ(TcpTableDecode(""), "");
}

TEST(TcpTableDecode, RejectsBrokenEscapes) {
  for (const char* bad : {"%", "%2", "a%", "%g0", "%0g", "%%", "%-1", "% 20", "abc%2"})
    EXPECT_FALSE(TcpTableDecode(bad)) << bad;
}

TEST(TcpTableDecode, RoundTripsEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(TcpTableDecode(TcpTableEncode(all)), all);
}

TEST(ParseTcpTableRequest, ReadsGetLines) {
  ExpectRequest("get user@example.com\n", "user@example.com");
  ExpectRequest("get User@Example.COM\n", "User@Example.COM");  // folding is the resolver's
  ExpectRequest("get example.com\r\n", "example.com");
  ExpectRequest("get *\n", "*");
  ExpectRequest("get a%20b\n", "a b");
  ExpectRequest("get 100%25\n", "100%");
  ExpectRequest("get %2525\n", "%25");
  ExpectRequest("get a%2bb@x\n", "a+b@x");
  ExpectRequest("get a%2Bb@x\n", "a+b@x");
  ExpectRequest("get a+b@x\n", "a+b@x");
  ExpectRequest("get user@b%C3%BCcher.example\n", "user@bücher.example");
  ExpectRequest("get user@bücher.example\n", "user@bücher.example");
  ExpectRequest("get a%0D\r\n", "a\r");  // an encoded CR is data
  ExpectRequest("get a\r\r\n", "a\r");   // only one CR is line ending
  ExpectRequest("get  x\n", " x");       // extra white space is data
}

TEST(ParseTcpTableRequest, AnswersNotFoundToWhatPostfixNeverSends) {
  ExpectMalformed("get \n");
  ExpectMalformed("get \r\n");
  ExpectMalformed("get\n");
  ExpectMalformed("get\r\n");
  ExpectMalformed("\n");
  ExpectMalformed("\r\n");
  ExpectMalformed("get a%00b\n");
  ExpectMalformed("get %00\n");
  ExpectMalformed("get a\0b\n"s);
  ExpectMalformed("get a%\n");
  ExpectMalformed("get a%2\n");
  ExpectMalformed("get a%zz\n");
  ExpectMalformed("GET a\n");
  ExpectMalformed("Get a\n");
  ExpectMalformed("gEt a\n");
  ExpectMalformed("get\ta\n");
  ExpectMalformed(" get a\n");
  ExpectMalformed("put a b\n");
  ExpectMalformed("getx a\n");
}

TEST(ParseTcpTableRequest, WaitsForTheLineFeed) {
  for (const char* partial : {"", "g", "get", "get ", "get user@example.com", "get a\r"}) {
    TcpTableRequest r = ParseTcpTableRequest(partial);
    EXPECT_EQ(r.status, TcpTableParse::kNeedMore) << partial;
    EXPECT_EQ(r.consumed, 0u) << partial;
  }
}

TEST(ParseTcpTableRequest, ConsumesOnePipelinedRequestAtATime) {
  std::string buffer = "get a@x\nget b%40y\r\nGET c\nget d";
  std::vector<std::pair<TcpTableParse, std::string>> seen;
  for (;;) {
    TcpTableRequest r = ParseTcpTableRequest(buffer);
    if (r.status == TcpTableParse::kNeedMore) break;
    seen.emplace_back(r.status, r.key);
    buffer.erase(0, r.consumed);
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], std::make_pair(TcpTableParse::kRequest, "a@x"s));
  EXPECT_EQ(seen[1], std::make_pair(TcpTableParse::kRequest, "b@y"s));
  EXPECT_EQ(seen[2], std::make_pair(TcpTableParse::kMalformed, ""s));
  EXPECT_EQ(buffer, "get d");
}

TEST(ParseTcpTableRequest, BoundsTheLine) {
  // Exactly max_line bytes including the LF is fine; one more is not.
  const std::string exact = "get " + std::string(kTcpTableMaxLine - 5, 'k') + "\n";
  ASSERT_EQ(exact.size(), kTcpTableMaxLine);
  ExpectRequest(exact, std::string(kTcpTableMaxLine - 5, 'k'));

  const std::string over = "get " + std::string(kTcpTableMaxLine - 4, 'k') + "\n";
  TcpTableRequest r = ParseTcpTableRequest(over);
  EXPECT_EQ(r.status, TcpTableParse::kTooLong);
  EXPECT_EQ(r.consumed, kTcpTableMaxLine);
  EXPECT_EQ(r.key, "");

  // One byte short of the bound without a LF may still become a request.
  r = ParseTcpTableRequest(over.substr(0, kTcpTableMaxLine - 1));
  EXPECT_EQ(r.status, TcpTableParse::kNeedMore);
  r = ParseTcpTableRequest(over.substr(0, kTcpTableMaxLine));
  EXPECT_EQ(r.status, TcpTableParse::kTooLong);

  // The bound is a parameter.
  EXPECT_EQ(ParseTcpTableRequest("get ab\n", 7).status, TcpTableParse::kRequest);
  EXPECT_EQ(ParseTcpTableRequest("get ab\n", 6).status, TcpTableParse::kTooLong);
  EXPECT_EQ(ParseTcpTableRequest("get ab\r\n", 7).status, TcpTableParse::kTooLong);
  EXPECT_EQ(ParseTcpTableRequest("\n", 1).status, TcpTableParse::kMalformed);
  EXPECT_EQ(ParseTcpTableRequest("x", 1).status, TcpTableParse::kTooLong);
}

TEST(ParseTcpTableRequest, ResynchronisesAfterAnOverlongLine) {
  std::string buffer = std::string(10, 'x') + "yyy\nget next\n";
  TcpTableRequest r = ParseTcpTableRequest(buffer, 8);
  ASSERT_EQ(r.status, TcpTableParse::kTooLong);
  ASSERT_EQ(r.consumed, 8u);
  buffer.erase(0, r.consumed);

  TcpTableSkip skip = SkipRestOfTcpTableLine("xx");
  EXPECT_EQ(skip.consumed, 2u);
  EXPECT_FALSE(skip.line_done);

  skip = SkipRestOfTcpTableLine(buffer);
  EXPECT_EQ(skip.consumed, 6u);
  EXPECT_TRUE(skip.line_done);
  buffer.erase(0, skip.consumed);
  ExpectRequest(buffer, "next");

  skip = SkipRestOfTcpTableLine("");
  EXPECT_EQ(skip.consumed, 0u);
  EXPECT_FALSE(skip.line_done);
}

TEST(EncodeTcpTableReply, WritesOneEncodedLine) {
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "lmtp:inet:127.0.0.1:24"),
            "200 lmtp:inet:127.0.0.1:24\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "a@x, b@y"), "200 a@x,%20b@y\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "OK"), "200 OK\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "100%"), "200 100%25\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "u@bücher.example"),
            "200 u@b%C3%BCcher.example\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "line\nbreak"), "200 line%0Abreak\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kNotFound, "no such user"),
            "500 no%20such%20user\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kTemporary, "database locked"),
            "400 database%20locked\n");
}

TEST(EncodeTcpTableReply, NeverSendsAnEmptyText) {
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kNotFound, ""), "500 not%20found\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kTemporary, ""), "400 temporary%20failure\n");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, ""), "400 rcptdb:%20empty%20value\n");
}

TEST(EncodeTcpTableReply, RefusesValuesPostfixWouldCut) {
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, "a@x\0b@y"s),
            "400 rcptdb:%20value%20contains%20NUL\n");

  // 4096 bytes with LF is the most Postfix reads: "200 " + 4091 + "\n".
  const std::string fits(kTcpTableMaxReply - 5, 'v');
  std::string reply = EncodeTcpTableReply(TcpTableReply::kFound, fits);
  EXPECT_EQ(reply.size(), kTcpTableMaxReply);
  EXPECT_EQ(reply, "200 " + fits + "\n");

  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, fits + "v"),
            "400 rcptdb:%20value%20too%20long%20for%20tcp_table\n");

  // The limit counts encoded bytes: 1363 spaces are 4089 bytes, 1364 are 4092.
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, std::string(1363, ' ') + "ab").size(),
            kTcpTableMaxReply);
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, std::string(1363, ' ') + "abc").substr(0, 4),
            "400 ");
  EXPECT_EQ(EncodeTcpTableReply(TcpTableReply::kFound, std::string(1364, ' ')).substr(0, 4),
            "400 ");
}

TEST(EncodeTcpTableReply, ShortensLongMessagesWithoutSplittingAnEscape) {
  std::string reply = EncodeTcpTableReply(TcpTableReply::kTemporary, std::string(5000, 't'));
  EXPECT_EQ(reply, "400 " + std::string(kTcpTableMaxReply - 5, 't') + "\n");

  // 4091 text bytes hold 1363 escapes (4089 bytes); a 1364th would not fit.
  reply = EncodeTcpTableReply(TcpTableReply::kNotFound, std::string(2000, ' '));
  EXPECT_EQ(reply.size(), 4u + 1363 * 3 + 1);
  std::optional<TcpTableReplyLine> parsed = ParseTcpTableReply(reply);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->text, std::string(1363, ' '));
}

TEST(ParseTcpTableReply, ReadsRepliesAsPostfixDoes) {
  std::optional<TcpTableReplyLine> r = ParseTcpTableReply("200 a@x,%20b@y\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 200);
  EXPECT_EQ(r->text, "a@x, b@y");
  r = ParseTcpTableReply("500 not%20found");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 500);
  EXPECT_EQ(r->text, "not found");
  r = ParseTcpTableReply("200 \n");  // legal syntax, though we never send it
  ASSERT_TRUE(r);
  EXPECT_EQ(r->text, "");
  EXPECT_TRUE(ParseTcpTableReply("451\tx\n"));

  for (const char* bad : {"", "200", "200\n", "20 x\n", "2000 x\n", "300 x\n", "x00 a\n",
                          "200 %zz\n", "200 a\nb\n", "200_x\n"})
    EXPECT_FALSE(ParseTcpTableReply(bad)) << bad;
  EXPECT_FALSE(ParseTcpTableReply("200 " + std::string(kTcpTableMaxReply - 4, 'v') + "\n"));
  EXPECT_TRUE(ParseTcpTableReply("200 " + std::string(kTcpTableMaxReply - 5, 'v') + "\n"));
}

TEST(EncodeTcpTableReply, RoundTripsThroughPostfixsReader) {
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  std::optional<TcpTableReplyLine> r =
      ParseTcpTableReply(EncodeTcpTableReply(TcpTableReply::kFound, all));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->code, 200);
  EXPECT_EQ(r->text, all);
}

}  // namespace
}  // namespace rcptdb
