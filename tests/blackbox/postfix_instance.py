# SPDX-License-Identifier: MIT
"""postfix_instance - a private Postfix for rcptdb's black-box tests and demo.

PrivatePostfix writes its own config_directory, queue_directory and
data_directory under a test directory, listens for SMTP on free loopback
ports only, logs to a file (no syslog here), and is stopped with
`postfix -c DIR stop` plus a kill of its master pid. It never reads or
changes /etc/postfix or the system queue, and never binds port 25.

The rcptdb settings come from the documented examples in doc/examples/,
so the documentation is what the tests run: their rcptdb-server listens
on the examples' socket, rcptdb/socketmap in the instance's queue
directory (queue_socket()), or on another path the test names, with the
example rcptdb.conf's group and mode (socketmap_conf()).

127.0.0.1 is NOT in mynetworks, so the SMTP client of the tests is an
unauthenticated stranger and an open-relay test proves something.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time

import harness



EXAMPLES = os.path.join(harness.SRC, "doc", "examples")
# rcptdb-server's socketmap socket in the documented Postfix examples:
# relative to Postfix's queue directory (socketmap:unix:rcptdb/socketmap:MAP).
EXAMPLE_SOCKET = "rcptdb/socketmap"
# Installed paths in the examples, and where the tests find those files.
EXAMPLE_FILES = {
    "/etc/postfix/rcptdb-header-checks.regexp":
        os.path.join(EXAMPLES, "postfix-header-checks.regexp"),
}


def read_main_cf(path):
    """Parses a main.cf file into a dict (continuation lines joined)."""
    settings = {}
    name = None
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                name = None
                continue
            if line[0].isspace() and name:
                settings[name] += " " + line.strip()
                continue
            name, _, value = line.partition("=")
            name = name.strip()
            settings[name] = value.strip()
    return settings


def example_settings(example, socket_path=EXAMPLE_SOCKET):
    """The settings of doc/examples/EXAMPLE with rcptdb-server's socketmap
    unix socket at socket_path: by default the examples' own, EXAMPLE_SOCKET
    in the instance's queue directory (queue_socket() makes its directory);
    an absolute path for a socket elsewhere, which the instance's services
    reach because postfix-master.cf does not chroot them.

    Only the examples' exact socket is rewritten: an example that names
    another keeps it, and Postfix's lookups then fail (451 at RCPT)."""
    settings = read_main_cf(os.path.join(EXAMPLES, example))
    out = {}
    for k, v in settings.items():
        v = v.replace(f"unix:{EXAMPLE_SOCKET}:", f"unix:{socket_path}:")
        for installed, here in EXAMPLE_FILES.items():
            v = v.replace(installed, here)
        out[k] = v
    return out


def queue_socket(postfix_dir, group=None):
    """The absolute path of the examples' socket for a PrivatePostfix in
    postfix_dir: EXAMPLE_SOCKET in its queue directory. Makes the socket's
    directory with rcptdb-server(8)'s mode, 0771, owned by root and group
    (a gid: the group of a server that drops root, as the package gives
    it rcptdb's; None keeps root's): root binds, the server's user
    removes the socket at exit, Postfix only passes through."""
    queue = os.path.join(postfix_dir, "queue")
    sockdir = os.path.join(queue, os.path.dirname(EXAMPLE_SOCKET))
    os.makedirs(sockdir, exist_ok=True)
    os.chmod(postfix_dir, 0o755)
    os.chmod(queue, 0o755)
    if group is not None:
        os.chown(sockdir, 0, group)
    os.chmod(sockdir, 0o771)
    return os.path.join(queue, EXAMPLE_SOCKET)


def socketmap_conf(socket_path):
    """rcptdb.conf lines for a socketmap listener on unix socket
    socket_path, with the unix_socket_* settings of doc/examples/rcptdb.conf
    (the group Postfix runs as, mode 0660), so the socket's access is the
    documented one."""
    lines = [f"socketmap = unix:{socket_path}\n"]
    with open(os.path.join(EXAMPLES, "rcptdb.conf")) as f:
        lines += [l for l in f if l.startswith("unix_socket_")]
    if len(lines) < 3:
        raise AssertionError("doc/examples/rcptdb.conf lost its unix_socket_group/mode lines")
    return "".join(lines)


