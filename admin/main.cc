// SPDX-License-Identifier: MIT
// NAME
//   rcptdb - provision the rcptdb recipient database
// SYNOPSIS
//   rcptdb [--db PATH] [--json] COMMAND ARGS...
// DESCRIPTION
//   The entry point only turns argv into strings and makes sure nothing
//   escapes main: an exception here (out of memory, a library bug) is
//   reported as one line and exit status 75, so a script retries rather
//   than mistaking it for "not found".
// SEE ALSO
//   commands.cc, rcptdb(1)
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "commands.h"

int main(int argc, char** argv) {
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    return rcptdb::admin::Main(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rcptdb: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "rcptdb: internal error\n");
  }
  return rcptdb::admin::kExitTemporary;
}
