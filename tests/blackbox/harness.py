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
"""
import os
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


def free_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
