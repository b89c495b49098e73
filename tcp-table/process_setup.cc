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
#include <cstring>
#include <vector>

namespace rcptdb {
namespace {

Status Errno(const std::string& what) {
  return Status::Invalid(what + ": " + std::strerror(errno));
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

Status WritePidFile(const std::string& path) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "we");
  if (f == nullptr) return Errno("cannot write pid file " + tmp);
  std::fprintf(f, "%ld\n", static_cast<long>(getpid()));
  if (std::fclose(f) != 0) return Errno("cannot write pid file " + tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename to " + path);
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
    return Status::Invalid("cannot become user " + user + ": not running as root");
  if (initgroups(pw.pw_name, pw.pw_gid) != 0) return Errno("initgroups " + user);
  if (setgid(pw.pw_gid) != 0) return Errno("setgid " + user);
  if (setuid(pw.pw_uid) != 0) return Errno("setuid " + user);
  if (pw.pw_uid != 0 && setuid(0) == 0) return Status::Invalid("could regain root after setuid");
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
