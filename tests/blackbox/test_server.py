# SPDX-License-Identifier: MIT
"""test_server - rcptdb-server as Postfix sees it, and as an attacker does.

Starts the real daemon (harness.SERVER) on free loopback ports against the
reference database (reference_data.py, provisioned with plain SQL) and asks
it with Postfix's own client, postmap(1), over tcp_table and socketmap, plus
raw sockets for what Postfix never sends: overlong lines, garbage, broken
netstrings, thousands of idle connections, clients that never read.

postmap -c DIR -q exits 0 and prints the value when found, 1 when not found, and
also 1 (with "fatal:" or "warning:" on stderr) on a lookup error; the tests
tell errors apart by stderr.
"""
import os
import pwd
import resource
import signal
import socket
import sqlite3
import subprocess
import time
import unittest

import harness
import reference_data

MAPS = ("domains", "transport", "recipients", "aliases", "senders")
LMTP = reference_data.LMTP
AB = "alice@example.com,bob@example.com"
# rcptdb-server checks the database file's identity (a replaced or deleted
# file) at most every 50 ms (LiveStore); wait a little longer than that.
FILE_CHECK = 0.15

# (map, key, value or None for not found), from the reference data.
CASES = [
    ("domains", "example.com", "hosted"),
    ("domains", "EXAMPLE.COM", "hosted"),
    ("domains", "example.com.", "hosted"),
    ("domains", "example.net", "alias"),
    ("domains", "relay.example", "relay"),
    ("domains", "xn--bcher-kva.example", "hosted"),
    ("domains", "bücher.example", "hosted"),
    ("domains", "off.example", None),
    ("domains", "broken.example", None),
    ("domains", "nowhere.test", None),
    ("domains", "sub.example.com", None),
    ("domains", "alice@example.com", None),
    ("domains", "*", None),
    ("transport", "alice@example.com", LMTP),
    ("transport", "Alice+News@Example.COM", LMTP),
    ("transport", "dave@example.com", "lmtp:inet:127.0.0.2:24"),
    ("transport", "dave@example.net", "lmtp:inet:127.0.0.2:24"),
    ("transport", "listed@relay.example", "smtp:[backup.example]"),
    ("transport", "*", None),
    ("transport", "example.com", None),
    ("transport", "alice@nowhere.test", None),
    ("recipients", "alice@example.com", "mailbox"),
    ("recipients", "ALICE@EXAMPLE.COM", "mailbox"),
    ("recipients", "alice+news@example.com", "mailbox"),
    ("recipients", "alice@example.net", "mailbox"),
    ("recipients", "sales@example.com", "alias"),
    ("recipients", "random@example.org", "alias"),
    ("recipients", "listed@relay.example", "relay"),
    ("recipients", "user@bücher.example", "mailbox"),
    ("recipients", "carol@example.com", None),
    ("recipients", "off@example.org", None),
    ("recipients", "other@relay.example", None),
    ("recipients", "nobody@example.com", None),
    ("recipients", "example.com", None),
    ("recipients", "@example.com", None),
    ("recipients", "*@example.com", None),
    ("recipients", "a%b@example.com", None),
    ("recipients", "a_@example.com", None),
    ("recipients", "alic_@example.com", None),  # LIKE would find alice
    ("recipients", "alice%@example.com", None),
    ("recipients", "alice@example.com x", None),
    ("recipients", "jörg@example.com", None),
    ("aliases", "sales@example.com", AB),
    ("aliases", "nested@example.com", AB),
    ("aliases", "mixed@example.com", "bob@example.com"),
    ("aliases", "ext@example.com", "someone@elsewhere.test"),
    ("aliases", "alice@example.net", "alice@example.com"),
    ("aliases", "random@example.org", "catchall@example.org"),
    ("aliases", "user@bücher.example", "user@xn--bcher-kva.example"),
    ("aliases", "alice@example.com", None),
    ("aliases", "old@example.com", None),
    ("aliases", "example.com", None),
    ("aliases", "example.org", None),
    ("senders", "alice@example.com", "alice@example.com"),
    ("senders", "info@example.com", "alice@example.com"),
    ("senders", "nobody@example.com", None),
]


