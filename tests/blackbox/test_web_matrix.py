# SPDX-License-Identifier: MIT
"""test_web_matrix - who may do what, through the real rcptdb-web.

The authorization matrix of issue 22 as a table: every endpoint and
method (the rows of case_list() and global_cases()), for each kind of
principal (PRINCIPALS: a server admin's token, a domain admin's token, a
server admin's token narrowed to one domain, a domain admin's read-only
token, a domain admin's page session, a mailbox owner's page session),
against an object in its own domain and one in a foreign domain, with the
status the rules give (expected()). Administrators and tokens are "own"
when their scope is within the asker's and "foreign" when it holds a
foreign domain. Every object a request names exists, so a 404 is the
authorization's and never the object's absence; a delete is checked like
an edit (mailcow CVE-2026-40874). Every refusal changes nothing: the
database (rcptdb export, admins, tokens, settings, the audit log) is
compared before and after each principal's refusals, and no audit row
appears after any of them. Every change that is allowed leaves exactly
one new audit row, naming that principal as its actor (admin:LOGIN,
token:PREFIX, mailbox:ADDRESS), the object and the action; signing in
and out change no provisioning and leave none.

More rows, written out: the rank rule (a domain admin reading, resetting,
disabling or minting a token for a server admin or a wider admin, or
widening itself), IDs and addresses swapped between the URL and the body,
a batch with one out-of-scope item, and every failed authentication
(tokens that are expired, revoked, owner-disabled or used from outside
their networks; a wrong password, an unknown login, a disabled admin or
mailbox owner signing in; a session cookie that expired or whose owner
was disabled), which all get the same 401.
"""
import itertools
import json
import os
import time
import unittest
import urllib.parse

import harness
import web_instance
from web_instance import MAILBOX_PASSWORD, PASSWORDS, PrivateWeb, snapshot, token_prefix

Q = urllib.parse.quote

SIDES = {"own": ("own.test", "ownrelay.test", "alice", "bob"),
         "foreign": ("foreign.test", "foreignrelay.test", "bob", "alice")}
PRINCIPALS = ["server", "domain", "narrow", "readonly", "session", "mailbox"]
# The login each principal stands for, and its password.
LOGINS = {"server": "root", "domain": "ownadmin", "narrow": "root", "readonly": "ownadmin",
          "session": "ownadmin", "mailbox": "alice@own.test"}
COOKIES = ("session", "mailbox")
# An allowed write that changes no provisioning and leaves no audit row.
NO_ROW = "no audit row"

_n = itertools.count()


def fresh(prefix):
    return f"{prefix}{next(_n)}"


def password_of(login):
    return PASSWORDS.get(login, MAILBOX_PASSWORD)


# Kinds whose status does not depend on the side: who -> status, where
# True stands for the row's success status.
FIXED = {
    # Anyone authenticated reads who it is; signing in is public.
    "me": dict.fromkeys(PRINCIPALS, True),
    "public": dict.fromkeys(PRINCIPALS, True),
    # Only a cookie has a session to read or end.
    "cookie-only": {who: True if who in COOKIES else 404 for who in PRINCIPALS},
    # One's own password, or a token of one's own: a token only if it holds
    # all its owner holds (narrow: 404), and never a read-only one (403).
    # A mailbox owner changes its own password but holds no tokens.
    "my-password": {"server": True, "domain": True, "narrow": 404, "readonly": 403,
                    "session": True, "mailbox": True},
    "self-token": {"server": True, "domain": True, "narrow": 404, "readonly": 403,
                   "session": True, "mailbox": 404},
}


def expected(kind, who, side, success):
    """The status the rules of issue 22 give (see authorize.h)."""
    if kind in FIXED:
        s = FIXED[kind][who]
        return success if s is True else s
    if who == "server":
        return success
    if kind == "rank-create" and side == "foreign":
        # A foreign domain in the body reads as a domain that does not
        # exist (test_out_of_rank_reads_exactly_as_missing compares them).
        return 422
    if who == "mailbox":
        return success if kind == "own-mailbox" and side == "own" else 404
    if kind in ("domains-list", "settings-read", "audit-list", "admins-list", "tokens-list"):
        return success
    if kind in ("domain-create", "settings-write"):
        return 403
    if side == "foreign":
        return 404
    if kind in ("domain-read", "part-read", "check", "audit-domain", "own-mailbox"):
        return success
    if kind == "domain-write":
        return 403
    if kind in ("part-write", "rank-create"):
        return 403 if who == "readonly" else success
    raise AssertionError(kind)


