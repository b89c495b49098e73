# SPDX-License-Identifier: MIT
"""test_web_daemon - rcptdb-web as a daemon: configuration, listeners, signals.

  - --check-config prints the effective settings; an unknown setting and
    a listener that is neither loopback, unix, TLS nor behind a trusted
    proxy are refused at start, in one line, exit 1;
  - a unix-socket listener with its mode, removed at exit;
  - a TLS listener (a private CA's certificate): HTTPS works, plain HTTP
    does not, and the session cookie is Secure;
  - a plain listener on every interface behind trusted_proxies accepts
    connections from those proxies only;
  - SIGHUP reloads what it may (the login limit here; sessions kept) and
    says what needs a restart; a configuration that does not load is
    refused and the running one stays;
  - without --foreground it forks, writes its pid file, and SIGTERM ends it.
"""
import os
import signal
import socket
import stat
import time
import unittest

import harness
import web_instance
from pg_instance import make_tls
from web_instance import WEB, PASSWORDS, PrivateWeb


class DaemonTest(harness.BlackBoxTest):
    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        harness.rcptdb(self.db, "init")
        harness.rcptdb(self.db, "domain", "add", "own.test")
        web_instance.make_admin(self.db, "root", PASSWORDS["root"])

    def conf(self, text, name="web.conf"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(f"database = {self.db}\n" + text)
        return path

    def run_web(self, *args):
        return harness.run([WEB, *args], check=False, timeout=30)

    def test_check_config_and_refusals_in_one_line(self):
        port = harness.free_port()
        res = self.run_web("-c", self.conf(f"listen = 127.0.0.1:{port}\nlogin_limit = 3\n"),
                           "--check-config")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn(f"listen = 127.0.0.1:{port}\n", res.stdout)
        self.assertIn("login_limit = 3\n", res.stdout)
        for text, words in (
                (f"listen = 0.0.0.0:{port}\n",
                 "is neither loopback, unix, TLS nor behind a trusted proxy"),
                (f"listen = 192.0.2.1:{port}\ntrusted_proxies = unix\n",
                 "is neither loopback, unix, TLS nor behind a trusted proxy"),
                ("lissen = 127.0.0.1:1\n", 'unknown setting "lissen"'),
                ("tls_key = /nonexistent.key\n", "tls_certificate and tls_key go together")):
            for extra in ([], ["--check-config"]):
                res = self.run_web("-c", self.conf(text), "--foreground", *extra)
                self.assertEqual(res.returncode, 1, text)
                self.assertIn(words, res.stderr)
                self.assertEqual(res.stderr.count("\n"), 1, res.stderr)
        res = self.run_web("-c", os.path.join(self.dir, "missing.conf"), "--check-config")
        self.assertEqual(res.returncode, 1)
        self.assertIn("cannot read configuration file", res.stderr)

    def test_the_defaults_are_the_documented_ones(self):
        # A file holding only the database: what rcptdb-web.conf(5) and the
        # issue promise, loopback and 10 failed sign-ins a minute among them.
        res = self.run_web("-c", self.conf(""), "--check-config")
        self.assertEqual(res.returncode, 0, res.stderr)
        for line in ("listen = 127.0.0.1:8025", "trusted_proxies = ", "login_limit = 10",
                     "login_window = 60s", "unix_socket_mode = 0660", "user = "):
            self.assertIn(line + "\n", res.stdout)

    def test_the_shipped_configuration_is_valid(self):
        example = os.path.join(harness.SRC, "doc", "examples", "rcptdb-web.conf")
        res = self.run_web("-c", example, "--check-config")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("listen = 127.0.0.1:8025\n", res.stdout)
        self.assertIn("user = rcptdb-web\n", res.stdout)

    def test_unix_listener(self):
        web = PrivateWeb(os.path.join(self.dir, "web"), self.db, "unix_socket_mode = 0600\n",
                         unix=True)
        web.start(self)
        self.assertEqual(stat.S_IMODE(os.stat(web.unix_path).st_mode), 0o600)
        self.assertTrue(stat.S_ISSOCK(os.stat(web.unix_path).st_mode))
        api, _ = web.sign_in("root", PASSWORDS["root"])
        r = api.get("/api/v1/domains")
        self.assertEqual(r.status, 200, r)
        # The audit names the peer "unix" when no proxy vouches for a client.
        api.post("/api/v1/domains/own.test/mailboxes", {"local": "viaunix"})
        rows = web_instance.audit_rows(self.db, "--domain", "own.test")
        self.assertEqual(rows[0]["client"], "unix")
        self.assertEqual(web.process.stop(), 0)
        self.assertFalse(os.path.exists(web.unix_path))

    def test_tls_listener_and_secure_cookie(self):
        tls = make_tls(os.path.join(self.dir, "tls"))
        web = PrivateWeb(os.path.join(self.dir, "web"), self.db, tls=tls)
        web.start(self)
        _, reply = web.sign_in("root", PASSWORDS["root"])
        cookie = reply.header("set-cookie")
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/", "Secure"):
            self.assertIn(attr, cookie)
        # Plain HTTP on the TLS port gets no HTTP answer.
        with socket.create_connection(("127.0.0.1", web.port), timeout=5) as s:
            s.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                got = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                got = b""
        self.assertFalse(got.startswith(b"HTTP/1.1 200"), got)

    def test_plain_listener_behind_proxies_takes_only_them(self):
        port = harness.free_port()
        web = PrivateWeb(os.path.join(self.dir, "web"), self.db,
                         f"listen = 0.0.0.0:{port}\ntrusted_proxies = 192.0.2.1\n")
        web.port = port
        web.process = self.start(web.argv(), "rcptdb-web")
        deadline = time.monotonic() + 10
        refused = False
        while time.monotonic() < deadline and not refused:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                    s.sendall(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
                    refused = s.recv(100) == b""
            except ConnectionRefusedError:
                time.sleep(0.1)  # not listening yet
            except ConnectionResetError:
                refused = True
        self.assertTrue(refused, "a peer that is not a trusted proxy was served")
        self.assertTrue(web.process.alive())

    def test_sighup_reloads_what_it_may(self):
        web = PrivateWeb(os.path.join(self.dir, "web"), self.db, "login_limit = 2\n")
        web.start(self)
        api, _ = web.sign_in("root", PASSWORDS["root"])

        def bad_login():
            return web.client().post("/api/v1/session", {"login": "root", "password": "no"})

        self.assertEqual([bad_login().status for _ in range(3)], [401, 401, 429])
        with open(web.conf) as f:
            text = f.read()
        web.write_conf(text.split("\n", 1)[1].replace("login_limit = 2", "login_limit = 50"))
        web.process.signal(signal.SIGHUP)
        self.assertTrue(_wait(lambda: "reloaded" in web.log()), web.log())
        self.assertEqual(bad_login().status, 401)
        self.assertEqual(api.get("/api/v1/me").status, 200)  # the session survived
        # A broken file is refused; the daemon keeps the running settings.
        web.write_conf("listen = not-an-address\n")
        web.process.signal(signal.SIGHUP)
        self.assertTrue(_wait(lambda: "reload refused" in web.log()), web.log())
        self.assertEqual(api.get("/api/v1/me").status, 200)
        # A new listener needs a restart, and the log says so.
        web.write_conf(text.split("\n", 1)[1].replace(str(web.port), str(harness.free_port())))
        web.process.signal(signal.SIGHUP)
        self.assertTrue(_wait(lambda: "take effect only at a restart" in web.log()), web.log())
        self.assertEqual(web.process.stop(), 0)

    def test_daemonizes_with_a_pid_file(self):
        port = harness.free_port()
        pid_file = os.path.join(self.dir, "web.pid")
        conf = self.conf(f"listen = 127.0.0.1:{port}\npid_file = {pid_file}\n")
        res = self.run_web("-c", conf)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(_wait(lambda: os.path.exists(pid_file)))
        with open(pid_file) as f:
            pid = int(f.read())
        try:
            # SIGTERM as soon as the pid file names the daemon, while it may
            # still be starting: the stop is the clean one all the same.
            os.kill(pid, signal.SIGTERM)
            self.assertTrue(_wait(lambda: not os.path.exists(f"/proc/{pid}")))
            self.assertFalse(os.path.exists(pid_file))
        finally:
            if os.path.exists(f"/proc/{pid}"):
                os.kill(pid, signal.SIGKILL)


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


if __name__ == "__main__":
    unittest.main()