def recv_line(sock, limit=8192):
    """Reads up to and including LF; b'' on EOF."""
    data = b""
    while not data.endswith(b"\n") and len(data) < limit:
        chunk = sock.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def recv_netstring(sock):
    """Reads one netstring; returns its payload, or None on EOF."""
    head = b""
    while not head.endswith(b":"):
        c = sock.recv(1)
        if not c:
            return None
        head += c
    n = int(head[:-1])
    payload = b""
    while len(payload) < n + 1:
        c = sock.recv(n + 1 - len(payload))
        if not c:
            return None
        payload += c
    return payload[:-1]


def netstring(payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return str(len(payload)).encode() + b":" + payload + b","


class ServerTest(harness.BlackBoxTest):
    """A reference database and helpers to run and query rcptdb-server."""

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db, password="{PLAIN}secret")
        self.cfg = harness.private_config(self.dir)
        self.server = None

    def start_server(self, *extra, db=None, ports=None, wait=True):
        """Starts rcptdb-server with a tcp_table listener per map and socketmap
        listeners on inet and unix; returns the Process."""
        self.ports = ports or {m: harness.free_port() for m in MAPS}
        self.sm_port = self.ports.get("socketmap") or harness.free_port()
        self.ports["socketmap"] = self.sm_port
        self.sm_unix = os.path.join(self.dir, "socketmap.sock")
        argv = [harness.SERVER, "--foreground", "--db", db or self.db, "--threads", "2",
                "--busy-timeout", "200", "-c", self.cfg.rcptdb_conf]
        for m in MAPS:
            argv += ["--tcp-table", f"{m}=127.0.0.1:{self.ports[m]}"]
        argv += ["--socketmap", f"127.0.0.1:{self.sm_port}", "--socketmap", f"unix:{self.sm_unix}"]
        argv += list(extra)
        self.server = self.start(argv, "server")
        if wait:
            for m in MAPS:
                harness.wait_port(self.ports[m])
            harness.wait_port(self.sm_port)
        return self.server

    def log(self):
        return self.server.output()

    # --- clients --------------------------------------------------------------

    def postmap(self, key, table):
        """postmap -c PRIVATE -q KEY TABLE: (exit status, stdout without LF, stderr)."""
        res = self.cfg.postmap("-q", key, table)
        return res.returncode, res.stdout.rstrip("\n"), res.stderr

    def tcp_table(self, m):
        return f"tcp:127.0.0.1:{self.ports[m]}"

    def socketmap(self, m):
        return f"socketmap:inet:127.0.0.1:{self.sm_port}:{m}"

    def connect(self, m):
        port = self.sm_port if m == "socketmap" else self.ports[m]
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(s.close)
        return s

    def tcp_get(self, sock, key):
        """One raw tcp_table request on sock; returns the reply line."""
        if isinstance(key, str):
            key = key.encode()
        sock.sendall(b"get " + key + b"\n")
        return recv_line(sock).decode("utf-8", "replace")

    def sm_get(self, sock, m, key):
        sock.sendall(netstring(f"{m} {key}"))
        payload = recv_netstring(sock)
        return None if payload is None else payload.decode("utf-8", "replace")

    def assert_found(self, table, key, value):
        rc, out, err = self.postmap(key, table)
        # postmap exits 1 for "not found" and on errors: stderr tells them apart.
        if value is None:
            self.assertEqual((rc, out, err), (1, "", ""), f"{table} {key}")
        else:
            self.assertEqual((rc, out, err), (0, value, ""), f"{table} {key}")

    def assert_serves(self):
        """A normal lookup still works, over both protocols."""
        self.assert_found(self.tcp_table("recipients"), "alice@example.com", "mailbox")
        self.assert_found(self.socketmap("recipients"), "alice@example.com", "mailbox")


