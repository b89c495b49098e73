# SPDX-License-Identifier: MIT
"""test_policy_limits - policy connections under the server's limits; quota-status faults.

The policy listener's connections are entries of the server's connection
table like the map connections (issue 26, item 1): counted against
max_connections, capped per peer by policy_max_connections_per_peer,
closed after policy_idle_timeout, reclaimed to make room, and removed when
they close. A fake quota-status service (fake_quota_status.py) stands in
for Dovecot's where Dovecot cannot be made to misbehave on purpose: one
that answers slowly (a SIGHUP arrives mid-question: the server built with
ASan must survive it), that closes its idle connections (every pooled one
is dead at once), and that records the size it was asked. Floods of log
lines (accept failures, connections closed to make room) come at most once
a second and name how many were not logged.
"""
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time

import harness
import metrics_client
import reference_data
from fake_quota_status import FakeQuotaStatus

FULL = "552 5.2.2 Mailbox is full"
LATER = "452 4.2.2 Mailbox is full, try again later"
TROUBLE = "DEFER_IF_PERMIT quota service unavailable, try again later"
# The server built with AddressSanitizer (Makefile.am: check_PROGRAMS), when
# the tests run in the build tree; the installed server otherwise.
ASAN_SERVER = os.path.join(harness.BUILD, "tcp-table", "rcptdb-server-asan")


def policy_request(recipient, size=None):
    size_line = f"size={size}\n" if size is not None else ""
    return (f"request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
            f"sender=someone@client.test\nrecipient={recipient}\n{size_line}\n").encode()


def read_block(sock, timeout=20):
    sock.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    return data.decode().split("\n")[0].partition("=")[2]


