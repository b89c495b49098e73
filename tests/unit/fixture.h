// SPDX-License-Identifier: MIT
// fixture.h - a small recipient database shared by the unit tests
//
// TempDatabase creates a fresh database file in a private temporary
// directory and removes it again. Fill() provisions the reference data set
// that the resolver table and the map-answer tests are written against.
#ifndef RCPTDB_TESTS_FIXTURE_H
#define RCPTDB_TESTS_FIXTURE_H

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store.h"

namespace rcptdb::test {

class TempDatabase {
 public:
  TempDatabase() {
    char tmpl[] = "/tmp/rcptdb-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/rcptdb.sqlite";
  }
  ~TempDatabase() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string path_;
};

inline void Must(const Status& s) { ASSERT_TRUE(s.ok()) << s.message(); }

inline Domain MakeDomain(std::string name, DomainKind kind, std::string transport = "",
                         std::string target = "", std::string catchall = "", bool active = true) {
  Domain d;
  d.name = std::move(name);
  d.kind = kind;
  d.transport = std::move(transport);
  d.target = std::move(target);
  d.catchall = std::move(catchall);
  d.active = active;
  return d;
}

inline Mailbox MakeMailbox(std::string address, bool active = true, std::string transport = "") {
  Mailbox m;
  m.address = std::move(address);
  m.active = active;
  m.transport = std::move(transport);
  return m;
}

// The reference data set. Domains:
//   example.com   hosted, lmtp:inet:127.0.0.1:24
//   example.org   hosted, catch-all -> catchall@example.org
//   example.net   alias -> example.com
//   relay.example relay, smtp:[backup.example]
//   off.example   hosted, disabled;  broken.example alias -> off.example
//   xn--bcher-kva.example (bücher.example) hosted
inline void Fill(Store& s) {
  using K = DomainKind;
  Must(s.InsertDomain(MakeDomain("example.com", K::kHosted, "lmtp:inet:127.0.0.1:24")));
  Must(s.InsertDomain(
      MakeDomain("example.org", K::kHosted, "lmtp:inet:127.0.0.1:24", "", "catchall@example.org")));
  Must(s.InsertDomain(MakeDomain("example.net", K::kAlias, "", "example.com")));
  Must(s.InsertDomain(MakeDomain("relay.example", K::kRelay, "smtp:[backup.example]")));
  Must(s.InsertDomain(MakeDomain("off.example", K::kHosted, "", "", "", false)));
  Must(s.InsertDomain(MakeDomain("broken.example", K::kAlias, "", "off.example")));
  Must(s.InsertDomain(MakeDomain("xn--bcher-kva.example", K::kHosted, "lmtp:inet:127.0.0.1:24")));

  for (const char* a :
       {"alice@example.com", "bob@example.com", "a_b@example.com", "o'neil@example.com",
        "catchall@example.org", "real@example.org", "user@xn--bcher-kva.example", "x@off.example"})
    Must(s.InsertMailbox(MakeMailbox(a)));
  Must(s.InsertMailbox(MakeMailbox("carol@example.com", false)));
  Must(s.InsertMailbox(MakeMailbox("off@example.org", false)));
  Must(s.InsertMailbox(MakeMailbox("dave@example.com", true, "lmtp:inet:127.0.0.2:24")));

  Must(s.InsertAlias("sales@example.com", "alice@example.com"));
  Must(s.InsertAlias("sales@example.com", "bob@example.com"));
  Must(s.InsertAlias("info@example.com", "alice@example.com"));
  Must(s.InsertAlias("old@example.com", "carol@example.com"));
  Must(s.InsertAlias("mixed@example.com", "carol@example.com"));
  Must(s.InsertAlias("mixed@example.com", "bob@example.com"));
  Must(s.InsertAlias("ext@example.com", "someone@elsewhere.test"));
  Must(s.InsertAlias("nested@example.com", "sales@example.com"));
  Must(s.InsertAlias("loop1@example.com", "loop2@example.com"));
  Must(s.InsertAlias("loop2@example.com", "loop1@example.com"));
  Must(s.InsertAlias("ghost@example.com", "nobody@example.com"));
  Must(s.InsertAlias("paused@example.com", "alice@example.com"));
  Must(s.SetAliasActive("paused@example.com", false));
  Must(s.InsertAlias("viadomain@example.com", "bob@example.net"));
  Must(s.InsertAlias("team@example.org", "real@example.org"));
  Must(s.InsertAlias("bounce@example.org", "off@example.org"));

  Must(s.InsertRelayRecipient("listed@relay.example"));
}

// Creates a database at path, provisions Fill(), and closes it again.
inline void CreateFilled(const std::string& path) {
  Result<std::unique_ptr<Store>> s = Store::Create(path);
  ASSERT_TRUE(s.ok()) << s.status().message();
  Fill(**s);
}

// Checks that got holds the same rows as want (the columns FindLocal
// reads: a mailbox's without its description).
inline void ExpectSameLocalRows(const LocalRows& got, const LocalRows& want,
                                const std::string& address) {
  ASSERT_EQ(got.mailbox.has_value(), want.mailbox.has_value()) << address;
  if (want.mailbox) {
    EXPECT_EQ(got.mailbox->address, want.mailbox->address);
    EXPECT_EQ(got.mailbox->active, want.mailbox->active);
    EXPECT_EQ(got.mailbox->password, want.mailbox->password);
    EXPECT_EQ(got.mailbox->quota, want.mailbox->quota);
    EXPECT_EQ(got.mailbox->transport, want.mailbox->transport);
  }
  ASSERT_EQ(got.aliases.size(), want.aliases.size()) << address;
  for (std::size_t i = 0; i < want.aliases.size(); ++i) {
    EXPECT_EQ(got.aliases[i].source, want.aliases[i].source);
    EXPECT_EQ(got.aliases[i].target, want.aliases[i].target);
    EXPECT_EQ(got.aliases[i].active, want.aliases[i].active);
  }
}

// Checks Store::FindLocal on Fill()'s rows against FindMailbox and
// FindAlias, which it must agree with on every engine.
inline void ExpectFindLocalAgrees(Store& s) {
  Result<LocalRows> box = s.FindLocal("alice@example.com");
  ASSERT_TRUE(box.ok()) << box.status().message();
  ASSERT_TRUE(box->mailbox.has_value());
  Result<std::optional<Mailbox>> want_box = s.FindMailbox("alice@example.com");
  ASSERT_TRUE(want_box.ok() && want_box->has_value());
  ExpectSameLocalRows(*box, LocalRows{*want_box, {}}, "alice@example.com");
  Result<std::vector<AliasTarget>> want = s.FindAlias("sales@example.com");
  ASSERT_TRUE(want.ok());
  ASSERT_FALSE(want->empty());
  Result<LocalRows> alias = s.FindLocal("sales@example.com");
  ASSERT_TRUE(alias.ok()) << alias.status().message();
  ExpectSameLocalRows(*alias, LocalRows{std::nullopt, *want}, "sales@example.com");
  Result<LocalRows> none = s.FindLocal("nobody@example.com");
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_FALSE(none->mailbox.has_value());
  EXPECT_TRUE(none->aliases.empty());
}

}  // namespace rcptdb::test

#endif
