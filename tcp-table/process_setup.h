// process_setup.h - the steps that turn a program into a daemon
//
// Called by main() in this order: RaiseFileLimit (thousands of Postfix
// connections need descriptors), listeners bound, Daemonize (unless
// --foreground), WritePidFile, database opened, DropPrivileges (--user),
// then the worker threads start. Each returns a Status for main() to log.
//
// Thread safety: call at startup, before any thread is created.
#ifndef RCPTDB_PROCESS_SETUP_H
#define RCPTDB_PROCESS_SETUP_H

#include <cstddef>
#include <string>

#include "status.h"

namespace rcptdb {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new limit.
std::size_t RaiseFileLimit();

// Forks into the background: a new session, cwd "/", stdin/out/err on
// /dev/null. The parent exits 0; only the grandchild returns.
Status Daemonize();

// Writes our pid to path (atomically, by rename).
Status WritePidFile(const std::string& path);

// Becomes user: initgroups, setgid, setuid; fails if root can be regained.
// A no-op if we already are that user.
Status DropPrivileges(const std::string& user);

// Returns the number of CPUs this process may run on (at least 1).
unsigned UsableCpus();

}  // namespace rcptdb

#endif
