# SPDX-License-Identifier: MIT
"""harness - shared helpers for rcptdb's black-box tests.

The black-box tests start real programs (rcptdb-server, Postfix, Dovecot)
on free loopback ports in private temporary directories, talk to them as a
client would, and stop every process they started by its pid, also when a
test fails. Nothing here touches the system's own Postfix or Dovecot.

Paths come from the environment so that the suite runs against any build:
  RCPTDB_BUILD      top of the build tree (default: the source tree)
  RCPTDB_INSTALLED  1: test the installed programs instead (/usr/bin/rcptdb,
                    /usr/sbin/rcptdb-server, the plugin in Dovecot's module
                    directory), as tests/package/run does

Private configuration: private_config() is the ONE way a test gets
configuration for Postfix's and Dovecot's command-line tools and for
rcptdb-server. Without it, postmap, postconf, doveconf and doveadm read
/etc/postfix/main.cf or /etc/dovecot/dovecot.conf, and rcptdb-server reads
its compiled-in rcptdb.conf: a test then passes or fails with the machine
(no main.cf: postmap exits 1 with "fatal:", which looks like "not found").
scripts/check runs the black-box suites under strace and fails if any of
those system files is opened. Use it like this:

    cfg = harness.private_config(self.dir)           # or with main.cf settings
    cfg.lookup(key, "socketmap:inet:127.0.0.1:P:recipients")  # value or None
    cfg.postmap("-q", key, table)                    # postmap -c <private dir>
    cfg.postconf("-n"); cfg.doveconf("-n"); cfg.doveadm("pw", "-p", "x")
    [harness.SERVER, "-c", cfg.rcptdb_conf, ...]     # an empty rcptdb.conf

private_config() without a directory returns one shared, process-wide
instance (for helpers such as reference_data.password_hash()). Full
instances (postfix_instance.PrivatePostfix, dovecot_instance.PrivateDovecot)
write their own complete configuration and always pass -c themselves.
"""
import atexit
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("RCPTDB_BUILD", SRC)
RCPTDB = os.path.join(BUILD, "admin", "rcptdb")
SERVER = os.path.join(BUILD, "tcp-table", "rcptdb-server")
PLUGIN_DIR = os.path.join(BUILD, "plugin", ".libs")
if os.environ.get("RCPTDB_INSTALLED") == "1":
    RCPTDB = "/usr/bin/rcptdb"
    SERVER = "/usr/sbin/rcptdb-server"
    PLUGIN_DIR = "/usr/lib/dovecot/modules"


def _ephemeral_low():
    """The first port of the kernel's ephemeral range (32768 by default)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_given_ports = set()  # by free_port, in this process: never given twice


def free_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago, never
    the same one twice in a process. It is below the kernel's ephemeral
    range: a port from that range (what bind to port 0 gives) can become
    the local port of any outgoing connection between this check and the
    server's bind, which then fails (a test once waited 10 s for a server
    that could not listen on 127.0.0.1:55643)."""
    low = _ephemeral_low()
    first = max(1024, low - 12000)
    for _ in range(500):
        port = random.randrange(first, low)
        if port in _given_ports:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given_ports.add(port)
        return port
    raise OSError(f"no free port on 127.0.0.1 between {first} and {low - 1}")


def wait_port(port, timeout=10.0, host="127.0.0.1"):
    """Waits until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def open_tempdir(prefix="rcptdb-bb-"):
    """A temporary directory that the postfix, dovecot and mail users can enter."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


def class_tempdir(cls, prefix):
    """open_tempdir for a test class, removed at its cleanup (kept if
    RCPTDB_KEEP_TMP=1). Call it first: cleanups run last-in first-out, so
    the directory goes after everything started in it has stopped."""
    path = open_tempdir(prefix)
    if os.environ.get("RCPTDB_KEEP_TMP") != "1":
        cls.addClassCleanup(shutil.rmtree, path, True)
    return path


class Process:
    """A child process started by a test and stopped by its pid."""

    def __init__(self, argv, log_path, env=None, cwd=None):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     start_new_session=True)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=10.0):
        """SIGTERM, wait, then SIGKILL; returns the exit status."""
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Processes:
    """Owner of a test class's processes: start(argv, name) as BlackBoxTest
    and MailStack have it (PrivateDovecot.start(owner), PrivateWeb.start),
    stop() ends them by pid, last started first."""

    def __init__(self, d):
        self.dir = d
        self.list = []

    def start(self, argv, name):
        p = Process(argv, os.path.join(self.dir, name + ".log"))
        self.list.append(p)
        return p

    def stop(self):
        for p in reversed(self.list):
            p.stop()
        self.list = []


def made_room(log, reason):
    """How many connections rcptdb-server's log says it closed to make room:
    one per line that names reason, plus the counts of those it did not log
    one by one (at most one such line a second: "N more connections closed
    to make room since the last such line")."""
    lines = [l for l in log.splitlines() if "making room for" in l and reason in l]
    counts = re.findall(r"(\d+) more connections closed to make room", log)
    return len(lines) + sum(int(n) for n in counts)


def peer_closed(sock, timeout=5):
    """True iff the server closed sock (EOF or reset) within timeout."""
    sock.settimeout(timeout)
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def run(argv, input=None, check=True, env=None, timeout=60):
    """Runs a command to completion and returns the CompletedProcess (text)."""
    res = subprocess.run(argv, input=input, capture_output=True, text=True, env=env,
                         timeout=timeout)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {res.returncode}:\n"
                             f"{res.stdout}\n{res.stderr}")
    return res


