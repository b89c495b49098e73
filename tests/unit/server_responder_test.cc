// SPDX-License-Identifier: MIT
// server_responder_test.cc - rcptdb-server's protocol half without sockets:
// bytes in, the Worker's lookups on a real database, bytes out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "fixture.h"
#include "socketmap_codec.h"
#include "socketmap_responder.h"
#include "tcp_table_codec.h"
#include "tcp_table_responder.h"
#include "worker.h"

namespace rcptdb {
namespace {

std::size_t Count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override { test::CreateFilled(db_.path()); }

  // Feeds input the way a session does (repeatedly, until nothing more is
  // consumed) and returns the replies.
  std::string Feed(Responder& r, std::string input, bool* closed = nullptr) {
    std::string out;
    for (;;) {
      Responder::Step step = r.Feed(input, out);
      input.erase(0, step.consumed);
      if (step.close) {
        if (closed) *closed = true;
        break;
      }
      if (step.consumed == 0) break;
    }
    rest_ = input;
    return out;
  }

  test::TempDatabase db_;
  ServerState state_{1};
  Worker worker_{state_, 0, db_.path(), 100};
  std::string rest_;  // input left unconsumed by the last Feed
};

TEST_F(ResponderTest, TcpTableAnswersEachMap) {
  struct Case {
    MapId map;
    const char* request;
    const char* reply;
  } cases[] = {
      {MapId::kDomains, "get example.com\n", "200 hosted\n"},
      {MapId::kDomains, "get EXAMPLE.COM\n", "200 hosted\n"},
      {MapId::kDomains, "get nowhere.test\n", "500 not%20found\n"},
      {MapId::kDomains, "get alice@example.com\n", "500 not%20found\n"},
      {MapId::kTransport, "get alice@example.com\n", "200 lmtp:inet:127.0.0.1:24\n"},
      {MapId::kTransport, "get *\n", "500 not%20found\n"},
      {MapId::kTransport, "get example.com\n", "500 not%20found\n"},
      {MapId::kRecipients, "get Alice+Tag@Example.COM\r\n", "200 mailbox\n"},
      {MapId::kRecipients, "get carol@example.com\n", "500 not%20found\n"},
      {MapId::kRecipients, "get user@b%C3%BCcher.example\n", "200 mailbox\n"},
      {MapId::kAliases, "get sales@example.com\n", "200 alice@example.com,bob@example.com\n"},
      {MapId::kAliases, "get example.com\n", "500 not%20found\n"},
      {MapId::kAliases, "get alice@example.com\n", "500 not%20found\n"},
      {MapId::kSenders, "get alice@example.com\n", "200 alice@example.com\n"},
      // Keys are data: a %-escaped space or '%' is part of the key.
      {MapId::kRecipients, "get ali%20ce@example.com\n", "500 not%20found\n"},
      {MapId::kRecipients, "get a%25b@example.com\n", "500 not%20found\n"},
  };
  for (const Case& c : cases) {
    TcpTableResponder r(worker_, c.map, "test");
    EXPECT_EQ(Feed(r, c.request), c.reply) << MapName(c.map) << " " << c.request;
    EXPECT_EQ(rest_, "");
  }
}

TEST_F(ResponderTest, TcpTableKeepsPartialLinesAndAnswersPipelinedOnesInOrder) {
  TcpTableResponder r(worker_, MapId::kRecipients, "test");
  EXPECT_EQ(Feed(r, "get alice@exa"), "");
  EXPECT_EQ(rest_, "get alice@exa");
  EXPECT_EQ(Feed(r, "get alice@example.com\nget nobody@example.com\nget bob@exa"),
            "200 mailbox\n500 not%20found\n");
  EXPECT_EQ(rest_, "get bob@exa");
}

TEST_F(ResponderTest, TcpTableAnswersGarbageWith500AndGoesOn) {
  TcpTableResponder r(worker_, MapId::kRecipients, "test");
  std::string in = std::string("put x\n") + "GET alice@example.com\n" + "get\n" + "get %zz\n" +
                   "get a%00b@example.com\n" + std::string("\x01\xff\x80 binary\n", 11) +
                   "get alice@example.com\n";
  EXPECT_EQ(Feed(r, in),
            "500 not%20found\n500 not%20found\n500 not%20found\n500 not%20found\n"
            "500 not%20found\n500 not%20found\n200 mailbox\n");
}

TEST_F(ResponderTest, TcpTableDiscardsAnOverlongLineAfterOne500) {
  TcpTableResponder r(worker_, MapId::kRecipients, "test");
  std::string huge(1 << 20, 'a');
  // The line arrives in pieces, as from a socket; one 500 for all of it.
  std::string out = Feed(r, "get " + huge.substr(0, 5000));
  EXPECT_EQ(out, "500 not%20found\n");
  EXPECT_LE(rest_.size(), kTcpTableMaxLine);
  out = Feed(r, rest_ + huge);
  EXPECT_EQ(out, "");
  EXPECT_EQ(rest_, "");
  out = Feed(r, "aaaa\nget alice@example.com\n");
  EXPECT_EQ(out, "200 mailbox\n");
}

TEST_F(ResponderTest, SocketmapAnswersByMapName) {
  SocketmapResponder r(worker_, "test");
  std::string in = EncodeNetstring("recipients alice@example.com") +
                   EncodeNetstring("aliases sales@example.com") +
                   EncodeNetstring("recipients nobody@example.com") +
                   EncodeNetstring("domains example.net") +
                   EncodeNetstring("transport dave@example.com") +
                   EncodeNetstring("recipients ali ce@example.com") +
                   EncodeNetstring("users alice@example.com") + EncodeNetstring("nospace");
  std::string expected =
      EncodeNetstring("OK mailbox") + EncodeNetstring("OK alice@example.com,bob@example.com") +
      EncodeNetstring("NOTFOUND ") + EncodeNetstring("OK alias") +
      EncodeNetstring("OK lmtp:inet:127.0.0.2:24") + EncodeNetstring("NOTFOUND ") +
      EncodeNetstring("PERM unknown map users") + EncodeNetstring("NOTFOUND ");
  bool closed = false;
  EXPECT_EQ(Feed(r, in, &closed), expected);
  EXPECT_FALSE(closed);
}

TEST_F(ResponderTest, SocketmapClosesOnBrokenFramingAndHugeLengths) {
  for (std::string in : {std::string("99999999999:x,"), std::string("-5:hello,"),
                         std::string("5:hello;"), std::string("abc"), std::string("10241:")}) {
    SocketmapResponder r(worker_, "test");
    bool closed = false;
    std::string out = Feed(r, in, &closed);
    EXPECT_TRUE(closed) << in;
    // Exactly one netstring, "N:PERM ...,", whose length N is right.
    size_t colon = out.find(':');
    ASSERT_NE(colon, std::string::npos) << in << " -> " << out;
    ASSERT_GT(colon, 0u) << in << " -> " << out;
    EXPECT_EQ(out.compare(colon + 1, 5, "PERM "), 0) << in << " -> " << out;
    EXPECT_EQ(out.substr(0, colon), std::to_string(out.size() - colon - 2)) << in << " -> " << out;
    EXPECT_EQ(out.back(), ',') << in << " -> " << out;
  }
}

TEST_F(ResponderTest, SocketmapStatsCountLookups) {
  SocketmapResponder r(worker_, "test");
  Feed(r, EncodeNetstring("recipients alice@example.com") +
              EncodeNetstring("recipients nobody@example.com"));
  std::string out = Feed(r, EncodeNetstring("stats recipients"));
  EXPECT_NE(out.find("OK connections=0 accepted=0 refused=0 recipients: lookups=2 found=1 "
                     "notfound=1 temporary=0"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("domains:"), std::string::npos);
  EXPECT_NE(Feed(r, EncodeNetstring("stats all")).find("domains: lookups=0"), std::string::npos);
}

TEST_F(ResponderTest, DatabaseTroubleIsTemporaryAndRecovers) {
  std::string saved = db_.path() + ".saved";
  std::filesystem::rename(db_.path(), saved);
  TcpTableResponder tcp(worker_, MapId::kRecipients, "test");
  SocketmapResponder sm(worker_, "test");
  // The trouble and the recovery are each logged once (database_health.h).
  testing::internal::CaptureStderr();
  EXPECT_EQ(Feed(tcp, "get alice@example.com\n"),
            "400 database%20missing,%20try%20again%20later\n");
  EXPECT_EQ(Feed(sm, EncodeNetstring("recipients alice@example.com")),
            EncodeNetstring("TEMP database missing, try again later"));
  // A malformed key is not found even now: it never reaches the database.
  EXPECT_EQ(Feed(tcp, "get %zz\n"), "500 not%20found\n");
  std::string trouble = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Count(trouble, "answering temporary failures until it recovers"), 1u) << trouble;
  EXPECT_EQ(Count(trouble, "database works again"), 0u) << trouble;
  std::filesystem::rename(saved, db_.path());
  testing::internal::CaptureStderr();
  EXPECT_EQ(Feed(tcp, "get alice@example.com\n"), "200 mailbox\n");
  EXPECT_EQ(Feed(tcp, "get alice@example.com\n"), "200 mailbox\n");
  std::string recovery = testing::internal::GetCapturedStderr();
  EXPECT_EQ(Count(recovery, "database works again"), 1u) << recovery;
  EXPECT_NE(recovery.find("2 lookups were answered with a temporary failure"), std::string::npos)
      << recovery;
}

TEST_F(ResponderTest, ProvisioningIsVisibleOnTheNextLookup) {
  TcpTableResponder r(worker_, MapId::kRecipients, "test");
  EXPECT_EQ(Feed(r, "get new@example.com\n"), "500 not%20found\n");
  {
    Result<std::unique_ptr<Store>> s = Store::Open(db_.path(), Store::Mode::kReadWrite);
    ASSERT_TRUE(s.ok());
    test::Must((*s)->InsertMailbox(test::MakeMailbox("new@example.com")));
  }
  EXPECT_EQ(Feed(r, "get new@example.com\n"), "200 mailbox\n");
}

}  // namespace
}  // namespace rcptdb
