# SPDX-License-Identifier: MIT
"""web_instance - a private rcptdb-web for black-box tests, and its client.

PrivateWeb writes an rcptdb-web.conf into a test directory (a free
loopback port, or a unix socket; any more settings the test gives), starts
`rcptdb-web --foreground -c FILE` and waits until it answers. It is
stopped by its pid. Nothing here reads /etc/rcptdb.

ApiClient speaks HTTP/1.1 with http.client (one connection per request,
so that a test sees each reply as a fresh client would), and checks every
reply it gets against web/openapi.json (openapi_check.py): a response the
description does not allow fails the test that received it, whatever
that test was about.

    web = PrivateWeb(os.path.join(self.dir, "web"), db).start(self)
    api = web.client(token=harness_token)        # Authorization: Bearer
    r = api.get("/api/v1/domains")               # r.status, r.json, r.headers
    api.post("/api/v1/domains", {"name": "example.com"})

Admins and tokens are made with the rcptdb command, as an admin would:
make_admin() and make_token() below.
"""
import http.client
import json
import os
import re
import socket
import sqlite3
import time

import harness
import openapi_check

WEB = os.path.join(harness.BUILD, "web", "rcptdb-web")
if os.environ.get("RCPTDB_INSTALLED") == "1":
    WEB = "/usr/sbin/rcptdb-web"