def rcptdb(db, *args, input=None, check=True):
    """Runs the provisioning command against database db."""
    return run([RCPTDB, "--db", db, *args], input=input, check=check)


# The least main.cf that postmap/postconf need: no system defaults read.
POSTFIX_BASE = "compatibility_level = 3.6\nsmtputf8_enable = yes\n"

def dovecot_series():
    """The installed Dovecot's release series: "2.3" or "2.4"."""
    out = subprocess.run(["dovecot", "--version"], capture_output=True, text=True).stdout
    return ".".join(out.split(".")[:2])


DOVECOT_SERIES = dovecot_series()
# Dovecot 2.4 refuses a configuration that does not open with its versions.
DOVECOT_VERSION_LINES = (
    "dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n"
    if DOVECOT_SERIES == "2.4" else "")

# The least dovecot.conf for doveadm pw and doveconf: every runtime path
# under the private directory, no service configured.
DOVECOT_BASE = DOVECOT_VERSION_LINES + """\
# Private Dovecot configuration for rcptdb tests (tests/blackbox/harness.py)
base_dir = {d}/run
state_dir = {d}/state
log_path = /dev/stderr
ssl = no
protocols =
"""


class PrivateConfig:
    """Configuration files of one test, under one directory.

    postfix: a config_directory for postmap/postconf -c (main.cf, and
    master.cf if given); dovecot_conf: a dovecot.conf for doveconf/doveadm -c;
    rcptdb_conf: an empty rcptdb.conf for rcptdb-server -c.
    """

    def __init__(self, d, postfix="", master=None, dovecot=""):
        self.dir = d
        self.postfix = os.path.join(d, "postfix")
        os.makedirs(self.postfix, exist_ok=True)
        os.chmod(d, 0o755)
        for sub in ("run", "state"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        self.write_main_cf(postfix)
        if master is not None:
            with open(os.path.join(self.postfix, "master.cf"), "w") as f:
                f.write(master)
        self.dovecot_conf = os.path.join(d, "dovecot.conf")
        with open(self.dovecot_conf, "w") as f:
            f.write(DOVECOT_BASE.format(d=d) + dovecot)
        self.rcptdb_conf = os.path.join(d, "rcptdb.conf")
        with open(self.rcptdb_conf, "w") as f:
            f.write("# empty: command-line flags say everything\n")

    def write_main_cf(self, settings=""):
        """Replaces main.cf: the base plus settings (text, or a dict)."""
        if isinstance(settings, dict):
            settings = "".join(f"{k} = {v}\n" for k, v in settings.items())
        with open(os.path.join(self.postfix, "main.cf"), "w") as f:
            f.write(POSTFIX_BASE + settings)

    def postmap(self, *args, input=None, timeout=60):
        """postmap -c <private dir> ARGS (never checked: see lookup())."""
        return run(["postmap", "-c", self.postfix, *args], input=input, check=False,
                   timeout=timeout)

    def lookup(self, key, table):
        """The value postmap -c DIR -q finds for key in table, or None if not found.

        postmap exits 1 both for "not found" and on a fatal error; "not
        found" counts only with an empty stderr, anything else fails."""
        res = self.postmap("-q", key, table)
        if res.returncode == 0 and not res.stderr:
            return res.stdout.rstrip("\n")
        if res.returncode == 1 and res.stdout == "" and res.stderr == "":
            return None
        raise AssertionError(f"postmap -c {self.postfix} -q {key!r} {table}: exit {res.returncode}\n"
                             f"{res.stdout}{res.stderr}")

    def postconf(self, *args, check=True):
        return run(["postconf", "-c", self.postfix, *args], check=check)

    def doveconf(self, *args, check=True):
        return run(["doveconf", "-c", self.dovecot_conf, *args], check=check)

    def doveadm(self, *args, check=True):
        return run(["doveadm", "-c", self.dovecot_conf, *args], check=check)


_shared_config = None


def private_config(d=None, postfix="", master=None, dovecot=""):
    """A PrivateConfig in d/private-config (created; d is a test's dir).

    postfix: main.cf settings on top of POSTFIX_BASE (text or dict);
    master: master.cf text (postconf -n warns about a missing one);
    dovecot: dovecot.conf text after DOVECOT_BASE (e.g. an !include).
    Without d: one shared instance for this process, removed at exit.
    """
    global _shared_config
    if d is None:
        if _shared_config is None:
            shared = open_tempdir("rcptdb-config-")
            atexit.register(shutil.rmtree, shared, True)
            _shared_config = PrivateConfig(shared)
        return _shared_config
    return PrivateConfig(os.path.join(d, "private-config"), postfix, master, dovecot)


class BlackBoxTest(unittest.TestCase):
    """Base class: a private temp dir, and processes stopped at cleanup."""

    def setUp(self):
        self.dir = open_tempdir()
        self.processes = []
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        for p in reversed(self.processes):
            p.stop()
        if os.environ.get("RCPTDB_KEEP_TMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, argv, name, env=None):
        p = Process(argv, os.path.join(self.dir, name + ".log"), env=env)
        self.processes.append(p)
        return p
