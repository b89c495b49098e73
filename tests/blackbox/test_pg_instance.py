# SPDX-License-Identifier: MIT
"""test_pg_instance - the private PostgreSQL cluster that other suites use.

pg_instance.PrivatePostgres must give a test a primary and a streaming
standby on free loopback ports, measure the replay lag, and stop every
process of each cluster by its postmaster pid. These tests prove that
much, so that a failure in the PostgreSQL suites is never the harness.
"""
import os
import time

import harness
from pg_instance import PrivatePostgres, pid_alive, processes_named


class PrivatePostgresTest(harness.BlackBoxTest):
    def test_standby_sees_a_primary_write_and_stop_leaves_no_process(self):
        primary = PrivatePostgres(os.path.join(self.dir, "primary")).start(self)
        primary.create_database("rcptdb")
        standby = primary.standby(os.path.join(self.dir, "standby"), self)
        self.assertNotEqual(primary.port, standby.port)
        self.assertEqual(primary.psql("SELECT pg_is_in_recovery()").strip(), "f")
        self.assertEqual(standby.psql("SELECT pg_is_in_recovery()").strip(), "t")

        primary.psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('written on the primary')")
        standby.wait_until("SELECT count(*) = 1 FROM t WHERE v = 'written on the primary'")
        # A standby is read-only.
        res = standby.psql("INSERT INTO t VALUES ('x')", check=False)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("read-only", res.stderr)

        lag = primary.replay_lag(standby)
        self.assertGreaterEqual(lag, 0.0)
        self.assertLess(lag, 5.0, "streaming replication on loopback replays within 5 s")
        print(f"\n  measured replay lag (worst of 5): {lag * 1000:.1f} ms", end=" ")

        # Reachable over the loopback port as well as the socket.
        out = harness.run([os.path.join("/usr/lib/postgresql/15/bin", "psql"), "-X", "-A",
                           "-t", "-d", f"postgresql://rcptdb@127.0.0.1:{primary.port}/rcptdb",
                           "-c", "SELECT 1"]).stdout
        self.assertEqual(out.strip(), "1")

        for cluster in (standby, primary):
            procs = cluster.processes()
            self.assertGreater(len(procs), 1, "a postmaster and its children")
            cluster.stop()
            self.assertEqual([p for p in procs if pid_alive(p)], [])
            self.assertEqual(processes_named(cluster.name), [])
            self.assertIsNone(cluster.postmaster_pid())

    def test_promote_and_restart(self):
        primary = PrivatePostgres(os.path.join(self.dir, "primary")).start(self)
        primary.create_database("rcptdb")
        standby = primary.standby(os.path.join(self.dir, "standby"), self)
        primary.psql("CREATE TABLE t (v int); INSERT INTO t VALUES (1)")
        standby.wait_until("SELECT count(*) = 1 FROM t")

        # Stopped and started again on the same port, the data is still there.
        primary.stop()
        self.assertEqual(primary.psql("SELECT 1", check=False).returncode, 2)
        primary.start()
        self.assertEqual(primary.psql("SELECT count(*) FROM t").strip(), "1")

        primary.stop()
        standby.promote()
        self.assertEqual(standby.psql("SELECT pg_is_in_recovery()").strip(), "f")
        standby.psql("INSERT INTO t VALUES (2)")
        self.assertEqual(standby.psql("SELECT count(*) FROM t").strip(), "2")

    def test_cleanup_stops_a_cluster_of_a_failed_test(self):
        # A cluster left running by a test is stopped by the cleanup that
        # start(test) registered; doCleanups runs it here, as after a failure.
        primary = PrivatePostgres(os.path.join(self.dir, "primary")).start(self)
        pid = primary.pid
        self.assertTrue(pid_alive(pid))
        self.doCleanups()
        deadline = time.monotonic() + 5
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertFalse(pid_alive(pid))
        self.assertEqual(processes_named(primary.name), [])
