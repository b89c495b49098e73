// SPDX-License-Identifier: MIT
// web_state_test.cc - what rcptdb-web keeps between requests: the login
// throttle (login_throttle.h), sessions (sessions.h), its settings
// (web_config.h) and secrets (secrets.h).
#include <gtest/gtest.h>

#include <chrono>

#include "login_throttle.h"
#include "secrets.h"
#include "sessions.h"
#include "web_config.h"

namespace rcptdb::web {
namespace {

using std::chrono::seconds;

TEST(LoginThrottle, PerLoginAndPerClientWithRetryAfter) {
  LoginThrottle t(3, seconds(60));
  auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(t.Wait("bob", "192.0.2.1", now).count(), 0) << i;
    t.Failure("bob", "192.0.2.1", now + seconds(i));
  }
  // Held: the login from anywhere, and the client for any login.
  EXPECT_EQ(t.Wait("bob", "192.0.2.1", now + seconds(2)).count(), 58);
  EXPECT_EQ(t.Wait("bob", "198.51.100.1", now + seconds(2)).count(), 58);
  EXPECT_EQ(t.Wait("carol", "192.0.2.1", now + seconds(2)).count(), 58);
  // Others are not.
  EXPECT_EQ(t.Wait("carol", "198.51.100.1", now + seconds(2)).count(), 0);
  // Free again when the oldest failure leaves the window.
  EXPECT_EQ(t.Wait("bob", "192.0.2.1", now + seconds(60)).count(), 0);
}

TEST(LoginThrottle, CountsIpv6PerSlash64AndCanBeOff) {
  EXPECT_EQ(LoginThrottle::ClientKey("2001:db8:1:2:aaaa::1"), "client:2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::ClientKey("::ffff:192.0.2.1"), "client:192.0.2.1");
  LoginThrottle off(0, seconds(60));
  auto now = LoginThrottle::Clock::now();
  for (int i = 0; i < 100; ++i) off.Failure("bob", "192.0.2.1", now);
  EXPECT_EQ(off.Wait("bob", "192.0.2.1", now).count(), 0);
}

TEST(Sessions, StartFindEndExpire) {
  Sessions s(seconds(60));
  auto now = Sessions::Clock::now();
  Session made;
  Result<std::string> id = s.Start(Session::Kind::kAdmin, "root", &made, now);
  ASSERT_TRUE(id.ok());
  EXPECT_GE(id->size(), 40u);
  EXPECT_GE(made.csrf.size(), 40u);
  EXPECT_NE(*id, made.csrf);
  std::optional<Session> found = s.Find(*id, now);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->login, "root");
  EXPECT_FALSE(s.Find(*id + "x", now));
  EXPECT_FALSE(s.Find(*id, now + seconds(61)));  // expired, and gone
  Result<std::string> id2 = s.Start(Session::Kind::kMailbox, "a@b.test", &made, now);
  ASSERT_TRUE(id2.ok());
  s.End(*id2);
  EXPECT_FALSE(s.Find(*id2, now));
}

TEST(Secrets, RandomAndConstantTime) {
  Result<std::string> a = RandomToken(), b = RandomToken();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->size(), 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(
      a->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "ab"));
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Result<WebConfig> Load(const std::string& text) {
  Result<std::vector<Setting>> s = ParseWebConfigText(text, "t.conf");
  if (!s.ok()) return s.status();
  WebConfig c;
  c.listen.push_back(*ParseListenAddress("127.0.0.1:8025"));
  for (const Setting& x : *s) {
    Status st = ApplyWebSetting(c, x);
    if (!st.ok()) return st;
  }
  Status v = ValidateWebConfig(c);
  if (!v.ok()) return v;
  return c;
}

TEST(WebConfig, ReadsItsSettings) {
  Result<WebConfig> c = Load(
      "database = /var/lib/rcptdb/x.sqlite\n"
      "listen = unix:/run/rcptdb-web/api.sock, 127.0.0.1:8025\n"
      "trusted_proxies = unix, 192.0.2.0/24\n"
      "session_lifetime = 2h\n"
      "login_limit = 5\nlogin_window = 5m\n"
      "max_body_size = 65536\n");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->listen.size(), 2u);
  EXPECT_TRUE(c->trusted_proxies.unix_peers);
  EXPECT_EQ(c->session_lifetime, seconds(7200));
  EXPECT_EQ(c->login_limit, 5u);
  EXPECT_EQ(c->login_window, seconds(300));
  EXPECT_EQ(c->max_body_size, 65536u);
}

TEST(WebConfig, RefusesAnExposedPlainListenerInOneLine) {
  Result<WebConfig> c = Load("listen = 0.0.0.0:8025\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find('\n'), std::string::npos);
  EXPECT_NE(c.status().message().find("neither loopback, unix, TLS nor behind a trusted proxy"),
            std::string::npos)
      << c.status().message();
  EXPECT_TRUE(Load("listen = 0.0.0.0:8025\ntrusted_proxies = 192.0.2.1\n").ok());
  EXPECT_TRUE(Load("listen = 0.0.0.0:8443\ntls_certificate = /c.pem\ntls_key = /k.pem\n").ok());
  // trusted_proxies = unix alone does not fence a TCP listener.
  EXPECT_FALSE(Load("listen = 0.0.0.0:8025\ntrusted_proxies = unix\n").ok());
  EXPECT_FALSE(Load("tls_certificate = /c.pem\n").ok());  // no key
  EXPECT_FALSE(Load("listen = 127.0.0.1:1, 127.0.0.1:1\n").ok());
  EXPECT_FALSE(Load("lisen = 127.0.0.1:1\n").ok());  // a typo is an error
  EXPECT_FALSE(Load("login_limit = lots\n").ok());
  EXPECT_FALSE(Load("session_lifetime = 0\n").ok());
}

}  // namespace
}  // namespace rcptdb::web
