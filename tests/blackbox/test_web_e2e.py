# SPDX-License-Identifier: MIT
"""test_web_e2e - what rcptdb-web changes, Postfix and Dovecot answer.

WebStackTest runs the whole delivery path of test_e2e (mailstack.MailStack:
rcptdb-server, a private Postfix, two private Dovecots with the plugin,
all on one SQLite database) plus rcptdb-web on that database, and checks
through real SMTP and real Dovecot logins:
  - a mailbox created through the API receives mail at the next RCPT; one
    disabled through the API is refused with 550 5.2.1; one deleted is
    refused as unknown;
  - a password set through the API verifies with `doveadm pw -t` and logs
    in through the private Dovecot (`doveadm auth login`), and the old one
    no longer does; a mailbox owner changes its own password the same way.

WebStackPgTest runs both of these on PostgreSQL: one private cluster
(no standby) holds the database of rcptdb-web, of rcptdb-server behind a
private Postfix, and of a private Dovecot with the plugin and the shipped
sql/dovecot-pgsql.conf.ext (test_multihost.MultiHost's parts, one host).

WebPostfixPgTest asks Postfix's own client on PostgreSQL as well
(`postmap -c DIR -q` on the socketmap, with a private configuration
directory), at the next lookup after each change, for aliases too.
"""
import os
import sqlite3
import unittest

import dovecot_instance
import harness
import web_instance
from dovecot_instance import PrivateDovecot
from mailstack import MailStack, send, token, wait_for
from postfix_instance import wait_socket
from test_multihost import MultiHost, Mx
from web_instance import PrivateWeb


class WebStackTest(unittest.TestCase):
    @classmethod
    def make_stack(cls):
        """The stack on SQLite; WebStackPgTest's on PostgreSQL."""
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-e2e-")
        return MailStack(cls.dir)

    @classmethod
    def setUpClass(cls):
        cls.stack = cls.make_stack()
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start_all()
        web_instance.make_admin(cls.stack.db, "root", "Root-Secret-1")
        cls.web = PrivateWeb(os.path.join(cls.dir, "web"), cls.stack.db).start(cls.stack)
        cls.api, _ = cls.web.sign_in("root", "Root-Secret-1")

    def rcpt(self, address):
        replies, _ = send(self.stack.postfix.smtp_port, [address], token())
        return replies[address]

    def test_created_disabled_deleted_mailbox_is_answered_by_postfix(self):
        base = "/api/v1/domains/example.com/mailboxes"
        self.assertEqual(self.rcpt("webuser@example.com")[0], 550)
        r = self.api.post(base, {"local": "webuser", "password": "Web-Pass-1"})
        self.assertEqual(r.status, 201, r)
        subject = token()
        replies, data = send(self.stack.postfix.smtp_port, ["webuser@example.com"], subject)
        self.assertEqual(replies["webuser@example.com"][0], 250, replies)
        self.assertEqual(data, 250)
        self.assertTrue(wait_for(lambda: subject in self.stack.subjects("webuser@example.com")),
                        "the new mailbox got no mail")
        r = self.api.patch(base + "/webuser", {"active": False})
        self.assertEqual(r.status, 200, r)
        code, text = self.rcpt("webuser@example.com")
        self.assertEqual(code, 550)
        self.assertIn("5.2.1", text)
        self.assertEqual(self.api.delete(base + "/webuser").status, 204)
        code, text = self.rcpt("webuser@example.com")
        self.assertEqual(code, 550)
        self.assertIn("5.1.1", text)

    def stored_hash(self, address):
        con = sqlite3.connect(self.stack.db)
        try:
            return con.execute("SELECT password FROM mailboxes WHERE address = ?",
                               (address,)).fetchone()[0]
        finally:
            con.close()

    def login(self, user, password):
        res = self.stack.store_a.doveadm("auth", "login", user, password, check=False)
        return res.returncode == 0

    def test_password_set_through_the_api_verifies_and_logs_in(self):
        base = "/api/v1/domains/example.com/mailboxes"
        self.assertTrue(self.login("alice@example.com", "Demo-Secret-1"))
        r = self.api.patch(base + "/alice", {"password": "Changed-By-Api-1"})
        self.assertEqual(r.status, 200, r)
        h = self.stored_hash("alice@example.com")
        cfg = harness.private_config()
        ok = cfg.doveadm("pw", "-t", h, "-p", "Changed-By-Api-1", check=False)
        self.assertEqual(ok.returncode, 0, ok.stdout + ok.stderr)
        self.assertIn("verified", ok.stdout + ok.stderr)
        bad = cfg.doveadm("pw", "-t", h, "-p", "Demo-Secret-1", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertTrue(self.login("alice@example.com", "Changed-By-Api-1"))
        self.assertFalse(self.login("alice@example.com", "Demo-Secret-1"))
        # The owner changes it back, giving the current one.
        owner, _ = self.web.sign_in("alice@example.com", "Changed-By-Api-1")
        r = owner.post("/api/v1/me/password", {"current": "wrong", "new": "Owner-Pass-2"})
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json["field"], "current")
        r = owner.post("/api/v1/me/password", {"current": "Changed-By-Api-1",
                                               "new": "Owner-Pass-2"})
        self.assertEqual(r.status, 204, r)
        self.assertTrue(self.login("alice@example.com", "Owner-Pass-2"))
        self.assertFalse(self.login("alice@example.com", "Changed-By-Api-1"))
        self.assertEqual(owner.get("/api/v1/me").json["login"], "alice@example.com")


