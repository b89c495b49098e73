# SPDX-License-Identifier: MIT
"""test_web_hostile - rcptdb-web against clients that do not play fair.

One rcptdb-web with small limits (max_body_size 4096, client_timeout 2s,
login_limit 10 a minute) and one more that trusts 127.0.0.1 as a proxy:
  - a body over the limit is refused with 413 before it is read, a body
    without Content-Length with 411;
  - slow clients (headers dribbled, bodies never finished) are closed by
    the timeout, and another client is served meanwhile;
  - malformed JSON, bad UTF-8 (in the body and in the path), duplicate
    keys, NUL and deep nesting are 400s in problem+json;
  - <script> and quote characters in every free-text field the rules
    allow are stored and returned as data, as JSON strings, never as
    markup (the audit log too), and where the rules refuse them the
    refusal quotes them inside JSON;
  - X-Forwarded-For from a peer that is not a trusted proxy is ignored in
    the audit log and in the throttle; from a trusted one it is used;
  - a login flood is throttled (429, Retry-After) with one reply for every
    failure, while other clients are still answered.
"""
import json
import os
import socket
import threading
import time
import unittest

import harness
import web_instance
from web_instance import PASSWORDS, PrivateWeb, snapshot


class HostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-hostile-")
        cls.procs = harness.Processes(cls.dir)
        cls.addClassCleanup(cls.procs.stop)
        cls.db = web_instance.database(cls, cls.dir, "sqlite")
        web_instance.provision_standard(cls.db)
        limits = "max_body_size = 4096\nclient_timeout = 2s\nlogin_limit = 10\n" \
                 "login_window = 1m\nmax_connections_per_peer = 64\n"
        static = os.path.join(harness.SRC, "web", "static")
        cls.web = PrivateWeb(os.path.join(cls.dir, "web"), cls.db,
                             limits + f"static_dir = {static}\n").start(cls.procs)
        cls.proxied = PrivateWeb(os.path.join(cls.dir, "proxied"), cls.db,
                                 limits + "trusted_proxies = 127.0.0.1\n").start(cls.procs)
        # Its throttle is filled for 127.0.0.1 by one test: no other uses it.
        cls.spoofed = PrivateWeb(os.path.join(cls.dir, "spoofed"), cls.db,
                                 limits).start(cls.procs)
        session, _ = cls.web.sign_in("root", PASSWORDS["root"])
        r = session.post("/api/v1/tokens", {"login": "root"})
        cls.token = r.json["token"]
        cls.api = cls.web.client(token=cls.token)

    def raw(self, data, port=None, read=True):
        """Sends raw bytes on a new connection; returns the reply's bytes."""
        with socket.create_connection(("127.0.0.1", port or self.web.port), timeout=10) as s:
            s.sendall(data)
            if not read:
                return b""
            out = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
            return out

    def checked(self, method, path, out):
        """out, a raw reply to METHOD PATH, parsed and checked against
        openapi.json as ApiClient checks its own replies; returns it."""
        head, _, body = out.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", len(body)))
        self.assertEqual(len(body), length, out[:300])
        reply = web_instance.Reply(int(lines[0].split()[1]), headers, body)
        self.web.openapi.check(method, path, reply)
        return reply

    def head(self, method, path, extra=b"", body=b""):
        auth = f"Authorization: Bearer {self.token}\r\n".encode()
        return (f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode() +
                auth + extra + b"\r\n" + body)

    # --- the page's headers -----------------------------------------------------

    def test_the_page_and_its_files_carry_the_security_headers(self):
        plain = web_instance.ApiClient(self.web, check=False)
        # The page's files may load the page's own files; the API's
        # answers, JSON only, nothing at all.
        for path, default in (("/", "'self'"), ("/static/app.js", "'self'"),
                              ("/static/app.css", "'self'"), ("/api/v1/openapi.json", "'none'")):
            r = plain.get(path)
            self.assertEqual(r.status, 200, path)
            csp = r.header("content-security-policy") or ""
            self.assertIn("default-src " + default, csp, path)
            self.assertIn("frame-ancestors 'none'", csp, path)
            self.assertNotIn("unsafe-inline", csp, path)
            self.assertEqual(r.header("x-content-type-options"), "nosniff", path)
            self.assertEqual(r.header("referrer-policy"), "no-referrer", path)
        page = plain.get("/")
        self.assertTrue(page.header("content-type").startswith("text/html"), page)
        html = page.body.decode("utf-8")
        # Only the page's own files: no inline script or style, nothing
        # from another site.
        self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)[^>]*>", "an inline script")
        self.assertNotRegex(html, r"<style|\sstyle=|\son[a-z]+=", "inline style or handler")
        self.assertNotRegex(html, r"(?i)(src|href)=[\"']?(https?:)?//", "a file from elsewhere")

    # --- size ---------------------------------------------------------------

    def test_body_over_the_limit_is_413_before_it_is_read(self):
        r = self.api.post("/api/v1/domains/own.test/mailboxes",
                          raw=None, body={"local": "x" * 5000})
        self.assertEqual(r.status, 413, r)
        self.assertEqual(r.json["type"], "urn:rcptdb:problem:too-large")
        # Announced as huge, never sent: refused at once.
        start = time.monotonic()
        out = self.raw(self.head("POST", "/api/v1/batch",
                                 b"Content-Type: application/json\r\n"
                                 b"Content-Length: 10000000000\r\n"))
        self.assertTrue(out.startswith(b"HTTP/1.1 413"), out[:200])
        self.checked("POST", "/api/v1/batch", out)
        self.assertLess(time.monotonic() - start, 2)
        self.assertEqual(self.api.get("/api/v1/domains").status, 200)

    def test_a_body_without_length_is_411(self):
        out = self.raw(self.head("POST", "/api/v1/domains/own.test/mailboxes",
                                 b"Content-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n",
                                 b"5\r\n{\"a\":\r\n0\r\n\r\n"))
        self.assertTrue(out.startswith(b"HTTP/1.1 411"), out[:200])
        self.checked("POST", "/api/v1/domains/own.test/mailboxes", out)

    # --- slow clients -------------------------------------------------------

    def test_slow_clients_are_closed_while_others_are_served(self):
        slow = []
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", self.web.port), timeout=10)
            # Half a request line, or headers without the end, or half a body.
            s.sendall([b"GET /api/v1/dom", b"GET /api/v1/domains HTTP/1.1\r\nHost: x\r\n",
                       self.head("POST", "/api/v1/batch", b"Content-Length: 100\r\n",
                                 b"{\"items\":")][i % 3])
            slow.append(s)
        try:
            # Others are answered at once while the slow ones hang.
            for _ in range(5):
                start = time.monotonic()
                self.assertEqual(self.api.get("/api/v1/domains").status, 200)
                self.assertLess(time.monotonic() - start, 1.5)
            # client_timeout (2 s) closes each slow connection.
            deadline = time.monotonic() + 15
            for s in slow:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    while s.recv(4096):
                        pass  # a 408 or nothing: then EOF
                except socket.timeout:
                    self.fail("a slow client was not closed by client_timeout")
                except ConnectionResetError:
                    pass
        finally:
            for s in slow:
                s.close()

    # --- malformed input ----------------------------------------------------

    def test_malformed_json_and_utf8_are_400(self):
        url = "/api/v1/domains/own.test/mailboxes"
        for body in (b"{", b"[]", b"{\"local\": \"a\", \"local\": \"b\"}",
                     b"{\"local\": \"\xff\xfe\"}", b"{\"local\": \"\\ud800\"}",
                     b"{\"local\": \"a\\u0000b\"}", b"{\"a\":" * 50 + b"1" + b"}" * 50,
                     b"{\"local\": 'x'}", b"null", b"{\"local\": \"a\"} {}",
                     # Numbers beyond a double: the parser's out_of_range, which
                     # once went uncaught and ended the daemon.
                     b"1e400", b"{\"quota\": 1e400}"):
            r = self.api.request("POST", url, raw=body,
                                 headers={"Content-Type": "application/json"})
            self.assertEqual(r.status, 400, f"{body[:40]!r}: {r}")
            self.assertEqual(r.header("content-type"), "application/problem+json")
        # Unauthenticated too: the sign-in's body is parsed before anyone is known.
        r = web_instance.ApiClient(self.web).request(
            "POST", "/api/v1/session", raw=b"{\"login\": 1e400}",
            headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 400, r)
        self.assertTrue(self.web.process.alive(), "rcptdb-web ended")
        for path in ("/api/v1/domains/own.test/mailboxes/%ff", "/api/v1/domains/%00",
                     "/api/v1/domains/own.test/mailboxes/..", "/api/v1//domains",
                     "/api/v1/check/a%zz"):
            r = self.api.get(path)
            self.assertEqual(r.status, 400, f"{path}: {r}")
        # Raw 8-bit bytes in the target ("ü" unencoded): refused as such,
        # never looked up as a name.
        request = self.head("GET", "/api/v1/domains/X").replace(b"/X ", b"/\xc3\xbc ", 1)
        self.assertTrue(request.startswith(b"GET /api/v1/domains/\xc3\xbc HTTP/1.1\r\n"))
        out = self.raw(request)
        self.assertTrue(out.startswith(b"HTTP/1.1 400"), out[:200])
        self.assertIn("must be %-encoded",
                      self.checked("GET", "/api/v1/domains/x", out).json["detail"])

    # --- markup stored as data -------------------------------------------------

    def test_script_and_quotes_are_stored_and_returned_as_data(self):
        evil = "<script>alert(\"x'1\")</script>"
        transport = "smtp:[" + evil.replace(" ", "") + "]"
        checks = []
        r = self.api.post("/api/v1/domains/own.test/mailboxes",
                          {"local": "markup", "transport": transport})
        self.assertEqual(r.status, 201, r)
        checks.append((r, "transport", transport))
        r = self.api.post("/api/v1/domains/own.test/senders",
                          {"local": "markup", "login": evil.replace(" ", "")})
        self.assertEqual(r.status, 201, r)
        checks.append((r, "login", evil.replace(" ", "")))
        r = self.api.post("/api/v1/domains/own.test/aliases",
                          {"local": "markup2", "targets": ['"<script>x</script>"@elsewhere.test']})
        self.assertEqual((r.status, r.json["field"]), (422, "targets"), r)
        self.assertIn("<script>x</script>", r.json["detail"])
        r = self.api.patch("/api/v1/domains/own.test", {"transport": transport})
        self.assertEqual(r.status, 200, r)
        checks.append((r, "transport", transport))
        for reply, field, value in checks:
            self.assertEqual(reply.header("content-type"), "application/json")
            self.assertEqual(reply.header("x-content-type-options"), "nosniff")
            self.assertEqual(reply.json[field], value)
            # JSON strings, never raw markup in an HTML context.
            self.assertNotIn(b"text/html", reply.body)
        got = self.api.get("/api/v1/domains/own.test/mailboxes/markup")
        self.assertEqual(got.json["transport"], transport)
        audit = self.api.get("/api/v1/audit?domain=own.test&limit=10")
        self.assertIn(transport, [(x["after"] or {}).get("transport") for x in audit.json["items"]])
        self.assertEqual(audit.header("content-type"), "application/json")
        # Refused markup comes back quoted inside JSON, not as markup.
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": evil})
        self.assertEqual(r.status, 422, r)
        self.assertIn("<script>", r.json["detail"])
        self.assertEqual(r.header("content-type"), "application/problem+json")
        self.api.patch("/api/v1/domains/own.test", {"transport": "lmtp:inet:127.0.0.1:24"})

    # --- X-Forwarded-For and the throttle -----------------------------------------

    def test_forwarded_for_only_from_trusted_proxies_in_the_audit(self):
        spoof = {"X-Forwarded-For": "203.0.113.66", "X-Real-IP": "203.0.113.66"}
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "spoofed"},
                          headers=spoof)
        self.assertEqual(r.status, 201)
        rows = web_instance.audit_rows(self.db, "--domain", "own.test")
        row = next(x for x in rows if x["request_id"] == r.header("x-request-id"))
        self.assertEqual(row["client"], "127.0.0.1")
        via = self.proxied.client(token=self.token)
        r = via.post("/api/v1/domains/own.test/mailboxes", {"local": "proxied"},
                     headers={"X-Forwarded-For": "10.1.1.1, 203.0.113.77"})
        self.assertEqual(r.status, 201)
        rows = web_instance.audit_rows(self.db, "--domain", "own.test")
        row = next(x for x in rows if x["request_id"] == r.header("x-request-id"))
        self.assertEqual(row["client"], "203.0.113.77")

    def fail_login(self, web, login, xff=None):
        h = {"X-Forwarded-For": xff} if xff else {}
        return web.client(check=True).post("/api/v1/session",
                                           {"login": login, "password": "wrong"}, headers=h)

    def test_login_flood_is_throttled_and_others_are_served(self):
        # Through the trusted proxy: one flooding client, one other.
        flood = "198.51.100.7"
        replies = set()
        for i in range(10):
            r = self.fail_login(self.proxied, "ownadmin" if i % 2 else "nosuchuser", flood)
            self.assertEqual(r.status, 401, r)
            replies.add(r.body)
        self.assertEqual(len(replies), 1, "a failure's reply tells its reason")
        r = self.fail_login(self.proxied, "foreignadmin", flood)
        self.assertEqual(r.status, 429, r)
        self.assertGreaterEqual(int(r.header("retry-after")), 1)
        self.assertLessEqual(int(r.header("retry-after")), 60)
        # Even the right password is not checked for the flooding client.
        r = self.proxied.client().post("/api/v1/session",
                                       {"login": "both", "password": PASSWORDS["both"]},
                                       headers={"X-Forwarded-For": flood})
        self.assertEqual(r.status, 429, r)
        # Another client signs in, and tokens are answered.
        self.proxied.sign_in("both", PASSWORDS["both"], headers={"X-Forwarded-For":
                                                                 "198.51.100.8"})
        self.assertEqual(self.proxied.client(token=self.token).get("/api/v1/me").status, 200)
        # A spoofed X-Forwarded-For from an untrusted peer does not escape
        # the throttle: it counts against the peer.
        # (a new login each time: only the count per client can hold it).
        for i in range(10):
            r = self.fail_login(self.spoofed, f"nosuchuser{i}", f"192.0.2.{i}")
            self.assertEqual(r.status, 401, r)
        r = self.fail_login(self.spoofed, "nosuchuser-last", "192.0.2.200")
        self.assertEqual(r.status, 429, r)

    def test_one_login_is_throttled_whatever_the_client_address(self):
        # Through the trusted proxy, 10 clients each fail once on one login
        # (one no other test uses): the login's own count holds it, though
        # no client's count is near its limit.
        victim = "throttled-login"
        for i in range(10):
            r = self.fail_login(self.proxied, victim, f"198.51.100.{20 + i}")
            self.assertEqual(r.status, 401, r)
        r = self.fail_login(self.proxied, victim, "198.51.100.60")
        self.assertEqual(r.status, 429, r)
        self.assertGreaterEqual(int(r.header("retry-after")), 1)
        # That client, on another login, is not held: only the login is.
        r = self.fail_login(self.proxied, "another-login", "198.51.100.60")
        self.assertEqual(r.status, 401, r)

    def test_login_flood_from_many_threads_keeps_the_server_answering(self):
        stop = threading.Event()
        errors = []

        def flood():
            c = self.proxied.client(check=False)
            while not stop.is_set():
                try:
                    c.post("/api/v1/session", {"login": "x", "password": "y"},
                           headers={"X-Forwarded-For": "198.51.100.99"})
                except OSError as e:
                    errors.append(e)

        threads = [threading.Thread(target=flood) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            for _ in range(10):
                start = time.monotonic()
                r = self.proxied.client(token=self.token).get("/api/v1/domains")
                self.assertEqual(r.status, 200)
                self.assertLess(time.monotonic() - start, 2.0)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
