// SPDX-License-Identifier: MIT
// NAME
//   process_setup - rlimits, daemonizing, pid file, privilege drop
// DESCRIPTION
//   Classic double fork: the first child calls setsid() to leave the
//   terminal's session, the second can never reacquire a terminal.
//   Privileges drop in the order that cannot fail halfway to a mixed
//   identity: supplementary groups, then gid, then uid, then a check that
//   setuid(0) fails.
// SEE ALSO
//   process_setup.h, daemon(7), setuid(2), getrlimit(2)
#include "process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "store.h"

namespace rcptdb {
namespace {

// An OS failure: Cause::kIo (kAccess for a permission error).
Status Errno(const std::string& what) {
  int err = errno;
  return Status::Io(what + ": " + std::strerror(err), err == EACCES || err == EPERM);
}

}  // namespace

std::size_t RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : static_cast<std::size_t>(rl.rlim_cur);
}

Status Daemonize() {
  pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid > 0) _exit(0);
  if (setsid() < 0) return Errno("setsid");
  pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid > 0) _exit(0);
  if (chdir("/") != 0) return Errno("chdir /");
  int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open /dev/null");
  for (int target : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO})
    if (dup2(fd, target) < 0) return Errno("dup2");
  if (fd > STDERR_FILENO) close(fd);
  return Status::Ok();
}

Status WritePidFile(const std::string& path, uid_t uid) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) return Errno("cannot write pid file " + tmp);
  std::fprintf(f, "%ld\n", static_cast<long>(getpid()));
  if (std::fclose(f) != 0) return Errno("cannot write pid file " + tmp);
  if (uid != static_cast<uid_t>(-1) && chown(tmp.c_str(), uid, static_cast<gid_t>(-1)) != 0) {
    Status s = Errno("cannot set the owner of pid file " + tmp);
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to " + path);
  return Status::Ok();
}

Result<std::pair<uid_t, gid_t>> LookupUser(const std::string& user) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) return Status::Invalid("unknown user \"" + user + "\"");
  return std::make_pair(pw.pw_uid, pw.pw_gid);
}

Result<gid_t> LookupGroup(const std::string& group) {
  std::vector<char> buf(16384);
  struct group gr {};
  struct group* found = nullptr;
  int rc = getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) return Status::Invalid("unknown group \"" + group + "\"");
  return gr.gr_gid;
}

namespace {

std::string DirectoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Access denied (or another failure) for what, as the current user.
Status Denied(const std::string& what) {
  int err = errno;
  return Status::Io(what + ": " + std::strerror(err),
                    err == EACCES || err == EPERM || err == EROFS);
}

}  // namespace

Status CheckDatabaseAccess(const std::string& path) {
  // A server's database has no file here to check: Store::Open says why
  // it cannot connect (CheckAsUser tries it).
  if (IsPostgresSpec(path)) return Status::Ok();
  std::string dir = DirectoryOf(path);
  if (access(dir.c_str(), X_OK) != 0) return Denied("cannot reach the database's directory " + dir);
  if (access(path.c_str(), F_OK) != 0 && errno == ENOENT) return Status::Ok();
  if (access(path.c_str(), R_OK) != 0) return Denied("cannot read the database " + path);
  std::string shm = path + "-shm";
  if (access(shm.c_str(), F_OK) == 0) {
    if (access(shm.c_str(), R_OK | W_OK) != 0)
      return Denied("cannot open the database's shared-memory file " + shm +
                    " read-write (WAL mode needs it)");
  } else if (access(dir.c_str(), W_OK) != 0) {
    return Denied("cannot create the database's -shm and -wal files in " + dir +
                  " (WAL mode needs a directory its readers may write)");
  }
  return Status::Ok();
}

Status CheckRemovable(const std::string& path) {
  std::string dir = DirectoryOf(path);
  if (access(dir.c_str(), W_OK | X_OK) != 0)
    return Denied("cannot remove " + path + " at exit: directory " + dir + " is not writable");
  return Status::Ok();
}

Status AdoptRuntimeDirectories(const std::vector<std::string>& run_files, uid_t uid, gid_t gid) {
  const char* env = std::getenv("RUNTIME_DIRECTORY");
  if (env == nullptr || *env == '\0') return Status::Ok();
  std::string list = env;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t colon = list.find(':', pos);
    if (colon == std::string::npos) colon = list.size();
    std::string dir = list.substr(pos, colon - pos);
    pos = colon + 1;
    // Only a directory systemd made for us, and only one that holds a run
    // file: nothing else is ours to give away.
    bool holds = false;
    for (const std::string& f : run_files) holds = holds || DirectoryOf(f) == dir;
    if (dir.empty() || dir.front() != '/' || !holds) continue;
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0) continue;
    if (chown(dir.c_str(), uid, gid) != 0) return Errno("chown " + dir);
  }
  return Status::Ok();
}

Status DropPrivileges(const std::string& user) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  int rc = getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) return Status::Invalid("unknown user \"" + user + "\"");
  if (geteuid() == pw.pw_uid && getuid() == pw.pw_uid) return Status::Ok();
  if (geteuid() != 0)
    return Status::Io("cannot become user " + user + ": not running as root", true);
  if (initgroups(pw.pw_name, pw.pw_gid) != 0) return Errno("initgroups " + user);
  if (setgid(pw.pw_gid) != 0) return Errno("setgid " + user);
  if (setuid(pw.pw_uid) != 0) return Errno("setuid " + user);
  if (pw.pw_uid != 0 && setuid(0) == 0) return Status::Io("could regain root after setuid");
  return Status::Ok();
}

unsigned UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<unsigned>(n);
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1;
}

}  // namespace rcptdb
