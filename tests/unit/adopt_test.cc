// SPDX-License-Identifier: MIT
// adopt_test.cc - rcptdb adopt's codecs and plans: Postfix map source
// text (admin/adopt_map_text.h), Dovecot passwd-file lines and hash
// schemes (admin/adopt_passwd.h), the Postfix and PostfixAdmin plans
// (admin/adopt_plan.h, admin/adopt_postfixadmin.h), and that every plan
// is written through the importer exactly as rcptdb import writes.
#include <gtest/gtest.h>

#include "adopt_map_text.h"
#include "adopt_passwd.h"
#include "adopt_plan.h"
#include "adopt_postfixadmin.h"
#include "fixture.h"
#include "importer.h"
#include "resolver.h"

namespace rcptdb::admin {
namespace {

TEST(AdoptMapText, ReadsPostmapSourceLikePostmap) {
  MapText t = ParseMapSource(
      "# comment\n"
      "\n"
      "Info@Example.COM   bob@example.com,\n"
      "   carol@example.com\n"
      "  # an indented comment is still a comment\n"
      "@example.com\tcatch@example.com  \r\n"
      "lonely\n"
      "\"quoted key\" x\n");
  ASSERT_EQ(t.entries.size(), 2u);
  EXPECT_EQ(t.entries[0], (MapEntry{"info@example.com", "bob@example.com, carol@example.com", 3}));
  EXPECT_EQ(t.entries[1], (MapEntry{"@example.com", "catch@example.com", 6}));
  ASSERT_EQ(t.problems.size(), 2u);
  EXPECT_EQ(t.problems[0].line, 7u);
  EXPECT_NE(t.problems[0].why.find("key whitespace value"), std::string::npos);
  EXPECT_EQ(t.problems[1].line, 8u);
}

TEST(AdoptMapText, BoundsEachLogicalLine) {
  std::string big = "k " + std::string(kMaxMapLine, 'v') + "\nok v\n";
  MapText t = ParseMapSource(big);
  ASSERT_EQ(t.problems.size(), 1u);
  EXPECT_EQ(t.problems[0].line, 1u);
  ASSERT_EQ(t.entries.size(), 1u);
  EXPECT_EQ(t.entries[0].key, "ok");
  // Continuations count towards the bound as well.
  std::string cont = "k v\n";
  for (int i = 0; i < 20; ++i) cont += " " + std::string(kMaxMapLine / 16, 'x') + "\n";
  EXPECT_EQ(ParseMapSource(cont).problems.size(), 1u);
}

TEST(AdoptMapText, SplitsTableLists) {
  Result<std::vector<TableSpec>> l = SplitTableList(
      "proxy:hash:/etc/postfix/virtual, example.org  inline:{ a=b, { c = d e } },/etc/doms");
  ASSERT_TRUE(l.ok()) << l.status().message();
  ASSERT_EQ(l->size(), 4u);
  EXPECT_EQ((*l)[0].type, "hash");
  EXPECT_EQ((*l)[0].name, "/etc/postfix/virtual");
  EXPECT_EQ((*l)[0].text, "proxy:hash:/etc/postfix/virtual");
  EXPECT_EQ((*l)[1].type, "");
  EXPECT_EQ((*l)[1].name, "example.org");
  EXPECT_EQ((*l)[2].type, "inline");
  EXPECT_EQ((*l)[3].name, "/etc/doms");
  EXPECT_FALSE(SplitTableList("inline:{ a=b").ok());
  EXPECT_FALSE(SplitTableList("x }").ok());
  Result<std::vector<MapEntry>> in = ParseInlineTable((*l)[2].name);
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[1], (MapEntry{"c", "d e", 0}));
  EXPECT_FALSE(ParseInlineTable("{ a }").ok());
  EXPECT_EQ(*ParseStaticTable("{ OK fine }"), "OK fine");
  EXPECT_EQ(SplitAddressList(" a@x, b@y\tc@z,,"), (std::vector<std::string>{"a@x", "b@y", "c@z"}));
}

TEST(AdoptPasswd, ReadsDovecotLines) {
  Result<std::optional<PasswdUser>> u = ParsePasswdLine(
      "bob@example.com:{SHA512-CRYPT}$6$salt$hash:1000:1000::/home/bob::"
      "userdb_quota_rule=*:storage=1G allow_nets=127.0.0.1");
  ASSERT_TRUE(u.ok()) << u.status().message();
  ASSERT_TRUE(*u);
  EXPECT_EQ((*u)->user, "bob@example.com");
  EXPECT_EQ((*u)->password, "{SHA512-CRYPT}$6$salt$hash");
  EXPECT_EQ((*u)->quota, std::int64_t{1} << 30);
  EXPECT_EQ((*u)->dropped, (std::vector<std::string>{"allow_nets=127.0.0.1"}));
  u = ParsePasswdLine(
      "carol@example.com:$1$abcdefgh$0123456789abcdefghijkl::::::quota_rule=*:bytes=1000");
  ASSERT_TRUE(u.ok() && *u);
  EXPECT_EQ((*u)->password, "{MD5-CRYPT}$1$abcdefgh$0123456789abcdefghijkl");
  EXPECT_EQ((*u)->quota, 1000);
  EXPECT_FALSE(*ParsePasswdLine("  # comment"));
  EXPECT_FALSE(ParsePasswdLine(":x").ok());
  EXPECT_FALSE(ParsePasswdLine("bob@x:secret").ok());  // a plain password
  EXPECT_FALSE(ParsePasswdLine("bob@x:{PLAIN}x::::::userdb_quota_rule=*:storage=10%").ok());
}

TEST(AdoptPasswd, NamesBareHashSchemes) {
  EXPECT_EQ(*NamedHash("$6$s$h0123456789"), "{SHA512-CRYPT}$6$s$h0123456789");
  EXPECT_EQ(*NamedHash("$5$s$h0123456789"), "{SHA256-CRYPT}$5$s$h0123456789");
  EXPECT_EQ(*NamedHash("$2y$10$abcdefghijklmnopqrstuv"),
            "{BLF-CRYPT}$2y$10$abcdefghijklmnopqrstuv");
  EXPECT_EQ(*NamedHash("$y$j9T$abc$defghijklmn"), "{CRYPT}$y$j9T$abc$defghijklmn");
  EXPECT_EQ(*NamedHash("{sha512-crypt}$6$x"), "{SHA512-CRYPT}$6$x");
  EXPECT_EQ(*NamedHash(""), "");
  EXPECT_FALSE(NamedHash("hunter2").ok());
  EXPECT_FALSE(NamedHash("{SHA512-CRYPT}a b").ok());
  EXPECT_EQ(*ParseDovecotSize("512M"), std::int64_t{512} << 20);
  EXPECT_EQ(*ParseDovecotSize("10k"), 10240);
  EXPECT_FALSE(ParseDovecotSize("10%").ok());
  EXPECT_FALSE(ParseDovecotSize("99999999999T").ok());
}

// A site with entries for each parameter.
PostfixSite Site(std::map<std::string, std::vector<std::pair<std::string, std::string>>> params) {
  PostfixSite s;
  s.recipient_delimiter = "+";
  s.virtual_transport = "virtual";
  for (auto& [name, entries] : params)
    for (std::size_t i = 0; i < entries.size(); ++i)
      s.params[name].push_back(
          {entries[i].first, entries[i].second, name + " line " + std::to_string(i + 1)});
  return s;
}

void AddUser(PostfixSite& s, const std::string& user, const std::string& hash = "{PLAIN}x") {
  PasswdUser u;
  u.user = user;
  u.password = *NamedHash(hash);  // as ParsePasswdLine does
  s.users.push_back({u, "passwd line " + std::to_string(s.users.size() + 1)});
}

std::vector<std::string> Csv(const AdoptPlan& p) {
  std::vector<std::string> out;
  for (const Record& r : p.records) out.push_back(*EncodeRecord(RecordFormat::kCsv, r));
  return out;
}

bool HasRefusal(const AdoptPlan& p, const std::string& part) {
  for (const AdoptNote& n : p.refusals)
    if (n.text.find(part) != std::string::npos) return true;
  return false;
}

TEST(AdoptPlanPostfix, MapsTheClassicSetup) {
  PostfixSite s = Site({
      {"relay_domains", {{"example.com", ""}, {"alias.example", ""}, {"partner.example", ""}}},
      {"transport_maps",
       {{"example.com", "lmtp:inet:127.0.0.1:24"},
        {"partner.example", "smtp:[mx.partner.example]"},
        {"carol@example.com", "lmtp:inet:127.0.0.2:24"}}},
      {"virtual_alias_maps",
       {{"info@example.com", "bob@example.com, carol@example.com"},
        {"@example.com", "bob@example.com"},
        {"@alias.example", "@example.com"},
        {"bob@example.com", "bob@example.com"}}},
      {"relay_recipient_maps",
       {{"bob@example.com", "OK"}, {"carol@example.com", "OK"}, {"sales@partner.example", "OK"}}},
  });
  AddUser(s, "bob@example.com");
  AddUser(s, "Carol@Example.com", "$6$salt$abcdefghijk");
  AdoptPlan p = PlanFromPostfix(s);
  EXPECT_TRUE(p.refusals.empty()) << p.refusals[0].where << ": " << p.refusals[0].text;
  EXPECT_EQ(Csv(p), (std::vector<std::string>{
                        "config,delimiter,+",
                        "domain,example.com,hosted,lmtp:inet:127.0.0.1:24,,bob@example.com,1",
                        "domain,partner.example,relay,smtp:[mx.partner.example],,,1",
                        "domain,alias.example,alias,,example.com,,1",
                        "mailbox,bob@example.com,{PLAIN}x,0,,1",
                        "mailbox,carol@example.com,{SHA512-CRYPT}$6$salt$abcdefghijk,0,"
                        "lmtp:inet:127.0.0.2:24,1",
                        "alias,info@example.com,bob@example.com,1",
                        "alias,info@example.com,carol@example.com,1",
                        "relay-recipient,sales@partner.example",
                    }));
  // carol has no self-alias: Postfix's catch-all took her mail.
  ASSERT_EQ(p.notes.size(), 1u);
  EXPECT_NE(p.notes[0].text.find("never shadows"), std::string::npos);
}

TEST(AdoptPlanPostfix, RefusesWhatItCannotExpress) {
  PostfixSite s = Site({
      {"relay_domains", {{"example.com", ""}, {".sub.example", ""}}},
      {"transport_maps", {{"*", "smtp:[relay]"}, {"other.example", "smtp:[x]"}}},
      {"virtual_alias_maps",
       {{"root", "bob@example.com"},
        {"bob+x@example.com", "bob@example.com"},
        {"fwd@example.com", "bob@example.com"},
        {"@example.com", "a@example.com b@example.com"}}},
      {"relay_recipient_maps", {{"@example.com", "OK"}}},
  });
  AddUser(s, "fwd@example.com");
  AddUser(s, "dave@nowhere.example");
  AdoptPlan p = PlanFromPostfix(s);
  EXPECT_TRUE(HasRefusal(p, "parent-domain match"));
  EXPECT_TRUE(HasRefusal(p, "a default route"));
  EXPECT_TRUE(HasRefusal(p, "not ours"));
  EXPECT_TRUE(HasRefusal(p, "a bare local part"));
  EXPECT_TRUE(HasRefusal(p, "recipient delimiter"));
  EXPECT_TRUE(HasRefusal(p, "a mailbox that also forwards"));
  EXPECT_TRUE(HasRefusal(p, "a catch-all with 2 targets"));
  EXPECT_TRUE(HasRefusal(p, "accepts every address of example.com"));
  // Every refusal names where it came from.
  for (const AdoptNote& n : p.refusals) EXPECT_NE(n.where.find(" line "), std::string::npos);
  bool skipped = false;
  for (const AdoptNote& n : p.notes) skipped |= n.text.find("dave@nowhere.example: skipped") == 0;
  EXPECT_TRUE(skipped);
}

PostfixAdminSite AdminSite() {
  PostfixAdminSite s;
  s.domains = {{"ALL", "", "0", "1"},
               {"example.com", "virtual", "0", "1"},
               {"alias.example", "virtual", "0", "1"},
               {"backup.example", "", "1", "1"}};
  s.mailboxes = {{"bob@example.com", "$6$salt$abcdefghijk", "1024000", "1", "Bob Example"},
                 {"off@example.com", "{BLF-CRYPT}$2y$05$abc", "0", "0", ""}};
  s.aliases = {{"bob@example.com", "bob@example.com", "1"},
               {"off@example.com", "off@example.com", "1"},
               {"@example.com", "bob@example.com", "1"},
               {"info@example.com", "bob@example.com,bob#example.com@autoreply.example", "1"}};
  s.alias_domains = {{"alias.example", "example.com", "1"}};
  s.transport = "lmtp:inet:127.0.0.1:24";
  return s;
}

TEST(AdoptPlanPostfixAdmin, MapsTheTables) {
  AdoptPlan p = PlanFromPostfixAdmin(AdminSite());
  ASSERT_EQ(p.refusals.size(), 1u);
  EXPECT_NE(p.refusals[0].text.find("backup MX"), std::string::npos);
  EXPECT_EQ(Csv(p), (std::vector<std::string>{
                        "domain,example.com,hosted,lmtp:inet:127.0.0.1:24,,bob@example.com,1",
                        "domain,alias.example,alias,,example.com,,1",
                        "mailbox,bob@example.com,{SHA512-CRYPT}$6$salt$abcdefghijk,1024000,,1,"
                        "\"Bob Example\"",
                        "mailbox,off@example.com,{BLF-CRYPT}$2y$05$abc,0,,0",
                        "alias,info@example.com,bob@example.com,1",
                    }));
  bool vacation = false, multiplier = false;
  for (const AdoptNote& n : p.notes) {
    vacation |= n.text.find("vacation target") != std::string::npos;
    multiplier |= n.text.find("quota_multiplier") != std::string::npos;
  }
  EXPECT_TRUE(vacation);
  EXPECT_TRUE(multiplier);
}

TEST(AdoptPlanPostfixAdmin, ANameThatIsNoDescriptionIsLeftOutWithANote) {
  PostfixAdminSite s = AdminSite();
  s.mailboxes[0].name = "Bob\nExample";
  AdoptPlan p = PlanFromPostfixAdmin(s);
  EXPECT_NE(std::find(Csv(p).begin(), Csv(p).end(),
                      "mailbox,bob@example.com,{SHA512-CRYPT}$6$salt$abcdefghijk,1024000,,1"),
            Csv(p).end());
  bool noted = false;
  for (const AdoptNote& n : p.notes)
    noted |= n.text.find("bob@example.com: name not kept as its description") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(AdoptPlanPostfixAdmin, MixedCaseIsRefusedWhereTheDatabaseComparesCase) {
  PostfixAdminSite s = AdminSite();
  s.domains.pop_back();
  s.mailboxes.push_back({"Carol@example.com", "{PLAIN}x", "0", "1", ""});
  EXPECT_TRUE(HasRefusal(PlanFromPostfixAdmin(s), "mixed case"));
  s.keys_fold_case = true;  // MariaDB
  AdoptPlan p = PlanFromPostfixAdmin(s);
  EXPECT_TRUE(p.refusals.empty());
  EXPECT_NE(std::find(Csv(p).begin(), Csv(p).end(), "mailbox,carol@example.com,{PLAIN}x,0,,1"),
            Csv(p).end());
}

TEST(AdoptPlanPostfixAdmin, RefusesAMailboxThatForwards) {
  PostfixAdminSite s = AdminSite();
  s.aliases.push_back({"bob@example.com", "bob@example.com,elsewhere@other.example", "1"});
  s.aliases.erase(s.aliases.begin());
  EXPECT_TRUE(HasRefusal(PlanFromPostfixAdmin(s), "keeping a copy"));
}

TEST(AdoptPlanPostfixAdmin, ReadsFlagsAndUris) {
  EXPECT_EQ(ParsePostfixAdminFlag("t"), true);
  EXPECT_EQ(ParsePostfixAdminFlag("0"), false);
  EXPECT_EQ(ParsePostfixAdminFlag("maybe"), std::nullopt);
  EXPECT_TRUE(IsVacationTarget("bob#example.com@autoreply.example"));
  EXPECT_FALSE(IsVacationTarget("bob@example.com"));
  Result<MysqlLocation> l = ParseMysqlUri("mysql://pfa:s%40cret@127.0.0.1:3307/postfix");
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(*l, (MysqlLocation{"pfa", "s@cret", "127.0.0.1", "postfix", "", 3307}));
  l = ParseMysqlUri("mariadb://root@/postfix?socket=/tmp/my%20sock");
  ASSERT_TRUE(l.ok()) << l.status().message();
  EXPECT_EQ(l->socket, "/tmp/my sock");
  EXPECT_FALSE(ParseMysqlUri("mysql://host/").ok());
  EXPECT_FALSE(ParseMysqlUri("mysql://host:99999/db").ok());
  EXPECT_FALSE(ParseMysqlUri("mysql://host/db?ssl=1").ok());
  EXPECT_FALSE(ParseMysqlUri("mysql://h/db%0").ok());
}

// The plans go through the importer: what it writes resolves as intended.
TEST(AdoptPlanPostfixAdmin, WritesThroughTheImporter) {
  test::TempDatabase db;
  Result<std::unique_ptr<Store>> store = Store::Create(db.path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  AdoptPlan p = PlanFromPostfixAdmin(AdminSite());
  Importer importer(**store);
  for (std::size_t i = 0; i < p.records.size(); ++i) {
    Status st = importer.Apply(p.records[i], i);
    ASSERT_TRUE(st.ok()) << p.origins[i] << ": " << st.message();
  }
  ASSERT_TRUE(importer.CheckLoops("plan").ok());
  Resolver resolver(**store);
  Result<Resolution> r = resolver.Resolve("Info+x@Alias.Example");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->verdict, Verdict::kAlias);
  r = resolver.Resolve("off@example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->verdict, Verdict::kDisabled);  // not the catch-all
}

}  // namespace
}  // namespace rcptdb::admin
