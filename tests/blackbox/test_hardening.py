# SPDX-License-Identifier: MIT
"""test_hardening - the gaps of issue 8 where Postfix and Dovecot could disagree.

Drives the real admin/rcptdb (and rcptdb-server for the socketmap answer of
a huge alias) against a private database per test: mailbox names holding
the recipient delimiter, alias chains and fan-outs past the resolver's
bounds, the schema version under a reader, file modes, database paths,
numeric domains, transport values with blanks, the bare postmaster and
catch-all sender rights. Each refusal is checked by exit status, one line
naming the cause, and an unchanged `rcptdb export`.

Run after `make`:  tests/blackbox/run test_hardening.py
"""
import json
import os
import socket
import sqlite3
import stat

import harness
import test_server

SRC = harness.SRC


class HardeningTest(harness.BlackBoxTest):

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        self.ok("init")
        self.ok("domain", "add", "example.com")
        self.ok("mailbox", "add", "alice@example.com", "--no-password")

    def cli(self, *args, db=None):
        return harness.run([harness.RCPTDB, "--db", db or self.db, *args], check=False)

    def ok(self, *args):
        res = self.cli(*args)
        self.assertEqual(res.returncode, 0, f"rcptdb {' '.join(args)}: {res.stderr}")
        return res.stdout

    def refused(self, status, *args, says=()):
        """Runs a command that must fail with status, change nothing, and say why."""
        before = self.ok("export")
        res = self.cli(*args)
        self.assertEqual(res.returncode, status, f"rcptdb {' '.join(args)}: {res.stdout}")
        for words in says:
            self.assertIn(words, res.stderr)
        self.assertEqual(self.ok("export"), before, "a refused command changed the database")
        return res.stderr

    def sql(self, statements):
        con = sqlite3.connect(self.db)
        con.executescript(statements)
        con.close()

    # --- 8.1: the recipient delimiter ---------------------------------------

    def test_mailbox_name_with_delimiter_is_refused(self):
        self.refused(1, "mailbox", "add", "alice+y@example.com", "--no-password",
                     says=["alice+y@example.com", "delimiter", "alice@example.com"])
        self.refused(1, "mailbox", "add", "carol+x@example.com", "--no-password",
                     says=["carol+x@example.com", "delimiter"])
        # The schema refuses it too, for plain SQL.
        with self.assertRaises(sqlite3.IntegrityError):
            self.sql("INSERT INTO mailboxes (address) VALUES ('carol+x@example.com');")
        # An alias source may hold one: Postfix rewrites it before LMTP.
        self.ok("alias", "add", "bob+x@example.com", "alice@example.com")
        got = json.loads(self.cli("--json", "check", "bob+x@example.com").stdout)
        self.assertEqual(got["verdict"], "alias")

    def test_delimiter_change_that_splits_a_mailbox_is_refused(self):
        self.ok("mailbox", "add", "john-doe@example.com", "--no-password")
        self.ok("mailbox", "add", "mary-ann@example.com", "--no-password")
        err = self.refused(1, "config", "set", "delimiter", "+-",
                           says=["john-doe@example.com", "mary-ann@example.com"])
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertEqual(self.ok("config", "get", "delimiter").strip(), "+")
        with self.assertRaises(sqlite3.IntegrityError):
            self.sql("UPDATE settings SET value = '+-' WHERE name = 'delimiter';")
        self.ok("config", "set", "delimiter", "+=")

    def test_migrate_refuses_listing_mailboxes_with_the_delimiter(self):
        old = os.path.join(self.dir, "v1.sqlite")
        con = sqlite3.connect(old)
        with open(os.path.join(SRC, "tests", "unit", "schema_v1.sql")) as f:
            con.executescript(f.read())
        con.executescript("INSERT INTO domains (name) VALUES ('example.com');"
                          "INSERT INTO mailboxes (address) VALUES ('carol+x@example.com');")
        con.close()
        res = self.cli("migrate", db=old)
        self.assertEqual(res.returncode, 1, res.stdout)
        self.assertIn("carol+x@example.com", res.stderr)
        con = sqlite3.connect(old)
        self.assertEqual(con.execute("PRAGMA user_version").fetchone()[0], 1)
        con.execute("DELETE FROM mailboxes")
        con.commit()
        con.close()
        res = self.cli("migrate", db=old)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("schema version 1 -> 4", res.stdout)

    # --- 8.2: never a partial answer ----------------------------------------

    def test_cli_and_schema_refuse_chains_past_the_depth_bound(self):
        for i in range(7):
            self.ok("alias", "add", f"d{i+1}@example.com", f"d{i+2}@example.com"
                    if i < 6 else "alice@example.com")
        self.ok("alias", "add", "d0@example.com", "d1@example.com")  # 8 steps
        self.refused(1, "alias", "add", "top@example.com", "d0@example.com",
                     says=["top@example.com", "8 steps"])
        got = json.loads(self.cli("--json", "check", "d0@example.com").stdout)
        self.assertEqual(got["verdict"], "alias")

    def test_check_names_the_bound_for_a_chain_made_with_plain_sql(self):
        rows = "".join(f"INSERT INTO aliases (source, target) VALUES ('d{i}@example.com', "
                       f"'{'alice' if i == 10 else 'd' + str(i + 1)}@example.com');"
                       for i in range(11))
        self.sql("DROP TRIGGER aliases_depth_ins;" + rows)
        res = self.cli("check", "d0@example.com")
        self.assertEqual(res.returncode, 75, res.stdout + res.stderr)
        self.assertIn("d0@example.com", res.stderr)
        self.assertIn("kMaxAliasDepth", res.stderr)
        self.assertNotIn("550", res.stdout)

    def test_server_defers_a_huge_alias_and_logs_alias_and_bound(self):
        rows = []
        for i in range(60):
            rows.append(f"INSERT INTO aliases (source, target) VALUES "
                        f"('big@example.com', 'm{i}@example.com');")
            rows += [f"INSERT INTO aliases (source, target) VALUES ('m{i}@example.com', "
                     f"'x{i}-{j}@elsewhere.test');" for j in range(60)]
        self.sql("BEGIN;" + "".join(rows) + "COMMIT;")
        port = harness.free_port()
        conf = os.path.join(self.dir, "none.conf")
        with open(conf, "w") as f:
            f.write("# flags say everything\n")
        server = self.start([harness.SERVER, "--foreground", "--db", self.db, "-c", conf,
                             "--socketmap", f"127.0.0.1:{port}"], "server")
        harness.wait_port(port)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(test_server.netstring("aliases big@example.com"))
            reply = s.recv(65536)
            self.assertEqual(reply, test_server.netstring("TEMP resolver bound, try again later"))
            # The database is fine: the next key is answered as usual.
            s.sendall(test_server.netstring("recipients alice@example.com"))
            self.assertEqual(s.recv(65536), test_server.netstring("OK mailbox"))
        server.stop()
        log = server.output()
        self.assertRegex(log, r"warning: .*aliases key big@example.com: alias big@example.com "
                              r"expands to more than 1000 targets .*kMaxAliasTargets")
        # Not database trouble: no trouble line, no recovery line.
        self.assertNotIn("answering temporary failures", log)
        self.assertNotIn("database works again", log)

    # --- 8.4: smaller defects -----------------------------------------------

    def test_init_and_backup_files_are_not_world_readable(self):
        copy = os.path.join(self.dir, "copy.sqlite")
        self.ok("backup", copy)
        for path in (self.db, copy):
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode, 0o640, f"{path}: {oct(mode)}")

    def test_memory_and_uri_databases_are_refused(self):
        for bad in (":memory:", "file:x.sqlite", "file:m?mode=memory&cache=shared"):
            for args in (("init",), ("domain", "list"), ("check", "alice@example.com")):
                res = self.cli(*args, db=bad)
                self.assertEqual(res.returncode, 2, f"{bad} {args}: {res.stdout}")
                self.assertIn("not a path", res.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "file:x.sqlite")))
        res = harness.run([harness.SERVER, "--check-config", "-c", "/dev/null", "--db",
                           ":memory:", "--socketmap", "127.0.0.1:1"], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("not a path", res.stderr)

    def test_numeric_domain_is_refused(self):
        for bad in ("1.2.3.4", "127.0.0.1", "example.123"):
            self.refused(1, "domain", "add", bad, says=[bad, "not a valid domain"])

    def test_unknown_map_error_lists_every_map(self):
        res = harness.run([harness.SERVER, "--check-config", "-c", "/dev/null", "--tcp-table",
                           "users=127.0.0.1:1"], check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn("domains, transport, recipients, aliases, senders, access", res.stderr)

    def test_transport_values_with_blanks_are_accepted(self):
        self.ok("domain", "set", "example.com", "--transport", "error:5.7.1 Mailbox moved")
        self.ok("mailbox", "set", "alice@example.com", "--transport", "error:5.1.6 Moved away")
        got = json.loads(self.cli("--json", "check", "alice@example.com").stdout)
        self.assertEqual(got["maps"]["transport"]["value"], "error:5.1.6 Moved away")
        self.refused(1, "domain", "set", "example.com", "--transport", " smtp:x")
        self.refused(1, "domain", "set", "example.com", "--transport", "smtp:\tx")

    def test_bare_postmaster_follows_the_setting(self):
        got = json.loads(self.cli("--json", "check", "postmaster").stdout)
        self.assertEqual(got["verdict"], "unknown-recipient")
        self.refused(1, "config", "set", "postmaster", "not an address")
        self.ok("config", "set", "postmaster", "Alice@Example.COM")
        self.assertEqual(self.ok("config", "get", "postmaster").strip(), "alice@example.com")
        got = json.loads(self.cli("--json", "check", "PostMaster").stdout)
        self.assertEqual(got["verdict"], "mailbox")
        self.assertEqual(got["lmtp"]["code"], 250)
        self.assertEqual(got["lmtp"]["rewrite"], "alice@example.com")
        self.assertIn("postmaster", self.ok("config", "list"))

    def test_catchall_grants_no_sender_rights_unless_set(self):
        self.ok("catchall", "set", "example.com", "alice@example.com")
        got = json.loads(self.cli("--json", "check", "zz@example.com").stdout)
        self.assertEqual(got["verdict"], "alias")
        self.assertEqual(got["maps"]["senders"]["result"], "notfound")
        self.refused(1, "config", "set", "catchall_senders", "maybe")
        self.ok("config", "set", "catchall_senders", "yes")
        got = json.loads(self.cli("--json", "check", "zz@example.com").stdout)
        self.assertEqual(got["maps"]["senders"]["value"], "alice@example.com")