class MapTest(ServerTest):
    """Every map answers as the resolver says, over every listener; on the
    PostgreSQL database RCPTDB_TEST_PGSQL_URI names when it is set."""

    def setUp(self):
        super().setUp()
        uri = reference_data.pgsql_uri()
        if uri:
            self.db = reference_data.create_pgsql(uri, password="{PLAIN}secret")
        self.start_server()

    def test_every_map_over_tcp_table(self):
        for m, key, value in CASES:
            with self.subTest(map=m, key=key):
                self.assert_found(self.tcp_table(m), key, value)

    def test_every_map_over_socketmap_inet_and_unix(self):
        for m, key, value in CASES:
            with self.subTest(map=m, key=key):
                self.assert_found(self.socketmap(m), key, value)
                self.assert_found(f"socketmap:unix:{self.sm_unix}:{m}", key, value)

    def test_many_keys_over_one_connection(self):
        keys = [f"user{i}@example.com" for i in range(2000)] + ["alice@example.com"]
        before = self.accepted()
        res = self.cfg.postmap("-q", "-", self.tcp_table("recipients"),
                               input="\n".join(keys) + "\n", timeout=120)
        self.assertEqual(res.stdout, "alice@example.com\tmailbox\n", res.stderr)
        self.assertEqual(res.stderr, "")
        # One connection for the 2001 keys, and one for the second stats query.
        self.assertEqual(self.accepted() - before, 2, "postmap -c DIR -q - used one connection")

    def stats(self, key="all"):
        rc, out, err = self.postmap(key, self.socketmap("stats"))
        self.assertEqual(rc, 0, err)
        return out

    def accepted(self):
        """The server's count of accepted connections (the stats map)."""
        fields = dict(f.split("=", 1) for f in self.stats().split() if "=" in f)
        return int(fields["accepted"])

    def test_raw_tcp_table_encoding(self):
        s = self.connect("recipients")
        self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, "ALICE@EXAMPLE.COM"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, b"alice@example.com\r"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, "%61lice@example.com"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, "user@b%C3%BCcher.example"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, "user@b%c3%bccher.example"), "200 mailbox\n")
        # Encoded space, percent and NUL are data, never separators or escapes.
        self.assertEqual(self.tcp_get(s, "ali%20ce@example.com"), "500 not%20found\n")
        self.assertEqual(self.tcp_get(s, "alice%40example.com"), "200 mailbox\n")
        self.assertEqual(self.tcp_get(s, "a%25b@example.com"), "500 not%20found\n")
        self.assertEqual(self.tcp_get(s, "alice@example.com%00x"), "500 not%20found\n")
        # Found if the key were split at the decoded space or the NUL.
        self.assertEqual(self.tcp_get(s, "alice@example.com%20x"), "500 not%20found\n")
        self.assertEqual(self.tcp_get(s, "alic_@example.com"), "500 not%20found\n")
        self.assertEqual(self.tcp_get(s, "alice%zz"), "500 not%20found\n")
        self.assertEqual(self.tcp_get(s, ""), "500 not%20found\n")
        a = self.connect("aliases")
        self.assertEqual(self.tcp_get(a, "user@b%C3%BCcher.example"),
                         "200 user@xn--bcher-kva.example\n")
        self.assertEqual(self.tcp_get(a, "sales@example.com"), f"200 {AB}\n")

    def test_values_are_encoded(self):
        # A '%' in a value must travel as %25; postmap decodes it again.
        reference_data.execute(self.db, "INSERT INTO mailboxes (address, transport) VALUES (?, ?)",
                               ("pct@example.com", "smtp:[pc%t.example]"))
        s = self.connect("transport")
        self.assertEqual(self.tcp_get(s, "pct@example.com"), "200 smtp:[pc%25t.example]\n")
        self.assert_found(self.tcp_table("transport"), "pct@example.com", "smtp:[pc%t.example]")
        self.assert_found(self.socketmap("transport"), "pct@example.com", "smtp:[pc%t.example]")

    def test_raw_socketmap(self):
        s = self.connect("socketmap")
        self.assertEqual(self.sm_get(s, "recipients", "alice@example.com"), "OK mailbox")
        self.assertEqual(self.sm_get(s, "recipients", "ali ce@example.com"), "NOTFOUND ")
        self.assertEqual(self.sm_get(s, "aliases", "sales@example.com"), f"OK {AB}")
        self.assertEqual(self.sm_get(s, "users", "alice@example.com"), "PERM unknown map users")
        self.assertEqual(self.sm_get(s, "Recipients", "alice@example.com"),
                         "PERM unknown map Recipients")
        s.sendall(netstring("nokey"))
        self.assertEqual(recv_netstring(s), b"NOTFOUND ")
        # The connection survives all of that.
        self.assertEqual(self.sm_get(s, "domains", "example.com"), "OK hosted")

    def test_unknown_map_is_a_permanent_error_for_postmap(self):
        rc, out, err = self.postmap("alice@example.com",
                                    f"socketmap:inet:127.0.0.1:{self.sm_port}:users")
        self.assertNotEqual(rc, 0)
        self.assertIn("permanent error", err)

    def test_provisioning_is_visible_after_the_bound(self):
        # rcptdb-server(8): visible within 1 ms of the commit
        # (test_visibility.py tests the bound itself, under load).
        s = self.connect("recipients")
        sm = self.connect("socketmap")
        self.assertEqual(self.tcp_get(s, "new@example.com"), "500 not%20found\n")
        reference_data.execute(self.db, "INSERT INTO mailboxes (address) VALUES ('new@example.com')")
        time.sleep(0.002)
        self.assertEqual(self.tcp_get(s, "new@example.com"), "200 mailbox\n")
        self.assertEqual(self.sm_get(sm, "recipients", "new@example.com"), "OK mailbox")
        reference_data.execute(
            self.db, "UPDATE mailboxes SET active = 0 WHERE address = 'new@example.com'")
        time.sleep(0.002)
        self.assertEqual(self.tcp_get(s, "new@example.com"), "500 not%20found\n")

    def test_stats_map_and_sigusr1(self):
        self.assert_found(self.tcp_table("recipients"), "alice@example.com", "mailbox")
        self.assert_found(self.tcp_table("recipients"), "nobody@example.com", None)
        out = self.stats("recipients")
        self.assertRegex(out, r"recipients: lookups=2 found=1 notfound=1 temporary=0")
        self.assertNotIn("domains:", out)
        self.assertRegex(self.stats("all"), r"domains: lookups=0 .*latency_us: p50<=\d+")
        self.server.signal(signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while "statistics:" not in self.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertRegex(self.log(), r"rcptdb-server\[\d+\]: statistics: connections=\d+ .*"
                                     r"recipients: lookups=2 found=1 notfound=1")


class TroubleTest(ServerTest):
    """Database trouble is a temporary error, logged once, and recovers."""

    def test_locked_database_is_temporary_then_recovers(self):
        # An exclusive lock needs the file to itself (WAL readers keep a
        # shared lock while connected), so it is taken before the server
        # starts; the server must start anyway and answer 400/TEMP.
        lock = sqlite3.connect(self.db, isolation_level=None, timeout=0)
        lock.execute("PRAGMA locking_mode = EXCLUSIVE")
        lock.execute("BEGIN EXCLUSIVE")
        lock.execute("UPDATE settings SET value = value")
        try:
            self.start_server()
            tcp = self.connect("recipients")
            sm = self.connect("socketmap")
            for _ in range(3):
                self.assertEqual(self.tcp_get(tcp, "alice@example.com"),
                                 "400 database%20locked,%20try%20again%20later\n")
            self.assertEqual(self.sm_get(sm, "recipients", "alice@example.com"),
                             "TEMP database locked, try again later")
            rc, out, err = self.postmap("alice@example.com", self.tcp_table("recipients"))
            self.assertNotEqual(rc, 0)
            self.assertIn("query error", err)
            rc, out, err = self.postmap("alice@example.com", self.socketmap("recipients"))
            self.assertNotEqual(rc, 0)
            self.assertIn("temporary", err)
            # Malformed keys never reach the database: still a definite no.
            self.assertEqual(self.tcp_get(tcp, "%zz"), "500 not%20found\n")
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        tcp = self.connect("recipients")  # Postfix reconnects after a 400
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        self.assert_serves()
        log = self.log()
        self.assertEqual(log.count("warning: database locked"), 1, log)
        self.assertEqual(log.count("database works again"), 1, log)

    def test_missing_at_start_deleted_and_restored(self):
        absent = os.path.join(self.dir, "later.sqlite")
        self.start_server(db=absent)
        tcp = self.connect("recipients")
        for _ in range(3):
            self.assertEqual(self.tcp_get(tcp, "alice@example.com"),
                             "400 database%20missing,%20try%20again%20later\n")
        # Created after the start: answered without a restart.
        os.rename(self.db, absent)
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        # Deleted (moved away) while running: noticed at the next identity
        # check, at most FILE_CHECK seconds later.
        os.rename(absent, self.db)
        time.sleep(FILE_CHECK)
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"),
                         "400 database%20missing,%20try%20again%20later\n")
        # Restored: a copy, so a new inode, as a restored backup would be.
        subprocess.run(["cp", self.db, absent], check=True)
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        log = self.log()
        self.assertEqual(log.count("warning: database missing"), 2, log)
        self.assertEqual(log.count("database works again"), 2, log)

    def test_corrupt_and_wrong_schema(self):
        self.start_server()
        tcp = self.connect("recipients")
        good = self.db + ".good"
        os.rename(self.db, good)
        for suffix in ("-wal", "-shm"):  # they belong to the good file
            if os.path.exists(self.db + suffix):
                os.rename(self.db + suffix, good + suffix)
        with open(self.db, "wb") as f:
            f.write(b"this is not an SQLite database" * 200)
        time.sleep(FILE_CHECK)
        self.assertRegex(self.tcp_get(tcp, "alice@example.com"), r"^400 database%20corrupt")
        os.unlink(self.db)
        db = sqlite3.connect(self.db)
        db.execute("PRAGMA user_version = 99")
        db.close()
        time.sleep(FILE_CHECK)
        self.assertRegex(self.tcp_get(tcp, "alice@example.com"), r"^400 wrong%20schema%20version")
        os.replace(good, self.db)
        time.sleep(FILE_CHECK)
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        log = self.log()
        self.assertEqual(log.count("warning: database corrupt"), 1, log)
        self.assertEqual(log.count("warning: wrong schema version"), 1, log)


