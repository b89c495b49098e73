# SPDX-License-Identifier: MIT
"""test_systemd - rcptdb-server under Type=notify, with systemd played by the test.

systemd is not PID 1 on the test machine, so the test does what systemd
does for a Type=notify service with WatchdogSec=: it binds a unix datagram
socket, starts the server with NOTIFY_SOCKET (and WATCHDOG_USEC) pointing
at it, and reads the "NAME=value" datagrams with their arrival times
(sd_notify(3)). Like systemd, it counts the watchdog as fired when no
WATCHDOG=1 arrives within WATCHDOG_USEC, kills the server then, and starts
it again (Restart=on-failure).

The watchdog test needs the test-only fault switch (configure
--enable-test-faults, which scripts/check's build uses; never a release
build): SIGUSR2 blocks worker 0's event loop.
"""
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

import harness
import test_server


class Notifications:
    """The datagrams a server sends to its NOTIFY_SOCKET, with their times."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages = []  # (time.monotonic(), {name: value})
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            fields = dict(line.split("=", 1) for line in data.decode().split("\n") if "=" in line)
            with self.lock:
                self.messages.append((time.monotonic(), fields))

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()

    def all(self):
        with self.lock:
            return list(self.messages)

    def wait_for(self, name, value=None, after=0.0, timeout=10.0):
        """The first message after time after that sets name (to value);
        fails after timeout seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for t, fields in self.all():
                if t >= after and name in fields and (value is None or fields[name] == value):
                    return t, fields
            time.sleep(0.02)
        raise AssertionError(f"no {name}={value} after {after} within {timeout}s: {self.all()}")


class SystemdTest(test_server.ServerTest):
    def setUp(self):
        super().setUp()
        self.notes = Notifications(self.dir)
        self.addCleanup(self.notes.close)

    def start_notified(self, *extra, watchdog_usec=None, wait=True):
        env = dict(os.environ, NOTIFY_SOCKET=self.notes.path)
        env.pop("WATCHDOG_PID", None)
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        else:
            env.pop("WATCHDOG_USEC", None)
        self.ports = {m: harness.free_port() for m in test_server.MAPS}
        self.sm_port = harness.free_port()
        self.ports["socketmap"] = self.sm_port
        self.sm_unix = os.path.join(self.dir, "socketmap.sock")
        argv = [harness.SERVER, "--foreground", "--db", self.db, "--threads", "2",
                "--busy-timeout", "200", "-c", self.cfg.rcptdb_conf,
                "--socketmap", f"127.0.0.1:{self.sm_port}"]
        for m in test_server.MAPS:
            argv += ["--tcp-table", f"{m}=127.0.0.1:{self.ports[m]}"]
        argv += list(extra)
        self.started_at = time.monotonic()
        self.server = self.start(argv, "server", env=env)
        return self.server

    def test_ready_only_once_the_listeners_answer(self):
        # A database locked at start: each of the two workers waits its
        # busy timeout (1 s) opening it before the server can answer, so a
        # READY=1 sent any earlier would come before the listeners answer.
        import sqlite3
        lock = sqlite3.connect(self.db, isolation_level=None, timeout=0)
        lock.execute("PRAGMA locking_mode = EXCLUSIVE")
        lock.execute("BEGIN EXCLUSIVE")
        lock.execute("UPDATE settings SET value = value")
        try:
            self.start_notified("--busy-timeout", "1000")
            t, fields = self.notes.wait_for("READY", "1", timeout=20)
            self.assertGreaterEqual(t - self.started_at, 1.8, "READY=1 before the workers ran")
            self.assertRegex(fields.get("STATUS", ""),
                             r"^answering 6 listeners, database trouble")
            # At READY=1 every listener answers at once, without waiting.
            for m in test_server.MAPS:
                s = socket.create_connection(("127.0.0.1", self.ports[m]), timeout=2)
                self.addCleanup(s.close)
                self.assertEqual(self.tcp_get(s, "alice@example.com")[:4], "400 ")
            self.assertIn("starting:", self.log())
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        # READY=1 once only.
        self.assertEqual(sum(1 for _, f in self.notes.all() if f.get("READY") == "1"), 1)

    def test_status_reload_and_stop(self):
        self.start_notified(watchdog_usec=2_000_000)
        t_ready, _ = self.notes.wait_for("READY", "1")
        tcp = self.connect("recipients")
        for _ in range(50):
            self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        _, fields = self.notes.wait_for("STATUS", after=t_ready + 0.01, timeout=12)
        self.assertRegex(fields["STATUS"], r"^answering 6 listeners, database ok, \d+ lookups/s$")
        # SIGHUP: RELOADING=1 with the monotonic clock (CLOCK_MONOTONIC,
        # which time.monotonic() reads too), then READY=1.
        before = time.monotonic()
        self.server.signal(signal.SIGHUP)
        t_reloading, fields = self.notes.wait_for("RELOADING", "1", after=before)
        usec = int(fields["MONOTONIC_USEC"])
        self.assertLessEqual(before * 1e6 - 1000, usec)
        self.assertLessEqual(usec, time.monotonic() * 1e6)
        t_ready2, fields = self.notes.wait_for("READY", "1", after=t_reloading)
        self.assertIn("STATUS", fields)
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        # SIGTERM: STOPPING=1, then a clean exit.
        before = time.monotonic()
        self.server.signal(signal.SIGTERM)
        self.notes.wait_for("STOPPING", "1", after=before)
        self.server.proc.wait(5)
        self.assertEqual(self.server.proc.returncode, 0, self.log())

    def watchdog_gaps(self, since, until):
        """The longest time without WATCHDOG=1 from since to until."""
        times = [t for t, f in self.notes.all() if f.get("WATCHDOG") == "1" and since <= t <= until]
        points = [since] + times + [until]
        return max(b - a for a, b in zip(points, points[1:]))

    def test_a_wedged_worker_makes_the_watchdog_fire(self):
        res = harness.run([harness.SERVER, "--version"])
        if "test faults" not in res.stdout:
            if os.environ.get("RCPTDB_INSTALLED") == "1":
                self.skipTest("an installed (release) build has no test faults")
            self.fail("this build lacks --enable-test-faults (scripts/check builds with it)")
        timeout = 2.0  # WatchdogSec=2s
        self.start_notified(watchdog_usec=int(timeout * 1e6))
        t_ready, _ = self.notes.wait_for("READY", "1")
        # Healthy: WATCHDOG=1 keeps coming, never 2 s apart, while lookups go on.
        tcp = self.connect("recipients")
        until = time.monotonic() + 4
        while time.monotonic() < until:
            self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
            time.sleep(0.01)
        self.assertLess(self.watchdog_gaps(t_ready, time.monotonic()), timeout * 0.8)
        # Worker 0 stuck: the notifications stop; systemd would fire.
        wedged_at = time.monotonic()
        self.server.signal(signal.SIGUSR2)
        deadline = wedged_at + timeout * 3
        fired_at = None
        while time.monotonic() < deadline:
            last = max(t for t, f in self.notes.all() if f.get("WATCHDOG") == "1")
            if time.monotonic() - last > timeout:
                fired_at = time.monotonic()
                break
            time.sleep(0.05)
        self.assertIsNotNone(fired_at, "WATCHDOG=1 went on with a worker stuck")
        self.assertLess(fired_at - wedged_at, timeout * 2)
        self.assertRegex(self.log(), r"worker 0 has not run its event loop")
        # systemd kills it (WatchdogSignal=SIGABRT; SIGKILL here, without a
        # core) and starts it again (Restart=on-failure).
        self.server.signal(signal.SIGKILL)
        self.server.proc.wait(5)
        self.processes.remove(self.server)
        before = time.monotonic()
        self.start_notified(watchdog_usec=int(timeout * 1e6))
        self.notes.wait_for("READY", "1", after=before)
        harness.wait_port(self.ports["recipients"])
        tcp = self.connect("recipients")
        self.assertEqual(self.tcp_get(tcp, "alice@example.com"), "200 mailbox\n")
        self.notes.wait_for("WATCHDOG", "1", after=time.monotonic() + 0.5, timeout=timeout)


