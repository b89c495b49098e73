// SPDX-License-Identifier: MIT
// process_setup.h - the steps that turn a program into a daemon
//
// Called by main() in this order: RaiseFileLimit (thousands of Postfix
// connections need descriptors), listeners bound, Daemonize (unless
// --foreground), WritePidFile, DropPrivileges (--user), CheckDatabaseAccess
// and CheckRemovable as that user, database opened, then the worker
// threads start. Each returns a Status for main() to log; OS failures
// carry Cause::kIo, or kAccess for a permission error.
//
// Thread safety: call at startup, before any thread is created.
#ifndef RCPTDB_PROCESS_SETUP_H
#define RCPTDB_PROCESS_SETUP_H

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "status.h"

namespace rcptdb {

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new limit.
std::size_t RaiseFileLimit();

// Forks into the background: a new session, cwd "/", stdin/out/err on
// /dev/null. The parent exits 0; only the grandchild returns.
Status Daemonize();

// Writes our pid to path (atomically, by rename), owned by uid unless it
// is -1, so that the server can remove it after dropping privileges even
// in a sticky directory.
Status WritePidFile(const std::string& path, uid_t uid = static_cast<uid_t>(-1));

// Returns the uid and primary gid of user; Invalid if there is none.
Result<std::pair<uid_t, gid_t>> LookupUser(const std::string& user);
// Returns the gid of group; Invalid if there is none.
Result<gid_t> LookupGroup(const std::string& group);

// Checks, as the current user, what a reader of the database at path
// needs: to search its directory, to read the file, to open its -shm file
// read-write or, if there is none, to create one in the directory (WAL
// mode). A missing file passes (the server starts and reports it); the
// failure names the file or directory and what is missing. A PostgreSQL
// URI passes: there is no file to check.
Status CheckDatabaseAccess(const std::string& path);

// Checks that the current user can remove path at exit: Ok, or kAccess
// naming the directory that is not writable.
Status CheckRemovable(const std::string& path);

// Gives uid:gid each directory systemd created for the service
// (RuntimeDirectory=, named in $RUNTIME_DIRECTORY) that holds one of
// run_files (unix sockets, the pid file) and is still root's, so that the
// server can remove them at exit after dropping root. Touches nothing
// outside $RUNTIME_DIRECTORY; a no-op without it.
Status AdoptRuntimeDirectories(const std::vector<std::string>& run_files, uid_t uid, gid_t gid);

// Becomes user: initgroups, setgid, setuid; fails if root can be regained.
// A no-op if we already are that user.
Status DropPrivileges(const std::string& user);

// Returns the number of CPUs this process may run on (at least 1).
unsigned UsableCpus();

}  // namespace rcptdb

#endif