class LifecycleTest(ServerTest):
    """Restarts, reloads, drains, privileges, configuration checks."""

    def test_restart_with_connected_clients(self):
        self.start_server("-v")
        tcp = self.connect("recipients")
        sm = self.connect("socketmap")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        self.assertEqual(self.sm_get(sm, "recipients", "alice@example.com"), "OK mailbox")
        # Postfix's socketmap client in a long-lived process (postmap -c DIR -q -).
        client = subprocess.Popen(["postmap", "-c", self.cfg.postfix, "-q", "-",
                                   self.socketmap("recipients")],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        client.stdin.write("alice@example.com\n")
        client.stdin.flush()
        deadline = time.monotonic() + 10
        while self.log().count("map recipients key alice@example.com") < 3:
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        # Idle is never a reason to close: wait, then look again.
        time.sleep(3)
        tcp.setblocking(False)
        with self.assertRaises(BlockingIOError):
            tcp.recv(1)
        tcp.setblocking(True)
        self.assertEqual(self.tcp_get(tcp, "bob@example.com"), "200 mailbox\n")
        # The drain takes less than its one-second budget and exits 0.
        start = time.monotonic()
        self.assertEqual(self.server.stop(), 0, self.server.output())
        self.assertLess(time.monotonic() - start, 1.0)
        self.processes.remove(self.server)
        self.start_server("-v", ports=dict(self.ports))
        # The raw tcp client sees EOF now, on restart.
        tcp.settimeout(5)
        self.assertEqual(tcp.recv(1), b"")
        # Postfix's socketmap client retries once on EOF: transparent.
        out, err = client.communicate("bob@example.com\nnobody@example.com\n", timeout=30)
        self.assertEqual(out, "alice@example.com\tmailbox\nbob@example.com\tmailbox\n", err)
        self.assertEqual(client.returncode, 0, err)
        # A raw socketmap client that reconnects, as Postfix does, is served.
        self.assertIsNone(self.sm_get(sm, "recipients", "alice@example.com"))
        sm = self.connect("socketmap")
        self.assertEqual(self.sm_get(sm, "recipients", "alice@example.com"), "OK mailbox")

    def test_sigterm_drains_within_a_second_with_idle_clients(self):
        self.start_server()
        clients = [self.connect("recipients") for _ in range(50)]
        for c in clients[:5]:
            self.assertEqual(self.tcp_get(c, "alice@example.com"), "200 mailbox\n")
        start = time.monotonic()
        self.server.signal(signal.SIGTERM)
        self.server.proc.wait(5)
        self.assertLess(time.monotonic() - start, 1.5)
        self.assertEqual(self.server.proc.returncode, 0, self.log())
        self.assertIn("draining", self.log())
        self.assertFalse(os.path.exists(self.sm_unix))

    def test_sighup_reloads_database_and_logging(self):
        other = os.path.join(self.dir, "other.sqlite")
        reference_data.create(other, password="{PLAIN}secret")
        db = reference_data.connect(other)
        db.execute("INSERT INTO mailboxes (address) VALUES ('only-in-other@example.com')")
        db.close()
        conf = os.path.join(self.dir, "rcptdb.conf")
        port = harness.free_port()
        with open(conf, "w") as f:
            f.write(f"database = {self.db}\ntcp_table = recipients=127.0.0.1:{port}\n")
        self.server = self.start([harness.SERVER, "--foreground", "-c", conf], "server")
        harness.wait_port(port)
        self.ports = {"recipients": port}
        s = self.connect("recipients")
        self.assertEqual(self.tcp_get(s, "only-in-other@example.com"), "500 not%20found\n")
        self.assertNotIn("only-in-other", self.log())
        with open(conf, "w") as f:
            f.write(f"database = {other}\ntcp_table = recipients=127.0.0.1:{port}\n"
                    "verbose = yes\n")
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reloaded configuration" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        self.assertEqual(self.tcp_get(s, "only-in-other@example.com"), "200 mailbox\n")
        # With -v the answer's why carries the resolver's note, which the
        # server does not format for lookups while verbose is off.
        self.assertIn("map recipients key only-in-other@example.com: found mailbox "
                      "(mailbox: mailbox only-in-other@example.com)", self.log())
        # A broken file is refused on reload; the server goes on as it was.
        with open(conf, "w") as f:
            f.write("database = \nbogus = 1\n")
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reload failed" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        self.assertEqual(self.tcp_get(s, "only-in-other@example.com"), "200 mailbox\n")

    def test_user_drops_privileges(self):
        os.chmod(self.db, 0o644)
        # SQLite's WAL readers create -shm and -wal next to the database.
        os.chown(self.dir, pwd.getpwnam("nobody").pw_uid, -1)
        self.start_server("--user", "nobody")
        uid = int(subprocess.run(["id", "-u", "nobody"], capture_output=True, text=True,
                                 check=True).stdout)
        with open(f"/proc/{self.server.pid}/status") as f:
            status = f.read()
        gid = pwd.getpwnam("nobody").pw_gid
        fields = {line.split(":", 1)[0]: line.split(":", 1)[1].split()
                  for line in status.splitlines() if ":" in line}
        # Real, effective, saved and file-system ids: all nobody's, none 0.
        self.assertEqual(set(fields["Uid"]), {str(uid)}, status)
        self.assertEqual(set(fields["Gid"]), {str(gid)}, status)
        self.assertNotIn("0", fields["Groups"], status)
        self.assert_serves()

    def test_check_config(self):
        conf = os.path.join(self.dir, "rcptdb.conf")
        with open(conf, "w") as f:
            f.write("socketmap = 127.0.0.1:10040\nmax_connections = 77\n")
        res = harness.run([harness.SERVER, "-c", conf, "--check-config", "--db", "/x.sqlite"])
        self.assertIn("max_connections = 77\n", res.stdout)
        self.assertIn("database = /x.sqlite\n", res.stdout)
        with open(conf, "w") as f:
            f.write("socketmap = 127.0.0.1:10040\nmax_conections = 77\n")
        res = harness.run([harness.SERVER, "-c", conf, "--check-config"], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("rcptdb.conf:2: unknown setting \"max_conections\"", res.stderr)
        # A listener off loopback needs allow_networks (a valid file again,
        # so that nothing else can be what it refuses).
        with open(conf, "w") as f:
            f.write("socketmap = 127.0.0.1:10040\nmax_connections = 77\n")
        harness.run([harness.SERVER, "-c", conf, "--check-config"])
        res = harness.run([harness.SERVER, "-c", conf, "--check-config", "--socketmap",
                           "0.0.0.0:10040"], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("allow_networks", res.stderr)
        self.assertIn("0.0.0.0:10040", res.stderr)
        res = harness.run([harness.SERVER, "--check-config", "-c", "/nonexistent.conf",
                           "--socketmap", "127.0.0.1:1"], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("/nonexistent.conf", res.stderr)

    def test_port_in_use_fails_at_start(self):
        blocker = socket.socket()
        self.addCleanup(blocker.close)
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        res = harness.run([harness.SERVER, "--foreground", "--db", self.db, "-c",
                           self.cfg.rcptdb_conf, "--tcp-table", f"domains=127.0.0.1:{port}"],
                          check=False, timeout=10)
        self.assertEqual(res.returncode, 1)
        self.assertIn(f"cannot bind 127.0.0.1:{port}", res.stderr)

    def test_daemonizes_with_pid_file(self):
        pid_file = os.path.join(self.dir, "server.pid")
        port = harness.free_port()
        res = harness.run([harness.SERVER, "--db", self.db, "-c", self.cfg.rcptdb_conf, "--pid-file",
                           pid_file, "--tcp-table", f"recipients=127.0.0.1:{port}"], timeout=10)
        self.assertEqual(res.returncode, 0)
        deadline = time.monotonic() + 5
        while not os.path.exists(pid_file):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        with open(pid_file) as f:
            pid = int(f.read())

        def kill():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.addCleanup(kill)
        harness.wait_port(port)
        self.ports = {"recipients": port}
        self.assertEqual(self.tcp_get(self.connect("recipients"), "alice@example.com"),
                         "200 mailbox\n")
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        self.assertNotEqual(int(fields[3]), os.getsid(0), "the daemon left our session")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while os.path.exists(f"/proc/{pid}"):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)


class HostileTest(ServerTest):
    """Input Postfix never sends; the server survives and still answers."""

    def setUp(self):
        super().setUp()
        self.start_server("--max-connections", "12000")

    def tearDown(self):
        self.assertTrue(self.server.alive(), self.log())
        self.assert_serves()

    def test_one_mebibyte_line(self):
        s = self.connect("recipients")
        s.sendall(b"get " + b"a" * (1 << 20) + b"\nget alice@example.com\n")
        self.assertEqual(recv_line(s), b"500 not%20found\n")
        self.assertEqual(recv_line(s), b"200 mailbox\n")
        self.assertRegex(self.log(), r"127\.0\.0\.1:\d+ map recipients: request line longer")

    def test_binary_garbage(self):
        for m in ("recipients", "socketmap"):
            s = self.connect(m)
            s.sendall(os.urandom(256 * 1024))
            s.close()
        s = self.connect("domains")
        s.sendall(bytes(range(256)) * 64 + b"\nget example.com\n")
        s.settimeout(10)
        data = b""
        while not data.endswith(b"200 hosted\n"):
            chunk = s.recv(65536)
            self.assertTrue(chunk, data[-200:])
            data += chunk
        self.assertTrue(all(line.startswith(b"500 ") for line in data.split(b"\n")[:-2]))

    def test_broken_netstrings_get_perm_and_close(self):
        for bad in (b"99999999999999999999:x,", b"-1:x,", b"10241:" + b"x" * 100,
                    b"5:hello!", b":,", b"abc,", b"0x10:0123456789abcdef,"):
            with self.subTest(bad=bad):
                s = self.connect("socketmap")
                s.sendall(bad)
                payload = recv_netstring(s)
                self.assertIsNotNone(payload)
                self.assertTrue(payload.startswith(b"PERM "), payload)
                s.settimeout(5)
                self.assertEqual(s.recv(1), b"")

    def test_half_closed_sockets_get_their_replies(self):
        s = self.connect("recipients")
        s.sendall(b"get alice@example.com\nget nobody@example.com\n")
        s.shutdown(socket.SHUT_WR)
        self.assertEqual(recv_line(s), b"200 mailbox\n")
        self.assertEqual(recv_line(s), b"500 not%20found\n")
        self.assertEqual(s.recv(1), b"")
        sm = self.connect("socketmap")
        sm.sendall(netstring("domains example.com"))
        sm.shutdown(socket.SHUT_WR)
        self.assertEqual(recv_netstring(sm), b"OK hosted")
        # Half a request, then EOF: closed, nothing answered.
        h = self.connect("recipients")
        h.sendall(b"get alice@exa")
        h.shutdown(socket.SHUT_WR)
        self.assertEqual(h.recv(1), b"")

    def test_five_thousand_idle_connections(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, 12000)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            self.addCleanup(resource.setrlimit, resource.RLIMIT_NOFILE, (soft, hard))
        self.assertGreaterEqual(want, 5200, "the hard file limit is too low for this test")
        socks = []
        try:
            for i in range(5000):
                m = MAPS[i % len(MAPS)] if i % 2 else "socketmap"
                port = self.sm_port if m == "socketmap" else self.ports[m]
                socks.append(socket.create_connection(("127.0.0.1", port), timeout=10))
            self.assert_serves()
            rc, out, err = self.postmap("all", self.socketmap("stats"))
            open_now = int(out.split()[0].split("=")[1])
            self.assertGreaterEqual(open_now, 5000, out)
            # Requests on some of the idle connections are answered.
            for s in socks[7:1000:50]:  # tcp_table recipients
                s.sendall(b"get alice@example.com\n")
                self.assertEqual(recv_line(s), b"200 mailbox\n")
            with open(f"/proc/{self.server.pid}/status") as f:
                rss = [l for l in f.read().splitlines() if l.startswith("VmRSS")][0]
            self.assertLess(int(rss.split()[1]), 128 * 1024, rss)
        finally:
            for s in socks:
                s.close()
        self.assertNotIn("refused", self.log())

    def test_clients_that_never_read(self):
        stuck = []
        for _ in range(4):
            s = self.connect("recipients")
            s.setblocking(False)
            sent = 0
            request = b"get alice@example.com\n" * 1000
            deadline = time.monotonic() + 10
            # Push until the kernel refuses: the server stopped reading.
            while time.monotonic() < deadline:
                try:
                    sent += s.send(request)
                except BlockingIOError:
                    time.sleep(0.2)
                    try:
                        sent += s.send(request)
                    except BlockingIOError:
                        break
            stuck.append(s)
            self.assertLess(sent, 64 * 1024 * 1024)
        self.assert_serves()
        with open(f"/proc/{self.server.pid}/status") as f:
            rss = [l for l in f.read().splitlines() if l.startswith("VmRSS")][0]
        self.assertLess(int(rss.split()[1]), 64 * 1024, rss)


class AdmissionTest(ServerTest):
    """max_connections and allow_networks."""

    def test_max_connections_reclaims_the_longest_idle_connection(self):
        self.start_server("--max-connections", "10")
        time.sleep(0.5)  # the start-up probes' connections have ended
        socks = [self.connect("recipients") for _ in range(10)]
        for s in socks:
            self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")
            # A connection's idle time starts when its reply has been written,
            # on one of two worker threads: without a gap, the client can read
            # one reply and be answered on the next connection before the
            # first connection's time is recorded, and their order swaps.
            time.sleep(0.05)
        # Five more: each is served, and the connection idle longest gives way.
        extra = [self.connect("recipients") for _ in range(5)]
        for s in extra:
            s.settimeout(5)
            self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")
        for s in socks[:5]:
            s.settimeout(5)
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass
        for s in socks[5:]:
            self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")
        # Closed to make room: five, logged at most once a second (the rest
        # counted in a later line).
        deadline = time.monotonic() + 5
        while (harness.made_room(self.log(), "max_connections 10 reached") < 5
               and time.monotonic() < deadline):
            time.sleep(0.1)
        self.assertEqual(harness.made_room(self.log(), "max_connections 10 reached"), 5,
                         self.log())
        self.assertNotIn("refused", self.log())

    def _outside_address(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            try:
                u.connect(("192.0.2.200", 9))
                addr = u.getsockname()[0]
            except OSError:
                addr = None
        if addr is None or addr.startswith("127."):
            self.fail("this test needs a non-loopback IPv4 address on the host")
        return addr

    def test_allow_networks_is_checked_on_accept(self):
        addr = self._outside_address()
        port = harness.free_port()
        # 198.51.100.0/24 does not contain addr: connections from it are refused.
        self.server = self.start([harness.SERVER, "--foreground", "-c", self.cfg.rcptdb_conf,
                                  "--db", self.db, "--tcp-table", f"recipients={addr}:{port}",
                                  "--allow", "198.51.100.0/24"], "server")
        harness.wait_port(port, host=addr)
        s = socket.create_connection((addr, port), timeout=5)
        self.addCleanup(s.close)
        s.sendall(b"get alice@example.com\n")
        try:
            self.assertEqual(s.recv(100), b"")
        except ConnectionResetError:
            pass
        self.assertRegex(self.log(), rf"{addr}:\d+: connection to tcp_table recipients "
                                     rf"{addr}:{port} refused: client not in allow_networks")
        self.server.stop()
        self.processes.remove(self.server)
        prefix = addr.rsplit(".", 1)[0] + ".0/24"
        self.server = self.start([harness.SERVER, "--foreground", "-c", self.cfg.rcptdb_conf,
                                  "--db", self.db, "--tcp-table", f"recipients={addr}:{port}",
                                  "--allow", prefix], "server2")
        harness.wait_port(port, host=addr)
        s = socket.create_connection((addr, port), timeout=5)
        self.addCleanup(s.close)
        self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")


if __name__ == "__main__":
    unittest.main()
