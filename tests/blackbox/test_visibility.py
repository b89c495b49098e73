# SPDX-License-Identifier: MIT
"""test_visibility - rcptdb-server's visibility bound, under load.

rcptdb-server answers from a read snapshot and a cache that it renews at
most once per VISIBILITY_BOUND (1 ms, rcptdb-server(8) "DATABASE"). The
promise: a lookup that starts that long after a commit sees it, over
tcp_table and socketmap alike, however busy the server is. And readers
renewing their snapshots must never keep a WAL checkpoint from completing,
so the WAL file does not grow without bound under continuous load.

Load comes from client threads that keep both worker threads busy with
lookups on their own connections for the whole test.
"""
import os
import random
import socket
import sqlite3
import threading
import time

import harness
import metrics_client
import reference_data
import test_server

# The documented bound (rcptdb-server(8), README), plus Python's timer slack.
VISIBILITY_BOUND = 0.001
WAIT = VISIBILITY_BOUND + 0.0005


class Load:
    """Client threads asking random keys over both protocols until stopped."""

    def __init__(self, test, threads=4):
        self.test = test
        self.stop = threading.Event()
        self.lookups = 0
        self.errors = []
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(threads)]

    def run(self, i):
        keys = ["alice@example.com", "nobody@example.com", "sales@example.com",
                "random@example.org", "bob@example.net", "listed@relay.example"]
        try:
            with socket.create_connection(("127.0.0.1", self.test.ports["recipients"]),
                                          timeout=10) as tcp, \
                 socket.create_connection(("127.0.0.1", self.test.sm_port), timeout=10) as sm:
                rnd = random.Random(i)
                while not self.stop.is_set():
                    key = rnd.choice(keys)
                    tcp.sendall(f"get {key}\n".encode())
                    reply = test_server.recv_line(tcp)
                    if not reply.startswith((b"200 ", b"500 ")):
                        self.errors.append(reply)
                    sm.sendall(test_server.netstring(f"recipients {key}"))
                    reply = test_server.recv_netstring(sm)
                    if reply is None or not reply.startswith((b"OK", b"NOTFOUND")):
                        self.errors.append(reply)
                    self.lookups += 2
        except OSError as e:
            self.errors.append(repr(e))

    # Lookups the load must have made before it may stop, however slow the
    # machine: a short test body is then still run under load.
    MINIMUM = 40

    def _wait_for(self, lookups, seconds):
        deadline = time.monotonic() + seconds
        while self.lookups < lookups and not self.errors and time.monotonic() < deadline:
            time.sleep(0.005)

    def __enter__(self):
        for t in self.threads:
            t.start()
        # The test body starts once the load is running, not before.
        self._wait_for(len(self.threads) * 2, 30)
        return self

    def __exit__(self, *exc):
        self._wait_for(self.MINIMUM, 30)
        self.stop.set()
        for t in self.threads:
            t.join(10)
        self.test.assertEqual(self.errors, [], "the load itself must be served")
        self.test.assertGreaterEqual(self.lookups, self.MINIMUM, "the load must have run")


