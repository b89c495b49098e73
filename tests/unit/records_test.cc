// SPDX-License-Identifier: MIT
// records_test - the import/export record codec (CSV and JSON lines) and
// the JSON reader under it, fed what an untrusted file may hold
#include "records.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "json.h"
#include "utf8.h"

namespace rcptdb::admin {
namespace {

using namespace std::string_literals;
using Fields = std::vector<std::string>;

constexpr RecordFormat kCsv = RecordFormat::kCsv;
constexpr RecordFormat kJson = RecordFormat::kJson;

// Decodes line, which must hold one record.
Record Decoded(RecordFormat f, std::string_view line) {
  Result<std::optional<Record>> r = DecodeRecord(f, line);
  EXPECT_TRUE(r.ok()) << line << ": " << r.status().message();
  if (!r.ok() || !*r) {
    ADD_FAILURE() << "no record from " << line;
    return {};
  }
  return **r;
}

// Expects line to be refused with a message containing why.
void ExpectRefused(RecordFormat f, std::string_view line, std::string_view why) {
  Result<std::optional<Record>> r = DecodeRecord(f, line);
  ASSERT_FALSE(r.ok()) << "accepted: " << line;
  EXPECT_NE(r.status().message().find(why), std::string::npos)
      << "message: " << r.status().message() << "\nwanted: " << why;
}

std::string Encoded(RecordFormat f, const Record& r) {
  Result<std::string> line = EncodeRecord(f, r);
  EXPECT_TRUE(line.ok()) << line.status().message();
  return line.ok() ? *line : "";
}

void ExpectUnencodable(RecordFormat f, const Record& r, std::string_view why) {
  Result<std::string> line = EncodeRecord(f, r);
  ASSERT_FALSE(line.ok()) << "encoded: " << *line;
  EXPECT_NE(line.status().message().find(why), std::string::npos) << line.status().message();
}

// Expects r to survive encode -> decode in format f unchanged.
void ExpectRoundTrip(RecordFormat f, const Record& r) {
  std::string line = Encoded(f, r);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  Record back = Decoded(f, line);
  EXPECT_EQ(back, r) << line;
  EXPECT_EQ(Encoded(f, back), line) << "encoding is not canonical";
}

// A mailbox record, its missing trailing fields empty (as decoded).
Record Mailbox(Fields fields) {
  fields.resize(SpecOf(RecordType::kMailbox).fields.size());
  return {RecordType::kMailbox, std::move(fields)};
}

// --- CSV -------------------------------------------------------------------

TEST(RecordsCsv, DecodesEveryTypeAndPadsMissingTrailingFields) {
  EXPECT_EQ(Decoded(kCsv, "config,delimiter,+-"),
            (Record{RecordType::kConfig, {"delimiter", "+-"}}));
  EXPECT_EQ(Decoded(kCsv, "domain,example.com"),
            (Record{RecordType::kDomain, {"example.com", "", "", "", "", ""}}));
  EXPECT_EQ(Decoded(kCsv, "mailbox,a@example.com,,0,,1"),
            Mailbox({"a@example.com", "", "0", "", "1"}));
  EXPECT_EQ(Decoded(kCsv, "alias,a@x.example,b@y.example"),
            (Record{RecordType::kAlias, {"a@x.example", "b@y.example", ""}}));
  EXPECT_EQ(Decoded(kCsv, "relay-recipient"), (Record{RecordType::kRelayRecipient, {""}}));
  EXPECT_EQ(Decoded(kCsv, "sender,a@x.example,login,0"),
            (Record{RecordType::kSender, {"a@x.example", "login", "0"}}));
}

TEST(RecordsCsv, CommentsAndBlankLinesAreNoRecord) {
  for (std::string_view line : {"", " ", "\t \t", "#", "# mailbox,a@b", "  \t# x,y"}) {
    Result<std::optional<Record>> r = DecodeRecord(kCsv, line);
    ASSERT_TRUE(r.ok()) << line;
    EXPECT_FALSE(*r) << line;
  }
}

TEST(RecordsCsv, QuotedFieldsHoldCommasQuotesAndWhiteSpace) {
  EXPECT_EQ(Decoded(kCsv, R"(mailbox,a@b,"{PLAIN}a,b""c""",,,1)"),
            Mailbox({"a@b", R"({PLAIN}a,b"c")", "", "", "1"}));
  EXPECT_EQ(Decoded(kCsv, R"(mailbox,"a@b",""," x ","""",)"),
            Mailbox({"a@b", "", " x ", "\"", ""}));
  // A quote inside an unquoted field is only itself.
  EXPECT_EQ(Decoded(kCsv, R"(mailbox,a"b,c""d)"), Mailbox({"a\"b", "c\"\"d", "", "", ""}));
  // Unquoted white space is kept, not trimmed: the importer's values decide.
  EXPECT_EQ(Decoded(kCsv, "mailbox, a@b ,\t"), Mailbox({" a@b ", "\t", "", "", ""}));
  // The type may be quoted too.
  EXPECT_EQ(Decoded(kCsv, R"("relay-recipient",x@y)"),
            (Record{RecordType::kRelayRecipient, {"x@y"}}));
}

