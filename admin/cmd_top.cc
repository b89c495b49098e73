// SPDX-License-Identifier: MIT
// NAME
//   cmd_top - rcptdb top: a live view of rcptdb-server metrics endpoints
// SYNOPSIS
//   rcptdb top ADDR:PORT|unix:PATH|http://URL... [--once]
// DESCRIPTION
//   Scrapes every target once a second and redraws the 80x24 screen of
//   top_screen.h with the rates since the previous scrape. --once scrapes
//   twice, one second apart, prints one screen without terminal control
//   codes and exits: for scripts and mail. Live, it clears the screen
//   before each redraw and ends on q (the terminal is put in
//   non-canonical mode while it runs, and restored) or SIGINT/SIGTERM.
// DIAGNOSTICS
//   Exit 0; 75 (temporary) if no target could be read at all; 2 for a
//   target that is not an address.
// SEE ALSO
//   top_screen.h, metrics_fetch.h, exposition_reader.h, rcptdb(1) TOP
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>

#include "commands.h"
#include "exposition_reader.h"
#include "metrics_fetch.h"
#include "top_screen.h"

namespace rcptdb::admin {
namespace {

constexpr std::chrono::milliseconds kInterval{1000};
constexpr std::chrono::milliseconds kScrapeTimeout{900};

volatile sig_atomic_t stop_requested = 0;
void RequestStop(int) { stop_requested = 1; }

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TopReading Scrape(const std::string& target) {
  TopReading r;
  r.at = MonotonicSeconds();
  r.wall = WallSeconds();
  Result<std::string> body = FetchMetrics(target, kScrapeTimeout);
  if (!body.ok()) {
    r.error = body.status().message().substr(target.size() + 2);
    return r;
  }
  Result<std::vector<ExposedSample>> samples = ReadExposition(*body);
  if (!samples.ok()) {
    r.error = samples.status().message();
    return r;
  }
  r.samples = std::move(*samples);
  return r;
}

std::string Clock() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
  return buf;
}

// Restores the terminal's mode when it goes out of scope.
class RawTerminal {
 public:
  RawTerminal() {
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  // Waits up to timeout for a key; returns true if it was q or Q.
  bool WaitForQuit(std::chrono::milliseconds timeout) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    int fds = active_ ? 1 : 0;
    if (poll(fds ? &p : nullptr, static_cast<nfds_t>(fds), static_cast<int>(timeout.count())) <= 0)
      return false;
    char c = 0;
    return read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q');
  }

 private:
  termios saved_{};
  bool active_ = false;
};

}  // namespace

Outcome Top(Cli& cli) {
  for (const std::string& target : cli.args) {
    Result<MetricsUrl> url = MetricsUrlOf(target);
    if (!url.ok()) return Outcome::Usage(url.status().message());
  }
  std::vector<TopServer> servers;
  for (const std::string& target : cli.args) servers.push_back({target, {}, {}});
  for (TopServer& s : servers) s.after = Scrape(s.name);
  bool once = cli.Has("once");
  struct sigaction sa {};
  sa.sa_handler = RequestStop;  // no SA_RESTART: poll() returns at once
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  RawTerminal terminal;
  for (;;) {
    if (terminal.WaitForQuit(kInterval) || stop_requested) break;
    for (TopServer& s : servers) {
      s.before = std::move(s.after);
      s.after = Scrape(s.name);
    }
    std::string screen = RenderTopScreen(servers, Clock());
    if (!once) std::fputs("\033[H\033[2J", stdout);
    std::fputs(screen.c_str(), stdout);
    std::fflush(stdout);
    if (once) break;
  }
  if (!once) std::fputs("\n", stdout);
  for (const TopServer& s : servers)
    if (s.after.error.empty() && s.before.error.empty()) return Outcome();
  return Status::Temporary(Status::Cause::kUnreachable, "no metrics endpoint could be read");
}

}  // namespace rcptdb::admin
