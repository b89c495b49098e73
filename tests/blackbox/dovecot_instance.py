# SPDX-License-Identifier: MIT
"""dovecot_instance - a private Dovecot (LMTP only) for black-box tests.

PrivateDovecot writes a dovecot.conf into a test directory with its own
base_dir, state_dir and instance_name, LMTP on a free loopback port, the
sql passdb/userdb of sql/dovecot-sql.conf.ext (connect= rewritten to the
test database; or sql/dovecot-pgsql.conf.ext on a private PostgreSQL), the rcptdb settings of doc/examples/dovecot-rcptdb.conf
(paths and port changed: the documented example is what runs), mdbox mail
under the test directory owned by the mail
user, and, if asked, the rcptdb plugin copied from the build into a
private module directory (a rebuild cannot change a running instance).
It runs `dovecot -F` in the foreground and is stopped by its pid.
Nothing here reads or changes /etc/dovecot.

Dovecot 2.3 and 2.4 (SERIES, from `dovecot --version`) differ in syntax:
each runs its own documented example (EXAMPLES), and 2.4 reads the sql
passdb/userdb from that example instead of dovecot-sql.conf.ext. On
PostgreSQL, 2.4 reads sql/dovecot-pgsql-2.4.conf.ext, put in place of
the example's sqlite passdb/userdb.

The mail user is `mail` (uid 8 on Debian): present everywhere, so no
system user has to be created; first_valid_uid/gid are lowered to it.
"""
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time

import harness

SQL_CONF = os.path.join(harness.SRC, "sql", "dovecot-sql.conf.ext")
PGSQL_CONF = os.path.join(harness.SRC, "sql", "dovecot-pgsql.conf.ext")
PGSQL_24_CONF = os.path.join(harness.SRC, "sql", "dovecot-pgsql-2.4.conf.ext")
PLUGIN_SO = "lib90_rcptdb_plugin.so"
MAIL_USER = "mail"


SERIES = harness.DOVECOT_SERIES
EXAMPLES = {
    "2.3": os.path.join(harness.SRC, "doc", "examples", "dovecot-rcptdb.conf"),
    "2.4": os.path.join(harness.SRC, "doc", "examples", "dovecot-2.4-rcptdb.conf"),
}
EXAMPLE = EXAMPLES.get(SERIES, EXAMPLES["2.3"])
# The userdb field that carries a mailbox's quota, and its value's prefix
# before the number of bytes: 2.4 renamed the quota settings.
QUOTA_FIELD = {"2.3": ("quota_rule", "*:bytes="), "2.4": ("quota_storage_size", "")}.get(
    SERIES, ("quota_rule", "*:bytes="))

# The instance's own plumbing; the rcptdb part is the documented example.
COMMON_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
instance_name = {instance}
protocols = lmtp
ssl = no
listen = 127.0.0.1
hostname = lmtp.rcptdb.test
log_path = {d}/dovecot.log
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_plugin_dir = {d}/modules
"""
SERIES_CONF = {
    "2.3": "mail_location = mdbox:{d}/mail/%d/%n\n",
    "2.4": "mail_driver = mdbox\nmail_path = {d}/mail/%{{user|domain}}/%{{user|username}}\n",
}
DOVECOT_CONF = (
    "# Private Dovecot for rcptdb tests; see tests/blackbox/dovecot_instance.py\n"
    + harness.DOVECOT_VERSION_LINES
    + COMMON_CONF + SERIES_CONF.get(SERIES, SERIES_CONF["2.3"]) + """
