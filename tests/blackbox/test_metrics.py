# SPDX-License-Identifier: MIT
"""test_metrics - rcptdb-server's Prometheus endpoint against a running server.

Starts the real daemon with --metrics on a free port (or a unix socket),
sends a known mix of lookups over tcp_table and socketmap with raw
sockets, and reads /metrics with Python's HTTP client (metrics_client):
the counters and the histogram counts must match the mix exactly, survive
scrapes and SIGHUP, follow the database into trouble and back, and never
carry an address in a label. promtool (Debian's prometheus package) must
accept the output. The endpoint's HTTP rules are tested as a scraper and
an intruder would meet them: GET /metrics only, OpenMetrics by Accept,
loopback or allow_networks only. On a private PostgreSQL primary and its
streaming standby, a server on each shows rcptdb_standby_lag_seconds (the
standby's only) growing while replay is paused and back to 0 after, and
rcptdb_data_version apart meanwhile and equal again once replayed.
"""
import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

import harness
import metrics_client
import reference_data
import test_server
from pg_instance import PrivatePostgres
from test_server import CASES, FILE_CHECK, netstring, recv_line, recv_netstring

OPENMETRICS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                      "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def tcp_encode(key):
    """A key as Postfix's tcp_table client sends it: %XX for %, space,
    controls and every byte of 0x80 and above."""
    out = ""
    for b in key.encode():
        out += chr(b) if 0x21 <= b < 0x7f and b != 0x25 else "%%%02X" % b
    return out


