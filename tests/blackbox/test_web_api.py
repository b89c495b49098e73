# SPDX-License-Identifier: MIT
"""test_web_api - rcptdb-web's API against the real daemon, on both engines.

Each class starts one rcptdb-web (web_instance.PrivateWeb) on a database
provisioned with rcptdb(1) (web_instance.provision_standard), on SQLite
(WebApiSqliteTest) and on a private PostgreSQL cluster (WebApiPgTest), and
drives every resource as a client would: create, read with ETag, change
with If-Match (412 when stale), list page by page with limit, cursor and
q, delete, ?dry_run=1, an atomic batch, refusals in problem+json naming
the field in the words rcptdb(1) prints, GET check/{address} equal to
`rcptdb --json check`, and an audit row for every change with its actor,
client and request id. A change whose audit row cannot be written is not
committed. Every reply is checked against web/openapi.json by the client
(web_instance.ApiClient), so any reply the description does not allow
fails the test that got it.
"""
import datetime
import json
import os
import unittest
import urllib.parse

import harness
import web_instance
from web_instance import PASSWORDS, PrivateWeb, snapshot

Q = urllib.parse.quote


class WebApiBase:
    engine = "sqlite"

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-")
        cls.procs = harness.Processes(cls.dir)
        cls.addClassCleanup(cls.procs.stop)
        cls.db = web_instance.database(cls, cls.dir, cls.engine)
        web_instance.provision_standard(cls.db)
        cls.web = PrivateWeb(os.path.join(cls.dir, "web"), cls.db).start(cls.procs)
        cls.root, _ = cls.web.sign_in("root", PASSWORDS["root"])
        r = cls.root.post("/api/v1/tokens", {"login": "root"})
        assert r.status == 201, r
        cls.root_token = r.json["token"]
        cls.api = cls.web.client(token=cls.root_token)

    def cli(self, *args, check=True, input=None):
        return harness.rcptdb(self.db, *args, check=check, input=input)

    def assertProblem(self, r, status, field=None, detail=None):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header("content-type"), "application/problem+json")
        self.assertEqual(r.json["status"], status)
        if field is not None:
            self.assertEqual(r.json.get("field"), field, r.json)
        if detail is not None:
            self.assertEqual(r.json["detail"], detail)

    # --- the description ----------------------------------------------

    def test_openapi_is_public_and_every_route_is_described(self):
        r = self.web.client().get("/api/v1/openapi.json")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["openapi"], "3.1.0")
        self.assertIn("/api/v1/domains/{domain}/mailboxes/{local}", r.json["paths"])
        # Everything else needs a principal.
        self.assertProblem(self.web.client().get("/api/v1/domains"), 401)

    # --- domains ----------------------------------------------------------

    def test_domain_lifecycle_with_etag(self):
        r = self.api.post("/api/v1/domains", {"name": "New-Domain.TEST.", "transport":
                                               "lmtp:inet:127.0.0.1:24"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["name"], "new-domain.test")  # the resolver's normal form
        self.assertEqual(r.header("location"), "/api/v1/domains/new-domain.test")
        etag = r.header("etag")
        self.assertEqual(etag, '"' + r.json["version"] + '"')
        got = self.api.get("/api/v1/domains/new-domain.test")
        self.assertEqual(got.header("etag"), etag)
        # A stale If-Match is refused and changes nothing.
        stale = self.api.patch("/api/v1/domains/new-domain.test", {"active": False},
                               headers={"If-Match": '"0000"'})
        self.assertProblem(stale, 412)
        self.assertTrue(self.api.get("/api/v1/domains/new-domain.test").json["active"])
        ok = self.api.patch("/api/v1/domains/new-domain.test", {"active": False},
                            headers={"If-Match": etag})
        self.assertEqual(ok.status, 200, ok)
        self.assertFalse(ok.json["active"])
        self.assertNotEqual(ok.header("etag"), etag)
        # The old version is stale now.
        self.assertProblem(self.api.patch("/api/v1/domains/new-domain.test", {"active": True},
                                          headers={"If-Match": etag}), 412)
        self.assertIn("disabled", self.cli("domain", "show", "new-domain.test").stdout)
        self.assertProblem(self.api.patch("/api/v1/domains/new-domain.test",
                                          {"kind": "relay"}), 422, field="kind")
        self.assertEqual(self.api.delete("/api/v1/domains/new-domain.test").status, 204)
        self.assertProblem(self.api.get("/api/v1/domains/new-domain.test"), 404)

    def refused_alike(self, cli_args, path, body, field, words):
        """rcptdb CLI_ARGS and POST PATH BODY are both refused, the API with
        a 422 naming field; both say words. Returns the CLI's stderr and the
        API's detail."""
        cli = self.cli(*cli_args, check=False)
        self.assertNotEqual(cli.returncode, 0)
        self.assertIn(words, cli.stderr)
        r = self.api.post(path, body)
        self.assertProblem(r, 422, field=field)
        self.assertIn(words, r.json["detail"])
        return cli.stderr, r.json["detail"]

    def test_refusals_name_the_field_in_the_clis_words(self):
        # The same refusal through rcptdb and through the API: one sentence.
        stderr, detail = self.refused_alike(
            ["mailbox", "add", "x@ownrelay.test", "--no-password"],
            "/api/v1/domains/ownrelay.test/mailboxes", {"local": "x"}, "local", "relay domain")
        self.assertIn(detail, stderr)
        # A local part holding the recipient delimiter (+ here).
        stderr, detail = self.refused_alike(
            ["mailbox", "add", "a+b@own.test", "--no-password"],
            "/api/v1/domains/own.test/mailboxes", {"local": "a+b"}, "local", "delimiter")
        self.assertIn(detail, stderr)
        cli = self.cli("mailbox", "add", "x@own.test", "--no-password", "--transport",
                       "no colon", check=False)
        r = self.api.post("/api/v1/domains/own.test/mailboxes",
                          {"local": "x", "transport": "no colon"})
        self.assertProblem(r, 422, field="transport")
        self.assertIn(r.json["detail"], cli.stderr)
        r = self.api.post("/api/v1/domains/own.test/mailboxes",
                          {"local": "x", "password_hash": "nohash"})
        self.assertProblem(r, 422, field="password_hash")
        cli = self.cli("domain", "add", "bad..name", check=False)
        r = self.api.post("/api/v1/domains", {"name": "bad..name"})
        self.assertProblem(r, 422, field="name")
        self.assertIn(r.json["detail"], cli.stderr)
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "alice"})
        self.assertProblem(r, 409, field="local", detail="alice@own.test: mailbox exists already")
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "y", "quota": "5G"})
        self.assertProblem(r, 422, field="quota")
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "y", "qouta": 5})
        self.assertProblem(r, 422, field="qouta")
        # A body names local parts only: the domain is the path's.
        r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "y@foreign.test"})
        self.assertProblem(r, 422, field="local")
        # The rules both state, each in the one wording of the provisioning
        # library: the API names its field, rcptdb its option, before it.
        before = snapshot(self.db)
        for rule, field, body, path, args in [
                ("0: must be a number of days, 1 to 36500", "expires_days",
                 {"login": "ownadmin", "expires_days": 0}, "/api/v1/tokens",
                 ["token", "create", "ownadmin", "--expires", "0"]),
                ("36501: must be a number of days, 1 to 36500", "expires_days",
                 {"login": "ownadmin", "expires_days": 36501}, "/api/v1/tokens",
                 ["token", "create", "ownadmin", "--expires", "36501"]),
                ("bogus: must be hosted, relay or alias", "kind",
                 {"name": "kind.test", "kind": "bogus"}, "/api/v1/domains",
                 ["domain", "add", "kind.test", "--kind", "bogus"]),
                ("boss: must be server or domain", "role",
                 {"login": "newadmin", "role": "boss"}, "/api/v1/admins",
                 ["admin", "add", "newadmin", "--role", "boss", "--no-password"]),
                ("a server admin holds every domain; domains are for domain admins", "domains",
                 {"login": "newadmin", "role": "server", "domains": ["own.test"]},
                 "/api/v1/admins",
                 ["admin", "add", "newadmin", "--role", "server", "--domain", "own.test",
                  "--no-password"])]:
            with self.subTest(field=field, rule=rule):
                self.refused_alike(args, path, body, field, rule)
        self.assertEqual(snapshot(self.db), before)

    def test_idn_names_are_stored_as_rcptdb_stores_them(self):
        # An IDN domain and address given to the API are stored as rcptdb
        # stores them: each finds what the other wrote, under one name.
        r = self.api.post("/api/v1/domains", {"name": "Bücher.TEST."})
        self.assertEqual(r.status, 201, r)
        self.addCleanup(self.cli, "domain", "del", "bücher.test", "--force", check=False)
        by_api = r.json["name"]
        shown = json.loads(self.cli("--json", "domain", "show", "bücher.test").stdout)
        self.assertEqual(shown["name"], by_api)
        # A local part is ASCII in both: a UTF-8 one is refused in one sentence.
        stderr, detail = self.refused_alike(
            ["mailbox", "add", "Jörg@xn--bcher-kva.test", "--no-password"],
            "/api/v1/domains/" + Q("bücher.test") + "/mailboxes", {"local": "Jörg"}, "local",
            "not a valid address")
        self.assertIn(detail, stderr)
        r = self.api.post("/api/v1/domains/" + Q("bücher.test") + "/mailboxes",
                          {"local": "Jorg"})
        self.assertEqual(r.status, 201, r)
        address_by_api = r.json["address"]
        shown = json.loads(self.cli("--json", "mailbox", "show", "jorg@bücher.test").stdout)
        self.assertEqual(shown["address"], address_by_api)
        self.cli("mailbox", "del", address_by_api)
        self.assertEqual(self.api.delete("/api/v1/domains/" + Q(by_api)).status, 204)
        # And the other way round: what rcptdb wrote reads the same here.
        self.cli("domain", "add", "Bücher.TEST.")
        self.cli("mailbox", "add", "Jorg@Bücher.TEST", "--no-password")
        got = self.api.get("/api/v1/domains/" + Q("bücher.test"))
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json["name"], by_api)
        self.assertEqual(by_api, "xn--bcher-kva.test")  # the A-label, the resolver's form
        got = self.api.get("/api/v1/domains/" + Q("bücher.test") + "/mailboxes/" + Q("Jorg"))
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json["address"], address_by_api)

    # --- mailboxes, pages -----------------------------------------------------

    def test_mailbox_lifecycle(self):
        base = "/api/v1/domains/own.test/mailboxes"
        r = self.api.post(base, {"local": "Carol", "password": "Carol-Pass-1", "quota": 1 << 30,
                                 "transport": "lmtp:inet:127.0.0.1:25"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["address"], "carol@own.test")
        self.assertEqual(r.json["password_scheme"], "SHA512-CRYPT")
        self.assertNotIn("password", r.json)
        self.assertEqual(r.header("location"), base + "/carol")
        show = json.loads(self.cli("--json", "mailbox", "show", "carol@own.test").stdout)
        self.assertEqual(show["quota"], 1 << 30)
        r = self.api.patch(base + "/carol", {"active": False, "quota": 0, "transport": None},
                           headers={"If-Match": r.header("etag")})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["active"], r.json["quota"], r.json["transport"]),
                         (False, 0, None))
        self.assertEqual(self.api.delete(base + "/carol").status, 204)
        self.assertProblem(self.api.get(base + "/carol"), 404)
        self.assertProblem(self.api.delete(base + "/carol"), 404)

    def test_a_mailbox_description_is_text_for_people(self):
        base = "/api/v1/domains/own.test/mailboxes"
        name = "Zoë Example <img src=x onerror=alert(1)>"
        r = self.api.post(base, {"local": "zoe", "description": name})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["description"], name)
        self.assertEqual(self.api.get(base + "/zoe").json["description"], name)
        listed = self.api.get(base + "?q=zoe").json["items"]
        self.assertEqual([m["description"] for m in listed], [name])
        show = json.loads(self.cli("--json", "mailbox", "show", "zoe@own.test").stdout)
        self.assertEqual(show["description"], name)
        r = self.api.patch(base + "/zoe", {"description": "Zoë"},
                           headers={"If-Match": r.header("etag")})
        self.assertEqual((r.status, r.json["description"]), (200, "Zoë"), r)
        # Refused in the CLI's words, naming the field, and nothing changes.
        etag = r.header("etag")
        for bad in ("two\nlines", "x" * 256, "del\x7f"):
            cli = self.cli("mailbox", "set", "zoe@own.test", "--description", bad, check=False)
            r = self.api.patch(base + "/zoe", {"description": bad})
            self.assertProblem(r, 422, field="description")
            self.assertIn(r.json["detail"], cli.stderr)
            self.assertProblem(self.api.post(base, {"local": "zoe2", "description": bad}), 422,
                               field="description")
        got = self.api.get(base + "/zoe")
        self.assertEqual((got.json["description"], got.header("etag")), ("Zoë", etag))
        self.assertProblem(self.api.get(base + "/zoe2"), 404)
        self.assertProblem(self.api.patch(base + "/zoe", {"description": 7}), 422,
                           field="description")
        r = self.api.patch(base + "/zoe", {"description": None})
        self.assertEqual((r.status, r.json["description"]), (200, ""), r)

    def test_pages_with_limit_cursor_and_q(self):
        base = "/api/v1/domains/own.test/mailboxes"
        names = [f"page{i:02d}" for i in range(25)]
        items = [{"method": "POST", "path": base, "body": {"local": n}} for n in names]
        self.assertEqual(self.api.post("/api/v1/batch", {"items": items}).status, 200)
        seen, cursor, pages = [], None, 0
        while True:
            url = base + "?q=page&limit=10" + (f"&cursor={Q(cursor)}" if cursor else "")
            r = self.api.get(url)
            self.assertEqual(r.status, 200, r)
            self.assertLessEqual(len(r.json["items"]), 10)
            seen += [m["address"] for m in r.json["items"]]
            pages += 1
            cursor = r.json["next"]
            if cursor is None:
                break
        self.assertEqual(seen, [n + "@own.test" for n in names])
        self.assertIn(pages, (3, 4))
        self.assertProblem(self.api.get(base + "?limit=0"), 400, field="limit")
        self.assertProblem(self.api.get(base + "?limit=1001"), 400, field="limit")
        self.assertProblem(self.api.get(base + "?cursor=%25%25"), 400, field="cursor")
        self.api.post("/api/v1/batch", {"items": [
            {"method": "DELETE", "path": f"{base}/{n}"} for n in names]})

    # --- aliases, catch-all, relay recipients, senders, settings --------------

    def test_alias_lifecycle(self):
        base = "/api/v1/domains/own.test/aliases"
        r = self.api.post(base, {"local": "team", "targets": ["alice@own.test",
                                                              "someone@elsewhere.test"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(sorted(r.json["targets"]), ["alice@own.test", "someone@elsewhere.test"])
        r = self.api.patch(base + "/team", {"targets": ["alice@own.test"], "active": False},
                           headers={"If-Match": r.header("etag")})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["targets"], r.json["active"]), (["alice@own.test"], False))
        # A loop is refused with the CLI's words, naming targets.
        r = self.api.post(base, {"local": "loop", "targets": ["team@own.test"]})
        self.assertEqual(r.status, 201)
        r = self.api.patch(base + "/team", {"targets": ["loop@own.test"]})
        self.assertProblem(r, 422, field="targets")
        self.assertIn("loop", r.json["detail"])
        self.assertEqual(self.api.get(base + "/team").json["targets"], ["alice@own.test"])
        for a in ("team", "loop"):
            self.assertEqual(self.api.delete(f"{base}/{a}").status, 204)

    def test_catchall_relay_recipients_and_senders(self):
        c = "/api/v1/domains/own.test/catchall"
        self.assertProblem(self.api.get(c), 404)
        r = self.api.put(c, {"target": "alice@own.test"})
        self.assertEqual((r.status, r.json["target"]), (200, "alice@own.test"), r)
        self.assertEqual(self.api.get(c).json["target"], "alice@own.test")
        self.assertEqual(self.api.delete(c).status, 204)
        rr = "/api/v1/domains/ownrelay.test/relay-recipients"
        self.assertEqual(self.api.post(rr, {"local": "new"}).status, 201)
        self.assertEqual([i["address"] for i in self.api.get(rr).json["items"]],
                         ["listed@ownrelay.test", "new@ownrelay.test"])
        self.assertProblem(self.api.post("/api/v1/domains/own.test/relay-recipients",
                                         {"local": "x"}), 422, field="local")
        self.assertEqual(self.api.delete(rr + "/new").status, 204)
        s = "/api/v1/domains/own.test/senders"
        r = self.api.post(s, {"local": "alice", "login": "helper", "allow": True})
        self.assertEqual(r.status, 201, r)
        self.assertIn({"address": "alice@own.test", "login": "helper", "allow": True},
                      self.api.get(s).json["items"])
        self.assertEqual(self.api.get(s + "/alice/helper").json["login"], "helper")
        self.assertEqual(self.api.delete(s + "/alice/helper").status, 204)
        self.assertProblem(self.api.get(s + "/alice/helper"), 404)

    def test_settings(self):
        r = self.api.get("/api/v1/settings")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json["delimiter"], "+")
        r = self.api.patch("/api/v1/settings", {"delimiter": "+-"})
        self.assertEqual((r.status, r.json["delimiter"]), (200, "+-"), r)
        self.assertEqual(self.cli("config", "get", "delimiter").stdout.strip(), "+-")
        self.assertProblem(self.api.patch("/api/v1/settings", {"delimiter": "ab"}), 422,
                           field="delimiter")
        self.api.patch("/api/v1/settings", {"delimiter": "+"})

    def test_settings_have_a_version_and_a_stale_if_match_changes_nothing(self):
        s = "/api/v1/settings"
        got = self.api.get(s)
        self.assertEqual(got.status, 200, got)
        etag = got.header("etag")
        self.assertEqual(etag, '"' + got.json["version"] + '"')
        values = {k: v for k, v in got.json.items() if k != "version"}
        self.assertEqual(json.loads(self.cli("--json", "config", "list").stdout), values)
        self.addCleanup(self.api.patch, s, values)
        # A stale If-Match is refused, naming the current version; nothing changes.
        before = snapshot(self.db)
        for body in ({"postmaster": "alice@own.test"}, {}):
            stale = self.api.patch(s, body, headers={"If-Match": '"0000"'})
            self.assertProblem(stale, 412)
            self.assertIn(got.json["version"], stale.json["detail"])
        self.assertEqual(snapshot(self.db), before)
        self.assertEqual(self.api.get(s).json, got.json)
        # The version read is current: the change is made, with a new version.
        ok = self.api.patch(s, {"postmaster": "alice@own.test"}, headers={"If-Match": etag})
        self.assertEqual((ok.status, ok.json["postmaster"]), (200, "alice@own.test"), ok)
        self.assertNotEqual(ok.header("etag"), etag)
        self.assertEqual(ok.header("etag"), self.api.get(s).header("etag"))
        # The old version is stale now, whichever setting a write names.
        now = self.api.get(s).json
        before = snapshot(self.db)
        self.assertProblem(self.api.patch(s, {"catchall_senders": "yes"},
                                          headers={"If-Match": etag}), 412)
        # So is a batch item's if_match, and the whole batch goes.
        r = self.api.post("/api/v1/batch", {"items": [
            {"method": "POST", "path": "/api/v1/domains/own.test/mailboxes",
             "body": {"local": "settingsbatch"}},
            {"method": "PATCH", "path": s, "body": {"catchall_senders": "yes"},
             "if_match": got.json["version"]}]})
        self.assertProblem(r, 412)
        self.assertEqual((r.json["failed_item"], [x["status"] for x in r.json["results"]]),
                         (1, [201, 412]))
        self.assertEqual(snapshot(self.db), before)
        self.assertEqual(self.api.get(s).json, now)
        # A change made with rcptdb is a new version too.
        self.cli("config", "set", "catchall_senders", "yes")
        self.assertProblem(self.api.patch(s, {"postmaster": ""},
                                          headers={"If-Match": ok.header("etag")}), 412)
        self.assertEqual(self.api.get(s).json["postmaster"], "alice@own.test")

    # --- dry runs and batches ----------------------------------------------

    def test_dry_run_checks_everything_and_changes_nothing(self):
        before = snapshot(self.db)
        r = self.api.post("/api/v1/domains/own.test/mailboxes?dry_run=1", {"local": "dry"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["address"], "dry@own.test")
        r = self.api.post("/api/v1/domains/own.test/mailboxes?dry_run=1", {"local": "alice"})
        self.assertProblem(r, 409)
        r = self.api.delete("/api/v1/domains/foreign.test?dry_run=1&force=1")
        self.assertEqual(r.status, 204, r)
        self.assertEqual(snapshot(self.db), before)
        self.assertProblem(self.api.post("/api/v1/domains?dry_run=maybe", {"name": "x.test"}),
                           400, field="dry_run")

    def test_batch_is_all_or_nothing_and_reports_each_item(self):
        before = snapshot(self.db)
        items = [
            {"method": "POST", "path": "/api/v1/domains/own.test/mailboxes",
             "body": {"local": "b1"}},
            {"method": "POST", "path": "/api/v1/domains/own.test/aliases",
             "body": {"local": "b2", "targets": ["b1@own.test"]}},
            {"method": "POST", "path": "/api/v1/domains/own.test/mailboxes",
             "body": {"local": "alice"}},  # exists: the whole batch goes
        ]
        r = self.api.post("/api/v1/batch", {"items": items})
        self.assertProblem(r, 409, field="items[2].body.local")
        self.assertEqual(r.json["failed_item"], 2)
        self.assertEqual([x["status"] for x in r.json["results"]], [201, 201, 409])
        self.assertEqual(snapshot(self.db), before)
        r = self.api.post("/api/v1/batch", {"items": items[:2]})
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["status"] for x in r.json["results"]], [201, 201])
        self.assertEqual(self.api.get("/api/v1/domains/own.test/aliases/b2").json["targets"],
                         ["b1@own.test"])
        r = self.api.post("/api/v1/batch", {"items": [
            {"method": "DELETE", "path": "/api/v1/domains/own.test/aliases/b2"},
            {"method": "DELETE", "path": "/api/v1/domains/own.test/mailboxes/b1"}]})
        self.assertEqual(r.status, 200, r)
        self.assertProblem(self.api.post("/api/v1/batch", {"items": []}), 422, field="items")
        self.assertProblem(self.api.post("/api/v1/batch", {"items": [
            {"method": "POST", "path": "/api/v1/batch", "body": {}}]}), 422,
            field="items[0].path")

    # --- a stale If-Match changes nothing -------------------------------------

    def assertStale(self, r, version):
        """A 412 naming the record's current version."""
        self.assertProblem(r, 412)
        self.assertIn(f"(now {version})", r.json["detail"])

    def test_a_stale_if_match_on_an_alias_changes_nothing(self):
        one = "/api/v1/domains/own.test/aliases/stalealias"
        r = self.api.post("/api/v1/domains/own.test/aliases",
                          {"local": "stalealias", "targets": ["alice@own.test"]})
        self.assertEqual(r.status, 201, r)
        read = r.header("etag")
        # Someone else adds a target: the version read is stale.
        self.cli("alias", "add", "stalealias@own.test", "bob@foreign.test")
        now = self.api.get(one)
        self.assertNotEqual(now.header("etag"), read)
        before = snapshot(self.db)
        self.assertStale(self.api.patch(one, {"active": False}, headers={"If-Match": read}),
                         now.json["version"])
        self.assertStale(self.api.patch(one, {"targets": ["alice@own.test"]},
                                        headers={"If-Match": read}), now.json["version"])
        self.assertStale(self.api.delete(one, headers={"If-Match": read}), now.json["version"])
        self.assertEqual(snapshot(self.db), before)
        self.assertEqual(self.api.get(one).json, now.json)
        r = self.api.patch(one, {"active": False}, headers={"If-Match": now.header("etag")})
        self.assertEqual((r.status, r.json["active"]), (200, False), r)
        self.assertEqual(self.api.delete(one, headers={"If-Match": r.header("etag")}).status, 204)

    def test_a_stale_if_match_on_an_admin_changes_nothing(self):
        one = "/api/v1/admins/staleadmin"
        r = self.api.post("/api/v1/admins", {"login": "staleadmin", "role": "domain",
                                             "domains": ["own.test"],
                                             "password": "Stale-Secret-1"})
        self.assertEqual(r.status, 201, r)
        read = r.header("etag")
        self.addCleanup(self.api.delete, one)
        self.cli("admin", "disable", "staleadmin")
        now = self.api.get(one)
        self.assertFalse(now.json["active"])
        before = snapshot(self.db)
        for body in ({"active": True}, {"password": "Other-Secret-1"}, {"domains": []}):
            self.assertStale(self.api.patch(one, body, headers={"If-Match": read}),
                             now.json["version"])
        self.assertEqual(snapshot(self.db), before)
        self.assertEqual(self.api.get(one).json, now.json)
        r = self.api.patch(one, {"active": True}, headers={"If-Match": now.header("etag")})
        self.assertEqual((r.status, r.json["active"]), (200, True), r)

    def test_a_stale_if_match_on_a_mailbox_delete_changes_nothing(self):
        base = "/api/v1/domains/own.test/mailboxes"
        r = self.api.post(base, {"local": "stalebox"})
        self.assertEqual(r.status, 201, r)
        read = r.header("etag")
        self.cli("mailbox", "disable", "stalebox@own.test")
        now = self.api.get(base + "/stalebox")
        before = snapshot(self.db)
        self.assertStale(self.api.delete(base + "/stalebox", headers={"If-Match": read}),
                         now.json["version"])
        self.assertEqual(snapshot(self.db), before)
        self.assertEqual(self.api.delete(base + "/stalebox",
                                         headers={"If-Match": now.header("etag")}).status, 204)
        self.assertProblem(self.api.get(base + "/stalebox"), 404)

    def test_a_stale_if_match_in_a_batch_item_rolls_the_batch_back(self):
        base = "/api/v1/domains/own.test/mailboxes"
        r = self.api.post(base, {"local": "stalebatch"})
        self.assertEqual(r.status, 201, r)
        read = r.json["version"]
        self.addCleanup(self.api.delete, base + "/stalebatch")
        self.cli("mailbox", "disable", "stalebatch@own.test")
        now = self.api.get(base + "/stalebatch").json
        before = snapshot(self.db)
        items = [{"method": "POST", "path": base, "body": {"local": "stalebatch2"}},
                 {"method": "PATCH", "path": base + "/stalebatch", "body": {"active": True},
                  "if_match": read},
                 {"method": "DELETE", "path": base + "/stalebatch", "if_match": read}]
        for last in (2, 3):
            r = self.api.post("/api/v1/batch", {"items": items[:1] + items[last - 1:last]})
            self.assertStale(r, now["version"])
            self.assertEqual((r.json["failed_item"], [x["status"] for x in r.json["results"]]),
                             (1, [201, 412]))
            self.assertTrue(r.json["detail"].startswith("items[1]: "), r.json)
        self.assertEqual(snapshot(self.db), before)
        items[1]["if_match"] = now["version"]
        r = self.api.post("/api/v1/batch", {"items": items[:2]})
        self.assertEqual([x["status"] for x in r.json["results"]], [201, 200], r)
        self.assertTrue(self.api.get(base + "/stalebatch").json["active"])
        self.assertEqual(self.api.delete(base + "/stalebatch2").status, 204)

    # --- administrators ---------------------------------------------------------

    def test_an_admin_has_a_created_time_and_a_last_login_after_signing_in(self):
        def when(text):
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))

        def close_to_now(text):
            # The database's clock and ours; a loaded machine is slow, not minutes slow.
            delta = datetime.datetime.now(datetime.timezone.utc) - when(text)
            self.assertLess(abs(delta.total_seconds()), 60, text)

        one = "/api/v1/admins/timed"
        r = self.api.post("/api/v1/admins", {"login": "timed", "role": "domain",
                                             "domains": ["own.test"],
                                             "password": "Timed-Secret-1"})
        self.assertEqual(r.status, 201, r)
        self.addCleanup(self.api.delete, one)
        created = r.json["created"]
        close_to_now(created)
        self.assertIsNone(r.json["last_login"])
        self.assertIsNone(self.api.get(one).json["last_login"])
        # Its audit row shows the admin as stored, created time included.
        rows = [x for x in self.api.get("/api/v1/audit?limit=20").json["items"]
                if (x["kind"], x["object"], x["action"]) == ("admin", "timed", "create")]
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["after"]["created"], created)
        self.assertIsNone(rows[0]["after"]["last_login"])
        # A failed sign-in is not a login.
        r = self.web.client().post("/api/v1/session", {"login": "timed", "password": "wrong"})
        self.assertProblem(r, 401)
        self.assertIsNone(self.api.get(one).json["last_login"])
        self.web.sign_in("timed", "Timed-Secret-1")
        got = self.api.get(one).json
        self.assertIsNotNone(got["last_login"])
        close_to_now(got["last_login"])
        self.assertGreaterEqual(when(got["last_login"]), when(created))
        self.assertEqual(got["created"], created)
        listed = [a for a in self.api.get("/api/v1/admins").json["items"] if a["login"] == "timed"]
        self.assertEqual(listed[0]["last_login"], got["last_login"])

    # --- check ----------------------------------------------------------------

    def test_check_is_what_rcptdb_check_prints(self):
        for address in ("alice@own.test", "sales@own.test", "alice+x@alias.test",
                        "nobody@own.test", "listed@ownrelay.test"):
            r = self.api.get("/api/v1/check/" + Q(address, safe="@"))
            self.assertEqual(r.status, 200, r)
            cli = self.cli("--json", "check", address, check=False)
            self.assertEqual(r.json, json.loads(cli.stdout), address)

    # --- the audit log ----------------------------------------------------

    def test_every_change_has_its_audit_row_with_actor_client_and_request(self):
        r = self.api.post("/api/v1/domains/own.test/mailboxes",
                          {"local": "audited", "password": "Audit-Pass-1"})
        self.assertEqual(r.status, 201)
        request_id = r.header("x-request-id")
        rows = self.api.get("/api/v1/audit?domain=own.test&limit=5").json["items"]
        mine = [x for x in rows if x["request_id"] == request_id]
        self.assertEqual(len(mine), 1, rows)
        row = mine[0]
        prefix = web_instance.token_prefix(self.root_token)
        self.assertEqual((row["actor"], row["client"], row["kind"], row["object"],
                          row["action"]),
                         (f"token:{prefix}", "127.0.0.1", "mailbox", "audited@own.test",
                          "create"))
        self.assertIsNone(row["before"])
        # Passwords and hashes are not in the log.
        self.assertNotIn("$6$", json.dumps(row))
        self.assertNotIn("Audit-Pass-1", json.dumps(row))
        # The CLI's changes are in the same log, as unix:USER.
        self.cli("mailbox", "disable", "audited@own.test")
        rows = self.api.get("/api/v1/audit?domain=own.test&limit=1").json["items"]
        self.assertTrue(rows[0]["actor"].startswith("unix:"), rows[0])
        self.assertEqual((rows[0]["before"]["active"], rows[0]["after"]["active"]), (True, False))
        self.assertEqual(self.api.delete("/api/v1/domains/own.test/mailboxes/audited").status, 204)
        # Paging goes back in time.
        page = self.api.get("/api/v1/audit?limit=2").json
        older = self.api.get("/api/v1/audit?limit=2&cursor=" + Q(page["next"])).json
        self.assertLess(older["items"][0]["id"], page["items"][-1]["id"])
        # q searches like the other lists: the rows whose object starts with it.
        found = self.api.get("/api/v1/audit?q=audited%40&domain=own.test").json["items"]
        self.assertEqual([(x["object"], x["action"]) for x in found],
                         [("audited@own.test", "delete"), ("audited@own.test", "update"),
                          ("audited@own.test", "create")])
        self.assertEqual(self.api.get("/api/v1/audit?q=audited%40own.tesx").json["items"], [])

    def test_a_change_whose_audit_row_fails_is_not_committed(self):
        # Make the audit write fail, with plain SQL, as a broken log would.
        if self.engine == "sqlite":
            import sqlite3
            con = sqlite3.connect(self.db)
            con.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log "
                        "BEGIN SELECT RAISE(ABORT, 'audit refused by the test'); END")
            con.commit()
            con.close()
            undo = lambda: sqlite3.connect(self.db).execute("DROP TRIGGER no_audit")  # noqa
        else:
            self.pg_sql("CREATE FUNCTION no_audit() RETURNS trigger LANGUAGE plpgsql AS $$ "
                        "BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$; "
                        "CREATE TRIGGER no_audit BEFORE INSERT ON audit_log "
                        "FOR EACH ROW EXECUTE FUNCTION no_audit();")
            undo = lambda: self.pg_sql("DROP TRIGGER no_audit ON audit_log; "  # noqa
                                       "DROP FUNCTION no_audit();")
        try:
            before = snapshot(self.db)
            r = self.api.post("/api/v1/domains/own.test/mailboxes", {"local": "unaudited"})
            self.assertGreaterEqual(r.status, 400, r)
            self.assertEqual(snapshot(self.db), before)
        finally:
            con = undo()
            if con is not None and hasattr(con, "commit"):
                con.commit()
                con.close()
        r = self.api.get("/api/v1/domains/own.test/mailboxes/unaudited")
        self.assertProblem(r, 404)

    def pg_sql(self, text):
        web_instance.run_sql(self.db, text)


class WebApiSqliteTest(WebApiBase, unittest.TestCase):
    engine = "sqlite"


class WebApiPgTest(WebApiBase, unittest.TestCase):
    engine = "pgsql"


if __name__ == "__main__":
    unittest.main()
