// SPDX-License-Identifier: MIT
// NAME
//   password_input - get a mailbox password without putting it in argv
// DESCRIPTION
//   The prompt turns echo off with termios and restores it on every way
//   out, including Ctrl-C: a SIGINT handler puts the saved terminal state
//   back before the default action ends the process. Plain passwords live
//   in memory only until hashed and are overwritten afterwards.
// SEE ALSO
//   password_input.h, password.h, termios(3), doveadm-pw(1)
#include "password_input.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "password.h"

namespace rcptdb::admin {
namespace {

termios g_saved_termios;

// Restores the terminal, then dies of the signal as if unhandled.
void RestoreAndDie(int sig) {
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Reads one line from in up to a newline or end of input; false on error.
bool ReadLine(std::FILE* in, std::string& out) {
  out.clear();
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') {
    if (out.size() > 4096) return false;
    out += static_cast<char>(c);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return !std::ferror(in) && !(c == EOF && out.empty());
}

// Prompts on stderr and reads one line from the terminal with echo off.
// Echo goes off before the prompt appears, so that nothing typed after the
// prompt is echoed or discarded; typeahead from before it is flushed.
Result<std::string> ReadHidden(const char* prompt) {
  if (tcgetattr(STDIN_FILENO, &g_saved_termios) != 0)
    return Status::Invalid(std::string("cannot read the terminal: ") + std::strerror(errno));
  termios quiet = g_saved_termios;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  auto old_handler = signal(SIGINT, RestoreAndDie);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::fputs(prompt, stderr);
  std::fflush(stderr);
  std::string line;
  bool ok = ReadLine(stdin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  signal(SIGINT, old_handler);
  if (!ok) return Status::Invalid("no password read from the terminal");
  return line;
}

void Wipe(std::string& s) {
  volatile char* p = s.data();
  for (std::size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

// Returns the password typed twice at a prompt.
Result<std::string> Prompt(std::string_view address) {
  std::string first_prompt = "New password for " + std::string(address) + ": ";
  Result<std::string> first = ReadHidden(first_prompt.c_str());
  if (!first.ok()) return first;
  Result<std::string> again = ReadHidden("Retype the password: ");
  if (!again.ok()) return again;
  bool same = *first == *again;
  Wipe(*again);
  if (!same) {
    Wipe(*first);
    return Status::Invalid(std::string(address) + ": the passwords do not match");
  }
  return first;
}

}  // namespace

Result<std::string> ObtainPasswordHash(const Cli& cli, std::string_view address, bool* usage) {
  *usage = false;
  if (cli.Has("no-password")) return std::string();
  if (std::optional<std::string> hash = cli.Value("password-hash")) {
    if (!IsSchemeHash(*hash))
      return Status::Invalid(std::string(address) +
                             ": --password-hash is not in {SCHEME}hash form "
                             "(e.g. {SHA512-CRYPT}$6$..., see doveadm-pw(1))");
    return *hash;
  }
  Result<std::string> plain = std::string();
  if (cli.Has("password-stdin")) {
    std::string line;
    if (!ReadLine(stdin, line))
      return Status::Invalid(std::string(address) + ": no password on standard input");
    plain = std::move(line);
  } else if (isatty(STDIN_FILENO)) {
    plain = Prompt(address);
  } else {
    *usage = true;
    return Status::Invalid(
        "no password given and standard input is not a terminal: use "
        "--password-stdin, --password-hash HASH or --no-password");
  }
  if (!plain.ok()) return plain;
  if (plain->empty()) return Status::Invalid(std::string(address) + ": empty password");
  Result<std::string> hash = HashPassword(*plain);
  Wipe(*plain);
  if (!hash.ok() && !hash.status().temporary())
    return Status::Invalid(std::string(address) + ": " + hash.status().message());
  return hash;
}

}  // namespace rcptdb::admin