class UnitTest(harness.BlackBoxTest):
    """The unit as this machine's systemd reads it (Debian 12: 252; the
    Debian 13 stage runs this with 257)."""

    def unit(self, text=None):
        with open(os.path.join(harness.SRC, "init", "rcptdb-server.service.in")) as f:
            text = text or f.read()
        path = os.path.join(self.dir, "rcptdb-server.service")
        with open(path, "w") as f:
            f.write(text.replace("@sbindir@", os.path.dirname(harness.SERVER))
                    .replace("@sysconfdir@", self.dir).replace("@rcptdb_dbdir@", self.dir)
                    .replace("@rcptdb_database@", os.path.join(self.dir, "rcptdb.sqlite")))
        return path

    def verify(self, path):
        """systemd-analyze verify's exit status and what it said."""
        res = harness.run(["systemd-analyze", "verify", "--man=no", path], check=False)
        return res.returncode, (res.stdout + res.stderr).strip()

    def test_the_unit_is_type_notify_with_a_watchdog(self):
        path = self.unit()
        self.assertEqual(self.verify(path), (0, ""))
        with open(path) as f:
            lines = f.read().splitlines()
        for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30s",
                     "Restart=on-failure", "ExecReload=/bin/kill -HUP $MAINPID"):
            self.assertIn(line, lines)
        # Able to fail: a line this systemd cannot read is reported (with
        # exit status 0, so the output is what counts).
        with open(path) as f:
            broken = f.read().replace("WatchdogSec=30s", "WatchdogSec=soon")
        self.assertNotEqual(self.verify(self.unit(broken))[1], "")


if __name__ == "__main__":
    unittest.main()
