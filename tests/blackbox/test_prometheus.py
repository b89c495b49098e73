# SPDX-License-Identifier: MIT
"""test_prometheus - a real Prometheus scrapes rcptdb-server.

Starts the Debian package's prometheus privately (its own configuration,
storage in the test directory, the web API on a free loopback port,
scraping the server's metrics endpoint every second with Prometheus's own
Accept header, so OpenMetrics), drives a paced load of tcp_table lookups,
and asks the HTTP API:
  - the target is up (Prometheus parsed every scrape);
  - the PromQL lookup rate during the load is the pace within 10 %, and
    the counter at the end is exactly the number of lookups sent;
  - every query of doc/examples/grafana-rcptdb.json is valid PromQL
    (Prometheus evaluates it), and every rcptdb_ family it names is one
    the server exports, so a renamed metric breaks this test, not the
    dashboard.
The Prometheus process is stopped by its pid.
"""
import json
import os
import re
import shutil
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import harness
import metrics_client
import test_server
from test_top import PacedLoad

DASHBOARD = os.path.join(harness.SRC, "doc", "examples", "grafana-rcptdb.json")


class PrometheusTest(test_server.ServerTest):
    def setUp(self):
        super().setUp()
        self.prometheus = shutil.which("prometheus")
        if self.prometheus is None:
            self.fail("prometheus is missing (Debian package prometheus; scripts/check installs it)")
        self.metrics_port = harness.free_port()
        self.target = f"127.0.0.1:{self.metrics_port}"
        # A policy listener too, so that its family is exported (nothing
        # asks it; the quota-status address is never reached).
        with open(self.cfg.rcptdb_conf, "w") as f:
            f.write("quota_status = 127.0.0.1:9\n")
        self.start_server("--metrics", self.target, "--policy", f"127.0.0.1:{harness.free_port()}")
        harness.wait_port(self.metrics_port)
        self.api_port = harness.free_port()
        conf = os.path.join(self.dir, "prometheus.yml")
        with open(conf, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: rcptdb\n    static_configs:\n"
                    f"      - targets: ['{self.target}']\n")
        self.start([self.prometheus, f"--config.file={conf}",
                    f"--storage.tsdb.path={os.path.join(self.dir, 'tsdb')}",
                    f"--web.listen-address=127.0.0.1:{self.api_port}",
                    "--log.level=warn"], "prometheus")
        harness.wait_port(self.api_port, timeout=60)
        # The API answers 503 until the storage is open.
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.api_port}/-/ready",
                                            timeout=10):
                    break
            except OSError:
                self.assertLess(time.monotonic(), deadline, "prometheus never became ready")
                time.sleep(0.2)

    def api(self, path, **params):
        url = f"http://127.0.0.1:{self.api_port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=30) as res:
                return json.load(res)
        except urllib.error.HTTPError as e:  # a refused query: 400 with a JSON body
            return json.load(e)

    def query(self, expr, at=None):
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        out = self.api("query", **params)
        self.assertEqual(out["status"], "success", (expr, out))
        return out["data"]["result"]

    def scalar(self, expr, at=None):
        result = self.query(expr, at)
        self.assertEqual(len(result), 1, (expr, result))
        return float(result[0]["value"][1])

    def wait_up(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            targets = self.api("targets")["data"]["activeTargets"]
            if targets and targets[0]["health"] == "up":
                return targets[0]
            time.sleep(0.5)
        self.fail(f"the target never came up: {self.api('targets')}")

    def test_prometheus_scrapes_and_promql_sees_the_lookup_rate(self):
        target = self.wait_up()
        self.assertEqual(target["scrapeUrl"], f"http://{self.target}/metrics")
        rate = 200
        load = PacedLoad(self.ports["recipients"], rate,
                         ["alice@example.com", "nobody@example.com"])
        self.addCleanup(load.stop)
        t0 = time.time()
        time.sleep(14)
        # The rate over 8 s, ending 2 s before the last sample Prometheus had.
        at = time.time() - 3
        shown = self.scalar('sum(rate(rcptdb_lookups_total{protocol="tcp_table"}[8s]))', at)
        # The reference is what the load generator itself got answered in
        # that window: it catches up after a stall of this busy machine, so
        # its nominal pace is only an average (222/s in 8 s against a
        # nominal 200/s was seen in a full check).
        at_mono = time.monotonic() - (time.time() - at)
        own = load.count(at_mono - 8, at_mono) / 8
        self.assertGreater(own, rate / 20, "the load generator hardly ran")
        self.assertLess(abs(shown - own) / own, 0.10,
                        f"PromQL rate {shown}/s, the load generator's {own}/s (paced {rate}/s)")
        found = self.scalar('sum(rate(rcptdb_lookups_total{result="found"}[8s]))', at)
        self.assertLess(abs(found - shown / 2) / (shown / 2), 0.10, found)
        load.stop()
        sent = len(load.done)
        # After the load, the last scrape holds every lookup: exactly.
        deadline = time.monotonic() + 20
        while True:
            total = self.scalar('sum(rcptdb_lookups_total{protocol="tcp_table"})')
            if total == sent or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(total, sent)
        self.assertEqual(self.scalar("rcptdb_database_up"), 1)
        self.assertGreater(t0, self.scalar("rcptdb_data_last_change_timestamp_seconds") - 60)
        # Prometheus asked for OpenMetrics and read it.
        self.assertEqual(self.api("targets")["data"]["activeTargets"][0]["lastError"], "")
        self.check_dashboard()

    def check_dashboard(self):
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        # Every family the server exports, with or without samples (the
        # standby lag has none on SQLite).
        exported = set(re.findall(r"^# TYPE (\S+) ", metrics_client.scrape(self.target).body,
                                  re.M))
        exported |= {n + s for n in exported for s in ("_bucket", "_sum", "_count")}
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 10)
        titles = " ".join(p["title"] for p in dashboard["panels"])
        for want in ("result", "heatmap", "Temporary failures", "Connections", "Database up",
                     "Standby lag", "Data version"):
            self.assertIn(want, titles)
        for expr in exprs:
            promql = expr.replace("$__rate_interval", "5s").replace("$instance", ".*")
            self.query(promql)
            for name in re.findall(r"\brcptdb_[a-z_]+", expr):
                self.assertIn(name, exported, f"{name} in the dashboard is not exported")
        self.assertEqual(dashboard["templating"]["list"][1]["definition"],
                         "label_values(rcptdb_build_info, instance)")
        # Able to fail: PromQL Prometheus cannot parse is refused.
        out = self.api("query", query="sum by (result (rate(rcptdb_lookups_total[5s]))")
        self.assertEqual(out["status"], "error")


if __name__ == "__main__":
    unittest.main()