class MetricsTest(test_server.ServerTest):
    """The counters a scrape shows, after lookups of known results."""

    def start_metrics(self, *extra, db=None):
        self.metrics_port = harness.free_port()
        self.where = f"127.0.0.1:{self.metrics_port}"
        self.start_server("--metrics", self.where, *extra, db=db)
        harness.wait_port(self.metrics_port)

    def scrape(self, accept=None):
        s = metrics_client.scrape(self.where, accept)
        self.assertEqual(s.status, 200, s.body)
        return s

    def lookups(self, s, **labels):
        return s.value("rcptdb_lookups_total", **labels)

    def send_known_mix(self):
        """Sends every reference case over tcp_table and socketmap, some
        requests the codecs refuse and some to unknown maps; returns the
        expected counts {(protocol, map, result): n}."""
        expected = {}

        def count(protocol, m, result):
            expected[(protocol, m, result)] = expected.get((protocol, m, result), 0) + 1

        socks = {m: self.connect(m) for m in test_server.MAPS}
        sm = self.connect("socketmap")
        for m, key, value in CASES:
            result = "found" if value is not None else "notfound"
            reply = self.tcp_get(socks[m], tcp_encode(key))
            self.assertTrue(reply.startswith("200 " if value is not None else "500 "), (m, key))
            count("tcp_table", m, result)
            reply = self.sm_get(sm, m, key)
            self.assertTrue(reply.startswith("OK " if value is not None else "NOTFOUND"), (m, key))
            count("socketmap", m, result)
        for _ in range(3):
            self.assertTrue(self.sm_get(sm, "nosuchmap", "alice@example.com").startswith("PERM"))
            count("socketmap", "unknown", "permfail")
        # Refused by the codecs: not lookups, but protocol errors.
        socks["recipients"].sendall(b"set x y\n")
        self.assertEqual(recv_line(socks["recipients"]), b"500 not%20found\n")
        sm.sendall(netstring("nokey"))
        self.assertEqual(recv_netstring(sm), b"NOTFOUND ")
        # The stats map is monitoring, not a lookup.
        self.assertTrue(self.sm_get(sm, "stats", "all").startswith("OK "))
        return expected

    def test_counters_and_histograms_match_a_known_mix(self):
        self.start_metrics()
        expected = self.send_known_mix()
        s = self.scrape()
        shown = {}
        for name, labels, v in s.samples:
            if name == "rcptdb_lookups_total":
                shown[(labels["protocol"], labels["map"], labels["result"])] = v
        for key, n in expected.items():
            self.assertEqual(shown.get(key), n, key)
        for key, v in shown.items():
            self.assertEqual(v, expected.get(key, 0), key)
        for protocol in ("tcp_table", "socketmap"):
            total = sum(n for (p, _, _), n in expected.items() if p == protocol)
            count = s.value("rcptdb_lookup_duration_seconds_count", protocol=protocol)
            self.assertEqual(count, total, protocol)
            buckets = [(float(l["le"]), v) for n, l, v in s.samples
                       if n == "rcptdb_lookup_duration_seconds_bucket"
                       and l["protocol"] == protocol]
            self.assertEqual([le for le, _ in buckets][0], 0.00005)
            self.assertEqual([le for le, _ in buckets][-2], 5.0)
            self.assertEqual(buckets[-1], (float("inf"), total))
            counts = [v for _, v in buckets]
            self.assertEqual(counts, sorted(counts), "cumulative buckets never decrease")
            self.assertGreater(s.value("rcptdb_lookup_duration_seconds_sum", protocol=protocol), 0)
        self.assertEqual(s.value("rcptdb_lookups_in_flight"), 0)
        self.assertEqual(s.value("rcptdb_protocol_errors_total", protocol="tcp_table",
                                 reason="malformed"), 1)
        self.assertEqual(s.value("rcptdb_protocol_errors_total", protocol="socketmap",
                                 reason="malformed"), 1)
        # One connection each from start_server's wait_port, one from the mix.
        self.assertEqual(s.value("rcptdb_connections_accepted_total", protocol="socketmap",
                                 listener=f"127.0.0.1:{self.sm_port}"), 2)
        self.assertEqual(s.value("rcptdb_connections_accepted_total", protocol="socketmap",
                                 listener=f"unix:{self.sm_unix}"), 0)
        self.assertEqual(s.value("rcptdb_connections_accepted_total", protocol="tcp_table"),
                         2 * len(test_server.MAPS))
        self.assertEqual(s.value("rcptdb_database_up"), 1)
        self.assertGreater(s.value("rcptdb_snapshot_renewals_total"), 0)
        self.assertGreater(s.value("rcptdb_database_query_duration_seconds_count",
                                   engine="sqlite"), 0)
        self.assertEqual(s.value("rcptdb_build_info"), 1)
        self.assertGreater(s.value("process_resident_memory_bytes"), 0)
        # The stats map reads the same counters.
        sm = self.connect("socketmap")
        stats = self.sm_get(sm, "stats", "recipients")
        n = sum(v for (p, m, r), v in expected.items() if m == "recipients")
        found = sum(v for (p, m, r), v in expected.items() if m == "recipients" and r == "found")
        self.assertIn(f"recipients: lookups={n} found={found} notfound={n - found} temporary=0",
                      stats)

    def test_scrapes_and_sighup_never_reset(self):
        self.start_metrics()
        self.send_known_mix()
        first = self.scrape()
        second = self.scrape()
        self.assertEqual(self.lookups(first), self.lookups(second))
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reloaded configuration" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        after = self.scrape()
        for name in ("rcptdb_lookups_total", "rcptdb_lookup_duration_seconds_count",
                     "rcptdb_protocol_errors_total", "rcptdb_connections_accepted_total"):
            self.assertEqual(after.value(name), first.value(name), name)
        self.assertGreater(self.lookups(after), 0)

    def test_database_trouble_shows_and_recovers(self):
        self.start_metrics()
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        self.assertEqual(self.scrape().value("rcptdb_database_up"), 1)
        away = self.db + ".away"
        os.rename(self.db, away)
        time.sleep(FILE_CHECK)
        for _ in range(4):
            tcp = self.connect("recipients")  # Postfix reconnects after a 400
            self.assertEqual(self.tcp_get(tcp, "alice@example.com"),
                             "400 database%20missing,%20try%20again%20later\n")
        s = self.scrape()
        self.assertEqual(s.value("rcptdb_database_up"), 0)
        self.assertEqual(s.value("rcptdb_lookups_total", result="tempfail"), 4)
        self.assertEqual(s.value("rcptdb_database_errors_total", cause="database missing"), 4)
        self.assertEqual(s.value("rcptdb_database_errors_total"), 4)
        os.rename(away, self.db)
        time.sleep(FILE_CHECK)
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        s = self.scrape()
        self.assertEqual(s.value("rcptdb_database_up"), 1)
        self.assertEqual(s.value("rcptdb_lookups_total", result="tempfail"), 4)
        self.assertEqual(s.value("rcptdb_lookups_total", result="found"), 2)

    def test_no_label_value_is_an_address(self):
        self.start_metrics()
        self.send_known_mix()
        s = self.scrape()
        keys = {k.lower() for _, k, _ in CASES} | {k.split("@")[-1].lower() for _, k, _ in CASES}
        listeners = {f"127.0.0.1:{p}" for p in self.ports.values()} | {f"unix:{self.sm_unix}"}
        for name, labels, _ in s.samples:
            for label, value in labels.items():
                self.assertNotIn("@", value, (name, label))
                self.assertNotIn(value.lower(), keys - {""}, (name, label))
                if label == "listener":
                    self.assertIn(value, listeners)
                else:
                    self.assertNotIn("127.0.0.1", value, (name, label))

    def wait_value(self, name, want, **labels):
        deadline = time.monotonic() + 10
        while True:
            got = self.scrape().value(name, **labels)
            if got == want or time.monotonic() > deadline:
                self.assertEqual(got, want, (name, labels))
                return
            time.sleep(0.1)

    def test_connections_by_listener_and_reason(self):
        with open(self.cfg.rcptdb_conf, "w") as f:
            f.write("socketmap_idle_timeout = 1\n")
        self.start_metrics()
        tcp = f"127.0.0.1:{self.ports['recipients']}"
        sm = f"127.0.0.1:{self.sm_port}"
        closed = "rcptdb_connections_closed_total"
        # start_server's wait_port connected to each listener and closed.
        # The kernel completes that handshake before the server accepts:
        # wait until the server has accepted and closed the probe, or its
        # close could land after the base and count as this test's.
        deadline = time.monotonic() + 10
        while True:
            base = self.scrape()
            accepted = sum(base.values("rcptdb_connections_accepted_total", listener=tcp))
            if accepted >= 1 and base.value("rcptdb_connections_active") == 0:
                break
            self.assertLess(time.monotonic(), deadline, base.body)
            time.sleep(0.1)

        def was(**labels):
            return base.value(closed, **labels)

        # The client closes.
        s = self.connect("recipients")
        self.assertEqual(self.tcp_get(s, "alice@example.com"), "200 mailbox\n")
        self.assertEqual(self.scrape().value("rcptdb_connections_active", listener=tcp), 1)
        s.close()
        self.wait_value(closed, was(listener=tcp, reason="client") + 1, listener=tcp,
                        reason="client")
        # A broken netstring: PERM, and the server closes.
        s = self.connect("socketmap")
        s.sendall(b"x:")
        self.assertTrue(recv_netstring(s).startswith(b"PERM"))
        self.wait_value(closed, 1, listener=sm, reason="error")
        # Idle past socketmap_idle_timeout.
        s = self.connect("socketmap")
        self.wait_value(closed, 1, listener=sm, reason="idle")
        # Over max_connections (3 after a reload): the longest idle makes room.
        with open(self.cfg.rcptdb_conf, "w") as f:
            f.write("socketmap_idle_timeout = 1\nmax_connections = 3\n")
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reloaded configuration" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        idle = [self.connect("recipients") for _ in range(3)]
        self.wait_value("rcptdb_connections_active", 3, listener=tcp)
        newest = self.connect("recipients")
        self.assertEqual(self.tcp_get(newest, "alice@example.com"), "200 mailbox\n")
        self.wait_value(closed, 1, listener=tcp, reason="limit")
        self.wait_value("rcptdb_connections_active", 3, listener=tcp)
        s = self.scrape()
        self.assertEqual(s.value("rcptdb_connections_accepted_total", listener=tcp),
                         s.value("rcptdb_connections_active", listener=tcp)
                         + s.value(closed, listener=tcp))
        self.assertEqual(s.value(closed, reason="peer_cap") + s.value(closed, reason="shutdown"), 0)
        del idle

    def test_the_output_passes_promtool(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.fail("promtool is missing (Debian package prometheus; scripts/check installs it)")
        self.start_metrics()
        self.send_known_mix()
        res = subprocess.run([promtool, "check", "metrics"], input=self.scrape().body,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        # It is able to fail: a counter without _total is refused.
        res = subprocess.run([promtool, "check", "metrics"],
                             input="# HELP x_requests n\n# TYPE x_requests counter\n"
                                   "x_requests 1\n", capture_output=True, text=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)


class EndpointTest(test_server.ServerTest):
    """HTTP as a scraper, a careless client and an intruder meet it."""

    def setUp(self):
        super().setUp()
        self.metrics_port = harness.free_port()
        self.where = f"127.0.0.1:{self.metrics_port}"

    def test_get_metrics_only(self):
        self.start_server("--metrics", self.where)
        harness.wait_port(self.metrics_port)
        status, headers, body = metrics_client.request(self.where)
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        self.assertIn("# TYPE rcptdb_lookups_total counter\n", body)
        self.assertNotIn("# EOF", body)
        for method in ("POST", "PUT", "DELETE", "HEAD"):
            status, headers, _ = metrics_client.request(self.where, method=method)
            self.assertEqual(status, 405, method)
            self.assertEqual(headers.get("allow"), "GET", method)
        for path in ("/", "/metrics/", "/metricsx", "/../metrics", "/stats"):
            status, _, _ = metrics_client.request(self.where, path=path)
            self.assertEqual(status, 404, path)
        status, _, _ = metrics_client.request(self.where, body="x=1",
                                              headers={"Content-Length": "3"})
        self.assertEqual(status, 400)
        # A header block larger than the endpoint's 16 KiB is refused.
        status, _, _ = metrics_client.request(self.where, headers={"X-Big": "a" * 20000})
        self.assertIn(status, (413, 431), status)
        # OpenMetrics, when the scraper prefers it (Prometheus's own Accept).
        status, headers, body = metrics_client.request(self.where,
                                                       headers={"Accept": OPENMETRICS_ACCEPT})
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"],
                         "application/openmetrics-text; version=1.0.0; charset=utf-8")
        self.assertTrue(body.endswith("\n# EOF\n"), body[-100:])
        self.assertIn("# TYPE rcptdb_lookups counter\n", body)
        self.assertIn("# TYPE rcptdb_build info\n", body)
        self.assertIn("# UNIT rcptdb_lookup_duration_seconds seconds\n", body)
        # The server still answers lookups and scrapes after all that.
        self.assert_serves()
        self.assertEqual(metrics_client.scrape(self.where).status, 200)

    def test_unix_socket_and_off_by_default(self):
        res = harness.run([harness.SERVER, "-c", self.cfg.rcptdb_conf, "--db", self.db,
                           "--socketmap", "127.0.0.1:1", "--check-config"])
        self.assertIn("\nmetrics = \n", res.stdout)
        path = os.path.join(self.dir, "metrics.sock")
        self.start_server("--metrics", f"unix:{path}")
        deadline = time.monotonic() + 5
        while not os.path.exists(path):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        s = metrics_client.scrape(f"unix:{path}")
        self.assertEqual(s.status, 200)
        self.assertEqual(s.value("rcptdb_database_up"), 1)
        self.assertEqual(self.server.stop(), 0)
        self.assertFalse(os.path.exists(path), "the socket is removed at exit")

    def test_non_loopback_clients_need_allow_networks(self):
        addr = test_server.AdmissionTest._outside_address(self)
        port = harness.free_port()
        conf = os.path.join(self.dir, "rcptdb.conf")
        lookup_port = harness.free_port()
        with open(conf, "w") as f:
            f.write(f"database = {self.db}\ntcp_table = recipients=127.0.0.1:{lookup_port}\n"
                    f"metrics = {addr}:{port}\nallow_networks = 198.51.100.0/24\n")
        self.server = self.start([harness.SERVER, "--foreground", "-c", conf], "server")
        harness.wait_port(port, host=addr)
        with self.assertRaises((ConnectionError, OSError, metrics_client.http.client.HTTPException)):
            metrics_client.scrape(f"{addr}:{port}", timeout=5)
        deadline = time.monotonic() + 5
        while "refused: client not in allow_networks" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        self.assertRegex(self.log(), rf"{addr}: connection to metrics {addr}:{port} refused")
        # SIGHUP takes a new allow_networks for the endpoint too.
        prefix = addr.rsplit(".", 1)[0] + ".0/24"
        with open(conf, "w") as f:
            f.write(f"database = {self.db}\ntcp_table = recipients=127.0.0.1:{lookup_port}\n"
                    f"metrics = {addr}:{port}\nallow_networks = {prefix}\n")
        self.server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "reloaded configuration" not in self.log():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)
        self.assertEqual(metrics_client.scrape(f"{addr}:{port}").status, 200)
        # Loopback is always served: not here, since the endpoint listens
        # on addr only; a loopback endpoint needs no allow_networks at all
        # (the other tests).

    def test_a_non_loopback_endpoint_without_allow_networks_is_refused(self):
        res = harness.run([harness.SERVER, "-c", self.cfg.rcptdb_conf, "--db", self.db,
                           "--socketmap", "127.0.0.1:1", "--metrics", "0.0.0.0:9", "--check-config"],
                          check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("listener 0.0.0.0:9 is not on a loopback address: set allow_networks",
                      res.stderr)



class StandbyTest(harness.BlackBoxTest):
    """A server on a PostgreSQL primary and one on its standby."""

    def setUp(self):
        super().setUp()
        self.primary = PrivatePostgres(os.path.join(self.dir, "pg")).start(self)
        self.primary.create_database("rcptdb")
        reference_data.create_pgsql(self.primary.uri())
        self.standby = self.primary.standby(os.path.join(self.dir, "pg-standby"), self)
        self.servers = {}
        for name, pg in (("primary", self.primary), ("standby", self.standby)):
            sm, http = harness.free_port(), harness.free_port()
            process = self.start([harness.SERVER, "--foreground", "-c", "/dev/null", "--db",
                                  pg.uri(), "--threads", "1", "--socketmap", f"127.0.0.1:{sm}",
                                  "--metrics", f"127.0.0.1:{http}"], f"rcptdb-server-{name}")
            harness.wait_port(sm)
            harness.wait_port(http)
            self.servers[name] = (sm, f"127.0.0.1:{http}", process)

    def scrape(self, name):
        """name's endpoint after one lookup (which shows its worker the
        data version it serves)."""
        sm, where, process = self.servers[name]
        with socket.create_connection(("127.0.0.1", sm), timeout=10) as sock:
            sock.sendall(netstring("recipients alice@example.com"))
            reply = recv_netstring(sock)
        s = metrics_client.scrape(where)
        self.assertEqual(s.status, 200, s.body)
        # A loaded machine may keep the first connection waiting past the
        # connect timeout: the server answers TEMP until it reconnects.
        s.answered = reply.startswith(b"OK ")
        s.log = process.output()
        return s

    def until(self, what, test, timeout=30, answered=True):
        """Scrapes both servers until test(primary, standby) holds (and,
        if answered, both answered the lookup)."""
        deadline = time.monotonic() + timeout
        while True:
            p, s = self.scrape("primary"), self.scrape("standby")
            if (not answered or p.answered and s.answered) and test(p, s):
                return p, s
            if time.monotonic() > deadline:
                self.fail(f"{what} after {timeout}s:\n{p.body}\n{s.body}\n{p.log}\n{s.log}")
            time.sleep(0.3)

    def test_lag_and_data_version_follow_replay(self):
        version = "rcptdb_data_version"
        # A commit the standby replays: until it has replayed one, its
        # pg_last_xact_replay_timestamp() is NULL and no lag can be told.
        self.primary.psql("UPDATE mailboxes SET active = 1 WHERE address = 'alice@example.com'")
        p, s = self.until("the standby has not caught up",
                          lambda p, s: p.values(version) == s.values(version) != []
                          and s.values("rcptdb_standby_lag_seconds") == [0])
        self.assertEqual(p.values("rcptdb_standby_lag_seconds"), [], "a primary has no lag")
        for scrape in (p, s):
            self.assertEqual(scrape.value("rcptdb_database_up"), 1)
        before = p.value(version)
        # Replay paused: the standby receives the commit but does not apply
        # it. The lag counts from its last replayed commit (the setup's), so
        # it may pass the 30 s bound at once and the standby's server defer
        # (rcptdb.max_standby_lag): the endpoint must show the lag either way.
        self.standby.psql("SELECT pg_wal_replay_pause()", dbname="postgres")
        self.primary.psql("UPDATE mailboxes SET active = 0 WHERE address = 'real@example.org'")
        p, s = self.until("the lag did not grow past 1 s while replay was paused",
                          lambda p, s: s.values("rcptdb_standby_lag_seconds")
                          and s.value("rcptdb_standby_lag_seconds") >= 1
                          and p.value(version) > before, answered=False)
        self.assertEqual(s.value(version), before, "the standby serves the older data")
        self.standby.psql("SELECT pg_wal_replay_resume()", dbname="postgres")
        p, s = self.until("the standby did not catch up after replay resumed",
                          lambda p, s: p.values(version) == s.values(version)
                          and s.values("rcptdb_standby_lag_seconds") == [0])
        self.assertGreater(s.value(version), before)


if __name__ == "__main__":
    unittest.main()