class PolicyLimitsTest(harness.BlackBoxTest):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db, password="{PLAIN}secret")
        self.quota = FakeQuotaStatus(answers={"alice@example.com": FULL})
        self.addCleanup(self.quota.stop)
        self.server = None

    def write_conf(self, settings="", quota_port=None):
        with open(self.conf, "w") as f:
            f.write(f"database = {self.db}\n"
                    f"socketmap = 127.0.0.1:{self.sm_port}\n"
                    f"policy = 127.0.0.1:{self.policy_port}\n"
                    f"quota_status = 127.0.0.1:{quota_port or self.quota.port}\n"
                    f"policy_trouble_action = {TROUBLE}\n"
                    "threads = 1\n" + settings)

    def start_server(self, settings="", server=None, env=None):
        self.sm_port = harness.free_port()
        self.policy_port = harness.free_port()
        self.conf = os.path.join(self.dir, "rcptdb.conf")
        self.settings = settings
        self.write_conf(settings)
        self.server = self.start([server or harness.SERVER, "--foreground", "-c", self.conf],
                                 "server", env=env)
        harness.wait_port(self.sm_port, timeout=30)
        harness.wait_port(self.policy_port, timeout=30)
        time.sleep(0.3)  # the probes' connections have ended
        return self.server

    def log(self):
        return self.server.output()

    def wait_log(self, text, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)

    def connect(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(s.close)
        return s

    def ask(self, recipient, size=None, sock=None):
        """One policy question; on sock if given, else on a new connection."""
        if sock is not None:
            sock.sendall(policy_request(recipient, size))
            return read_block(sock)
        with socket.create_connection(("127.0.0.1", self.policy_port), timeout=10) as s:
            s.sendall(policy_request(recipient, size))
            return read_block(s)

    def socketmap_lookup(self, sock, key):
        query = f"recipients {key}".encode()
        sock.sendall(str(len(query)).encode() + b":" + query + b",")
        sock.settimeout(10)
        return sock.recv(1000)

    closed = staticmethod(harness.peer_closed)

    # --- what the metrics count ---------------------------------------------------

    def test_policy_answers_are_counted_by_kind(self):
        """rcptdb_policy_actions_total and the policy latency histogram.

        Documented since the metrics endpoint came, but no answer was ever
        counted: the family stayed at 0 whatever the policy said.
        """
        metrics_port = harness.free_port()
        self.quota.answers["bob@example.com"] = LATER
        self.start_server(f"metrics = 127.0.0.1:{metrics_port}\nquota_status_timeout = 300\n")
        harness.wait_port(metrics_port)
        where = f"127.0.0.1:{metrics_port}"
        before = metrics_client.scrape(where)
        for kind in ("dunno", "reject", "defer", "trouble"):
            self.assertEqual(before.value("rcptdb_policy_actions_total", action=kind), 0)
        self.assertEqual(self.ask("alice@example.com"), FULL)
        self.assertEqual(self.ask("bob@example.com"), LATER)
        self.assertEqual(self.ask("a_b@example.com"), "DUNNO")
        self.assertEqual(self.ask("nobody@example.com"), "DUNNO")  # unknown: not judged
        with socket.create_connection(("127.0.0.1", self.policy_port), timeout=10) as s:
            s.sendall(policy_request("alice@example.com").replace(b"=RCPT", b"=DATA"))
            self.assertEqual(read_block(s), "DUNNO")  # not a RCPT request
        self.quota.delay = 1.0  # past quota_status_timeout
        self.assertEqual(self.ask("alice@example.com"), TROUBLE)
        after = metrics_client.scrape(where)
        self.assertEqual(after.value("rcptdb_policy_actions_total", action="reject"), 1)
        self.assertEqual(after.value("rcptdb_policy_actions_total", action="defer"), 1)
        self.assertEqual(after.value("rcptdb_policy_actions_total", action="dunno"), 3)
        self.assertEqual(after.value("rcptdb_policy_actions_total", action="trouble"), 1)
        self.assertEqual(
            after.value("rcptdb_lookup_duration_seconds_count", protocol="policy"), 6)
        self.assertEqual(after.value("rcptdb_lookups_in_flight"), 0)

    # --- item 1: policy connections in the connection table --------------------

    def test_closed_policy_connections_leave_the_table(self):
        self.start_server("max_connections = 10\n")
        # A live map connection, idle between lookups as Postfix's are.
        sm = self.connect(self.sm_port)
        self.assertEqual(self.socketmap_lookup(sm, "alice@example.com"), b"10:OK mailbox,")
        # Three times max_connections policy conversations, each closed.
        for _ in range(30):
            self.assertEqual(self.ask("bob@example.com"), "DUNNO")
        # Nothing was closed to make room: the map connection still answers.
        self.assertEqual(self.socketmap_lookup(sm, "alice@example.com"), b"10:OK mailbox,",
                         self.log())
        self.assertNotIn("making room", self.log())

    def test_idle_policy_connections_count_against_max_connections(self):
        self.start_server("max_connections = 20\n")
        # Twice the limit, each holding an unfinished 50 KB request.
        socks = []
        for _ in range(40):
            s = self.connect(self.policy_port)
            s.sendall(b"request=smtpd_access_policy\nx=" + b"y" * 50000)
            socks.append(s)
        # The newest is served; the oldest gave way.
        s = self.connect(self.policy_port)
        s.sendall(policy_request("alice@example.com"))
        self.assertEqual(read_block(s), FULL)
        self.assertTrue(self.closed(socks[0]), self.log())
        self.assertIn("closing policy connection idle", self.log())
        self.assertIn("max_connections 20 reached, making room for", self.log())
        open_fds = len(os.listdir(f"/proc/{self.server.pid}/fd"))
        # 20 connections and the server's own: listeners, database files
        # and event loops (a map worker's epoll, eventfd and timerfd, a
        # policy worker's Asio loop: 22 in all with this test's one thread).
        self.assertLessEqual(open_fds, 20 + 22, self.log())

    def test_policy_idle_timeout(self):
        self.start_server("policy_idle_timeout = 2s\n")
        s = self.connect(self.policy_port)
        self.assertEqual(self.ask("alice@example.com", sock=s), FULL)
        sm = self.connect(self.sm_port)
        self.assertTrue(self.closed(s, timeout=6), self.log())
        self.assertIn("closing policy connection idle for", self.log())
        self.assertIn("policy_idle_timeout 2s", self.log())
        # The map connection's own timeout (30 s) has not passed.
        self.assertEqual(self.socketmap_lookup(sm, "alice@example.com"), b"10:OK mailbox,")

    def test_policy_per_peer_cap_is_its_own(self):
        self.start_server("policy_max_connections_per_peer = 3\nmax_connections_per_peer = 3\n")
        maps = [self.connect(self.sm_port) for _ in range(3)]
        pol = [self.connect(self.policy_port) for _ in range(5)]
        # The two oldest policy connections gave way to the newer ones...
        self.assertTrue(self.closed(pol[0]), self.log())
        self.assertTrue(self.closed(pol[1]), self.log())
        self.assertEqual(self.ask("alice@example.com", sock=pol[4]), FULL)
        self.assertIn("has policy_max_connections_per_peer 3 open", self.log())
        # ...and no map connection did.
        for sm in maps:
            self.assertEqual(self.socketmap_lookup(sm, "alice@example.com"), b"10:OK mailbox,",
                             self.log())

    # --- item 6: dead pooled quota-status connections --------------------------

    def test_dead_pooled_connections_are_all_dropped(self):
        self.quota.delay = 0.5
        self.start_server("quota_status_connections = 4\n")
        # Four questions at once: four connections to quota-status, pooled.
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(self.ask("alice@example.com")))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(answers, [FULL] * 4)
        self.assertEqual(self.quota.connections, 4)
        # Dovecot restarts: every pooled connection is closed.
        self.quota.delay = 0
        self.quota.close_idle()
        time.sleep(0.3)
        # Four questions in a row: each is answered by the service.
        self.assertEqual([self.ask("alice@example.com") for _ in range(4)], [FULL] * 4,
                         self.log())

    # --- item 9: sizes, and a resolver bound on the policy path ----------------

    def test_size_is_asked_as_given_or_capped(self):
        self.start_server()
        for given, asked in (("1234567890123456789", "1234567890123456789"),
                             ("9223372036854775807", "9223372036854775807"),
                             ("9223372036854775808", "9223372036854775807"),
                             ("123456789012345678901234567890", "9223372036854775807"),
                             ("12x", "1"), (None, "1")):
            del self.quota.asked[:]
            self.assertEqual(self.ask("alice@example.com", size=given), FULL)
            self.assertEqual(self.quota.asked, [("alice@example.com", asked)], given)

    def test_resolver_bound_is_one_keys_fault_not_database_trouble(self):
        # 1001 targets: past the resolver's kMaxAliasTargets, with plain SQL.
        with sqlite3.connect(self.db) as db:
            db.executemany("INSERT INTO mailboxes (address) VALUES (?)",
                           [(f"fan{i}@example.com",) for i in range(1001)])
            db.executemany("INSERT INTO aliases (source, target) VALUES (?, ?)",
                           [("wide@example.com", f"fan{i}@example.com") for i in range(1001)])
        self.start_server()
        self.assertEqual(self.ask("wide@example.com"), TROUBLE)
        self.assertEqual(self.ask("alice@example.com"), FULL)
        log = self.log()
        self.assertIn("policy recipient wide@example.com: alias wide@example.com expands", log)
        self.assertNotIn("answering temporary failures until it recovers", log)
        self.assertNotIn("works again", log)

    # --- item 3: a reload while a question waits (ASan) ------------------------

    def test_reload_mid_question_is_safe(self):
        server = ASAN_SERVER if os.path.exists(ASAN_SERVER) else None
        env = dict(os.environ, ASAN_OPTIONS="abort_on_error=1:detect_leaks=0")
        self.quota.delay = 1.5
        other = FakeQuotaStatus(answers={"alice@example.com": "DUNNO"})
        self.addCleanup(other.stop)
        self.start_server("quota_status_connections = 4\n", server=server, env=env)
        # A first question fills the pool, so the next one reuses it.
        self.assertEqual(self.ask("alice@example.com"), FULL)
        answers = []
        t = threading.Thread(target=lambda: answers.append(self.ask("alice@example.com")))
        t.start()
        time.sleep(0.5)
        # Mid-question: quota_status moves to another service.
        self.write_conf(self.settings, quota_port=other.port)
        self.server.signal(1)  # SIGHUP
        self.wait_log("reloaded configuration")
        t.join(30)
        # Answered by the old endpoint (or refused as trouble), never by
        # freed memory.
        self.assertIn(answers[0], (FULL, TROUBLE), self.log())
        self.assertTrue(self.server.alive(), self.log())
        # The next question goes to the new service.
        self.assertEqual(self.ask("alice@example.com"), "DUNNO", self.log())
        self.assertNotIn("AddressSanitizer", self.log())
        self.assertNotIn("runtime error", self.log())

    # --- item 10: log floods -----------------------------------------------------

    def test_accept_failures_are_logged_once_a_second(self):
        self.start_server()
        pid = self.server.pid
        # No descriptor left: every accept() fails (EMFILE) while a client
        # waits in the backlog.
        used = len(os.listdir(f"/proc/{pid}/fd"))
        # The soft limit only: raising a hard limit again needs more than root
        # may have in a container.
        harness.run(["prlimit", f"--pid={pid}", f"--nofile={used}:"])
        waiting = socket.create_connection(("127.0.0.1", self.policy_port), timeout=10)
        self.addCleanup(waiting.close)
        time.sleep(3.2)
        lines = [l for l in self.log().splitlines() if "accept failed" in l]
        self.assertGreaterEqual(len(lines), 2, self.log())
        self.assertLessEqual(len(lines), 5, self.log())
        counts = [int(m.group(1)) for l in lines
                  for m in [re.search(r"(\d+) more failures since the last such line", l)] if m]
        # About ten tries a second, one line a second naming the others.
        self.assertGreater(sum(counts), 10, self.log())
        # Descriptors again: the waiting client is served.
        hard = harness.run(["prlimit", f"--pid={pid}", "--nofile", "--raw", "--noheadings",
                            "--output=HARD"]).stdout.strip()
        harness.run(["prlimit", f"--pid={pid}", f"--nofile={hard}:"])
        waiting.sendall(policy_request("alice@example.com"))
        self.assertEqual(read_block(waiting), FULL)

    def test_making_room_is_logged_once_a_second_with_the_count(self):
        self.start_server("max_connections = 10\n")
        socks = [self.connect(self.sm_port) for _ in range(60)]
        s = socks[-1]
        self.assertEqual(self.socketmap_lookup(s, "alice@example.com"), b"10:OK mailbox,")
        # One line a second at most; the count of the others comes with the
        # next line, or on its own once the second has passed.
        deadline = time.monotonic() + 10
        while (harness.made_room(self.log(), "max_connections 10 reached") < 50
               and time.monotonic() < deadline):
            time.sleep(0.1)
        lines = [l for l in self.log().splitlines() if "make room" in l]
        self.assertLessEqual(len(lines), 6, lines)
        self.assertEqual(harness.made_room(self.log(), "max_connections 10 reached"), 50,
                         self.log())
