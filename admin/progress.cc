// SPDX-License-Identifier: MIT
// NAME
//   progress - a progress bar on stderr for long imports
// DESCRIPTION
//   A carriage-return redraw of one line: a bar and a percentage when the
//   input size is known, a record count otherwise.
// SEE ALSO
//   progress.h, cmd_import.cc
#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace rcptdb::admin {

Progress::Progress(std::string what, std::uint64_t total_bytes)
    : what_(std::move(what)), total_(total_bytes), enabled_(isatty(STDERR_FILENO) == 1) {}

void Progress::Update(std::uint64_t records, std::uint64_t bytes) {
  // Look at the clock only every 4096 records: an import calls this a
  // million times.
  if (!enabled_ || (++calls_ & 4095) != 1) return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  Draw(records, bytes);
}

void Progress::Draw(std::uint64_t records, std::uint64_t bytes) {
  constexpr int kWidth = 30;
  shown_ = true;
  if (total_ == 0) {
    std::fprintf(stderr, "\r%s: %llu records", what_.c_str(),
                 static_cast<unsigned long long>(records));
  } else {
    std::uint64_t done = bytes > total_ ? total_ : bytes;
    int filled = static_cast<int>(done * kWidth / total_);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    std::fprintf(stderr, "\r%s: [%s] %3d%% %llu records", what_.c_str(), bar.c_str(),
                 static_cast<int>(done * 100 / total_), static_cast<unsigned long long>(records));
  }
  std::fflush(stderr);
}

void Progress::Phase(const std::string& message) {
  if (!enabled_) return;
  shown_ = true;
  std::fprintf(stderr, "\r%s: %s\033[K", what_.c_str(), message.c_str());
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && shown_) std::fputs("\r\033[K", stderr);
  shown_ = false;
}

}  // namespace rcptdb::admin
