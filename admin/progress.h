// SPDX-License-Identifier: MIT
// progress.h - a progress bar on stderr for long imports
//
// Shown only when stderr is a terminal: redirected output and logs of
// scripted runs stay clean. Redraws at most ten times a second, so calling
// Update() for every record costs a clock read every few thousand calls.
//
// Thread safety: one thread.
#ifndef RCPTDB_ADMIN_PROGRESS_H
#define RCPTDB_ADMIN_PROGRESS_H

#include <chrono>
#include <cstdint>
#include <string>

namespace rcptdb::admin {

class Progress {
 public:
  // what: the verb shown ("importing"); total_bytes: 0 if unknown (a pipe).
  Progress(std::string what, std::uint64_t total_bytes);
  // Reports records done and input bytes read so far.
  void Update(std::uint64_t records, std::uint64_t bytes);
  // Shows a last phase message (e.g. "committing") on the same line.
  void Phase(const std::string& message);
  // Clears the bar from the line (if one was shown).
  void Finish();

 private:
  void Draw(std::uint64_t records, std::uint64_t bytes);

  std::string what_;
  std::uint64_t total_;
  bool enabled_;
  bool shown_ = false;
  std::uint64_t calls_ = 0;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace rcptdb::admin

#endif