OPENAPI = os.path.join(harness.SRC, "web", "openapi.json")


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names; repeated ones as a list under name + "*"
        self.body = body
        ctype = headers.get("content-type", "")
        self.json = None
        if body and ("json" in ctype):
            self.json = json.loads(body.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


class ApiClient:
    """HTTP client of one principal; every reply is checked against openapi.json."""

    def __init__(self, web, token=None, cookie=None, csrf=None, headers=None, check=True):
        self.web = web
        self.token = token
        self.cookie = cookie
        self.csrf = csrf
        self.extra = dict(headers or {})
        self.check = check

    def _connection(self):
        if self.web.unix_path:
            return UnixHTTPConnection(self.web.unix_path)
        if self.web.tls_context is not None:
            return http.client.HTTPSConnection("127.0.0.1", self.web.port, timeout=30,
                                               context=self.web.tls_context)
        return http.client.HTTPConnection("127.0.0.1", self.web.port, timeout=30)

    def request(self, method, path, body=None, headers=None, raw=None):
        h = dict(self.extra)
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        conn = self._connection()
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                hdrs.setdefault(k.lower(), v)
                hdrs.setdefault(k.lower() + "*", []).append(v)
        finally:
            conn.close()
        reply = Reply(resp.status, hdrs, payload)
        if self.check:
            self.web.openapi.check(method, path, reply)
        return reply

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body if body is not None else {}, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class PrivateWeb:
    """rcptdb-web on a private configuration; see the module comment."""

    def __init__(self, d, db, settings="", unix=False, tls=None):
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        self.dir = d
        self.db = db
        self.unix_path = os.path.join(d, "api.sock") if unix else None
        self.port = None if unix else harness.free_port()
        self.tls_context = None
        listen = f"unix:{self.unix_path}" if unix else f"127.0.0.1:{self.port}"
        self.conf = os.path.join(d, "rcptdb-web.conf")
        text = f"database = {db}\nlisten = {listen}\n"
        if tls is not None:  # pg_instance.make_tls()'s files: cert, key, ca
            text += f"tls_certificate = {tls.cert}\ntls_key = {tls.key}\n"
            import ssl
            self.tls_context = ssl.create_default_context(cafile=tls.ca)
        self.write_conf(text + settings)
        self.process = None
        self.openapi = openapi_check.OpenApi(OPENAPI)

    def write_conf(self, text):
        with open(self.conf, "w") as f:
            f.write("# private rcptdb-web.conf (tests/blackbox/web_instance.py)\n" + text)

    def argv(self, *extra):
        return [WEB, "-c", self.conf, "--foreground", *extra]

    def start(self, owner):
        """Starts it under owner (a test with start(argv, name), or a MailStack)."""
        self.process = owner.start(self.argv(), "rcptdb-web")
        self.wait_ready()
        return self

    def wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and not self.process.alive():
                raise AssertionError("rcptdb-web exited:\n" + self.process.output())
            try:
                r = self.client(check=False).get("/api/v1/openapi.json")
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError("rcptdb-web did not answer:\n" + self.process.output())

    def client(self, **kw):
        return ApiClient(self, **kw)

    def log(self):
        return self.process.output() if self.process else ""

    def sign_in(self, login, password, **kw):
        """Signs in through POST /api/v1/session; returns a cookie client."""
        r = self.client(**kw).post("/api/v1/session", {"login": login, "password": password})
        if r.status != 201:
            raise AssertionError(f"sign in as {login}: {r}")
        cookie = r.header("set-cookie").split(";", 1)[0]
        return self.client(cookie=cookie, csrf=r.json["csrf_token"], **kw), r


def make_admin(db, login, password="Admin-Secret-1", role="server", domains=()):
    """rcptdb admin add LOGIN --role ROLE [--domain D]... --password-stdin."""
    args = ["admin", "add", login, "--role", role, "--password-stdin"]
    for d in domains:
        args += ["--domain", d]
    harness.rcptdb(db, *args, input=password + "\n")
    return password


TOKEN_RE = re.compile(r"\brcptdb_[a-z0-9]{12}_[A-Za-z0-9_-]+")


def make_token(db, login, domains=(), read_only=False, expires=None, networks=()):
    """rcptdb token create LOGIN ...; returns the secret it prints once."""
    args = ["token", "create", login]
    for d in domains:
        args += ["--domain", d]
    if read_only:
        args.append("--read-only")
    if expires is not None:
        args += ["--expires", str(expires)]
    for n in networks:
        args += ["--from", n]
    out = harness.rcptdb(db, *args).stdout
    m = TOKEN_RE.search(out)
    if not m:
        raise AssertionError(f"no token in rcptdb token create's output:\n{out}")
    return m.group(0)


def token_prefix(token):
    return token.split("_")[1]


# --- a standard dataset, on SQLite or on a private PostgreSQL ------------

PASSWORDS = {"root": "Root-Secret-1", "ownadmin": "Own-Secret-1", "foreignadmin": "For-Secret-1",
             "both": "Both-Secret-1"}
MAILBOX_PASSWORD = "Mailbox-Secret-1"


def database(cls, d, engine):
    """A new, empty rcptdb database for a test class: a SQLite file in d, or
    a database in a private PostgreSQL cluster started for the class."""
    if engine == "sqlite":
        db = os.path.join(d, "rcptdb.sqlite")
    else:
        from pg_instance import PrivatePostgres
        pg = PrivatePostgres(os.path.join(d, "pg")).start()
        cls.addClassCleanup(pg.stop)
        pg.create_database("rcptdb")
        db = pg.uri("rcptdb")
    harness.rcptdb(db, "init")
    if engine == "sqlite":
        os.chmod(db, 0o644)
    return db


def provision_standard(db):
    """own.test and foreign.test (hosted), ownrelay.test and foreignrelay.test
    (relay), alias.test (an alias domain of own.test); a mailbox, an alias
    and a sender rule in each hosted domain, a relay recipient in each relay
    domain; the server admin root, the domain admins ownadmin (own.test,
    ownrelay.test), foreignadmin (foreign.test, foreignrelay.test) and both
    (own.test and foreign.test)."""
    t = "lmtp:inet:127.0.0.1:24"
    pw = MAILBOX_PASSWORD + "\n"
    for args, stdin in [
            (["domain", "add", "own.test", "--transport", t], None),
            (["domain", "add", "foreign.test", "--transport", t], None),
            (["domain", "add", "ownrelay.test", "--kind", "relay", "--nexthop",
              "[mx.ownrelay.test]"], None),
            (["domain", "add", "foreignrelay.test", "--kind", "relay", "--nexthop",
              "[mx.foreignrelay.test]"], None),
            (["domain", "add", "alias.test", "--kind", "alias", "--target", "own.test"], None),
            (["mailbox", "add", "alice@own.test", "--password-stdin"], pw),
            (["mailbox", "add", "bob@foreign.test", "--password-stdin"], pw),
            (["alias", "add", "sales@own.test", "alice@own.test"], None),
            (["alias", "add", "sales@foreign.test", "bob@foreign.test"], None),
            (["relay-recipient", "add", "listed@ownrelay.test"], None),
            (["relay-recipient", "add", "listed@foreignrelay.test"], None),
            (["sender", "allow", "alice@own.test", "alice-sasl"], None),
            (["sender", "allow", "bob@foreign.test", "bob-sasl"], None)]:
        harness.rcptdb(db, *args, input=stdin)
    make_admin(db, "root", PASSWORDS["root"], "server")
    make_admin(db, "ownadmin", PASSWORDS["ownadmin"], "domain", ["own.test", "ownrelay.test"])
    make_admin(db, "foreignadmin", PASSWORDS["foreignadmin"], "domain",
               ["foreign.test", "foreignrelay.test"])
    make_admin(db, "both", PASSWORDS["both"], "domain", ["own.test", "foreign.test"])


def run_sql(db, text):
    """Runs plain SQL on db, a SQLite file or a PostgreSQL URI, as an admin
    outside rcptdb would."""
    if db.startswith("postgresql:"):
        harness.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db, "-c", text])
        return
    con = sqlite3.connect(db)
    try:
        con.execute(text)
        con.commit()
    finally:
        con.close()


def snapshot(db):
    """Everything provisioning can change, as rcptdb export, the admin and
    token lists and the audit log show it: equal snapshots mean nothing
    changed, and no audit row was written for a refusal."""
    out = [harness.rcptdb(db, "export", "--format", "json").stdout]
    for args in (["admin", "list"], ["token", "list"], ["config", "list"], ["audit"]):
        out.append(harness.rcptdb(db, "--json", *args).stdout)
    return "\n".join(out)


def audit_rows(db, *args):
    """rcptdb --json audit ARGS as a list of dicts, newest first."""
    text = harness.rcptdb(db, "--json", "audit", *args).stdout.strip()
    if not text:
        return []
    if text.startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]
