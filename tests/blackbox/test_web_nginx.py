# SPDX-License-Identifier: MIT
"""test_web_nginx - doc/examples/nginx-rcptdb-web.conf in a private nginx.

The documented site file runs as written, with only its names changed:
the listen ports (free loopback ports), the certificate and key (a
private CA's, made with openssl by the test), and the unix socket path.
rcptdb-web gets the settings the example's header names (listen on the
socket, unix_socket_group, trusted_proxies), read from the example too.
nginx runs with `-c` and `-e` on a private nginx.conf whose http block
includes the site; its temporary paths, pid and logs live in the test
directory, so the system's nginx is neither read nor touched. Checked:
  - plain HTTP is redirected to HTTPS;
  - through HTTPS a person signs in (cookie Secure, from
    X-Forwarded-Proto), changes a mailbox, and the audit row names the
    client's own address (the test connects from 127.0.0.2), not the
    proxy's and not a spoofed X-Forwarded-For;
  - a body over nginx's client_max_body_size is refused by nginx (413).
"""
import http.client
import json
import os
import re
import ssl
import subprocess
import time
import unittest

import harness
import web_instance
from pg_instance import make_tls
from web_instance import PASSWORDS, PrivateWeb

EXAMPLE = os.path.join(harness.SRC, "doc", "examples", "nginx-rcptdb-web.conf")
SOCKET = "/run/rcptdb-web/api.sock"
CERT = "/etc/ssl/certs/mail-admin.example.org.pem"
KEY = "/etc/ssl/private/mail-admin.example.org.key"

NGINX_CONF = """\
# private nginx.conf (tests/blackbox/test_web_nginx.py)
user www-data;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    uwsgi_temp_path {d}/tmp/uwsgi;
    scgi_temp_path {d}/tmp/scgi;
    include {d}/site.conf;
}}
"""


def example_web_settings():
    """The rcptdb-web.conf lines the example's header names."""
    with open(EXAMPLE) as f:
        lines = [m.group(1) for m in re.finditer(r"^#\s+(\w+ = .+)$", f.read(), re.M)]
    if not any(l.startswith("listen = unix:") for l in lines):
        raise AssertionError("the nginx example no longer names rcptdb-web's settings")
    return lines


class NginxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-nginx-")
        cls.procs = harness.Processes(cls.dir)
        cls.addClassCleanup(cls.procs.stop)
        cls.db = web_instance.database(cls, cls.dir, "sqlite")
        web_instance.provision_standard(cls.db)
        cls.tls = make_tls(os.path.join(cls.dir, "tls"))
        # rcptdb-web with the example's settings, its socket in the test dir.
        web_dir = os.path.join(cls.dir, "web")
        sock = os.path.join(web_dir, "api.sock")
        settings = "".join(l.replace(SOCKET, sock) + "\n" for l in example_web_settings()
                           if not l.startswith("listen"))
        cls.web = PrivateWeb(web_dir, cls.db, settings, unix=True)
        cls.web.start(cls.procs)
        # nginx with the example's site, names changed.
        cls.http_port, cls.https_port = harness.free_port(), harness.free_port()
        ngx = os.path.join(cls.dir, "nginx")
        for sub in ("tmp", "logs"):
            os.makedirs(os.path.join(ngx, sub), exist_ok=True)
        with open(EXAMPLE) as f:
            site = f.read()
        for old, new in ((f"unix:{SOCKET}", f"unix:{sock}"), (CERT, cls.tls.cert),
                         (KEY, cls.tls.key)):
            if old not in site:
                raise AssertionError(f"{EXAMPLE} no longer holds {old}")
            site = site.replace(old, new)
        site = re.sub(r"^\s*listen \[::\]:\d+.*\n", "", site, flags=re.M)
        site = site.replace("listen 80;", f"listen 127.0.0.1:{cls.http_port};")
        site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{cls.https_port} ssl;")
        with open(os.path.join(ngx, "site.conf"), "w") as f:
            f.write(site)
        conf = os.path.join(ngx, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=ngx))
        os.chmod(cls.tls.key, 0o600)
        argv = ["nginx", "-p", ngx, "-e", os.path.join(ngx, "error.log"), "-c", conf]
        test = harness.run(argv + ["-t"], check=False)
        if test.returncode != 0:
            raise AssertionError(f"nginx -t refused the example:\n{test.stderr}")
        cls.nginx = cls.procs.start(argv + ["-g", "daemon off;"], "nginx")
        harness.wait_port(cls.https_port)
        cls.context = ssl.create_default_context(cafile=cls.tls.ca)

    def https(self, method, path, body=None, headers=None, check=True):
        conn = http.client.HTTPSConnection("127.0.0.1", self.https_port, timeout=30,
                                           context=self.context,
                                           source_address=("127.0.0.2", 0))
        h = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            reply = web_instance.Reply(resp.status,
                                       {k.lower(): v for k, v in resp.getheaders()}, payload)
        finally:
            conn.close()
        if check:  # rcptdb-web's replies, not nginx's own
            self.web.openapi.check(method, path, reply)
        return reply

    def test_plain_http_is_sent_to_https(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        conn.request("GET", "/api/v1/me", headers={"Host": "mail-admin.example.org"})
        r = conn.getresponse()
        self.assertEqual(r.status, 301)
        self.assertEqual(r.getheader("Location"), "https://mail-admin.example.org/api/v1/me")
        conn.close()

    def test_through_nginx_the_client_is_named_and_the_cookie_is_secure(self):
        r = self.https("POST", "/api/v1/session", {"login": "ownadmin",
                                                   "password": PASSWORDS["ownadmin"]})
        self.assertEqual(r.status, 201, r)
        cookie = r.header("set-cookie")
        self.assertIn("Secure", cookie)
        self.assertIn("HttpOnly", cookie)
        headers = {"Cookie": cookie.split(";")[0], "X-CSRF-Token": r.json["csrf_token"],
                   "X-Forwarded-For": "203.0.113.13"}
        r = self.https("POST", "/api/v1/domains/own.test/mailboxes", {"local": "vianginx"},
                       headers)
        self.assertEqual(r.status, 201, r)
        rows = web_instance.audit_rows(self.db, "--domain", "own.test")
        row = next(x for x in rows if x["request_id"] == r.header("x-request-id"))
        self.assertEqual((row["actor"], row["client"]), ("admin:ownadmin", "127.0.0.2"))

    def test_nginx_refuses_bodies_over_its_limit(self):
        r = self.https("POST", "/api/v1/batch", b"{" + b" " * (2 << 20) + b"}", check=False)
        self.assertEqual(r.status, 413)


if __name__ == "__main__":
    unittest.main()