# --- doc/examples/{example_name}, paths and port changed ---
{example}
# --- settings of this test ---
{extra}
""")


# The 2.4 example's sqlite passdb/userdb: from sql_driver to the end of
# the userdb block.
SQLITE_24_SECTION = re.compile(r"(?ms)^sql_driver = sqlite\n.*?^userdb sql \{\n.*?^\}\n")


def example_conf(d, port, plugin_db, plugin, db_path=None, sql_text=None):
    """The series' documented example with this instance's paths and port;
    on 2.4 with sql_text, that text in place of the sqlite passdb/userdb."""
    with open(EXAMPLE) as f:
        text = f.read()
    replacements = [
        ("rcptdb_database = /var/lib/rcptdb/rcptdb.sqlite", f"rcptdb_database = {plugin_db}"),
        ("port = 24", f"port = {port}"),
    ]
    if SERIES == "2.4":
        if sql_text is None:
            replacements.append(("sqlite_path = /var/lib/rcptdb/rcptdb.sqlite",
                                 f"sqlite_path = {db_path}"))
        if not plugin:
            replacements.append(("rcptdb = yes", "rcptdb = no"))
    else:
        replacements.append(("/etc/dovecot/dovecot-sql.conf.ext", f"{d}/dovecot-sql.conf.ext"))
        if not plugin:
            replacements.append(("mail_plugins = $mail_plugins rcptdb",
                                 "mail_plugins = $mail_plugins"))
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"{EXAMPLE} lost its placeholder {old!r}")
        text = text.replace(old, new)
    # Last: the placeholders above are the shipped example's only. Put in
    # first, sql_text's own "port = 24887" (a PostgreSQL port) became
    # "port = <lmtp port>887".
    if SERIES == "2.4" and sql_text is not None:
        text, n = SQLITE_24_SECTION.subn(lambda m: sql_text, text)
        if n != 1:
            raise AssertionError(f"{EXAMPLE} lost its sqlite passdb/userdb section")
    return text


def sql_conf(db_path, path=SQL_CONF):
    """sql/dovecot-sql.conf.ext (or path) with connect= set to db_path."""
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^connect = .*$", lambda m: f"connect = {db_path}", text)
    if n != 1:
        raise AssertionError(f"{path} has {n} connect lines, expected 1")
    return text


def pgsql_conf(conninfo):
    """The series' shipped pgsql passdb/userdb, pointed at conninfo (libpq
    keyword=value pairs with a host, e.g. PrivatePostgres.conninfo()).
    2.3: sql/dovecot-pgsql.conf.ext with connect= set to conninfo; 2.4:
    sql/dovecot-pgsql-2.4.conf.ext with its pgsql block named for the
    host and holding the other pairs as parameters."""
    if SERIES != "2.4":
        return sql_conf(conninfo, PGSQL_CONF)
    with open(PGSQL_24_CONF) as f:
        text = f.read()
    pairs = dict(pair.split("=", 1) for pair in conninfo.split())
    block = (f"pgsql {pairs.pop('host')} {{\n  parameters {{\n"
             + "".join(f"    {k} = {v}\n" for k, v in pairs.items()) + "  }\n}\n")
    text, n = re.subn(r"(?ms)^pgsql \S+ \{\n  parameters \{\n.*?^  \}\n\}\n",
                      lambda m: block, text)
    if n != 1:
        raise AssertionError(f"{PGSQL_24_CONF} has {n} pgsql blocks, expected 1")
    return text


class PrivateDovecot:
    """A Dovecot with LMTP on a free loopback port, all state under d."""

    def __init__(self, d, db_path, plugin=True, plugin_db=None, extra=None, name="dovecot",
                 extra_text="", sql_text=None):
        """extra: more dovecot.conf settings, a dict (name -> value);
        extra_text: more dovecot.conf text (e.g. a conf.d example);
        sql_text: the passdb/userdb file instead of sql_conf(db_path), e.g.
        pgsql_conf(...) (2.3: the example includes that file; 2.4: it
        takes the place of the example's sqlite passdb/userdb)."""
        self.dir = d
        self.name = name
        self.db_path = db_path
        self.port = harness.free_port()
        self.conf = os.path.join(d, "dovecot.conf")
        self.log = os.path.join(d, "dovecot.log")
        self.process = None
        mail = pwd.getpwnam(MAIL_USER)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        for sub in ("run", "state", "mail", "modules"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        os.chown(os.path.join(d, "mail"), mail.pw_uid, mail.pw_gid)
        if plugin:
            # Copy, not link: a rebuild must not swap code under a running lmtp.
            shutil.copy(os.path.join(harness.PLUGIN_DIR, PLUGIN_SO),
                        os.path.join(d, "modules", PLUGIN_SO))
        with open(os.path.join(d, "dovecot-sql.conf.ext"), "w") as f:
            f.write(sql_text if sql_text is not None else sql_conf(db_path))
        extra_lines = "\n".join(f"{k} = {v}" for k, v in (extra or {}).items()) + "\n" + extra_text
        with open(self.conf, "w") as f:
            f.write(DOVECOT_CONF.format(
                d=d, instance=f"rcptdb-{name}-{self.port}", uid=mail.pw_uid, gid=mail.pw_gid,
                example_name=os.path.basename(EXAMPLE),
                example=example_conf(d, self.port, plugin_db or db_path, plugin, db_path,
                                     sql_text),
                extra=extra_lines))

    def start(self, test):
        """Starts dovecot -F as a process of test (a harness.BlackBoxTest)."""
        self.process = test.start(["dovecot", "-F", "-c", self.conf], self.name)
        try:
            harness.wait_port(self.port)
        except TimeoutError:
            raise AssertionError(f"dovecot did not listen:\n{self.process.output()}\n"
                                 f"{self.log_text()}")
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def doveadm(self, *args, check=True):
        return harness.run(["doveadm", "-c", self.conf, *args], check=check)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


class Lmtp:
    """A minimal LMTP client that keeps every reply line (code, text).

    smtplib.LMTP hides per-recipient replies after DATA; this one does
    not, and sends addresses byte for byte as given.
    """

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.greeting = self.reply()
        self.command("LHLO client.rcptdb.test")

    def close(self):
        try:
            self.sock.sendall(b"QUIT\r\n")
            self.reply()
        except OSError:
            pass
        self.file.close()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, line):
        data = line if isinstance(line, bytes) else line.encode("utf-8")
        self.sock.sendall(data + b"\r\n")

    def reply(self):
        """Reads one (possibly multi-line) reply: (code, last line's text)."""
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("LMTP server closed the connection")
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return int(line[:3]), "\n".join(l[4:] for l in lines)

    def command(self, line):
        self.send(line)
        return self.reply()

    def mail(self, sender="sender@elsewhere.test"):
        return self.command(f"MAIL FROM:<{sender}>")

    def rcpt(self, address):
        data = address if isinstance(address, bytes) else address.encode("utf-8")
        return self.command(b"RCPT TO:<" + data + b">")

    def data(self, message, accepted):
        """Sends DATA; returns one reply per accepted recipient."""
        code, text = self.command("DATA")
        if code != 354:
            return [(code, text)] * accepted
        body = message.replace("\r\n", "\n").rstrip("\n").replace("\n", "\r\n")
        body = "\r\n".join("." + l if l.startswith(".") else l for l in body.split("\r\n"))
        self.sock.sendall(body.encode("utf-8") + b"\r\n.\r\n")
        return [self.reply() for _ in range(accepted)]


class Stream:
    """Asks a question every interval seconds, each time in its own thread,
    until stop(): a stream of questions that keeps asking while a database
    goes away and comes back. A slow answer does not hold the next question
    back. ask() returns (code, text).

    replies: (seconds since start, seconds taken, code, text) per question."""

    def __init__(self, ask, interval=0.1):
        self.ask = ask
        self.interval = interval
        self.replies = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        self._start = time.monotonic()
        self._spawner = threading.Thread(target=self._spawn, daemon=True)
        self._spawner.start()

    def _spawn(self):
        while not self._stop.is_set():
            t = threading.Thread(target=self._one, daemon=True)
            t.start()
            self._threads.append(t)
            self._stop.wait(self.interval)

    def _one(self):
        t0 = time.monotonic()
        code, text = self.ask()
        with self._lock:
            self.replies.append((t0 - self._start, time.monotonic() - t0, code, text))

    def halt(self):
        """Asks no more; the answers still to come keep coming."""
        self._stop.set()
        self._spawner.join()

    def stop(self, timeout=90):
        """Stops asking and waits for every answer; returns them by start time."""
        self.halt()
        for t in self._threads:
            t.join(timeout)
        return sorted(self.replies)

    @staticmethod
    def table(replies):
        """The replies as lines for a failure message."""
        return "\n".join(f"  {t:6.2f}s +{took:5.2f}s {code} {text}"
                         for t, took, code, text in replies)


class LmtpGate:
    """A TCP relay from a free loopback port to an LMTP port that holds every
    session while closed: the client's connection is accepted and waits,
    unanswered, until open(); only then is the LMTP server connected. A
    route through a closed gate makes "deliveries in flight" exact: the
    sessions Postfix opened meanwhile reach the server, all at once, when
    the test opens the gate. Stopped by stop() (its threads are daemons)."""

    def __init__(self, target_port):
        self.target_port = target_port
        self._open = threading.Event()
        self._open.set()
        self._closing = False
        self._lock = threading.Lock()
        self._socks = []
        self.held = 0  # sessions waiting now
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        """Holds every session opened from now on."""
        self._open.clear()

    def open(self):
        """Lets the held sessions, and every later one, through."""
        self._open.set()

    def wait_held(self, n, timeout=30):
        """Waits until at least n sessions are held; returns how many are."""
        deadline = time.monotonic() + timeout
        while self.held < n and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.held

    def stop(self):
        self._closing = True
        self._open.set()
        with self._lock:
            socks, self._socks = self._socks, []
        for s in [self.listener] + socks:
            try:
                s.close()
            except OSError:
                pass

    def _accept(self):
        while not self._closing:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._socks.append(client)
            threading.Thread(target=self._session, args=(client,), daemon=True).start()

    def _session(self, client):
        with self._lock:
            self.held += 1
        self._open.wait()
        with self._lock:
            self.held -= 1
        if self._closing:
            client.close()
            return
        try:
            server = socket.create_connection(("127.0.0.1", self.target_port), timeout=10)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        with self._lock:
            self._socks.append(server)
        threading.Thread(target=self._pump, args=(server, client), daemon=True).start()
        self._pump(client, server)

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass


def rcpt_question(port, address, timeout=90):
    """RCPT TO:<address> in a fresh LMTP session: (code, text); code 0 when
    the connection failed (text says how). For Stream."""
    def ask():
        try:
            with Lmtp(port, timeout=timeout) as lmtp:
                lmtp.mail()
                return lmtp.rcpt(address)
        except (OSError, ConnectionError) as e:
            return 0, f"{type(e).__name__}: {e}"
    return ask


def userdb_question(dovecot, user, timeout=90):
    """doveadm user USER on dovecot: (exit status, output). 0 found, 67 no
    such user, 75 a temporary failure. For Stream."""
    def ask():
        res = harness.run(["doveadm", "-c", dovecot.conf, "user", user], check=False,
                          timeout=timeout)
        return res.returncode, (res.stdout + res.stderr).strip().replace("\n", " | ")[:200]
    return ask


def message(subject, to="someone@example.com", body="hello"):
    return (f"From: sender@elsewhere.test\nTo: {to}\nSubject: {subject}\n"
            f"Message-ID: <{subject}@rcptdb.test>\n\n{body}\n")