class VisibilityTest(test_server.ServerTest):
    def setUp(self):
        super().setUp()
        self.start_server()
        self.db_rw = reference_data.connect(self.db)
        self.addCleanup(self.db_rw.close)

    def clients(self):
        """Several connections per protocol: each worker thread gets some."""
        tcp = [self.connect("recipients") for _ in range(4)]
        sm = [self.connect("socketmap") for _ in range(4)]
        return tcp, sm

    def commit(self, sql, *args):
        self.db_rw.execute(sql, args)
        # The bound counts from the moment the commit has returned.
        time.sleep(WAIT)

    def assert_everywhere(self, tcp, sm, key, tcp_reply, sm_reply, what):
        for s in tcp:
            self.assertEqual(self.tcp_get(s, key), tcp_reply, what)
        for s in sm:
            self.assertEqual(self.sm_get(s, "recipients", key), sm_reply, what)

    def test_add_disable_delete_are_seen_after_the_bound_under_load(self):
        tcp, sm = self.clients()
        key = "fresh@example.com"
        with Load(self):
            for round_ in range(20):
                # Warm every connection's worker so it holds a snapshot.
                self.assert_everywhere(tcp, sm, key, "500 not%20found\n", "NOTFOUND ",
                                       f"round {round_}: before the add")
                self.commit("INSERT INTO mailboxes (address) VALUES (?)", key)
                self.assert_everywhere(tcp, sm, key, "200 mailbox\n", "OK mailbox",
                                       f"round {round_}: add")
                self.commit("UPDATE mailboxes SET active = 0 WHERE address = ?", key)
                self.assert_everywhere(tcp, sm, key, "500 not%20found\n", "NOTFOUND ",
                                       f"round {round_}: disable")
                self.commit("UPDATE mailboxes SET active = 1 WHERE address = ?", key)
                self.assert_everywhere(tcp, sm, key, "200 mailbox\n", "OK mailbox",
                                       f"round {round_}: enable")
                self.commit("DELETE FROM mailboxes WHERE address = ?", key)
                self.assert_everywhere(tcp, sm, key, "500 not%20found\n", "NOTFOUND ",
                                       f"round {round_}: delete")

    def test_alias_change_is_seen_after_the_bound_under_load(self):
        tcp, sm = self.clients()
        key = "newalias@example.com"
        with Load(self):
            self.assert_everywhere(tcp, sm, key, "500 not%20found\n", "NOTFOUND ", "before")
            self.commit("INSERT INTO aliases (source, target) VALUES (?, ?)", key,
                        "bob@example.com")
            self.assert_everywhere(tcp, sm, key, "200 alias\n", "OK alias", "alias added")
            self.commit("UPDATE mailboxes SET active = 0 WHERE address = 'bob@example.com'")
            self.assert_everywhere(tcp, sm, key, "500 not%20found\n", "NOTFOUND ",
                                   "its only target disabled")

    def test_checkpoint_completes_under_continuous_load(self):
        self.db_rw.execute("PRAGMA busy_timeout = 2000")
        wal = self.db + "-wal"
        sizes = []
        with Load(self):
            for i in range(1500):
                self.db_rw.execute("INSERT INTO mailboxes (address) VALUES (?)",
                                   (f"churn{i}@example.com",))
                if i % 100 == 99:
                    sizes.append(os.path.getsize(wal))
            busy, log, done = self.db_rw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            after = os.path.getsize(wal)
        self.assertEqual(busy, 0, "TRUNCATE checkpoint blocked by readers under load")
        self.assertEqual((log, done), (0, 0))
        self.assertEqual(after, 0, "the WAL is emptied")
        # SQLite's automatic checkpoint (at 1000 pages, ~4 MiB) keeps
        # restarting the WAL meanwhile: 1500 commits of a few pages each
        # would be ~16 MiB otherwise. Workers that held their snapshot from
        # one batch of requests to the next left it at 6-16 MiB here.
        self.assertLess(max(sizes), 6 * 2**20, f"WAL sizes during the run: {sizes}")


class QuietSnapshotTest(test_server.ServerTest):
    """While nothing is committed and the WAL is wholly checkpointed, a
    worker keeps its read snapshot across lookups (rcptdb-server(8),
    DATABASE): lookups at Postfix's pace then take no snapshot of their
    own. The first commit ends it, for the very next lookup, and a commit
    made while no lookup comes does not wait on it for its checkpoint."""

    def setUp(self):
        super().setUp()
        self.db_rw = reference_data.connect(self.db)
        self.addCleanup(self.db_rw.close)
        self.db_rw.execute("PRAGMA busy_timeout = 2000")
        self.checkpoint()
        self.metrics = f"127.0.0.1:{harness.free_port()}"
        self.start_server("--metrics", self.metrics)
        harness.wait_port(int(self.metrics.rsplit(":", 1)[1]))
        self.tcp = self.connect("recipients")

    def checkpoint(self):
        busy, log, done = self.db_rw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        self.assertEqual((busy, log, done), (0, 0, 0), "TRUNCATE checkpoint")

    def snapshots(self):
        s = metrics_client.scrape(self.metrics)
        self.assertEqual(s.status, 200, s.body)
        return s.value("rcptdb_snapshot_renewals_total")

    def paced_lookups(self, n, gap=0.0005):
        """n lookups of keys never asked before (no kept answer serves
        them), gap seconds apart: longer than the 250 us a snapshot is
        otherwise held, as one Postfix connection asks."""
        for i in range(n):
            self.assertEqual(self.tcp_get(self.tcp, f"paced{i}-{time.monotonic_ns()}@example.com"),
                             "500 not%20found\n")
            time.sleep(gap)

    def test_quiet_lookups_share_one_snapshot_until_a_commit(self):
        self.paced_lookups(5)
        before = self.snapshots()
        self.paced_lookups(200)
        taken = self.snapshots() - before
        # One kept snapshot, renewed once per 50 ms store check at most
        # (the lookups take 0.1 to 1 s); each lookup took one before.
        self.assertLess(taken, 50, "paced lookups each took a snapshot")
        self.db_rw.execute("INSERT INTO mailboxes (address) VALUES ('fresh@example.com')")
        # No wait: the lookup after the commit sees the WAL-index header
        # changed and takes a new snapshot.
        self.assertEqual(self.tcp_get(self.tcp, "fresh@example.com"), "200 mailbox\n")
        self.paced_lookups(20)
        self.checkpoint()

    def test_commit_while_no_lookup_comes_is_not_held_back(self):
        self.paced_lookups(50)
        # The worker keeps its quiet snapshot; no lookup follows. The
        # commit's frames must be checkpointed, which that snapshot (it
        # reads the database file alone) blocks until the worker's timer
        # releases it.
        self.db_rw.execute("INSERT INTO mailboxes (address) VALUES ('idle@example.com')")
        self.checkpoint()
        self.assertEqual(self.tcp_get(self.tcp, "idle@example.com"), "200 mailbox\n")


if __name__ == "__main__":
    import unittest
    unittest.main()
