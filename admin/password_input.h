// SPDX-License-Identifier: MIT
// password_input.h - get a mailbox password without putting it in argv
//
// A plain password never comes from the command line (every user can read
// another's argv in ps(1)). It comes from one line of standard input
// (--password-stdin), as a ready hash (--password-hash), or, when standard
// input is a terminal and no option says otherwise, from a prompt typed
// twice with echo off. Without a terminal and without an option rcptdb
// refuses rather than guess.
//
// Thread safety: uses the process's terminal and SIGINT disposition; call
// from the main thread only.
#ifndef RCPTDB_ADMIN_PASSWORD_INPUT_H
#define RCPTDB_ADMIN_PASSWORD_INPUT_H

#include <string>
#include <string_view>

#include "cli.h"
#include "status.h"

namespace rcptdb::admin {

// Returns the {SCHEME}hash to store for address from cli's password
// options, or "" for --no-password. REQUIRES: usage != nullptr.
// Sets *usage on every call: true iff the failure is a mistake in the
// command line (no password option and no terminal to prompt on), which
// the caller reports as Outcome::Usage (exit 2); false on success and for
// every other failure (a bad hash, the two prompts differ, stdin cannot be
// read), whose Status the caller reports as it is.
Result<std::string> ObtainPasswordHash(const Cli& cli, std::string_view address, bool* usage);

}  // namespace rcptdb::admin

#endif