def wait_socket(path, timeout=10.0):
    """Waits until something accepts connections on unix socket path."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(path)
                return True
            except OSError:
                time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {path} after {timeout}s")


def master_cf(smtp_listen):
    """doc/examples/postfix-master.cf with smtpd listening on smtp_listen."""
    with open(os.path.join(EXAMPLES, "postfix-master.cf")) as f:
        text = f.read()
    out, n = re.subn(r"(?m)^smtp(\s+inet\s)", smtp_listen + r"\1", text)
    if n != 1:
        raise AssertionError(f"postfix-master.cf has {n} 'smtp inet' lines, expected 1")
    return out


def main_cf(d, settings):
    """main.cf for a private instance rooted at d: plumbing, then settings."""
    cf = {
        "compatibility_level": "3.6",
        "queue_directory": f"{d}/queue",
        "data_directory": f"{d}/data",
        "mail_owner": "postfix",
        "setgid_group": "postdrop",
        "myhostname": "mx.rcptdb.test",
        "mydomain": "rcptdb.test",
        "myorigin": "$myhostname",
        "inet_interfaces": "127.0.0.1",
        "inet_protocols": "ipv4",
        "alias_maps": "",
        "alias_database": "",
        # Not loopback: the test client must be a stranger.
        "mynetworks": "192.0.2.0/24",
        "address_verify_poll_delay": "1s",
        "address_verify_poll_count": "10",
        # Mail for anything not routed by the table stays queued, visibly.
        "default_transport": "retry:outbound mail is disabled in this instance",
        "local_transport": "error:local delivery is disabled",
        "smtp_host_lookup": "native",
        "lmtp_host_lookup": "native",
        "biff": "no",
        "smtputf8_enable": "yes",
        "queue_run_delay": "2s",
        "minimal_backoff_time": "2s",
        "maximal_backoff_time": "4s",
        "maillog_file": f"{d}/log/postfix.log",
        "maillog_file_prefixes": f"{d}/log",
        "smtpd_banner": "$myhostname ESMTP rcptdb-test",
        "delay_warning_time": "0",
    }
    cf.update(settings)
    return cf


class PrivatePostfix:
    """A Postfix instance in directory d, SMTP on a free loopback port.

    settings: main.cf settings, usually example_settings(...) of a
    documented example, on top of the instance's own plumbing.
    """

    def __init__(self, d, settings):
        self.dir = d
        self.config = os.path.join(d, "etc")
        self.smtp_port = harness.free_port()
        for sub in ("etc", "queue", "data", "log"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chmod(d, 0o755)
        subprocess.run(["chown", "postfix", os.path.join(d, "data")], check=True)
        with open(os.path.join(self.config, "main.cf"), "w") as f:
            for k, v in main_cf(d, settings).items():
                f.write(f"{k} = {v}\n")
        with open(os.path.join(self.config, "master.cf"), "w") as f:
            f.write(master_cf(f"127.0.0.1:{self.smtp_port}"))
        self.log = os.path.join(d, "log", "postfix.log")

    def postconf(self, *args):
        return harness.run(["postconf", "-c", self.config, *args]).stdout

    def start(self):
        # postfix check creates the queue's subdirectories with the right owners.
        res = subprocess.run(["postfix", "-c", self.config, "check"], capture_output=True,
                             text=True)
        if res.returncode != 0:
            raise RuntimeError(f"postfix check failed: {res.stdout}{res.stderr}{self.log_text()}")
        res = subprocess.run(["postfix", "-c", self.config, "start"], capture_output=True,
                             text=True)
        if res.returncode != 0:
            raise RuntimeError(f"postfix start failed: {res.stdout}{res.stderr}{self.log_text()}")
        harness.wait_port(self.smtp_port)

    def master_pid(self):
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        """Stops the instance; kills its master by pid if stop does not."""
        pid = self.master_pid()
        subprocess.run(["postfix", "-c", self.config, "stop"], capture_output=True)
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def flush(self):
        subprocess.run(["postqueue", "-c", self.config, "-f"], capture_output=True)

    def queue(self):
        """Every message still in the queue, as postqueue -j describes it.

        An unreadable queue is an error, never an empty list."""
        res = subprocess.run(["postqueue", "-c", self.config, "-j"], capture_output=True,
                             text=True)
        if res.returncode != 0 or res.stderr:
            raise AssertionError(f"postqueue -j exited {res.returncode}: {res.stderr}")
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def wait_queue_empty(self, timeout=60.0):
        """Waits until the queue is empty; returns what is left ([] if empty).

        A message that was delivered but not confirmed stays queued until
        Postfix retries it (2-4 s here): only an empty queue shows that no
        duplicate is still on its way."""
        deadline = time.monotonic() + timeout
        while True:
            left = self.queue()
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.25)

    def postcat(self, queue_id, *options):
        """postcat -c <this instance> OPTIONS -q queue_id: a queued message."""
        res = subprocess.run(["postcat", "-c", self.config, *options, "-q", queue_id],
                             capture_output=True, text=True)
        return res.stdout + res.stderr

    def bounces(self):
        """Every permanent delivery failure of this instance so far, as
        lines that say why: each "status=bounced" line of the log (it holds
        the reply that refused, e.g. an LMTP 550), and each queued bounce
        (a message from the null sender) with its text. [] if none.

        The log keeps every bounce, also one whose notice has left the
        queue, so calling this after each step of a test shows a bounce
        at any point, not only at the end."""
        found = [line for line in self.log_text().splitlines() if "status=bounced" in line]
        for m in self.queue():
            if m.get("sender") in ("", "MAILER-DAEMON"):
                found.append(f"queued bounce {m['queue_id']} to "
                             f"{[r.get('address') for r in m.get('recipients', [])]}:\n"
                             f"{self.postcat(m['queue_id'], '-b')[:3000]}")
        return found

    def delete_queue(self):
        subprocess.run(["postsuper", "-c", self.config, "-d", "ALL"], capture_output=True)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""
