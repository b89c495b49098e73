// SPDX-License-Identifier: MIT
// web_resources_test.cc - a page and a record written as JSON text
// (RecordText, PageText) read exactly as the ones built as JSON values
// (RecordJson, PageJson) do.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "record_json.h"
#include "resources.h"

namespace rcptdb::web {
namespace {

Mailbox Odd(int i) {
  Mailbox m;
  m.address = "user" + std::to_string(i) + "@example.com";
  m.active = i % 2 == 0;
  m.password = i % 3 ? "{SHA512-CRYPT}$6$x" : "";
  m.quota = i * 1024;
  m.transport = i % 2 ? "lmtp:unix:private/dovecot-lmtp" : "";
  m.description =
      "\"quoted\" \\ <img src=x onerror=alert(1)> b\xc3\xbc"
      "cher \x7f";
  return m;
}

TEST(RecordText, ReadsAsRecordJson) {
  for (int i = 0; i < 4; ++i) {
    Mailbox m = Odd(i);
    std::string json = MailboxJson(m);
    EXPECT_EQ(RecordVersion(m, json), RecordVersion(m));
    std::string text = RecordText(json, RecordVersion(m));
    EXPECT_EQ(Json::parse(text), RecordJson(json, RecordVersion(m))) << text;
  }
  EXPECT_EQ(RecordText("{\"a\":1}", ""), "{\"a\":1}");
  EXPECT_EQ(Json::parse(RecordText("{}", "v1")), Json::parse("{\"version\":\"v1\"}"));
}

TEST(PageText, ReadsAsPageJson) {
  for (std::size_t rows : {0u, 1u, 3u}) {
    for (std::size_t limit : {1u, 3u, 100u}) {
      std::vector<std::string> texts;
      Json values = Json::array();
      std::string last;
      for (std::size_t i = 0; i < rows; ++i) {
        Mailbox m = Odd(static_cast<int>(i));
        texts.push_back(RecordText(MailboxJson(m), RecordVersion(m)));
        values.push_back(RecordJson(MailboxJson(m), RecordVersion(m)));
        last = m.address;
      }
      std::string text = PageText(texts, limit, last);
      EXPECT_EQ(Json::parse(text), PageJson(values, limit, last)) << text;
    }
  }
}

}  // namespace
}  // namespace rcptdb::web