class PgStack(MultiHost):
    """MailStack's interface on one PostgreSQL primary: MultiHost's primary,
    one MX (Postfix and rcptdb-server) and both stores, all on the primary."""

    def start_all(self):
        self.primary.start()
        self.primary.create_database("rcptdb")
        self.db = self.primary.uri()
        self.stores = {
            name: PrivateDovecot(os.path.join(self.dir, name), self.db, plugin=True,
                                 plugin_db=self.db, name=name,
                                 sql_text=dovecot_instance.pgsql_conf(self.primary.conninfo()))
            for name in ("store-a", "store-b")}
        self.store_a = self.stores["store-a"]
        self.provision()
        self.mx = [Mx(self.dir, "mx", self.db, self)]
        self.postfix = self.mx[0].postfix
        self.mx[0].start_server()
        for store in self.stores.values():
            store.start(self)
        self.postfix.start()
        return self


class WebStackPgTest(WebStackTest):
    @classmethod
    def make_stack(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-e2e-pg-")
        return PgStack(cls.dir)

    def stored_hash(self, address):
        # psql quotes the variable (:'addr'): no address is pasted into SQL.
        res = harness.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           "-v", f"addr={address}", self.stack.db],
                          input="SELECT password FROM mailboxes WHERE address = :'addr';\n")
        return res.stdout.strip()


class WebPostfixPgTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-pg-")
        cls.procs = harness.Processes(cls.dir)
        cls.addClassCleanup(cls.procs.stop)
        cls.db = web_instance.database(cls, cls.dir, "pgsql")
        web_instance.provision_standard(cls.db)
        cls.sock = os.path.join(cls.dir, "socketmap")
        cls.procs.start([harness.SERVER, "--foreground", "-c", harness.private_config(
            cls.dir).rcptdb_conf, "--db", cls.db, "--socketmap", f"unix:{cls.sock}"],
            "rcptdb-server")
        wait_socket(cls.sock)
        cls.cfg = harness.private_config(cls.dir)
        cls.web = PrivateWeb(os.path.join(cls.dir, "web"), cls.db).start(cls.procs)
        cls.api, _ = cls.web.sign_in("root", web_instance.PASSWORDS["root"])

    def lookup(self, map_name, key):
        return self.cfg.lookup(key, f"socketmap:unix:{self.sock}:{map_name}")

    def test_changes_through_the_api_are_the_next_lookups_answer(self):
        base = "/api/v1/domains/own.test/mailboxes"
        self.assertIsNone(self.lookup("recipients", "pguser@own.test"))
        self.assertEqual(self.api.post(base, {"local": "pguser"}).status, 201)
        self.assertEqual(self.lookup("recipients", "pguser@own.test"), "mailbox")
        self.assertEqual(self.api.patch(base + "/pguser", {"active": False}).status, 200)
        self.assertIsNone(self.lookup("recipients", "pguser@own.test"))
        self.assertIn("5.2.1", self.lookup("access", "pguser@own.test"))
        self.assertEqual(self.api.delete(base + "/pguser").status, 204)
        self.assertIsNone(self.lookup("access", "pguser@own.test"))
        r = self.api.post("/api/v1/domains/own.test/aliases",
                          {"local": "pgalias", "targets": ["alice@own.test"]})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.lookup("aliases", "pgalias@own.test"), "alice@own.test")


if __name__ == "__main__":
    unittest.main()
