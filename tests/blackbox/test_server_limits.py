# SPDX-License-Identifier: MIT
"""test_server_limits - idle clients never lock Postfix out; run files.

rcptdb-server reclaims idle connections: when max_connections (or a peer's
max_connections_per_peer) is reached, the longest-idle connection gives way
to the newcomer (socketmap first: Postfix's socketmap client reconnects
transparently), and after socketmap_idle_timeout / tcp_table_idle_timeout.
Every reclaimed connection is logged. Proved here with Postfix's own client,
postmap(1), after raw sockets exhausted the limit.

Also the unix-socket listener's owner, group and mode; a second server on a
live socket path; --user with a database that user cannot use; and the pid
file and sockets removed after SIGTERM.
"""
import os
import pwd
import grp
import shutil
import signal
import socket
import stat
import subprocess
import time

import harness
import reference_data
from postfix_instance import queue_socket


# A python the unprivileged test users can run (the test runner's may live
# under /root).
PYTHON = "/usr/bin/python3"


def nobody():
    return pwd.getpwnam("nobody")


class LimitsTest(harness.BlackBoxTest):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db, password="{PLAIN}secret")
        # A private Postfix configuration for postmap -c: never the system's.
        self.cfg = harness.private_config(self.dir)
        self.server = None

    def start_server(self, settings="", wait=True, conf_name="rcptdb.conf", name="server",
                     extra=()):
        """Starts rcptdb-server with a tcp_table recipients listener, a socketmap
        listener on inet and one on unix, and settings appended to its file."""
        self.tcp_port = harness.free_port()
        self.sm_port = harness.free_port()
        self.sm_unix = getattr(self, "sm_unix", os.path.join(self.dir, "socketmap.sock"))
        conf = os.path.join(self.dir, conf_name)
        with open(conf, "w") as f:
            f.write(f"database = {self.db}\n"
                    f"tcp_table = recipients=127.0.0.1:{self.tcp_port}\n"
                    f"socketmap = 127.0.0.1:{self.sm_port}, unix:{self.sm_unix}\n"
                    "threads = 2\n" + settings)
        self.server = self.start([harness.SERVER, "--foreground", "-c", conf, *extra], name)
        if wait:
            harness.wait_port(self.tcp_port)
            harness.wait_port(self.sm_port)
            time.sleep(0.3)  # the probes' connections have ended
        return self.server

    def log(self):
        return self.server.output()

    def postmap(self, key, table):
        res = self.cfg.postmap("-q", key, table)
        return res.returncode, res.stdout.rstrip("\n"), res.stderr

    def assert_postmap_answers(self):
        for table in (f"tcp:127.0.0.1:{self.tcp_port}",
                      f"socketmap:inet:127.0.0.1:{self.sm_port}:recipients",
                      f"socketmap:unix:{self.sm_unix}:recipients"):
            rc, out, err = self.postmap("alice@example.com", table)
            self.assertEqual((rc, out, err), (0, "mailbox", ""), f"{table}\n{self.log()}")

    def idle(self, port):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.addCleanup(s.close)
        return s

    def wait_log(self, text, count=1, timeout=10):
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)

    def wait_until(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.assertLess(time.monotonic(), deadline, self.log())
            time.sleep(0.05)

    closed = staticmethod(harness.peer_closed)

    # --- 8.3: idle clients never lock out a new one ---------------------------

    def test_idle_clients_exhausting_the_limit_never_lock_out_postmap(self):
        self.start_server("max_connections = 20\n")
        # Twice the limit, over both protocols, all sending nothing.
        socks = [self.idle(self.tcp_port if i % 2 else self.sm_port) for i in range(40)]
        # The newest connections are served: the older idle ones gave way.
        s = socks[-1]
        s.sendall(b"get alice@example.com\n")
        s.settimeout(10)
        self.assertEqual(s.recv(100), b"200 mailbox\n")
        self.assert_postmap_answers()
        self.assert_postmap_answers()
        log = self.log()
        self.assertNotIn("refused", log)
        # Logged at most once a second, with the count of the others.
        self.wait_until(
            lambda: harness.made_room(self.log(), "max_connections 20 reached") >= 20)
        self.assertLessEqual(self.log().count("making room for"), 5, self.log())
        # Socketmap connections give way before tcp_table ones.
        first = [l for l in log.splitlines() if "making room" in l][0]
        self.assertIn("closing socketmap connection", first)
        # The oldest idle connection was closed by the server.
        self.assertTrue(self.closed(socks[0]))

    def test_per_peer_cap_keeps_one_local_user_from_crowding_out_others(self):
        user = nobody()
        self.start_server("max_connections_per_peer = 3\n")
        # Five idle unix-socket connections from user nobody, in a child.
        code = ("import socket, sys, time\n"
                "socks = []\n"
                "for _ in range(5):\n"
                "    s = socket.socket(socket.AF_UNIX)\n"
                f"    s.connect({self.sm_unix!r})\n"
                "    socks.append(s)\n"
                "    time.sleep(0.05)\n"
                "print('open', flush=True)\n"
                "sys.stdin.read()\n")
        child = subprocess.Popen([PYTHON, "-c", code], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True,
                                 preexec_fn=lambda: (os.setgid(user.pw_gid),
                                                     os.setuid(user.pw_uid)))

        def stop_child():
            if child.poll() is None:
                child.kill()
            child.wait()
        self.addCleanup(stop_child)
        self.assertEqual(child.stdout.readline(), "open\n")
        self.wait_log(f"uid {user.pw_uid} has max_connections_per_peer 3 open")
        self.wait_until(lambda: harness.made_room(
            self.log(), f"uid {user.pw_uid} has max_connections_per_peer 3 open") == 2)
        # Root's clients (another peer) are not affected by nobody's cap:
        # two idle, and postmap's own connection makes three.
        mine = [socket.socket(socket.AF_UNIX) for _ in range(2)]
        for s in mine:
            self.addCleanup(s.close)
            s.connect(self.sm_unix)
        self.assert_postmap_answers()
        for s in mine:
            self.assertFalse(self.closed(s, timeout=0.2))
        self.assertEqual(harness.made_room(self.log(), "max_connections_per_peer 3 open"), 2,
                         self.log())

    def test_socketmap_idle_timeout_is_short_tcp_table_waits(self):
        self.start_server("socketmap_idle_timeout = 1s\ntcp_table_idle_timeout = 0\n")
        sm = self.idle(self.sm_port)
        tcp = self.idle(self.tcp_port)
        self.assertTrue(self.closed(sm, timeout=5))
        self.wait_log("socketmap_idle_timeout 1s")
        self.assertIn("closing socketmap connection idle for", self.log())
        # tcp_table connections are never timed out here (0 = never).
        time.sleep(1.5)
        tcp.sendall(b"get alice@example.com\n")
        tcp.settimeout(5)
        self.assertEqual(tcp.recv(100), b"200 mailbox\n")
        self.assertNotIn("tcp_table_idle_timeout", self.log())
        self.assert_postmap_answers()

    def test_tcp_table_idle_timeout(self):
        self.start_server("tcp_table_idle_timeout = 2s\nsocketmap_idle_timeout = 0\n")
        tcp = self.idle(self.tcp_port)
        busy = self.idle(self.tcp_port)
        # A client trickling a request stays idle; one that is answered is not.
        tcp.sendall(b"get ali")
        for _ in range(3):
            time.sleep(0.8)
            busy.sendall(b"get alice@example.com\n")
            busy.settimeout(5)
            self.assertEqual(busy.recv(100), b"200 mailbox\n")
        self.assertTrue(self.closed(tcp, timeout=5))
        self.assertFalse(self.closed(busy, timeout=0.1))
        self.wait_log("tcp_table_idle_timeout 2s")

    def test_timeout_settings_are_checked(self):
        conf = os.path.join(self.dir, "bad.conf")
        for line, why in (("socketmap_idle_timeout = 5x", "expected a time"),
                          ("tcp_table_idle_timeout = -1", "expected a time"),
                          ("max_connections_per_peer = many", "expected a number"),
                          ("unix_socket_mode = 0999", "octal mode"),
                          ("unix_socket_group = a b", "expected a user or group name")):
            with open(conf, "w") as f:
                f.write(f"socketmap = 127.0.0.1:1\n{line}\n")
            res = harness.run([harness.SERVER, "-c", conf, "--check-config"], check=False)
            self.assertEqual(res.returncode, 1, line)
            self.assertIn(why, res.stderr, line)
        with open(conf, "w") as f:
            f.write("socketmap = 127.0.0.1:1\nsocketmap_idle_timeout = 2m\n"
                    "tcp_table_idle_timeout = 1h\nunix_socket_mode = 660\n")
        res = harness.run([harness.SERVER, "-c", conf, "--check-config"])
        self.assertIn("socketmap_idle_timeout = 120s\n", res.stdout)
        self.assertIn("tcp_table_idle_timeout = 3600s\n", res.stdout)
        self.assertIn("unix_socket_mode = 0660\n", res.stdout)

    # --- socketmap unix: listener access -------------------------------------

    def test_unix_socket_group_and_mode(self):
        self.start_server("unix_socket_group = postfix\nunix_socket_mode = 0660\n")
        st = os.stat(self.sm_unix)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(st.st_gid, grp.getgrnam("postfix").gr_gid)
        self.assert_postmap_answers()
        # A user outside the group cannot connect; postfix can.
        probe = ("import socket, sys\n"
                 "s = socket.socket(socket.AF_UNIX)\n"
                 "try:\n"
                 f"    s.connect({self.sm_unix!r})\n"
                 "    s.sendall(b'28:recipients alice@example.com,')\n"
                 "    print(s.recv(100))\n"
                 "except PermissionError:\n"
                 "    print('denied')\n")
        for user, want in (("nobody", "denied"), ("postfix", "OK mailbox")):
            pw = pwd.getpwnam(user)
            res = subprocess.run([PYTHON, "-c", probe], capture_output=True, text=True,
                                 timeout=10,
                                 preexec_fn=lambda pw=pw: (os.setgroups([]),
                                                           os.setgid(pw.pw_gid),
                                                           os.setuid(pw.pw_uid)))
            self.assertIn(want, res.stdout, (user, res.stdout, res.stderr))

    def test_missing_socket_group_warns_and_keeps_the_socket_closed(self):
        """The packaged rcptdb.conf names group postfix: on a host without
        Postfix the server starts anyway, and the socket reaches no one more."""
        self.start_server("unix_socket_group = rcptdb-no-such-group\nunix_socket_mode = 0660\n")
        self.assertIn("warning: unix_socket_group rcptdb-no-such-group:", self.log())
        st = os.stat(self.sm_unix)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o660)
        self.assertEqual(st.st_gid, os.getgid())
        self.assert_postmap_answers()

    def test_same_host_example_unix_listeners_serve_only_postfix(self):
        """doc/examples/rcptdb.conf, only paths, port and user changed: its
        socket in Postfix's queue directory (in a directory with the
        package's modes, root and the server's group, 0771), asked as
        Postfix's daemons ask it, by its path relative to the queue
        directory they run in; and its socket in /run/rcptdb."""
        user = nobody()
        run = os.path.join(self.dir, "run")
        data = os.path.join(self.dir, "data")
        for d in (run, data):
            os.mkdir(d)
            os.chown(d, user.pw_uid, user.pw_gid)
        queue_sock = queue_socket(self.dir, user.pw_gid)
        queue = os.path.join(self.dir, "queue")
        shutil.move(self.db, os.path.join(data, "rcptdb.sqlite"))
        self.db = os.path.join(data, "rcptdb.sqlite")
        os.chmod(self.db, 0o644)
        sock = os.path.join(run, "socketmap")
        port = harness.free_port()
        with open(os.path.join(harness.SRC, "doc", "examples", "rcptdb.conf")) as f:
            text = f.read()
        for old, new in (("unix:/var/spool/postfix/rcptdb/socketmap", f"unix:{queue_sock}"),
                         ("unix:/run/rcptdb/socketmap", f"unix:{sock}"),
                         ("policy = 127.0.0.1:10028", f"policy = 127.0.0.1:{port}"),
                         ("/var/lib/rcptdb/rcptdb.sqlite", self.db),
                         ("user = rcptdb", "user = nobody")):
            self.assertIn(old, text)
            text = text.replace(old, new)
        conf = os.path.join(self.dir, "example.conf")
        with open(conf, "w") as f:
            f.write(text)
        self.server = self.start([harness.SERVER, "--foreground", "-c", conf], "server")
        harness.wait_port(port)
        # The server runs as nobody (and owns the sockets); daemon is anyone else.
        for table, cwd in ((f"socketmap:unix:{sock}:recipients", None),
                           ("socketmap:unix:rcptdb/socketmap:recipients", queue)):
            for who, want in (("postfix", (0, "mailbox")), ("daemon", (1, ""))):
                pw = pwd.getpwnam(who)
                res = subprocess.run(["postmap", "-c", self.cfg.postfix, "-q",
                                      "alice@example.com", table], cwd=cwd,
                                     capture_output=True, text=True, timeout=30,
                                     preexec_fn=lambda pw=pw: (os.setgroups([]),
                                                               os.setgid(pw.pw_gid),
                                                               os.setuid(pw.pw_uid)))
                self.assertEqual((res.returncode, res.stdout.strip()), want,
                                 (table, who, res.stderr))
                if who == "daemon":
                    self.assertIn("Permission denied", res.stderr)
        self.assertEqual(self.server.stop(), 0, self.server.output())
        self.assertFalse(os.path.exists(sock), self.server.output())
        self.assertFalse(os.path.exists(queue_sock), self.server.output())
        self.assertNotIn("cannot remove", self.server.output())

    # --- 8.4: sockets and run files -------------------------------------------

    def test_second_server_does_not_take_a_live_socket(self):
        first = self.start_server()
        res = harness.run([harness.SERVER, "--foreground", "--db", self.db, "-c", "/dev/null",
                           "--socketmap", f"unix:{self.sm_unix}"], check=False, timeout=10)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertIn("another server is listening there", res.stderr)
        self.assertTrue(first.alive())
        self.assert_postmap_answers()
        # A stale socket (the server was killed) is replaced.
        os.kill(first.pid, signal.SIGKILL)
        first.proc.wait()
        self.assertTrue(os.path.exists(self.sm_unix))
        self.processes.remove(first)
        first.stop()
        self.start_server(conf_name="second.conf", name="second")
        self.assert_postmap_answers()

    def test_a_file_that_is_not_a_socket_is_never_removed(self):
        with open(os.path.join(self.dir, "socketmap.sock"), "w") as f:
            f.write("precious\n")
        self.sm_unix = os.path.join(self.dir, "socketmap.sock")
        server = self.start_server(wait=False)
        self.assertEqual(server.proc.wait(10), 1)
        self.assertIn("not a socket", server.output())
        with open(self.sm_unix) as f:
            self.assertEqual(f.read(), "precious\n")

    def test_sigterm_removes_pid_file_and_sockets_as_user(self):
        user = nobody()
        run = os.path.join(self.dir, "run")
        os.mkdir(run)
        os.chown(run, user.pw_uid, user.pw_gid)
        # The database directory belongs to the server's user (WAL files).
        data = os.path.join(self.dir, "data")
        os.mkdir(data)
        shutil.move(self.db, os.path.join(data, "rcptdb.sqlite"))
        self.db = os.path.join(data, "rcptdb.sqlite")
        os.chown(data, user.pw_uid, user.pw_gid)
        os.chmod(self.db, 0o644)
        self.sm_unix = os.path.join(run, "socketmap.sock")
        pid_file = os.path.join(run, "rcptdb-server.pid")
        server = self.start_server(f"user = nobody\npid_file = {pid_file}\n")
        self.assert_postmap_answers()
        self.assertEqual(os.stat(self.sm_unix).st_uid, user.pw_uid)
        self.assertEqual(os.stat(pid_file).st_uid, user.pw_uid)
        self.assertEqual(server.stop(), 0, server.output())
        self.assertFalse(os.path.exists(self.sm_unix), server.output())
        self.assertFalse(os.path.exists(pid_file), server.output())
        self.assertNotIn("cannot remove", server.output())

    def test_user_who_cannot_use_the_database_is_refused_at_start(self):
        cases = [
            # (database mode, directory owned by nobody, expected words)
            (0o600, True, "cannot read the database"),
            (0o644, False, "cannot create the database's -shm and -wal files"),
        ]
        user = nobody()
        for mode, own_dir, words in cases:
            with self.subTest(words=words):
                data = harness.open_tempdir()
                self.addCleanup(shutil.rmtree, data, True)
                db = os.path.join(data, "rcptdb.sqlite")
                shutil.copy(self.db, db)
                os.chmod(db, mode)
                if own_dir:
                    os.chown(data, user.pw_uid, user.pw_gid)
                sock = os.path.join(data, "sm.sock")
                res = harness.run([harness.SERVER, "--foreground", "--db", db, "-c", "/dev/null",
                                   "--user", "nobody", "--socketmap", f"unix:{sock}"],
                                  check=False, timeout=10)
                self.assertEqual(res.returncode, 1, res.stderr)
                self.assertIn("user nobody cannot use the database", res.stderr)
                self.assertIn(words, res.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
