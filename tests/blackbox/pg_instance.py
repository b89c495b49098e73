# SPDX-License-Identifier: MIT
"""pg_instance - a private PostgreSQL 15 cluster for black-box tests.

PrivatePostgres runs `initdb` into a directory of the test, as the
unprivileged user `postgres` when run as root (PostgreSQL refuses to run
as root; as any other user, as that user), and
starts the postmaster with `pg_ctl` on a private unix socket directory
plus a free loopback port. Authentication is `trust` for local sockets
and 127.0.0.1 only, replication included, so that standby() can make a
streaming standby with `pg_basebackup -R` on its own free port.
Superuser and owner of everything is the role `rcptdb` (initdb -U).

Every cluster is stopped by its postmaster's pid (SIGINT: a fast
shutdown; SIGQUIT, then SIGKILL if it lingers), also when a test fails:
start() registers stop() with the test's cleanups. Nothing here reads
or changes the system's cluster, /etc/postgresql or ~/.psqlrc: the
versioned binaries are called directly, psql with -X.

    primary = PrivatePostgres(os.path.join(test.dir, "pg")).start(test)
    primary.create_database("rcptdb")
    primary.uri("rcptdb")   # postgresql:///rcptdb?host=SOCKDIR&port=P&user=rcptdb
    standby = primary.standby(os.path.join(test.dir, "pg-standby"), test)
    seconds = primary.replay_lag(standby)

A cluster may instead take its pg_hba.conf and more postgresql.conf
settings from the caller (hba=, settings=; e.g. the several-host example
in doc/examples/multihost/), and make_tls() makes a self-signed CA and a
server certificate for ssl = on:

    tls = make_tls(os.path.join(test.dir, "tls"))
    pg = PrivatePostgres(d, hba=TRUST_LOCAL + "hostssl all all 127.0.0.1/32 scram-sha-256\n",
                         settings=tls.settings()).start(test)
    pg.tcp_uri("rcptdb", "rcptdb_reader", sslmode="verify-full", sslrootcert=tls.ca)
"""
import os
import pwd
import signal
import subprocess
import time
import urllib.parse
import uuid

import harness

# The server binaries; PG_BINDIR as in tests/support/pg-cluster (the
# Debian 13 stage, scripts/trixie-stage, names its PostgreSQL 17).
BIN = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")
OWNER = "postgres"      # the unprivileged system user that runs the cluster
ROLE = "rcptdb"         # the cluster's superuser (initdb -U)

# The private socket: the harness (psql(), pg_basebackup) logs in there.
TRUST_LOCAL = """\
# Private test cluster (tests/blackbox/pg_instance.py)
local   all          all                     trust
local   replication  all                     trust
"""
HBA = TRUST_LOCAL + """\
host    all          all      127.0.0.1/32   trust
host    replication  all      127.0.0.1/32   trust
"""

# Settings of every private cluster. fsync off: a test cluster never
# outlives an OS crash, and the benchmarks share the machine's disk.
SETTINGS = """\
# --- tests/blackbox/pg_instance.py ---
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sock}'
unix_socket_permissions = 0777
cluster_name = '{name}'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
wal_receiver_status_interval = 1s
wal_retrieve_retry_interval = 1s
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 60
logging_collector = off
log_line_prefix = '%m [%p] %a '
"""


def as_owner(argv):
    """argv run as the cluster's owner (runuser from root; else as we are)."""
    if os.geteuid() != 0:
        return list(argv)
    return ["runuser", "-u", OWNER, "--", *argv]


def pid_alive(pid):
    """True iff pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def children(pid):
    """Pids of the live processes whose parent is pid."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            out.append(int(entry))
    return out