TEST(RecordsCsv, MalformedQuotingIsRefused) {
  ExpectRefused(kCsv, R"(mailbox,"a@b)", "unterminated quoted field");
  ExpectRefused(kCsv, R"(mailbox,"a@b"",1)", "unterminated quoted field");
  ExpectRefused(kCsv, R"(mailbox,"a@b"x,1)", "text after a closing quote");
  ExpectRefused(kCsv, R"(mailbox,"a" ,1)", "text after a closing quote");
  ExpectRefused(kCsv, R"(")", "unterminated quoted field");
}

TEST(RecordsCsv, LineBreaksAndNulInsideARecordAreRefused) {
  // One record is one line: a quoted newline would split it in two.
  ExpectRefused(kCsv, "mailbox,\"a\nb\",,,1", "line break");
  ExpectRefused(kCsv, "mailbox,a@b\r", "line break");
  ExpectRefused(kCsv, "mailbox,a\rb", "line break");
  ExpectRefused(kCsv, "mailbox,a@b,{PLAIN}x\0y"s, "NUL byte");
  ExpectRefused(kCsv, "\"mailbox\0\",a@b"s, "NUL byte");
}

TEST(RecordsCsv, WrongTypeOrFieldCountIsRefusedByName) {
  ExpectRefused(kCsv, "frobnicate,x", "unknown record type frobnicate");
  ExpectRefused(kCsv, "Mailbox,a@b", "unknown record type Mailbox");
  ExpectRefused(kCsv, " mailbox,a@b", "unknown record type  mailbox");
  ExpectRefused(kCsv, ",a@b", "unknown record type  (known: config");
  ExpectRefused(kCsv, "mailbox,a@b,,0,,1,,extra", "mailbox record has 7 fields, at most 6");
  ExpectRefused(kCsv, "relay-recipient,a@b,", "relay-recipient record has 2 fields, at most 1");
  ExpectRefused(kCsv, "config,a,b,\"c,d\"", "config record has 3 fields, at most 2");
  ExpectRefused(kCsv, std::string(5000, ','), "unknown record type");
}