class Row:
    """One request of the table.

    audit: for a write, (kind, object, action) of the one audit row it
    leaves when allowed (object may be a function of the reply), or NO_ROW.
    client: a function of the principal giving the client to send it with
    (default: the principal's own). then: a function of that client, run
    after an allowed request, for more proof of what it did."""

    def __init__(self, label, kind, method, path, body, success, audit=None, client=None,
                 then=None):
        self.label, self.kind, self.method, self.path = label, kind, method, path
        self.body, self.success, self.audit = body, success, audit
        self.client, self.then = client, then
        assert (audit is None) == (method == "GET"), label


class MatrixTest(unittest.TestCase):
    engine = "sqlite"

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-matrix-")
        cls.procs = harness.Processes(cls.dir)
        cls.addClassCleanup(cls.procs.stop)
        cls.db = web_instance.database(cls, cls.dir, cls.engine)
        web_instance.provision_standard(cls.db)
        # The bad tokens below count as failures against 127.0.0.1: the
        # throttle is test_web_hostile's, not this table's.
        cls.web = PrivateWeb(os.path.join(cls.dir, "web"), cls.db,
                             "login_limit = 1000\n").start(cls.procs)
        root_session, _ = cls.web.sign_in("root", PASSWORDS["root"])
        cls.root_session = root_session

        def mint(body):
            r = root_session.post("/api/v1/tokens", body)
            assert r.status == 201, r
            return r.json["token"]

        cls.tokens = {
            "server": mint({"login": "root"}),
            "domain": mint({"login": "ownadmin"}),
            "narrow": mint({"login": "root", "domains": ["own.test", "ownrelay.test"]}),
            "readonly": mint({"login": "ownadmin", "read_only": True}),
        }
        cls.clients = {who: cls.web.client(token=t) for who, t in cls.tokens.items()}
        cls.actors = {who: "token:" + token_prefix(t) for who, t in cls.tokens.items()}
        cls.clients["session"], _ = cls.web.sign_in("ownadmin", PASSWORDS["ownadmin"])
        cls.actors["session"] = "admin:ownadmin"
        cls.clients["mailbox"], _ = cls.web.sign_in("alice@own.test", MAILBOX_PASSWORD)
        cls.actors["mailbox"] = "mailbox:alice@own.test"
        cls.root = cls.clients["server"]

    # --- the setup of each object, made by the server admin -------------

    def make(self, method, path, body):
        r = self.root.request(method, path, body)
        self.assertLess(r.status, 300, f"setup {method} {path}: {r}")
        return r

    def make_admin(self, domains):
        login = fresh("adm")
        self.make("POST", "/api/v1/admins", {"login": login, "role": "domain",
                                             "domains": domains})
        return login

    def make_token(self, login):
        return self.make("POST", "/api/v1/tokens", {"login": login}).json["prefix"]

    def case_list(self):
        """(Row, side) for each side, with the objects the requests name made first."""
        cases = []
        for side, (dom, relay, local, _other) in SIDES.items():
            d = Q(dom)
            m, a, r, s, lg = fresh("m"), fresh("a"), fresh("r"), fresh("s"), fresh("l")
            self.make("POST", f"/api/v1/domains/{d}/mailboxes", {"local": m})
            self.make("POST", f"/api/v1/domains/{d}/aliases", {"local": a,
                                                              "targets": [f"{local}@{dom}"]})
            self.make("POST", f"/api/v1/domains/{relay}/relay-recipients", {"local": r})
            self.make("POST", f"/api/v1/domains/{d}/senders", {"local": s, "login": lg})
            self.make("PUT", f"/api/v1/domains/{d}/catchall", {"target": f"{local}@{dom}"})
            # Administrators and tokens of this side: their scope is one
            # domain of it.
            adm, tadm = self.make_admin([dom]), self.make_admin([dom])
            tok = self.make_token(tadm)
            mb, al, rr, se = (f"/api/v1/domains/{d}/mailboxes", f"/api/v1/domains/{d}/aliases",
                              f"/api/v1/domains/{relay}/relay-recipients",
                              f"/api/v1/domains/{d}/senders")
            n = [fresh("n") for _ in range(6)]
            newadm = fresh("adm")
            mine = [
                Row("domain get", "domain-read", "GET", f"/api/v1/domains/{d}", None, 200),
                Row("domain patch", "domain-write", "PATCH", f"/api/v1/domains/{d}",
                    {"active": True}, 200, ("domain", dom, "update")),
                Row("mailbox list", "part-read", "GET", mb, None, 200),
                Row("mailbox create", "part-write", "POST", mb, {"local": n[0]}, 201,
                    ("mailbox", f"{n[0]}@{dom}", "create")),
                Row("mailbox get", "part-read", "GET", f"{mb}/{m}", None, 200),
                Row("mailbox patch", "part-write", "PATCH", f"{mb}/{m}", {"quota": 1024}, 200,
                    ("mailbox", f"{m}@{dom}", "update")),
                Row("mailbox password reset", "part-write", "PATCH", f"{mb}/{m}",
                    {"password": "Reset-Pass-1"}, 200, ("mailbox", f"{m}@{dom}", "update")),
                Row("own mailbox get", "own-mailbox", "GET", f"{mb}/{local}", None, 200),
                Row("alias list", "part-read", "GET", al, None, 200),
                Row("alias create", "part-write", "POST", al,
                    {"local": n[1], "targets": [f"{local}@{dom}"]}, 201,
                    ("alias", f"{n[1]}@{dom}", "create")),
                Row("alias get", "part-read", "GET", f"{al}/{a}", None, 200),
                Row("alias patch", "part-write", "PATCH", f"{al}/{a}", {"active": False}, 200,
                    ("alias", f"{a}@{dom}", "update")),
                Row("catchall get", "part-read", "GET", f"/api/v1/domains/{d}/catchall", None,
                    200),
                Row("catchall put", "part-write", "PUT", f"/api/v1/domains/{d}/catchall",
                    {"target": f"{local}@{dom}"}, 200, ("domain", dom, "update")),
                Row("relay list", "part-read", "GET", rr, None, 200),
                Row("relay create", "part-write", "POST", rr, {"local": n[2]}, 201,
                    ("relay_recipient", f"{n[2]}@{relay}", "create")),
                Row("relay get", "part-read", "GET", f"{rr}/{r}", None, 200),
                Row("sender list", "part-read", "GET", se, None, 200),
                Row("sender create", "part-write", "POST", se, {"local": n[3], "login": "x"},
                    201, ("sender_login", f"{n[3]}@{dom}", "create")),
                Row("sender get", "part-read", "GET", f"{se}/{s}/{lg}", None, 200),
                Row("check", "check", "GET", f"/api/v1/check/{local}%40{d}", None, 200),
                Row("audit of a domain", "audit-domain", "GET", f"/api/v1/audit?domain={d}",
                    None, 200),
                Row("admin get", "part-read", "GET", f"/api/v1/admins/{adm}", None, 200),
                Row("admin create", "rank-create", "POST", "/api/v1/admins",
                    {"login": newadm, "role": "domain", "domains": [dom]}, 201,
                    ("admin", newadm, "create")),
                Row("admin patch", "part-write", "PATCH", f"/api/v1/admins/{adm}",
                    {"active": True}, 200, ("admin", adm, "update")),
                Row("admin password reset", "part-write", "PATCH", f"/api/v1/admins/{adm}",
                    {"password": "Reset-Pass-1"}, 200, ("admin", adm, "update")),
                Row("token get", "part-read", "GET", f"/api/v1/tokens/{tok}", None, 200),
                Row("token create", "part-write", "POST", "/api/v1/tokens", {"login": tadm},
                    201, ("token", lambda reply: reply.json["prefix"], "create")),
                Row("batch", "part-write", "POST", "/api/v1/batch",
                    {"items": [{"method": "POST", "path": mb, "body": {"local": n[4]}}]}, 200,
                    ("mailbox", f"{n[4]}@{dom}", "create")),
            ]
            # Deletes last: each needs an object of its own, so make more.
            m2, a2, r2, s2, l2 = fresh("m"), fresh("a"), fresh("r"), fresh("s"), fresh("l")
            self.make("POST", mb, {"local": m2})
            self.make("POST", al, {"local": a2, "targets": [f"{local}@{dom}"]})
            self.make("POST", rr, {"local": r2})
            self.make("POST", se, {"local": s2, "login": l2})
            adm2 = self.make_admin([dom])
            tok2 = self.make_token(tadm)
            mine += [
                Row("mailbox delete", "part-write", "DELETE", f"{mb}/{m2}", None, 204,
                    ("mailbox", f"{m2}@{dom}", "delete")),
                Row("alias delete", "part-write", "DELETE", f"{al}/{a2}", None, 204,
                    ("alias", f"{a2}@{dom}", "delete")),
                Row("relay delete", "part-write", "DELETE", f"{rr}/{r2}", None, 204,
                    ("relay_recipient", f"{r2}@{relay}", "delete")),
                Row("sender delete", "part-write", "DELETE", f"{se}/{s2}/{l2}", None, 204,
                    ("sender_login", f"{s2}@{dom}", "delete")),
                Row("catchall delete", "part-write", "DELETE", f"/api/v1/domains/{d}/catchall",
                    None, 204, ("domain", dom, "update")),
                Row("admin delete", "part-write", "DELETE", f"/api/v1/admins/{adm2}", None, 204,
                    ("admin", adm2, "delete")),
                Row("token revoke", "part-write", "DELETE", f"/api/v1/tokens/{tok2}", None, 204,
                    ("token", tok2, "delete")),
            ]
            cases += [(c, side) for c in mine]
        return cases

    def signed_in_again(self, who):
        """A new session of who, or who's token client (which has none)."""
        if who in COOKIES:
            client, _ = self.web.sign_in(LOGINS[who], password_of(LOGINS[who]))
            return client
        return self.clients[who]

    def signed_out(self, client):
        self.assertEqual(client.get("/api/v1/me").status, 401, "the session outlived its end")

    def global_cases(self, who):
        """Endpoints that name no domain; a server admin's writes get fresh objects."""
        dd = fresh("dd") + ".test"
        if who == "server":
            self.make("POST", "/api/v1/domains", {"name": dd})
            deleted = dd
        else:
            deleted = "own.test"  # refused: nothing happens to it
        created = fresh("new") + ".test"
        me = LOGINS[who]
        myself = ("mailbox", me, "update") if who == "mailbox" else ("admin", me, "update")
        return [
            Row("domains list", "domains-list", "GET", "/api/v1/domains", None, 200),
            Row("domain create", "domain-create", "POST", "/api/v1/domains",
                {"name": created}, 201, ("domain", created, "create")),
            Row("domain delete", "domain-write", "DELETE", f"/api/v1/domains/{deleted}", None,
                204, ("domain", deleted, "delete")),
            Row("settings get", "settings-read", "GET", "/api/v1/settings", None, 200),
            Row("settings patch", "settings-write", "PATCH", "/api/v1/settings",
                {"catchall_senders": "no"}, 200, ("setting", "catchall_senders", "update")),
            Row("audit", "audit-list", "GET", "/api/v1/audit", None, 200),
            Row("admins list", "admins-list", "GET", "/api/v1/admins", None, 200),
            Row("tokens list", "tokens-list", "GET", "/api/v1/tokens", None, 200),
            Row("token for oneself", "self-token", "POST", "/api/v1/tokens", {}, 201,
                ("token", lambda reply: reply.json["prefix"], "create")),
            Row("me", "me", "GET", "/api/v1/me", None, 200),
            # The same password again: the class's sign-ins stay valid.
            Row("my password", "my-password", "POST", "/api/v1/me/password",
                {"current": password_of(me), "new": password_of(me)}, 204, myself),
            Row("session get", "cookie-only", "GET", "/api/v1/session", None, 200),
            Row("sign in", "public", "POST", "/api/v1/session",
                {"login": "foreignadmin", "password": PASSWORDS["foreignadmin"]}, 201, NO_ROW),
            Row("sign out", "cookie-only", "DELETE", "/api/v1/session", None, 204, NO_ROW,
                client=self.signed_in_again, then=self.signed_out),
        ]

    def newest_audit_id(self):
        items = self.root.get("/api/v1/audit?limit=1").json["items"]
        return items[0]["id"] if items else 0

    def run_case(self, who, row, side):
        want = expected(row.kind, who, side, row.success)
        client = row.client(who) if row.client else self.clients[who]
        last = self.newest_audit_id() if row.audit else None
        r = client.request(row.method, row.path, row.body)
        where = f"{who} {row.label} ({side}): {row.method} {row.path}"
        self.assertEqual(r.status, want, f"{where} -> {r}")
        if want >= 400:
            self.assertEqual(r.header("content-type"), "application/problem+json")
        if row.audit is None:
            return
        new = [x for x in self.root.get("/api/v1/audit?limit=20").json["items"]
               if x["id"] > last]
        if want >= 400 or row.audit == NO_ROW:
            self.assertEqual(new, [], f"{where}: audit rows of a request that changed nothing")
        else:
            kind, obj, action = row.audit
            obj = obj(r) if callable(obj) else obj
            self.assertEqual([(x["actor"], x["kind"], x["object"], x["action"]) for x in new],
                             [(self.actors[who], kind, obj, action)],
                             f"{where}: not one audit row naming who did what")
        if want < 400 and row.then:
            row.then(client)

    def test_every_endpoint_for_every_principal_own_and_foreign(self):
        checked = 0
        for who in PRINCIPALS:
            cases = self.case_list() + [(c, "own") for c in self.global_cases(who)]
            # Refusals first, with the database compared around them; then
            # what this principal may do.
            refused = [(c, s) for c, s in cases if expected(c.kind, who, s, c.success) >= 400]
            allowed = [(c, s) for c, s in cases if expected(c.kind, who, s, c.success) < 400]
            # Each row is a subtest: a run names every row that fails.
            before = snapshot(self.db)
            for row, side in refused:
                with self.subTest(who=who, row=row.label, side=side):
                    self.run_case(who, row, side)
                checked += 1
            with self.subTest(who=who, row="the refusals changed nothing"):
                self.assertEqual(snapshot(self.db), before, f"{who}: a refused request changed data")
            for row, side in allowed:
                with self.subTest(who=who, row=row.label, side=side):
                    self.run_case(who, row, side)
                checked += 1
        self.assertGreater(checked, 500)

    # --- the rank rule ----------------------------------------------------------

    def test_rank_rule(self):
        grant = self.root.post("/api/v1/tokens", {"login": "root"}).json["prefix"]
        rows = [
            # who, method, path, body, status
            ("domain", "GET", "/api/v1/admins/root", None, 404),
            ("domain", "PATCH", "/api/v1/admins/root", {"password": "Taken-Over-1"}, 404),
            ("session", "PATCH", "/api/v1/admins/root", {"password": "Taken-Over-1"}, 404),
            ("domain", "PATCH", "/api/v1/admins/root", {"active": False}, 404),
            ("domain", "DELETE", "/api/v1/admins/root", None, 404),
            ("domain", "POST", "/api/v1/tokens", {"login": "root"}, 404),
            ("session", "POST", "/api/v1/tokens", {"login": "root"}, 404),
            ("domain", "GET", f"/api/v1/tokens/{grant}", None, 404),
            ("domain", "DELETE", f"/api/v1/tokens/{grant}", None, 404),
            # An admin that holds a domain the asker does not: out of rank.
            ("domain", "PATCH", "/api/v1/admins/both", {"password": "Taken-Over-1"}, 404),
            ("domain", "POST", "/api/v1/tokens", {"login": "both"}, 404),
            ("domain", "GET", "/api/v1/admins/foreignadmin", None, 404),
            # Nobody makes or grows a principal beyond their own scope.
            ("domain", "POST", "/api/v1/admins",
             {"login": "newroot", "role": "server", "password": "X-Pass-12"}, 404),
            ("domain", "POST", "/api/v1/admins",
             {"login": "spy", "role": "domain", "domains": ["foreign.test"]}, 422),
            ("domain", "PATCH", "/api/v1/admins/ownadmin",
             {"domains": ["own.test", "ownrelay.test", "foreign.test"]}, 422),
            ("domain", "PATCH", "/api/v1/admins/ownadmin", {"role": "server"}, 404),
            ("domain", "POST", "/api/v1/tokens",
             {"login": "ownadmin", "domains": ["foreign.test"]}, 422),
            # A server admin's narrowed token holds less than the server admin.
            ("narrow", "PATCH", "/api/v1/admins/root", {"password": "Taken-Over-1"}, 404),
            ("narrow", "POST", "/api/v1/tokens", {"login": "root"}, 404),
            ("narrow", "POST", "/api/v1/me/password", {"current": PASSWORDS["root"],
                                                      "new": "Taken-Over-1"}, 404),
            # Read-only tokens read; mailbox owners hold only themselves.
            ("readonly", "POST", "/api/v1/admins",
             {"login": "colleague", "role": "domain", "domains": ["own.test"]}, 403),
            ("readonly", "POST", "/api/v1/tokens", {"login": "ownadmin"}, 403),
            ("mailbox", "GET", "/api/v1/admins", None, 404),
            ("mailbox", "POST", "/api/v1/tokens", {}, 404),
            ("mailbox", "GET", "/api/v1/tokens", None, 404),
            ("mailbox", "PATCH", "/api/v1/domains/own.test/mailboxes/alice", {"quota": 1}, 404),
            ("mailbox", "GET", "/api/v1/domains/own.test/mailboxes/sales", None, 404),
        ]
        before = snapshot(self.db)
        for who, method, path, body, status in rows:
            r = self.clients[who].request(method, path, body)
            self.assertEqual(r.status, status, f"{who}: {method} {path} {body} -> {r}")
        self.assertEqual(snapshot(self.db), before)
        # Within rank, a domain admin manages its peers and its own tokens.
        dom = self.clients["domain"]
        r = dom.post("/api/v1/admins", {"login": "colleague", "role": "domain",
                                        "domains": ["own.test"], "password": "Coll-Pass-1"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(dom.patch("/api/v1/admins/colleague", {"active": False}).status, 200)
        r = dom.post("/api/v1/tokens", {"login": "colleague", "read_only": True})
        self.assertEqual(r.status, 201, r)
        listed = [t["prefix"] for t in dom.get("/api/v1/tokens").json["items"]]
        self.assertIn(r.json["prefix"], listed)
        self.assertNotIn(grant, listed)
        listed = {a["login"] for a in dom.get("/api/v1/admins").json["items"]}
        self.assertTrue({"colleague", "ownadmin"} <= listed, listed)
        self.assertFalse({"root", "both", "foreignadmin"} & listed, listed)
        self.assertEqual(dom.delete("/api/v1/admins/colleague").status, 204)

    def test_out_of_rank_reads_exactly_as_missing(self):
        # Each refusal of something that exists but is out of the asker's
        # rank, beside the same request naming something that does not
        # exist: the same status and the same problem, but for the name.
        grant = self.root.post("/api/v1/tokens", {"login": "root"}).json["prefix"]
        ghost = "zz" + grant[2:] if not grant.startswith("zz") else "yy" + grant[2:]
        pairs = [
            # who, method, (existing path, body, name), (missing path, body, name)
            ("domain", "GET", ("/api/v1/admins/root", None, "root"),
             ("/api/v1/admins/nobody", None, "nobody")),
            ("domain", "PATCH", ("/api/v1/admins/root", {"active": False}, "root"),
             ("/api/v1/admins/nobody", {"active": False}, "nobody")),
            ("domain", "DELETE", ("/api/v1/admins/foreignadmin", None, "foreignadmin"),
             ("/api/v1/admins/nobody", None, "nobody")),
            ("session", "POST", ("/api/v1/tokens", {"login": "root"}, "root"),
             ("/api/v1/tokens", {"login": "nobody"}, "nobody")),
            ("domain", "POST", ("/api/v1/tokens", {"login": "both"}, "both"),
             ("/api/v1/tokens", {"login": "nobody"}, "nobody")),
            ("domain", "GET", (f"/api/v1/tokens/{grant}", None, grant),
             (f"/api/v1/tokens/{ghost}", None, ghost)),
            ("domain", "DELETE", (f"/api/v1/tokens/{grant}", None, grant),
             (f"/api/v1/tokens/{ghost}", None, ghost)),
            # A foreign domain in a body reads as a domain that does not exist.
            ("domain", "POST",
             ("/api/v1/tokens", {"login": "ownadmin", "domains": ["foreign.test"]}, "foreign.test"),
             ("/api/v1/tokens", {"login": "ownadmin", "domains": ["nowhere.test"]}, "nowhere.test")),
            ("domain", "POST",
             ("/api/v1/admins", {"login": "spy", "role": "domain", "domains": ["foreign.test"],
                                 "password": "X-Pass-12"}, "foreign.test"),
             ("/api/v1/admins", {"login": "spy", "role": "domain", "domains": ["nowhere.test"],
                                 "password": "X-Pass-12"}, "nowhere.test")),
            ("domain", "PATCH",
             ("/api/v1/admins/ownadmin", {"domains": ["own.test", "foreign.test"]}, "foreign.test"),
             ("/api/v1/admins/ownadmin", {"domains": ["own.test", "nowhere.test"]}, "nowhere.test")),
        ]
        before = snapshot(self.db)
        for who, method, (path, body, name), (gpath, gbody, gname) in pairs:
            real = self.clients[who].request(method, path, body)
            missing = self.clients[who].request(method, gpath, gbody)
            self.assertGreaterEqual(real.status, 400, f"{who}: {method} {path} -> {real}")
            self.assertEqual(
                (real.status, json.dumps(real.json, sort_keys=True).replace(name, "NAME")),
                (missing.status, json.dumps(missing.json, sort_keys=True).replace(gname, "NAME")),
                f"{who}: {method} {path} {body} tells existence apart")
        self.assertEqual(snapshot(self.db), before)

    def test_the_audit_log_shows_each_asker_only_its_own_domains(self):
        # The provisioning left rows of every domain: the server admin sees
        # foreign ones, so an empty filter could not pass this test.
        everything = self.root.get("/api/v1/audit?limit=1000").json["items"]
        self.assertIn("foreign.test", {x["domain"] for x in everything})
        own = {"own.test", "ownrelay.test"}
        for who in ("domain", "narrow", "readonly", "session"):
            items = self.clients[who].get("/api/v1/audit?limit=1000").json["items"]
            self.assertTrue(items, f"{who}: no audit rows at all")
            self.assertLessEqual({x["domain"] for x in items}, own, f"{who} sees foreign rows")
            if len(everything) < 1000:  # one page holds all: nothing of its own is missing
                self.assertEqual(sorted(x["id"] for x in items),
                                 sorted(x["id"] for x in everything if x["domain"] in own), who)
            r = self.clients[who].get("/api/v1/audit?domain=foreign.test")
            self.assertEqual(r.status, 404, f"{who}: {r}")
        self.assertEqual(self.clients["mailbox"].get("/api/v1/audit").status, 404)

    # --- IDs swapped between the URL and the body -------------------------------

    def test_ids_and_addresses_swapped_in_url_and_body(self):
        dom = self.clients["domain"]
        rows = [
            # bob lives in foreign.test; in own.test there is no bob.
            ("PATCH", "/api/v1/domains/own.test/mailboxes/bob", {"active": False}, 404),
            ("DELETE", "/api/v1/domains/own.test/mailboxes/bob", None, 404),
            ("GET", "/api/v1/domains/own.test/mailboxes/bob%40foreign.test", None, 404),
            ("DELETE", "/api/v1/domains/own.test/aliases/sales%40foreign.test", None, 404),
            ("POST", "/api/v1/domains/own.test/mailboxes", {"local": "x@foreign.test"}, 422),
            ("POST", "/api/v1/domains/own.test/aliases",
             {"local": "sales@foreign.test", "targets": ["alice@own.test"]}, 422),
            ("POST", "/api/v1/domains/own.test/senders",
             {"local": "bob@foreign.test", "login": "me"}, 422),
            ("POST", "/api/v1/domains/own.test/relay-recipients", {"local": "x@foreignrelay.test"},
             422),
            # A domain the admin does not hold, however it is reached.
            ("GET", "/api/v1/domains/alias.test", None, 404),
            ("GET", "/api/v1/check/alice%40alias.test", None, 404),
            ("GET", "/api/v1/domains/FOREIGN.TEST/mailboxes", None, 404),
            ("GET", "/api/v1/domains/foreign.test./mailboxes/bob", None, 404),
            ("GET", "/api/v1/audit?domain=Foreign.Test", None, 404),
        ]
        before = snapshot(self.db)
        for method, path, body, status in rows:
            r = dom.request(method, path, body)
            self.assertEqual(r.status, status, f"{method} {path} {body} -> {r}")
        self.assertEqual(snapshot(self.db), before)

    def test_a_batch_with_one_out_of_scope_item_changes_nothing(self):
        before = snapshot(self.db)
        items = [{"method": "POST", "path": "/api/v1/domains/own.test/mailboxes",
                  "body": {"local": "batched"}},
                 {"method": "DELETE", "path": "/api/v1/domains/foreign.test/mailboxes/bob"}]
        for who in ("domain", "narrow", "session"):
            r = self.clients[who].post("/api/v1/batch", {"items": items})
            self.assertEqual(r.status, 404, f"{who}: {r}")
            self.assertEqual(r.json["failed_item"], 1)
        self.assertEqual(self.clients["readonly"].post("/api/v1/batch",
                                                       {"items": items[:1]}).status, 403)
        self.assertEqual(snapshot(self.db), before)

    # --- tokens that no longer hold -------------------------------------------

    def test_every_failed_authentication_gets_one_401(self):
        def mint(body):
            r = self.root.post("/api/v1/tokens", body)
            self.assertEqual(r.status, 201, r)
            return r.json["token"], r.json["prefix"]

        expired, expired_prefix = mint({"login": "both"})
        revoked, revoked_prefix = mint({"login": "both"})
        outside, _ = mint({"login": "both", "networks": ["192.0.2.0/24"]})
        inside, _ = mint({"login": "both", "networks": ["127.0.0.0/8"]})
        r = self.root.post("/api/v1/admins", {"login": "leaver", "role": "domain",
                                              "domains": ["own.test"], "password": "Leave-Pass-1"})
        self.assertEqual(r.status, 201, r)
        disabled, _ = mint({"login": "leaver"})
        r = self.root.post("/api/v1/domains/own.test/mailboxes",
                           {"local": "gone", "password": "Gone-Pass-12"})
        self.assertEqual(r.status, 201, r)
        # Sessions of both, before they are disabled.
        leaver_session, _ = self.web.sign_in("leaver", "Leave-Pass-1")
        gone_session, _ = self.web.sign_in("gone@own.test", "Gone-Pass-12")
        # A session that expires: a daemon of its own, with a lifetime of 1 s.
        short = PrivateWeb(os.path.join(self.dir, "web-short-" + self.engine), self.db,
                           "login_limit = 1000\nsession_lifetime = 1s\n").start(self.procs)
        stale, _ = short.sign_in("ownadmin", PASSWORDS["ownadmin"])
        self.assertEqual(stale.get("/api/v1/me").status, 200)
        # Expired: the expiry moves into the past with plain SQL.
        self.sql(f"UPDATE tokens SET expires = '2001-01-01T00:00:00.000Z' "
                 f"WHERE prefix = '{expired_prefix}'")
        self.assertEqual(self.root.delete(f"/api/v1/tokens/{revoked_prefix}").status, 204)
        self.assertEqual(self.root.patch("/api/v1/admins/leaver", {"active": False}).status, 200)
        self.assertEqual(self.root.patch("/api/v1/domains/own.test/mailboxes/gone",
                                         {"active": False}).status, 200)
        self.assertEqual(self.web.client(token=inside).get("/api/v1/domains").status, 200)
        time.sleep(1.5)  # past the short session's lifetime
        before = snapshot(self.db)
        replies = []

        def refused(what, c, method, path, body):
            with self.subTest(what=what, method=method, path=path):
                r = c.request(method, path, body)
                replies.append(r.body)
                self.assertEqual(r.status, 401, f"{what}: {method} {path} -> {r}")

        clients = [(t[:20], self.web.client(token=t))
                   for t in (expired, revoked, outside, disabled,
                             "rcptdb_aaaaaaaaaaaa_" + "x" * 43, "garbage")]
        clients += [("session of a disabled admin", leaver_session),
                    ("session of a disabled mailbox", gone_session),
                    ("expired session", stale)]
        for what, c in clients:
            for method, path, body in (("GET", "/api/v1/domains", None),
                                       ("GET", "/api/v1/me", None),
                                       ("POST", "/api/v1/domains/own.test/mailboxes",
                                        {"local": "intruder"})):
                refused(what, c, method, path, body)
        # Signing in: a wrong password, an unknown login, a disabled admin
        # or mailbox owner with the right password.
        for web in (self.web, short):
            for login, password in (("ownadmin", "Wrong-Pass-1"), ("nobody", "Wrong-Pass-1"),
                                    ("alice@own.test", "Wrong-Pass-1"),
                                    ("leaver", "Leave-Pass-1"),
                                    ("gone@own.test", "Gone-Pass-12")):
                refused(f"sign in as {login}", web.client(), "POST", "/api/v1/session",
                        {"login": login, "password": password})
        self.assertEqual(len(set(replies)), 1, replies)  # one reply, whatever the reason
        self.assertEqual(snapshot(self.db), before)

    def sql(self, text):
        web_instance.run_sql(self.db, text)

    def test_a_session_without_the_csrf_header_changes_nothing(self):
        s = self.clients["session"]
        bare = self.web.client(cookie=s.cookie)  # the cookie, no X-CSRF-Token
        wrong = self.web.client(cookie=s.cookie, csrf="x" * 43)
        before = snapshot(self.db)
        for c in (bare, wrong):
            for method, path, body in (
                    ("POST", "/api/v1/domains/own.test/mailboxes", {"local": "csrf"}),
                    ("DELETE", "/api/v1/domains/own.test/mailboxes/alice", None),
                    ("POST", "/api/v1/batch", {"items": [
                        {"method": "DELETE", "path": "/api/v1/domains/own.test/aliases/sales"}]})):
                r = c.request(method, path, body)
                self.assertEqual(r.status, 403, f"{method} {path} -> {r}")
        self.assertEqual(bare.get("/api/v1/domains/own.test/mailboxes/alice").status, 200)
        self.assertEqual(snapshot(self.db), before)



class MatrixPgTest(MatrixTest):
    """The same table on the private PostgreSQL cluster."""
    engine = "pgsql"


if __name__ == "__main__":
    unittest.main()
