# SPDX-License-Identifier: MIT
"""test_dovecot_events - the plugin's rcptdb_rcpt_finished events, counted by Dovecot.

A private Dovecot (dovecot_instance.PrivateDovecot, with the plugin) runs
the shipped metric blocks of its series (doc/examples/
dovecot-rcptdb-metrics.conf for 2.3, dovecot-2.4-rcptdb-metrics.conf for
2.4; only the port changed) and serves its own /metrics. After RCPTs of
known outcomes over LMTP, Dovecot's counters by result and reason, and its
duration histogram, must match them exactly.

On PostgreSQL (a private cluster, pg_instance.PrivatePostgres), the same
Dovecot also runs the example's commented-out log exporter, so that each
event's data_version reaches its log; an rcptdb-server with --metrics
reads the same database, and its rcptdb_data_version must be the number
the plugin's event carried, before and after a commit moves it.

Runs on Debian 12 (2.3) and in the Debian 13 stage (2.4,
scripts/trixie-stage).
"""
import os
import re
import socket
import time
import unittest

import dovecot_instance
import harness
import metrics_client
import reference_data
from dovecot_instance import SERIES, Lmtp, PrivateDovecot
from pg_instance import PrivatePostgres
from test_server import netstring, recv_netstring

METRICS_EXAMPLE = os.path.join(
    harness.SRC, "doc", "examples",
    "dovecot-2.4-rcptdb-metrics.conf" if SERIES == "2.4" else "dovecot-rcptdb-metrics.conf")


class DovecotEventsTest(harness.BlackBoxTest):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db)
        self.stats_port = harness.free_port()
        with open(METRICS_EXAMPLE) as f:
            example = f.read()
        self.assertIn("port = 9900", example)
        self.dovecot = PrivateDovecot(
            os.path.join(self.dir, "dovecot"), self.db,
            extra_text=f"# --- {os.path.basename(METRICS_EXAMPLE)}, port changed ---\n"
                       + example.replace("port = 9900", f"port = {self.stats_port}")).start(self)
        harness.wait_port(self.stats_port)
        self.where = f"127.0.0.1:{self.stats_port}"

    def rcpt(self, address):
        with Lmtp(self.dovecot.port) as c:
            self.assertEqual(c.mail()[0], 250)
            return c.rcpt(address)[0]

    def counts(self):
        """{(result, reason): n} from dovecot_rcptdb_rcpt_total's deepest level."""
        s = metrics_client.scrape(self.where)
        self.assertEqual(s.status, 200, s.body)
        out = {}
        for name, labels, v in s.samples:
            if name == "dovecot_rcptdb_rcpt_total" and "reason" in labels:
                out[(labels["result"], labels["reason"])] = v
        return s, out

    def test_shipped_metric_blocks_count_the_plugins_events(self):
        sent = [("alice@example.com", 250, ("accept", "mailbox")),
                ("info@example.com", 250, ("accept", "alias")),
                ("alice+news@example.com", 250, ("accept", "mailbox")),
                ("nobody@example.com", 550, ("reject", "unknown-recipient")),
                ("alice@nowhere.test", 550, ("reject", "unknown-domain")),
                ("carol@example.com", 550, ("reject", "disabled"))]
        expected = {}
        for address, code, key in sent:
            self.assertEqual(self.rcpt(address), code, address)
            expected[key] = expected.get(key, 0) + 1
        # Database trouble: the file gone, every RCPT deferred.
        os.rename(self.db, self.db + ".away")
        time.sleep(0.15)  # the plugin's file identity check (LiveStore)
        self.assertEqual(self.rcpt("alice@example.com"), 451)
        expected[("defer", "database missing")] = 1
        os.rename(self.db + ".away", self.db)
        # Dovecot's stats process takes the events a little after the RCPT.
        deadline = time.monotonic() + 15
        while True:
            s, got = self.counts()
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(got, expected, s.body)
        total = sum(expected.values())
        # The first level counts by result alone.
        by_result = {l["result"]: v for n, l, v in s.samples
                     if n == "dovecot_rcptdb_rcpt_total" and set(l) == {"result"}}
        self.assertEqual(by_result, {"accept": 3, "reject": 3, "defer": 1}, s.body)
        # The duration histogram saw every event.
        count = [v for n, l, v in s.samples if n == "dovecot_rcptdb_rcpt_duration_count"]
        self.assertEqual(count, [total], s.body)
        inf = [v for n, l, v in s.samples
               if n == "dovecot_rcptdb_rcpt_duration_bucket" and l.get("le") == "+Inf"]
        self.assertEqual(inf, [total])
        # No address in any label of ours.
        for name, labels, _ in s.samples:
            if name.startswith("dovecot_rcptdb"):
                self.assertFalse(any("@" in v for v in labels.values()), (name, labels))
        # The event itself, as Dovecot's own log shows it with debug logging
        # off: nothing (the event is for stats, not the log).
        self.assertNotIn("rcptdb: accept (mailbox)", self.dovecot.log_text())


