# SPDX-License-Identifier: MIT
"""test_standby - readers of a PostgreSQL standby never answer from stale data.

Issue 26, items 4 and 5. Each test makes a private primary and its
streaming standby (pg_instance.PrivatePostgres), provisions the primary
with rcptdb, and reads the standby with a lag bound of BOUND seconds
(rcptdb.max_standby_lag in the URI's options) through every reader that
resolves there:
  - rcptdb-server's maps (socketmap) and its policy service, which asks a
    fake quota-status (a thread here) that calls every mailbox full;
  - `rcptdb check`, which exits 75 on database trouble.
The LMTP plugin's RcptCheck is proven the same way in plugin_tests
(rcpt_check_pgsql_test.cc), on scripts/check's standby.

  - replay paused (pg_wal_replay_pause) after the primary deleted a full
    mailbox: every reader defers, "lags"; the policy does not answer the
    old mailbox's 552;
  - the primary stopped, or primary_conninfo broken (no WAL receiver):
    every reader defers once the bound has passed, and answers again when
    the standby streams again;
  - an idle primary, connected: no deferral, although the standby has
    heard nothing from it for longer than the bound.
Every process is stopped by its pid, also when a test fails.
"""
import os
import shutil
import socket
import threading
import time
import unittest

import harness
from mailstack import wait_for
from pg_instance import PrivatePostgres
from test_policy import quota_status
from test_server import netstring, recv_netstring

BOUND = 1.0  # seconds: rcptdb.max_standby_lag of the readers
TROUBLE = "DEFER_IF_PERMIT quota service unavailable, try again later"
FULL = "552 5.2.2 Mailbox is full"


class FullQuotaStatus:
    """A fake Dovecot quota-status: every mailbox is full."""

    def __init__(self, test):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()
        test.addCleanup(self.sock.close)

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        with conn:
            data = b""
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                data += chunk
                while b"\n\n" in data:
                    _, data = data.split(b"\n\n", 1)
                    conn.sendall(f"action={FULL}\n\n".encode())