def processes_named(text):
    """Pids of live processes whose command line contains text."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if text in cmdline and pid_alive(int(entry)):
            out.append(int(entry))
    return out


class Tls:
    """Files of make_tls(): ca (the CA certificate clients trust), cert and
    key (the server's, for localhost and 127.0.0.1), other_ca (a second CA
    that signed nothing here: a client trusting it must refuse the server)."""

    def __init__(self, d):
        self.dir = d
        self.ca = os.path.join(d, "ca.crt")
        self.other_ca = os.path.join(d, "other-ca.crt")
        self.cert = os.path.join(d, "server.crt")
        self.key = os.path.join(d, "server.key")

    def settings(self):
        """postgresql.conf lines that turn TLS on with these files."""
        return (f"ssl = on\nssl_cert_file = '{self.cert}'\nssl_key_file = '{self.key}'\n"
                f"ssl_ca_file = '{self.ca}'\n")


def make_tls(d):
    """A self-signed CA, a server certificate it signs (CN localhost, SAN
    DNS:localhost and IP:127.0.0.1) and a second, unrelated CA, made with
    openssl in d. The key belongs to the cluster's owner, mode 0600, as
    PostgreSQL demands."""
    tls = Tls(d)
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)

    def openssl(*args):
        harness.run(["openssl", *args], timeout=60)

    for name in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", f"/CN=rcptdb test {name}", "-keyout", os.path.join(d, name + ".key"),
                "-out", os.path.join(d, name + ".crt"))
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName = DNS:localhost, IP:127.0.0.1\n")
    csr = os.path.join(d, "server.csr")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
            "-keyout", tls.key, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", tls.ca, "-CAkey", os.path.join(d, "ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", tls.cert)
    os.chmod(tls.key, 0o600)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OWNER)
        os.chown(tls.key, owner.pw_uid, owner.pw_gid)
    return tls


def private_file(path, text):
    """Writes text to path, mode 0600, owned by the cluster's owner when we
    are root (a passfile that the walreceiver of a standby must read)."""
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OWNER)
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return path


class PrivatePostgres:
    """One private cluster (a primary, or a standby made by standby())."""

    def __init__(self, d, name=None, port=None, hba=HBA, settings=""):
        """hba: the whole pg_hba.conf (keep TRUST_LOCAL's lines: the
        harness logs in over the private socket); settings: more
        postgresql.conf lines, written before the harness's own (which win)."""
        self.hba = hba
        self.settings = settings
        self.dir = d
        self.port = port or harness.free_port()
        self.name = name or f"rcptdb-test-{self.port}"
        self.data = os.path.join(d, "data")
        self.sock = os.path.join(d, "sock")
        self.logfile = os.path.join(d, "log", "postgresql.log")
        self.pid = None
        self.is_standby = False
        owner = pwd.getpwnam(OWNER)
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        # The data directory is made here so that its owner can fill it:
        # initdb and pg_basebackup cannot create it in the root-owned d.
        for sub, mode in (("sock", 0o755), ("log", 0o755), ("data", 0o700)):
            path = os.path.join(d, sub)
            os.makedirs(path, exist_ok=True)
            os.chmod(path, mode)
            if os.geteuid() == 0:
                os.chown(path, owner.pw_uid, owner.pw_gid)

    # --- creating a cluster --------------------------------------------

    def initdb(self):
        """Creates the cluster as the owner: UTF-8, C locale, trust."""
        harness.run(as_owner([os.path.join(BIN, "initdb"), "-D", self.data, "-A", "trust",
                              "-U", ROLE, "-E", "UTF8", "--locale=C", "--no-sync"]),
                    timeout=120)
        self.configure()
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write(self.hba)
        return self

    def configure(self):
        """Appends the caller's settings, then this instance's (later lines
        win in postgresql.conf)."""
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(self.settings)
            f.write(SETTINGS.format(port=self.port, sock=self.sock, name=self.name))

    # --- running ---------------------------------------------------------

    def start(self, test=None):
        """Starts the postmaster (pg_ctl -w) and, given a test, stops it at cleanup.

        Runs initdb first if the directory holds no cluster yet."""
        if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
            self.initdb()
        if test is not None:
            test.addCleanup(self.stop)
        res = harness.run(as_owner([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-l",
                                    self.logfile, "-w", "-t", "60", "start"]),
                          check=False, timeout=90)
        self.pid = self.postmaster_pid()
        if res.returncode != 0 or self.pid is None:
            raise AssertionError(f"pg_ctl start ({self.name}) exited {res.returncode}:\n"
                                 f"{res.stdout}{res.stderr}\n{self.log_text()[-3000:]}")
        return self

    def postmaster_pid(self):
        """The pid in postmaster.pid, or None when no postmaster runs."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) else None

    def processes(self):
        """The postmaster and its children (pids), [] when stopped."""
        if self.pid is None or not pid_alive(self.pid):
            return []
        return [self.pid] + children(self.pid)

    def stop(self, timeout=30.0):
        """Stops the cluster by its postmaster pid and waits until every
        process of it is gone: SIGINT (fast shutdown), then SIGQUIT
        (immediate), then SIGKILL of the postmaster and its children."""
        pid = self.pid or self.postmaster_pid()
        if pid is None:
            return
        kids = children(pid)
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 5.0),
                          (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            if sig == signal.SIGKILL:
                for kid in kids:
                    try:
                        os.kill(kid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            deadline = time.monotonic() + wait
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not pid_alive(pid):
                break
        # Backends notice the postmaster's death on their own; wait for them.
        deadline = time.monotonic() + 10
        while any(pid_alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.pid = None

    def promote(self):
        """Promotes a standby to a primary (pg_ctl promote -w)."""
        harness.run(as_owner([os.path.join(BIN, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                              "promote"]), timeout=90)
        self.is_standby = False
        return self

    def standby(self, d, test=None, conninfo=None):
        """A streaming standby of this cluster in d, on its own free port, started.

        pg_basebackup -R writes primary_conninfo and standby.signal; it
        connects with conninfo if given (e.g. over TLS as a replication
        role), else over the private socket as the superuser. The standby
        inherits this cluster's pg_hba.conf and settings."""
        other = PrivatePostgres(d)
        source = (["-d", conninfo] if conninfo else
                  ["-h", self.sock, "-p", str(self.port), "-U", ROLE])
        harness.run(as_owner([os.path.join(BIN, "pg_basebackup"), "-D", other.data, "-R",
                              "-X", "stream", "-c", "fast", "--no-sync", *source]),
                    timeout=300)
        other.configure()
        other.is_standby = True
        other.start(test)
        return other

    # --- talking to it ----------------------------------------------------

    def uri(self, dbname="rcptdb", user=ROLE):
        """The libpq URI of dbname on this cluster, over its unix socket."""
        return f"postgresql:///{dbname}?host={self.sock}&port={self.port}&user={user}"

    def tcp_uri(self, dbname="rcptdb", user=ROLE, host="localhost", **params):
        """The libpq URI of dbname over the loopback port; params are more
        URI parameters (sslmode=..., sslrootcert=..., passfile=...)."""
        query = urllib.parse.urlencode({"user": user, **params}, safe="/")
        return f"postgresql://{host}:{self.port}/{dbname}?{query}"

    def conninfo(self, dbname="rcptdb"):
        """The same connection as keyword=value pairs (Dovecot's connect =)."""
        return f"host={self.sock} port={self.port} dbname={dbname} user={ROLE}"

    def psql(self, sql, dbname="rcptdb", check=True, timeout=60, user=ROLE, uri=None):
        """Runs sql (one or more statements) with psql -X as user (or on
        uri); returns stdout (unaligned, tuples only: one row a line,
        fields split by |), or, with check=False, the completed process."""
        res = harness.run([os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t",
                           "-v", "ON_ERROR_STOP=1", "-d", uri or self.uri(dbname, user)],
                          input=sql, check=False, timeout=timeout)
        if check and res.returncode != 0:
            raise AssertionError(f"psql on {self.name}/{dbname} exited {res.returncode}:\n"
                                 f"{sql}\n{res.stdout}{res.stderr}")
        return res.stdout if check else res

    def create_database(self, dbname):
        self.psql(f'CREATE DATABASE "{dbname}"', dbname="postgres")

    def wait_until(self, sql, dbname="rcptdb", timeout=30.0):
        """Polls sql until it returns 't'; raises after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            res = self.psql(sql, dbname, check=False)
            if res.returncode == 0 and res.stdout.strip() == "t":
                return
            time.sleep(0.05)
        raise AssertionError(f"{self.name}: {sql!r} not true after {timeout}s")

    def replay_lag(self, standby, dbname="postgres", samples=5):
        """Seconds from a commit on this primary until standby shows it: the
        largest of samples measurements, on the servers' own clock.

        A probe session on the standby polls (0.5 ms) for a fresh token and
        reports clock_timestamp() when it sees it; the primary reports
        clock_timestamp() right after the token's INSERT has committed. The
        probe is connected before the INSERT, so psql's start-up is not
        counted."""
        self.psql("CREATE TABLE IF NOT EXISTS rcptdb_lag_probe (token text PRIMARY KEY)",
                  dbname)
        standby.wait_until("SELECT to_regclass('rcptdb_lag_probe') IS NOT NULL", dbname)
        worst = 0.0
        for _ in range(samples):
            token = uuid.uuid4().hex
            probe = subprocess.Popen(
                [os.path.join(BIN, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                 "-d", standby.uri(dbname) + "&application_name=rcptdb_lag_probe"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True)
            probe.stdin.write(
                "DO $$ BEGIN\n"
                f"  WHILE NOT EXISTS (SELECT 1 FROM rcptdb_lag_probe WHERE token = '{token}')\n"
                "  LOOP PERFORM pg_sleep(0.0005); END LOOP;\n"
                "  RAISE NOTICE 'seen=%', extract(epoch FROM clock_timestamp());\n"
                "END $$;\n")
            probe.stdin.flush()  # communicate() below closes it: psql then exits
            standby.wait_until("SELECT count(*) > 0 FROM pg_stat_activity "
                               "WHERE application_name = 'rcptdb_lag_probe' "
                               "AND state = 'active'", dbname)
            out = self.psql(f"INSERT INTO rcptdb_lag_probe VALUES ('{token}');\n"
                            "SELECT extract(epoch FROM clock_timestamp());", dbname)
            committed = float(out.split()[-1])
            try:
                _, err = probe.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                probe.kill()
                probe.communicate()
                raise AssertionError(f"{standby.name} did not replay a commit in 30 s")
            seen = [l for l in err.splitlines() if "seen=" in l]
            if not seen:
                raise AssertionError(f"lag probe on {standby.name} failed: {err}")
            worst = max(worst, float(seen[0].rsplit("seen=", 1)[1]) - committed)
        return max(worst, 0.0)

    def log_text(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except OSError:
            return ""