TEST(RecordsCsv, EncodesCanonically) {
  EXPECT_EQ(Encoded(kCsv, Mailbox({"a@b", R"({PLAIN}a,b"c")", "1073741824", "", "1"})),
            R"(mailbox,a@b,"{PLAIN}a,b""c""",1073741824,,1)");
  EXPECT_EQ(Encoded(kCsv, Mailbox({" a", "b\tc", "", "#", "\""})),
            "mailbox,\" a\",\"b\tc\",,#,\"\"\"\"");
  // Trailing empty fields are left out, so the line is canonical and a
  // record without a field that a later version added reads as before.
  EXPECT_EQ(Encoded(kCsv, Record{RecordType::kDomain, {"example.com"}}), "domain,example.com");
  EXPECT_EQ(Encoded(kCsv, Record{RecordType::kDomain, {"example.com", "", "", "", "", ""}}),
            "domain,example.com");
  EXPECT_EQ(Encoded(kCsv, Mailbox({"a@b", "", "0", "", "1", "Zoë Example, \"Z\""})),
            "mailbox,a@b,,0,,1,\"Zoë Example, \"\"Z\"\"\"");
  EXPECT_EQ(Encoded(kJson, Mailbox({"a@b", "", "0", "", "1", "Zoë"})),
            R"({"type":"mailbox","address":"a@b","password":null,"quota":0,"transport":null,)"
            R"("active":true,"description":"Zoë"})");
}

TEST(RecordsCsv, RefusesToEncodeWhatItCannotCarry) {
  ExpectUnencodable(kCsv, Mailbox({"a@b", "{PLAIN}x\ny", "", "", ""}),
                    "mailbox record: field password holds a line break");
  ExpectUnencodable(kCsv, Mailbox({"a@b", "", "", "lmtp:x\r", ""}), "field transport holds");
  ExpectUnencodable(kCsv, Mailbox({"a@b\0c"s, "", "", "", ""}), "field address holds a NUL");
  ExpectUnencodable(kCsv, Record{RecordType::kMailbox, {"a", "b", "c", "d", "e", "f", "g"}},
                    "mailbox record has 7 fields, at most 6");
  ExpectUnencodable(kCsv, Mailbox({"a@b", "", "", "", "", "Bob\nSmith"}),
                    "field description holds a line break");
}

// --- JSON ------------------------------------------------------------------

TEST(RecordsJson, DecodesWithFieldsInAnyOrderAndNullOrAbsentForEmpty) {
  EXPECT_EQ(Decoded(kJson, R"({"active":false,"address":"a@b","type":"mailbox","quota":0})"),
            Mailbox({"a@b", "", "0", "", "0"}));
  EXPECT_EQ(Decoded(kJson, R"( { "type" : "mailbox" , "address" : "a@b" ,)"
                           R"( "password" : null , "quota" : "512M", "active" : true } )"),
            Mailbox({"a@b", "", "512M", "", "1"}));
  EXPECT_EQ(Decoded(kJson, R"({"type":"mailbox","address":"a@b","quota":null,"active":null})"),
            Mailbox({"a@b", "", "", "", ""}));
  EXPECT_EQ(Decoded(kJson, R"({"type":"relay-recipient"})"),
            (Record{RecordType::kRelayRecipient, {""}}));
  for (std::string_view blank : {"", " \t"}) {
    Result<std::optional<Record>> r = DecodeRecord(kJson, blank);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(*r);
  }
}

TEST(RecordsJson, Escapes) {
  EXPECT_EQ(Decoded(kJson, R"({"type":"config","name":"a\"b\\c\/d","value":"\b\f\n\r\t"})"),
            (Record{RecordType::kConfig, {"a\"b\\c/d", "\b\f\n\r\t"}}));
  EXPECT_EQ(Decoded(kJson, R"({"type":"config","name":"\u0041\u00e9\u20AC","value":"\u0001"})"),
            (Record{RecordType::kConfig, {"A\xc3\xa9\xe2\x82\xac", "\x01"}}));
  // A surrogate pair is one code point, written as four bytes of UTF-8.
  EXPECT_EQ(Decoded(kJson, R"({"type":"config","name":"\ud83d\ude00","value":"\uDBFF\uDFFF"})"),
            (Record{RecordType::kConfig, {"\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"}}));
  ExpectRefused(kJson, R"({"type":"config","name":"\x"})", "bad escape");
  ExpectRefused(kJson, R"({"type":"config","name":"\u12"})", "bad \\u escape");
  ExpectRefused(kJson, R"({"type":"config","name":"\u12g4"})", "bad \\u escape");
  ExpectRefused(kJson, R"({"type":"config","name":"\)", "bad escape");
}

TEST(RecordsJson, NulAndUnpairedSurrogatesAreRefused) {
  ExpectRefused(kJson, R"({"type":"config","name":"a\u0000b"})", "\\u0000 (a NUL byte)");
  ExpectRefused(kJson, R"({"type":"config","name":"\ud800"})", "unpaired surrogate");
  ExpectRefused(kJson, R"({"type":"config","name":"\ud800x"})", "unpaired surrogate");
  ExpectRefused(kJson, R"({"type":"config","name":"\ud800\u0041"})", "unpaired surrogate");
  ExpectRefused(kJson, R"({"type":"config","name":"\ud800\ud800"})", "unpaired surrogate");
  ExpectRefused(kJson, R"({"type":"config","name":"\udc00\ud800"})", "unpaired surrogate");
  ExpectRefused(kJson, R"({"type":"config","name":"\udfff"})", "unpaired surrogate");
}

TEST(RecordsJson, RawBytesMustBeUtf8AndNotControlCharacters) {
  ExpectRefused(kJson, "{\"type\":\"config\",\"name\":\"a\nb\"}", "control character");
  ExpectRefused(kJson, "{\"type\":\"config\",\"name\":\"a\0b\"}"s, "control character");
  for (std::string bad : {"\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                          "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\x80"}) {
    ExpectRefused(kJson, "{\"type\":\"config\",\"name\":\"" + bad + "\"}", "invalid UTF-8");
  }
  EXPECT_EQ(Decoded(kJson, "{\"type\":\"config\",\"name\":\"\xc3\xa9\xf0\x9f\x98\x80\x7f\"}"),
            (Record{RecordType::kConfig, {"\xc3\xa9\xf0\x9f\x98\x80\x7f", ""}}));
}

TEST(RecordsJson, NumbersFollowTheJsonGrammar) {
  for (std::string_view n : {"0", "-0", "12", "1.5", "1e3", "1E+3", "-2.5e-3"}) {
    EXPECT_EQ(Decoded(kJson, R"({"type":"mailbox","quota":)" + std::string(n) + "}").Field(2), n);
  }
  for (std::string_view n : {"01", "+1", "1.", ".5", "-", "e", "1e", "1e+", "0x10", "1-2", "--1",
                             "Infinity", "NaN", "tru", "nul"}) {
    ExpectRefused(kJson, R"({"type":"mailbox","quota":)" + std::string(n) + "}",
                  "expected a value");
  }
}

TEST(RecordsJson, ShapeIsChecked) {
  ExpectRefused(kJson, R"({"address":"a@b"})", "no \"type\"");
  ExpectRefused(kJson, R"({"type":"frob"})", "unknown record type frob");
  ExpectRefused(kJson, R"({"type":true})", "\"type\" must be a string");
  ExpectRefused(kJson, R"({"type":"mailbox","adress":"a@b"})",
                "mailbox record has no field adress");
  ExpectRefused(kJson, R"({"type":"mailbox","address":1})", "field address must be a string");
  ExpectRefused(kJson, R"({"type":"mailbox","password":0})",
                "field password must be a string or null");
  ExpectRefused(kJson, R"({"type":"mailbox","active":"yes"})",
                "field active must be true or false");
  ExpectRefused(kJson, R"({"type":"mailbox","quota":true})", "field quota must be a number");
  ExpectRefused(kJson, R"({"type":"mailbox","address":"a","address":"b"})", "duplicate key");
  ExpectRefused(kJson, R"({"type":"mailbox","type":"mailbox"})", "duplicate key type");
  ExpectRefused(kJson, R"({"type":"mailbox","address":{"x":1}})", "nested");
  ExpectRefused(kJson, R"({"type":"mailbox","address":["a"]})", "nested");
  ExpectRefused(kJson, R"({"type":"mailbox",})", "expected a string");
  ExpectRefused(kJson, R"({"type":"mailbox"} x)", "trailing text");
  ExpectRefused(kJson, R"({"type":"mailbox"}{})", "trailing text");
  ExpectRefused(kJson, R"({"type" "mailbox"})", "expected ':'");
  ExpectRefused(kJson, R"({"type":"mailbox")", "expected ',' or '}'");
  ExpectRefused(kJson, R"(["type","mailbox"])", "expected '{'");
  ExpectRefused(kJson, R"("mailbox")", "expected '{'");
  ExpectRefused(kJson, "{", "expected a string");
}

TEST(RecordsJson, MembersAreBounded) {
  std::string object = "{";
  for (std::size_t i = 0; i <= kMaxJsonMembers; ++i)
    object += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
  object += "}";
  Result<std::vector<std::pair<std::string, JsonValue>>> r = ParseFlatObject(object);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more than 32 members"), std::string::npos);
  object.resize(object.rfind(','));
  EXPECT_TRUE(ParseFlatObject(object + "}").ok());
}

TEST(RecordsJson, EncodesCanonically) {
  // The example in rcptdb(1).
  EXPECT_EQ(Encoded(kJson, Mailbox({"bob@example.com", "", "0", "", "1"})),
            R"({"type":"mailbox","address":"bob@example.com","password":null,"quota":0,)"
            R"("transport":null,"active":true,"description":null})");
  // Empty flags and quotas are null (the importer's default), sizes strings.
  EXPECT_EQ(Encoded(kJson, Mailbox({"a@b", "{PLAIN}\"\\", "512M", "x:y", ""})),
            R"({"type":"mailbox","address":"a@b","password":"{PLAIN}\"\\","quota":"512M",)"
            R"("transport":"x:y","active":null,"description":null})");
  EXPECT_EQ(Encoded(kJson, Record{RecordType::kConfig, {"\n\x01\x7f", ""}}),
            R"({"type":"config","name":"\n\u0001\u007f","value":""})");
}

TEST(RecordsJson, RefusesToEncodeWhatItCannotCarry) {
  ExpectUnencodable(kJson, Mailbox({"a@b", "{PLAIN}\xe9t\xe9", "", "", ""}),
                    "field password is not UTF-8");
  ExpectUnencodable(kJson, Mailbox({"a@b", "", "", "", "yes"}), "field active yes is not 1 or 0");
  ExpectUnencodable(kJson, Record{RecordType::kConfig, {"a\0"s, ""}}, "field name holds a NUL");
  // CSV carries what JSON cannot, and the other way round.
  ExpectRoundTrip(kCsv, Mailbox({"a@b", "{PLAIN}\xe9t\xe9", "", "", "yes"}));
  ExpectRoundTrip(kJson, Mailbox({"a@b", "{PLAIN}\n", "", "", ""}));
}

// --- Both ------------------------------------------------------------------

TEST(Records, OverlongLinesAreRefusedAtTheBound) {
  std::string at_bound = "config,x,";
  at_bound += std::string(kMaxRecordLine - at_bound.size(), 'v');
  ASSERT_EQ(at_bound.size(), kMaxRecordLine);
  EXPECT_EQ(Decoded(kCsv, at_bound).Field(1).size(), kMaxRecordLine - 9);
  ExpectRefused(kCsv, at_bound + "v", "line of 65537 bytes, longer than the 65536");
  ExpectRefused(kCsv, "#" + at_bound, "longer than");  // even a comment

  std::string json = R"({"type":"config","value":")";
  json += std::string(kMaxRecordLine - json.size() - 2, 'v') + "\"}";
  ASSERT_EQ(json.size(), kMaxRecordLine);
  EXPECT_TRUE(DecodeRecord(kJson, json).ok());
  ExpectRefused(kJson, json + " ", "line of 65537 bytes");
}

TEST(Records, EncodingLongerThanTheBoundIsRefused) {
  // Quotes double in CSV: a value that fits decoded may not fit encoded.
  Record r{RecordType::kConfig, {"x", std::string(kMaxRecordLine / 2, '"')}};
  ExpectUnencodable(kCsv, r, "config record: line of 65547 bytes");
  // Control characters grow sixfold in JSON.
  Record c{RecordType::kConfig, {"x", std::string(kMaxRecordLine / 4, '\x01')}};
  ExpectUnencodable(kJson, c, "longer than the 65536");
  ExpectRoundTrip(kCsv, c);
}

TEST(Records, RoundTripsInBothFormats) {
  const std::vector<Record> records = {
      {RecordType::kConfig, {"delimiter", "+-"}},
      {RecordType::kConfig, {"", ""}},
      {RecordType::kDomain, {"example.com", "hosted", "lmtp:inet:127.0.0.1:24", "", "", "1"}},
      {RecordType::kDomain, {"example.net", "alias", "", "example.com", "", "0"}},
      {RecordType::kDomain,
       {"b\xc3\xbc"
        "cher.example",
        "", "", "", "c@x", ""}},
      Mailbox({"alice@example.com", "{SHA512-CRYPT}$6$salt$hash/.", "1073741824", "", "1"}),
      Mailbox({"odd@example.com", R"({PLAIN}a,b"c" d	e)", "1G", "smtp:[mx]:25", "0"}),
      Mailbox({"\"q\"@x", ",", "\"", " ", ""}),
      Mailbox({"#", "#,#", "-0", "\\", "1"}),
      {RecordType::kAlias, {"a@x", "b@y", "1"}},
      {RecordType::kRelayRecipient, {"listed@relay.example"}},
      {RecordType::kRelayRecipient, {""}},
      {RecordType::kSender, {"team@example.com", "login, with comma", "0"}},
      {RecordType::kConfig, {"\xf0\x9f\x98\x80", "\x01\x02\x7f\t"}},
  };
  for (const Record& r : records) {
    SCOPED_TRACE(Encoded(kCsv, r));
    ExpectRoundTrip(kCsv, r);
    ExpectRoundTrip(kJson, r);
    // Across formats: what one writes, the other reads back the same.
    EXPECT_EQ(Decoded(kJson, Encoded(kJson, Decoded(kCsv, Encoded(kCsv, r)))), r);
  }
}

TEST(Records, DecodedInputReencodesToItsCanonicalForm) {
  EXPECT_EQ(Encoded(kCsv, Decoded(kCsv, R"("mailbox","a@b","",0,"",1)")), "mailbox,a@b,,0,,1");
  EXPECT_EQ(Encoded(kJson, Decoded(kJson, R"({ "type":"alias", "source":"a@x", "target":"b@y" })")),
            R"({"type":"alias","source":"a@x","target":"b@y","active":null})");
  EXPECT_EQ(Encoded(kJson, Decoded(kJson, R"({"type":"config","name":"\u00e9\/"})")),
            "{\"type\":\"config\",\"name\":\"\xc3\xa9/\",\"value\":\"\"}");
}

TEST(Json, IsUtf8AndIsJsonNumber) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("a\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  EXPECT_FALSE(IsUtf8("\xc1\xbf"));          // overlong
  EXPECT_FALSE(IsUtf8("\xe0\x9f\xbf"));      // overlong
  EXPECT_FALSE(IsUtf8("\xf0\x8f\xbf\xbf"));  // overlong
  EXPECT_FALSE(IsUtf8("\xed\xbf\xbf"));      // surrogate
  EXPECT_FALSE(IsUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsUtf8("\xe2\x28\xa1"));      // bad continuation
  EXPECT_TRUE(IsJsonNumber("-0.0e-0"));
  EXPECT_FALSE(IsJsonNumber(""));
  EXPECT_FALSE(IsJsonNumber("00"));
  EXPECT_FALSE(IsJsonNumber("1.e1"));
  EXPECT_EQ(JsonQuote("a\xff\"\\"), R"("a\ufffd\"\\")");
}

}  // namespace
}  // namespace rcptdb::admin