class StandbyTest(unittest.TestCase):

    def setUp(self):
        self.dir = harness.open_tempdir("rcptdb-standby-")
        if os.environ.get("RCPTDB_KEEP_TMP") != "1":
            self.addCleanup(shutil.rmtree, self.dir, True)
        self.primary = PrivatePostgres(os.path.join(self.dir, "primary")).start(self)
        self.primary.create_database("rcptdb")
        writer = self.primary.uri()
        harness.rcptdb(writer, "init")
        for args in (("domain", "add", "example.com", "--transport", "lmtp:inet:127.0.0.1:24"),
                     ("mailbox", "add", "alice@example.com", "--no-password"),
                     ("mailbox", "add", "full@example.com", "--no-password")):
            harness.rcptdb(writer, *args)
        self.standby = self.primary.standby(os.path.join(self.dir, "standby"), self)
        self.catch_up()
        self.reader = (self.standby.uri() +
                       f"&options=-c%20rcptdb.max_standby_lag%3D{int(BOUND * 1000)}ms")
        quota = FullQuotaStatus(self)
        self.socketmap_port = harness.free_port()
        self.policy_port = harness.free_port()
        conf = os.path.join(self.dir, "rcptdb.conf")
        with open(conf, "w") as f:
            f.write(f"database = {self.reader}\n"
                    f"socketmap = 127.0.0.1:{self.socketmap_port}\n"
                    f"policy = 127.0.0.1:{self.policy_port}\n"
                    f"quota_status = 127.0.0.1:{quota.port}\n"
                    f"policy_trouble_action = {TROUBLE}\n"
                    "threads = 1\n")
        self.server = harness.Process([harness.SERVER, "--foreground", "-c", conf],
                                      os.path.join(self.dir, "rcptdb-server.log"))
        self.addCleanup(self.server.stop)
        harness.wait_port(self.policy_port)
        harness.wait_port(self.socketmap_port)

    # --- the readers ------------------------------------------------------

    def recipient(self, address):
        """The socketmap answer of the recipients map."""
        with socket.create_connection(("127.0.0.1", self.socketmap_port), timeout=10) as s:
            s.sendall(netstring(f"recipients {address}"))
            return (recv_netstring(s) or b"").decode()

    def policy(self, address):
        """The policy service's action for RCPT TO:<address>, 100 octets."""
        return quota_status(self.policy_port, address, size=100)

    def check(self, address):
        return harness.rcptdb(self.reader, "check", address, check=False)

    def logs(self):
        return f"\n--- rcptdb-server:\n{self.server.output()[-3000:]}"

    # --- the standby ------------------------------------------------------

    def catch_up(self):
        """Waits until the standby has received and replayed all the primary wrote."""
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()").strip()
        self.standby.wait_until(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn")

    def streaming(self):
        return self.standby.psql("SELECT count(*) FROM pg_stat_wal_receiver "
                                 "WHERE status = 'streaming'").strip() == "1"

    def assertAnswersFromTheStandby(self):
        self.assertTrue(self.recipient("alice@example.com").startswith("OK"), self.logs())
        self.assertEqual(self.policy("full@example.com"), FULL, self.logs())
        res = self.check("alice@example.com")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)

    def assertEveryReaderDefers(self, address, why):
        """The maps answer TEMP "standby lags" and the log says why; the
        policy its trouble action; check exits 75 saying why."""
        answer = self.recipient(address)
        self.assertTrue(answer.startswith("TEMP standby lags"), answer + self.logs())
        self.assertIn(why, self.server.output())
        self.assertEqual(self.policy(address), TROUBLE, self.logs())
        res = self.check(address)
        self.assertEqual(res.returncode, 75, res.stdout + res.stderr)
        self.assertIn(why, res.stderr)

    # --- the cases --------------------------------------------------------

    def test_paused_replay_defers_every_reader(self):
        # A commit replayed since the standby started, so that its replay
        # lag is measured (as on any standby that has run for a while).
        harness.rcptdb(self.primary.uri(), "mailbox", "add", "bob@example.com", "--no-password")
        self.catch_up()
        self.assertAnswersFromTheStandby()
        self.standby.psql("SELECT pg_wal_replay_pause()")
        self.addCleanup(self.standby.psql, "SELECT pg_wal_replay_resume()", check=False)
        harness.rcptdb(self.primary.uri(), "mailbox", "del", "full@example.com")
        # Received, not replayed, and its last replayed commit older than the bound.
        lsn = self.primary.psql("SELECT pg_current_wal_lsn()").strip()
        self.standby.wait_until(f"SELECT pg_last_wal_receive_lsn() >= '{lsn}'::pg_lsn")
        time.sleep(BOUND + 1.0)
        # The policy must not ask about the deleted mailbox (552 from the
        # old rows), the maps must not say it exists, check must not pass.
        self.assertEveryReaderDefers("full@example.com", "standby replay lags")
        self.standby.psql("SELECT pg_wal_replay_resume()")
        self.catch_up()
        self.assertTrue(wait_for(lambda: self.recipient("full@example.com") == "NOTFOUND ",
                                 timeout=10, interval=0.2), self.logs())
        self.assertEqual(self.policy("full@example.com"), "DUNNO")
        self.assertEqual(self.check("full@example.com").returncode, 1)

    def test_a_stopped_primary_defers_every_reader_after_the_bound(self):
        self.assertAnswersFromTheStandby()
        self.primary.stop()
        self.assertTrue(wait_for(lambda: not self.streaming(), timeout=30, interval=0.2))
        time.sleep(BOUND + 1.0)
        self.assertEveryReaderDefers("alice@example.com", "no WAL receiver streaming")
        self.primary.start(self)
        self.assertTrue(wait_for(self.streaming, timeout=30, interval=0.2))
        self.assertTrue(wait_for(lambda: self.recipient("alice@example.com").startswith("OK"),
                                 timeout=20, interval=0.2), self.logs())
        self.assertAnswersFromTheStandby()

    def test_a_broken_primary_conninfo_defers_every_reader(self):
        original = self.standby.psql("SHOW primary_conninfo").strip()
        self.assertAnswersFromTheStandby()
        quoted = original.replace("'", "''")
        self.addCleanup(self.standby.psql, f"ALTER SYSTEM SET primary_conninfo = '{quoted}';\n"
                                           "SELECT pg_reload_conf();", check=False)
        self.standby.psql("ALTER SYSTEM SET primary_conninfo = "
                          f"'host={self.dir}/nowhere port=1 user=rcptdb';\n"
                          "SELECT pg_reload_conf();")
        self.assertTrue(wait_for(lambda: not self.streaming(), timeout=30, interval=0.2))
        time.sleep(BOUND + 1.0)
        self.assertEveryReaderDefers("alice@example.com", "no WAL receiver streaming")
        self.standby.psql(f"ALTER SYSTEM SET primary_conninfo = '{quoted}';\n"
                          "SELECT pg_reload_conf();")
        self.assertTrue(wait_for(self.streaming, timeout=30, interval=0.2))
        self.assertTrue(wait_for(lambda: self.recipient("alice@example.com").startswith("OK"),
                                 timeout=20, interval=0.2), self.logs())
        self.assertAnswersFromTheStandby()

    def test_an_idle_connected_primary_is_no_lag(self):
        # Nothing is written: the standby hears nothing from its primary
        # (it pings only after half of wal_receiver_timeout, 30 s), and
        # its last replayed commit ages past the bound. Neither is lag.
        silent = (f"SELECT now() - last_msg_receipt_time > interval '{BOUND * 2}s' "
                  "AND status = 'streaming' FROM pg_stat_wal_receiver")
        self.standby.wait_until(silent, timeout=28)
        self.assertAnswersFromTheStandby()
        self.assertIn("\"verdict\"", harness.rcptdb(self.reader, "--json", "check",
                                                    "alice@example.com").stdout)


if __name__ == "__main__":
    unittest.main()
