// SPDX-License-Identifier: MIT
// sd_notify_test.cc - the systemd notification socket's address, the
// watchdog's timeout, and one datagram sent to a socket of ours
// (sd_notify.h).
#include "sd_notify.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

namespace rcptdb {
namespace {

TEST(SdNotify, SocketAddresses) {
  auto path = NotifySocketAddress("/run/systemd/notify");
  ASSERT_TRUE(path.ok());
  EXPECT_STREQ(path->first.sun_path, "/run/systemd/notify");
  EXPECT_EQ(path->second, offsetof(sockaddr_un, sun_path) + 20);  // with the NUL
  auto abstract = NotifySocketAddress("@/org/freedesktop/systemd1/notify/123");
  ASSERT_TRUE(abstract.ok());
  EXPECT_EQ(abstract->first.sun_path[0], '\0');
  EXPECT_EQ(std::string(abstract->first.sun_path + 1), "/org/freedesktop/systemd1/notify/123");
  EXPECT_EQ(abstract->second, offsetof(sockaddr_un, sun_path) + 37);  // no NUL
  for (const char* bad : {"", "@", "/", "relative/path", "notify"})
    EXPECT_FALSE(NotifySocketAddress(bad).ok()) << bad;
  EXPECT_FALSE(NotifySocketAddress("/" + std::string(200, 'x')).ok());
  EXPECT_TRUE(NotifySocketAddress("/" + std::string(106, 'x')).ok());  // 107 + NUL = 108
  EXPECT_FALSE(NotifySocketAddress("/" + std::string(107, 'x')).ok());
  EXPECT_TRUE(NotifySocketAddress("@" + std::string(107, 'x')).ok());  // no NUL needed
}

TEST(SdNotify, WatchdogTimeout) {
  using std::chrono::microseconds;
  EXPECT_EQ(WatchdogTimeout("30000000", nullptr, 7), microseconds(30000000));
  EXPECT_EQ(WatchdogTimeout("30000000", "7", 7), microseconds(30000000));
  EXPECT_EQ(WatchdogTimeout("30000000", "8", 7), std::nullopt);  // another process's
  EXPECT_EQ(WatchdogTimeout(nullptr, "7", 7), std::nullopt);
  for (const char* bad : {"", "0", "-5", "12x", "x"})
    EXPECT_EQ(WatchdogTimeout(bad, nullptr, 7), std::nullopt) << bad;
  EXPECT_EQ(WatchdogTimeout("1000", "seven", 7), std::nullopt);
}

TEST(SdNotify, SendsOneDatagram) {
  char dir[] = "/tmp/sd-notify-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/notify";
  int listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  auto addr = NotifySocketAddress(path);
  ASSERT_TRUE(addr.ok());
  ASSERT_EQ(bind(listener, reinterpret_cast<const sockaddr*>(&addr->first), addr->second), 0);
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  setenv("WATCHDOG_USEC", "4000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  {
    SystemdNotifier n = SystemdNotifier::FromEnvironment();
    EXPECT_TRUE(n.enabled());
    EXPECT_EQ(n.watchdog(), std::chrono::microseconds(4000000));
    EXPECT_TRUE(n.Send("READY=1\nSTATUS=answering"));
    char buf[256];
    ssize_t got = recv(listener, buf, sizeof buf, 0);
    ASSERT_GT(got, 0);
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(got)), "READY=1\nSTATUS=answering");
  }
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  close(listener);
  unlink(path.c_str());
  rmdir(dir);
  // Nobody listens any more: a failed send, never a crash.
  SystemdNotifier gone = SystemdNotifier::FromEnvironment();
  EXPECT_TRUE(gone.enabled());
  EXPECT_FALSE(gone.Send("WATCHDOG=1"));
  unsetenv("NOTIFY_SOCKET");
  SystemdNotifier off = SystemdNotifier::FromEnvironment();
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.Send("READY=1"));
}

}  // namespace
}  // namespace rcptdb