def with_log_exporter(example):
    """The example with its commented-out log exporter switched on."""
    head, marker, tail = example.partition("export the events to the log:")
    if not marker:
        raise AssertionError("the example no longer shows the log exporter")
    return head + marker + re.sub(r"(?m)^#", "", tail)


class DataVersionTest(harness.BlackBoxTest):
    """The store's events and the server's endpoint name the same data."""

    def setUp(self):
        super().setUp()
        self.pg = PrivatePostgres(os.path.join(self.dir, "pg")).start(self)
        self.pg.create_database("rcptdb")
        self.uri = self.pg.uri()
        reference_data.create_pgsql(self.uri)
        stats_port = harness.free_port()
        with open(METRICS_EXAMPLE) as f:
            example = with_log_exporter(f.read()).replace("port = 9900", f"port = {stats_port}")
        self.dovecot = PrivateDovecot(
            os.path.join(self.dir, "dovecot"), self.uri, plugin_db=self.uri,
            sql_text=dovecot_instance.pgsql_conf(self.pg.conninfo()),
            extra_text=example).start(self)
        self.sm_port, self.metrics_port = harness.free_port(), harness.free_port()
        self.start([harness.SERVER, "--foreground", "-c", "/dev/null", "--db", self.uri,
                    "--threads", "2", "--socketmap", f"127.0.0.1:{self.sm_port}",
                    "--metrics", f"127.0.0.1:{self.metrics_port}"], "rcptdb-server")
        harness.wait_port(self.sm_port)
        harness.wait_port(self.metrics_port)

    def store_version(self, address, seen):
        """RCPT address at the store; the data_version of its event, which
        Dovecot's stats process logs a little after the RCPT."""
        with Lmtp(self.dovecot.port) as c:
            self.assertEqual(c.mail()[0], 250)
            self.assertEqual(c.rcpt(address)[0], 250, address)
        deadline = time.monotonic() + 15
        while True:
            found = re.findall(r'"data_version":\s*"?(\d+)', self.dovecot.log_text())
            if len(found) > seen or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(len(found), seen + 1, self.dovecot.log_text())
        return int(found[-1])

    def server_version(self, want):
        """rcptdb_data_version once a lookup has shown the server want (a
        worker tells the endpoint when its snapshot sees a new counter)."""
        with socket.create_connection(("127.0.0.1", self.sm_port), timeout=10) as sock:
            deadline = time.monotonic() + 10
            while True:
                sock.sendall(netstring("recipients alice@example.com"))
                self.assertTrue(recv_netstring(sock).startswith(b"OK "))
                s = metrics_client.scrape(f"127.0.0.1:{self.metrics_port}")
                self.assertEqual(s.status, 200, s.body)
                got = s.value("rcptdb_data_version")
                if got == want or time.monotonic() > deadline:
                    return got
                time.sleep(0.1)

    def test_the_event_and_the_endpoint_show_one_data_version(self):
        first = self.store_version("alice@example.com", 0)
        self.assertEqual(self.server_version(first), first)
        # A commit moves the counter on both sides, to the same number.
        self.pg.psql("UPDATE mailboxes SET active = 0 WHERE address = 'real@example.org'")
        second = self.store_version("alice@example.com", 1)
        self.assertGreater(second, first)
        self.assertEqual(self.server_version(second), second)


if __name__ == "__main__":
    unittest.main()
