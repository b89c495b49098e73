// SPDX-License-Identifier: MIT
// NAME
//   cmd_compare - rcptdb compare: prove that every address is answered
//   as before
// SYNOPSIS
//   rcptdb compare --postfix-config DIR [--postfixadmin URI] [--accept RULE]...
//                  [--keep]
// DESCRIPTION
//   Runs the compare helper (rcptdb-compare, installed in
//   LIBEXECDIR/rcptdb; RCPTDB_COMPARE overrides the path) with the
//   database, this program and rcptdb-server (SBINDIR; RCPTDB_SERVER
//   overrides). The helper starts two private Postfix instances, one on
//   the old maps and one on rcptdb's, asks both the same RCPTs and
//   compares where Postfix itself would deliver (rcptdb-compare(8)).
//
//   Why a helper script and not C++: compare is orchestration (start and
//   stop two Postfix instances and a server, write their configuration,
//   speak pipelined SMTP, read delivery records) that runs once per
//   migration, off the mail path. Python's standard library does all of
//   it in a fraction of the code, with nothing to link; every rule that
//   decides meaning stays in librcptdb, which the helper reaches through
//   `rcptdb check --json`.
//
//   The exit status is the helper's: 0 if nothing differs (or every
//   difference was accepted with --accept RULE), 1 if something differs,
//   75 if the private instances could not be run.
// SEE ALSO
//   admin/rcptdb-compare, rcptdb(1) ADOPTING AN EXISTING INSTALLATION
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "commands.h"

namespace rcptdb::admin {
namespace {

std::string FromEnv(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// The path of the running rcptdb, so the helper asks this very build.
std::string Self() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "rcptdb";
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

Outcome Compare(Cli& cli) {
  std::optional<std::string> config = cli.Value("postfix-config");
  if (!config) return Outcome::Usage("--postfix-config DIR is required");
  std::string helper = FromEnv("RCPTDB_COMPARE", LIBEXECDIR "/rcptdb/rcptdb-compare");
  std::vector<std::string> args = {helper,
                                   "--db",
                                   cli.db_path,
                                   "--rcptdb",
                                   Self(),
                                   "--server",
                                   FromEnv("RCPTDB_SERVER", SBINDIR "/rcptdb-server"),
                                   "--postfix-config",
                                   *config};
  if (std::optional<std::string> uri = cli.Value("postfixadmin")) {
    args.push_back("--postfixadmin");
    args.push_back(*uri);
  }
  for (const std::string& rule : cli.arguments.Values("accept")) {
    args.push_back("--accept");
    args.push_back(rule);
  }
  if (cli.Has("keep")) args.push_back("--keep");
  if (cli.json) args.push_back("--json");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  execv(argv[0], argv.data());
  return Status::Io(helper + ": cannot run: " + std::strerror(errno));
}

}  // namespace rcptdb::admin
