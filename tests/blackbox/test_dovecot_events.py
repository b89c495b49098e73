# SPDX-License-Identifier: MIT
"""test_dovecot_events - the plugin's rcptdb_rcpt_finished events, counted by Dovecot.

A private Dovecot (dovecot_instance.PrivateDovecot, with the plugin) runs
the shipped metric blocks of its series (doc/examples/
dovecot-rcptdb-metrics.conf for 2.3, dovecot-2.4-rcptdb-metrics.conf for
2.4; only the port changed) and serves its own /metrics. After RCPTs of
known outcomes over LMTP, Dovecot's counters by result and reason, and its
duration histogram, must match them exactly. Runs on Debian 12 (2.3) and in
the Debian 13 stage (2.4, scripts/trixie-stage).
"""
import os
import re
import time
import unittest

import harness
import metrics_client
import reference_data
from dovecot_instance import SERIES, Lmtp, PrivateDovecot

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


if __name__ == "__main__":
    unittest.main()
