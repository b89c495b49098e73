# SPDX-License-Identifier: MIT
"""test_cli - rcptdb, the provisioning command, driven as an admin would.

Every test runs the real admin/rcptdb binary against its own database in a
private temporary directory. Refused commands are checked three ways: the
exit status (1 bad input or not found, 2 usage, 75 database trouble), one
line on stderr naming the value, and an unchanged database (`rcptdb export`
before and after is identical). Password hashes are checked with Dovecot's
own `doveadm pw -t`, the interactive prompt through a pseudo-terminal.

Run after `make`:  tests/blackbox/run test_cli.py
"""
import json
import os
import pty
import re
import select
import sqlite3
import subprocess

import harness

HOSTED = "example.com"
TRANSPORT = "lmtp:inet:127.0.0.1:24"


def doveadm_verifies(hashed, password):
    """True iff Dovecot itself accepts password for hashed."""
    res = harness.private_config().doveadm("pw", "-t", hashed, "-p", password, check=False)
    return res.returncode == 0 and "(verified)" in res.stdout


class CliTest(harness.BlackBoxTest):
    """A fresh, initialised database per test, and helpers to refuse."""

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        self.ok("init")

    # --- helpers -------------------------------------------------------------

    def run_cli(self, *args, input=None, db=None):
        return harness.run([harness.RCPTDB, "--db", db or self.db, *args], input=input,
                           check=False)

    def ok(self, *args, input=None, db=None):
        res = self.run_cli(*args, input=input, db=db)
        self.assertEqual(res.returncode, 0, f"rcptdb {' '.join(args)}: {res.stderr}")
        return res.stdout

    def json(self, *args):
        return json.loads(self.ok("--json", *args))

    def check(self, address):
        """`rcptdb --json check`; exit 0 if accepted, 1 if refused."""
        res = self.run_cli("--json", "check", address)
        got = json.loads(res.stdout)
        accepted = got["verdict"] in ("mailbox", "alias", "relay")
        self.assertEqual(res.returncode, 0 if accepted else 1, res.stderr)
        return got

    def export(self, db=None, fmt="csv"):
        return self.ok("export", "--format", fmt, db=db)

    def refused(self, code, *args, names=None, input=None):
        """Runs a command that must fail with code and change nothing."""
        before = self.export()
        res = self.run_cli(*args, input=input)
        self.assertEqual(res.returncode, code,
                         f"rcptdb {' '.join(args)}: {res.stdout}{res.stderr}")
        lines = res.stderr.splitlines()
        self.assertTrue(lines and lines[0].startswith("rcptdb: "), res.stderr)
        if code != 2:
            self.assertEqual(len(lines), 1, f"not one line: {res.stderr!r}")
        if names is not None:
            self.assertIn(names, lines[0])
        self.assertEqual(self.export(), before, "a refused command changed the database")
        return lines[0]

    def provision(self):
        """A small data set: hosted, alias, relay and an IDN domain."""
        self.ok("domain", "add", HOSTED, "--transport", TRANSPORT)
        self.ok("domain", "add", "example.org", "--transport", TRANSPORT)
        self.ok("domain", "add", "example.net", "--kind", "alias", "--target", HOSTED)
        self.ok("domain", "add", "relay.example", "--kind", "relay", "--nexthop", "[backup.example]")
        self.ok("mailbox", "add", "alice@example.com", "--password-stdin", input="alice-pw\n")
        self.ok("mailbox", "add", "bob@example.com", "--no-password")
        self.ok("mailbox", "add", "real@example.org", "--no-password")
        self.ok("alias", "add", "team@example.com", "alice@example.com", "bob@example.com")
        self.ok("relay-recipient", "add", "listed@relay.example")

    def mailbox_hash(self, address):
        for line in self.export().splitlines():
            fields = line.split(",")
            if fields[0] == "mailbox" and fields[1] == address:
                return fields[2]
        self.fail(f"no mailbox {address} in export")


class DatabaseTest(CliTest):
    def test_init_creates_schema_and_refuses_an_existing_file(self):
        self.assertEqual(self.ok("config", "get", "delimiter"), "+\n")
        self.refused(1, "init", names=self.db)

    def test_database_from_environment(self):
        other = os.path.join(self.dir, "env.sqlite")
        env = dict(os.environ, RCPTDB_DB=other)
        res = harness.run([harness.RCPTDB, "init"], env=env, check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertTrue(os.path.exists(other))
        res = harness.run([harness.RCPTDB, "domain", "add", "env.example"], env=env)
        self.assertEqual(self.ok("domain", "list", db=other).split("\t")[0], "env.example")
        self.assertEqual(self.ok("domain", "list"), "")

    def test_migrate_on_a_current_database(self):
        self.assertIn("schema version 4 is current", self.ok("migrate"))
        self.assertEqual(self.json("migrate"), {"from": 4, "to": 4})

    def test_database_trouble_is_exit_75(self):
        missing = os.path.join(self.dir, "missing.sqlite")
        res = self.run_cli("domain", "list", db=missing)
        self.assertEqual(res.returncode, 75)
        self.assertIn(missing, res.stderr)
        garbage = os.path.join(self.dir, "garbage.sqlite")
        with open(garbage, "w") as f:
            f.write("this is not a database\n" * 100)
        self.assertEqual(self.run_cli("domain", "add", "x.example", db=garbage).returncode, 75)
        foreign = os.path.join(self.dir, "foreign.sqlite")
        sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
        res = self.run_cli("mailbox", "list", db=foreign)
        self.assertEqual(res.returncode, 75)
        self.assertIn("schema version 0", res.stderr)

    def test_readers_need_no_write_lock_and_writers_defer(self):
        self.provision()
        holder = sqlite3.connect(self.db, isolation_level=None)
        self.addCleanup(holder.close)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO domains (name) VALUES ('locked.example')")
        # Readers see the last commit while a writer holds the lock ...
        self.assertEqual(self.ok("mailbox", "list").count("\n"), 3)
        self.assertNotIn("locked.example", self.export())
        self.ok("check", "alice@example.com")
        # ... and a writer gives up with EX_TEMPFAIL after its busy timeout.
        res = self.run_cli("domain", "add", "other.example")
        self.assertEqual(res.returncode, 75, res.stderr)
        self.assertIn("locked", res.stderr)
        holder.execute("ROLLBACK")
        self.ok("domain", "add", "other.example")

    def test_backup_is_a_full_copy(self):
        self.provision()
        dest = os.path.join(self.dir, "backup.sqlite")
        self.ok("backup", dest)
        self.assertEqual(self.export(db=dest), self.export())
        self.refused(1, "backup", dest, names=dest)


class DomainTest(CliTest):
    def test_add_normalises_and_lists(self):
        self.ok("domain", "add", "Example.COM.", "--transport", TRANSPORT)
        self.ok("domain", "add", "bücher.example")
        self.ok("domain", "add", "relay.example", "--kind", "relay", "--nexthop", "[mx.example]")
        self.ok("domain", "add", "example.net", "--kind", "alias", "--target", "EXAMPLE.com")
        rows = [line.split("\t") for line in self.ok("domain", "list").splitlines()]
        self.assertEqual(rows, [
            ["example.com", "hosted", "active", TRANSPORT, "-", "-"],
            ["example.net", "alias", "active", "-", "example.com", "-"],
            ["relay.example", "relay", "active", "smtp:[mx.example]", "-", "-"],
            ["xn--bcher-kva.example", "hosted", "active", "-", "-", "-"],
        ])
        listed = self.json("domain", "list")
        self.assertEqual(listed[1], {"name": "example.net", "kind": "alias", "active": True,
                                     "transport": None, "target": "example.com",
                                     "catchall": None})

    def test_show(self):
        self.ok("domain", "add", HOSTED, "--transport", TRANSPORT)
        self.ok("domain", "add", "example.net", "--kind", "alias", "--target", HOSTED)
        text = self.ok("domain", "show", "EXAMPLE.com")
        self.assertRegex(text, r"(?m)^kind +hosted$")
        self.assertRegex(text, r"(?m)^alias-domains +example.net$")
        self.assertEqual(self.json("domain", "show", HOSTED)["transport"], TRANSPORT)
        self.refused(1, "domain", "show", "nowhere.test", names="nowhere.test: no such domain")

    def test_usage_mistakes_exit_2(self):
        self.refused(2, "domain", "add", "a.example", "--kind", "alias")
        self.refused(2, "domain", "add", "a.example", "--target", HOSTED)
        self.refused(2, "domain", "add", "a.example", "--kind", "bogus", names="bogus")
        self.refused(2, "domain", "add", "a.example", "--transport", "smtp:x", "--nexthop", "y")
        self.ok("domain", "add", HOSTED)
        self.refused(2, "domain", "add", "a.example", "--kind", "alias", "--target", HOSTED,
                     "--transport", "smtp:x")

    def test_bad_input_exits_1_and_changes_nothing(self):
        self.ok("domain", "add", HOSTED)
        self.ok("domain", "add", "example.net", "--kind", "alias", "--target", HOSTED)
        self.refused(1, "domain", "add", "exa mple.com", names="exa mple.com")
        self.refused(1, "domain", "add", "a@b.example", names="a@b.example")
        self.refused(1, "domain", "add", "example.COM", names="example.com: domain exists already")
        self.refused(1, "domain", "add", "x.example", "--kind", "alias", "--target",
                     "nowhere.test", names="target domain nowhere.test does not exist")
        self.refused(1, "domain", "add", "x.example", "--kind", "alias", "--target",
                     "example.net", names="is itself an alias domain")
        self.refused(1, "domain", "add", "x.example", "--transport", "no-colon",
                     names="no-colon")
        self.refused(1, "domain", "add", "x.example", "--kind", "alias", "--target", "x.example",
                     names="cannot point to itself")

    def test_enable_disable(self):
        self.provision()
        self.ok("domain", "disable", HOSTED)
        self.assertFalse(self.json("domain", "show", HOSTED)["active"])
        self.assertEqual(self.check("alice@example.com")["verdict"], "unknown-domain")
        self.ok("domain", "enable", HOSTED)
        self.assertEqual(self.check("alice@example.com")["verdict"], "mailbox")
        self.refused(1, "domain", "disable", "nowhere.test", names="nowhere.test")

    def test_del_refuses_a_domain_in_use_unless_forced(self):
        self.provision()
        self.refused(1, "domain", "del", "example.org", names="1 mailboxes")
        self.refused(1, "domain", "del", HOSTED, names="alias domain example.net points to it")
        self.ok("domain", "del", "example.org", "--force")
        self.assertNotIn("real@example.org", self.ok("mailbox", "list"))
        self.ok("domain", "del", "example.net")
        self.ok("domain", "add", "empty.example")
        self.ok("domain", "del", "empty.example")
        self.refused(1, "domain", "del", "empty.example", names="empty.example: no such domain")

    def test_set_transport(self):
        self.provision()
        self.ok("domain", "set", HOSTED, "--transport", "lmtp:inet:10.0.0.2:24")
        self.assertEqual(self.json("domain", "show", HOSTED)["transport"], "lmtp:inet:10.0.0.2:24")
        self.ok("domain", "set", HOSTED, "--nexthop", "[mx2.example]")
        self.assertEqual(self.json("domain", "show", HOSTED)["transport"], "smtp:[mx2.example]")
        self.ok("domain", "set", HOSTED, "--no-transport")
        self.assertIsNone(self.json("domain", "show", HOSTED)["transport"])
        self.refused(2, "domain", "set", HOSTED)
        self.refused(1, "domain", "set", "example.net", "--transport", "smtp:x",
                     names="alias domain has no transport")
        self.refused(1, "domain", "set", HOSTED, "--transport", "bad value",
                     names="bad value")


class MailboxTest(CliTest):
    def setUp(self):
        super().setUp()
        self.provision()

    def test_password_stdin_hash_verifies_with_doveadm(self):
        self.ok("mailbox", "add", "carol@example.com", "--password-stdin", input="c4rol pw\n")
        hashed = self.mailbox_hash("carol@example.com")
        self.assertTrue(hashed.startswith("{SHA512-CRYPT}$6$"), hashed)
        self.assertTrue(doveadm_verifies(hashed, "c4rol pw"))
        self.assertFalse(doveadm_verifies(hashed, "wrong"))
        self.assertNotIn("c4rol", self.export())

    def test_password_hash_is_stored_as_given(self):
        hashed = harness.private_config().doveadm("pw", "-s", "SHA512-CRYPT", "-p",
                                                  "given").stdout.strip()
        self.ok("mailbox", "add", "dave@example.com", "--password-hash", hashed)
        self.assertEqual(self.mailbox_hash("dave@example.com"), hashed)
        self.refused(1, "mailbox", "add", "erin@example.com", "--password-hash", "plaintext",
                     names="{SCHEME}hash")

    def test_no_password_option_without_terminal_is_usage(self):
        self.refused(2, "mailbox", "add", "carol@example.com", input="",
                     names="not a terminal")
        self.refused(2, "mailbox", "add", "carol@example.com", "--no-password",
                     "--password-stdin")
        self.refused(1, "mailbox", "add", "carol@example.com", "--password-stdin", input="",
                     names="carol@example.com")

    def prompt(self, *args, answers):
        """Runs rcptdb on a pseudo-terminal, answering each prompt."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(harness.RCPTDB, [harness.RCPTDB, "--db", self.db, *args])
        output = b""
        answered = 0  # answer each prompt once, only after it appeared
        pending = list(answers)
        while True:
            ready, _, _ = select.select([fd], [], [], 10)
            if not ready:
                os.kill(pid, 9)
                self.fail(f"rcptdb hangs at the prompt: {output!r}")
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
            if pending and output[answered:].rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered = len(output)
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), output.decode("utf-8", "replace")

    def test_terminal_prompt_twice_without_echo(self):
        code, out = self.prompt("mailbox", "add", "carol@example.com",
                                answers=["typed-pw", "typed-pw"])
        self.assertEqual(code, 0, out)
        self.assertIn("New password for carol@example.com:", out)
        self.assertIn("Retype", out)
        self.assertNotIn("typed-pw", out, "the password was echoed")
        self.assertTrue(doveadm_verifies(self.mailbox_hash("carol@example.com"), "typed-pw"))

    def test_terminal_prompt_mismatch_changes_nothing(self):
        before = self.export()
        code, out = self.prompt("mailbox", "passwd", "alice@example.com", answers=["one", "two"])
        self.assertEqual(code, 1, out)
        self.assertIn("do not match", out)
        self.assertEqual(self.export(), before)

    def test_refusals_name_the_value(self):
        line = self.refused(1, "mailbox", "add", "bob@nowhere.test", "--no-password")
        self.assertEqual(line, "rcptdb: mailbox add: bob@nowhere.test: "
                               "domain nowhere.test does not exist")
        self.refused(1, "mailbox", "add", "not-an-address", "--no-password",
                     names="not-an-address: not a valid address")
        self.refused(1, "mailbox", "add", "x@relay.example", "--no-password",
                     names="relay.example is a relay domain")
        self.refused(1, "mailbox", "add", "x@example.net", "--no-password",
                     names="alias domain of example.com")
        self.refused(1, "mailbox", "add", "Alice@Example.COM", "--no-password",
                     names="alice@example.com: mailbox exists already")
        self.refused(1, "mailbox", "add", "team@example.com", "--no-password",
                     names="an alias with this address exists")
        self.refused(1, "mailbox", "add", "q@example.com", "--no-password", "--quota", "lots",
                     names="quota lots")
        self.refused(1, "mailbox", "add", "q@example.com", "--no-password", "--transport",
                     "nocolon", names="nocolon")

    def test_quota_sizes(self):
        self.ok("mailbox", "add", "q@example.com", "--no-password", "--quota", "2G")
        self.assertEqual(self.json("mailbox", "show", "q@example.com")["quota"], 2 * 2**30)
        self.ok("mailbox", "quota", "q@example.com", "512M")
        self.assertEqual(self.json("mailbox", "show", "q@example.com")["quota"], 512 * 2**20)
        self.ok("mailbox", "quota", "q@example.com", "1000")
        self.assertEqual(self.json("mailbox", "show", "q@example.com")["quota"], 1000)
        self.refused(1, "mailbox", "quota", "q@example.com", "-5")
        self.refused(1, "mailbox", "quota", "q@example.com", "99999999999T")
        self.refused(1, "mailbox", "quota", "nobody@example.com", "1G",
                     names="nobody@example.com: no such mailbox")

    def test_show_list_enable_disable_del(self):
        shown = self.json("mailbox", "show", "ALICE@example.com")
        self.assertEqual(shown, {"address": "alice@example.com", "active": True,
                                 "password_scheme": "SHA512-CRYPT", "quota": 0,
                                 "transport": None, "description": "",
                                 "aliases": ["team@example.com"]})
        self.assertNotIn("$6$", self.ok("mailbox", "show", "alice@example.com"))
        self.assertEqual([m["address"] for m in self.json("mailbox", "list")],
                         ["alice@example.com", "bob@example.com", "real@example.org"])
        self.assertEqual(self.ok("mailbox", "list", "example.org"),
                         "real@example.org\tactive\t0\t-\t-\n")
        self.refused(1, "mailbox", "list", "nowhere.test", names="nowhere.test")
        self.ok("mailbox", "disable", "bob@example.com")
        self.assertIn("bob@example.com\tdisabled", self.ok("mailbox", "list"))
        self.assertEqual(self.check("bob@example.com")["verdict"], "disabled")
        self.ok("mailbox", "enable", "bob@example.com")
        self.assertEqual(self.check("bob@example.com")["verdict"], "mailbox")
        self.ok("mailbox", "del", "bob@example.com")
        self.refused(1, "mailbox", "del", "bob@example.com", names="no such mailbox")
        self.refused(1, "mailbox", "enable", "bob@example.com", names="no such mailbox")

    def test_passwd(self):
        self.ok("mailbox", "passwd", "alice@example.com", "--password-stdin", input="new-pw\n")
        self.assertTrue(doveadm_verifies(self.mailbox_hash("alice@example.com"), "new-pw"))
        self.ok("mailbox", "passwd", "alice@example.com", "--no-password")
        self.assertIsNone(self.json("mailbox", "show", "alice@example.com")["password_scheme"])
        self.refused(1, "mailbox", "passwd", "ghost@example.com", "--password-stdin",
                     input="x\n", names="ghost@example.com: no such mailbox")

    def test_set_transport_and_quota(self):
        self.ok("mailbox", "set", "bob@example.com", "--transport", "lmtp:inet:10.0.0.9:24",
                "--quota", "1G")
        shown = self.json("mailbox", "show", "bob@example.com")
        self.assertEqual((shown["transport"], shown["quota"]), ("lmtp:inet:10.0.0.9:24", 2**30))
        self.assertEqual(self.check("bob@example.com")["transport"],
                         "lmtp:inet:10.0.0.9:24")
        self.ok("mailbox", "set", "bob@example.com", "--no-transport")
        self.assertIsNone(self.json("mailbox", "show", "bob@example.com")["transport"])
        self.refused(2, "mailbox", "set", "bob@example.com")


class AliasTest(CliTest):
    def setUp(self):
        super().setUp()
        self.provision()

    def test_add_list_del(self):
        self.ok("alias", "add", "Sales@Example.com", "alice@example.com", "partner@foreign.test")
        rows = self.json("alias", "list", HOSTED)
        self.assertIn({"source": "sales@example.com", "target": "partner@foreign.test",
                       "active": True}, rows)
        self.assertEqual(self.check("sales@example.com")["maps"]["aliases"]["value"],
                         "alice@example.com,partner@foreign.test")
        self.refused(1, "alias", "add", "sales@example.com", "alice@example.com",
                     names="alias to alice@example.com exists already")
        self.ok("alias", "del", "sales@example.com", "partner@foreign.test")
        self.assertEqual(self.ok("alias", "list", HOSTED).count("sales@example.com"), 1)
        self.ok("alias", "del", "sales@example.com")
        self.assertNotIn("sales@", self.ok("alias", "list"))
        self.refused(1, "alias", "del", "sales@example.com", names="no such alias")
        self.refused(1, "alias", "list", "nowhere.test", names="nowhere.test: no such domain")
        self.refused(1, "alias", "del", "team@example.com", "nobody@example.com",
                     names="no alias to nobody@example.com")

    def test_enable_disable(self):
        self.ok("alias", "disable", "team@example.com")
        self.assertIn("disabled", self.ok("alias", "list"))
        self.assertEqual(self.check("team@example.com")["verdict"], "disabled")
        # A target added to a disabled alias is disabled with it.
        self.ok("alias", "add", "team@example.com", "real@example.org")
        self.assertEqual(self.check("team@example.com")["verdict"], "disabled")
        self.ok("alias", "enable", "team@example.com")
        self.assertEqual(len(self.check("team@example.com")["targets"]), 3)
        self.refused(1, "alias", "enable", "ghost@example.com", names="no such alias")

    def test_bad_aliases(self):
        self.refused(1, "alias", "add", "x@nowhere.test", "alice@example.com",
                     names="domain nowhere.test does not exist")
        self.refused(1, "alias", "add", "x@relay.example", "alice@example.com",
                     names="relay domain")
        self.refused(1, "alias", "add", "alice@example.com", "bob@example.com",
                     names="a mailbox with this address exists")
        self.refused(1, "alias", "add", "x@example.com", "x@EXAMPLE.com",
                     names="cannot point to itself")
        self.refused(1, "alias", "add", "x@example.com", "not an address",
                     names="not an address")
        self.refused(2, "alias", "add", "x@example.com")

    def test_loops_are_refused(self):
        self.ok("alias", "add", "a@example.com", "b@example.com")
        self.ok("alias", "add", "b@example.com", "c@example.com")
        self.refused(1, "alias", "add", "c@example.com", "a@example.com",
                     names="c@example.com: target a@example.com leads back to c@example.com")
        # through the alias domain example.net -> example.com
        self.refused(1, "alias", "add", "c@example.com", "a@example.net", names="alias loop")
        # through the +detail of the source itself
        self.refused(1, "alias", "add", "c@example.com", "c+x@example.com", names="alias loop")
        # several targets: the looping one spoils the whole command
        self.refused(1, "alias", "add", "c@example.com", "alice@example.com", "b@example.com",
                     names="alias loop")
        # a chain that ends in a mailbox is fine
        self.ok("alias", "add", "c@example.com", "alice@example.com")
        self.assertEqual(self.check("a@example.com")["verdict"], "alias")

    def test_catchall(self):
        self.ok("catchall", "set", "example.org", "real@example.org")
        self.assertEqual(self.json("domain", "show", "example.org")["catchall"],
                         "real@example.org")
        self.assertEqual(self.check("anything@example.org")["verdict"], "alias")
        self.refused(1, "catchall", "set", "example.org", "nobody@example.org",
                     names="leads back to the catch-all")
        self.ok("alias", "add", "fwd@example.com", "nobody@example.org")
        self.refused(1, "catchall", "set", "example.org", "fwd@example.com",
                     names="leads back to the catch-all")
        self.refused(1, "catchall", "set", "relay.example", "alice@example.com",
                     names="only hosted domains have a catch-all")
        self.refused(1, "catchall", "set", "nowhere.test", "alice@example.com",
                     names="nowhere.test: no such domain")
        self.ok("catchall", "unset", "example.org")
        self.assertEqual(self.check("anything@example.org")["verdict"],
                         "unknown-recipient")
        self.refused(1, "catchall", "unset", "example.org", names="has no catch-all")


class RelaySenderConfigTest(CliTest):
    def setUp(self):
        super().setUp()
        self.provision()

    def test_relay_recipients(self):
        self.ok("relay-recipient", "add", "Second@Relay.Example")
        self.assertEqual(self.ok("relay-recipient", "list", "relay.example"),
                         "listed@relay.example\nsecond@relay.example\n")
        self.assertEqual(self.json("relay-recipient", "list"),
                         ["listed@relay.example", "second@relay.example"])
        self.assertEqual(self.check("second@relay.example")["verdict"], "relay")
        self.refused(1, "relay-recipient", "add", "second@relay.example", names="exists already")
        self.refused(1, "relay-recipient", "add", "x@example.com",
                     names="example.com is a hosted domain")
        self.refused(1, "relay-recipient", "list", "nowhere.test", names="no such domain")
        self.ok("relay-recipient", "del", "second@relay.example")
        self.refused(1, "relay-recipient", "del", "second@relay.example",
                     names="no such relay recipient")

    def test_sender_rules(self):
        senders = lambda a: self.check(a)["maps"]["senders"]
        self.assertEqual(senders("alice@example.com")["value"], "alice@example.com")
        self.ok("sender", "allow", "alice@example.com", "Bob@Example.com")
        self.assertEqual(senders("alice@example.com")["value"],
                         "alice@example.com,bob@example.com")
        self.ok("sender", "deny", "alice@example.com", "alice@example.com")
        self.assertEqual(senders("alice@example.com")["value"], "bob@example.com")
        self.assertEqual(self.json("sender", "list"), [
            {"address": "alice@example.com", "login": "alice@example.com", "allow": False},
            {"address": "alice@example.com", "login": "bob@example.com", "allow": True}])
        self.ok("sender", "del", "alice@example.com", "alice@example.com")
        self.assertEqual(self.ok("sender", "list"), "alice@example.com\tbob@example.com\tallow\n")
        self.refused(1, "sender", "del", "alice@example.com", "nobody", names="nobody")
        self.refused(1, "sender", "allow", "alice@example.com", "has,comma", names="has,comma")
        self.refused(1, "sender", "allow", "bad address", "bob", names="bad address")

    def test_config(self):
        self.assertEqual(self.json("config", "list"),
                         {"delimiter": "+", "postmaster": "", "catchall_senders": "no"})
        self.ok("config", "set", "delimiter", "+-")
        self.assertEqual(self.ok("config", "get", "delimiter"), "+-\n")
        self.assertEqual(self.check("alice-news@example.com")["mailbox"],
                         "alice@example.com")
        self.ok("config", "set", "delimiter", "")
        self.assertEqual(self.check("alice+x@example.com")["verdict"],
                         "unknown-recipient")
        self.refused(1, "config", "set", "delimiter", "abc", names="delimiter abc")
        self.refused(1, "config", "set", "colour", "red", names="colour")
        self.refused(1, "config", "get", "colour", names="colour")


class CheckTest(CliTest):
    def setUp(self):
        super().setUp()
        self.provision()

    def test_mailbox_through_alias_domain_and_detail(self):
        text = self.ok("check", "Alice+News@Example.NET")
        self.assertRegex(text, r"(?m)^verdict +mailbox$")
        self.assertIn("alias domain example.net -> example.com", text)
        self.assertIn("domains     example.net -> found alias", text)
        self.assertIn(f"transport   alice+news@example.net -> found {TRANSPORT}", text)
        self.assertIn("RCPT TO:<alice+news@example.net> -> 250 2.1.5", text)
        got = self.check("Alice+News@Example.NET")
        self.assertEqual(got["normalized"], "alice+news@example.net")
        self.assertEqual(got["mailbox"], "alice@example.com")
        self.assertEqual(got["maps"]["recipients"]["result"], "found")
        self.assertEqual(got["maps"]["aliases"]["value"], "alice+news@example.com")
        self.assertEqual(got["lmtp"], {"result": "accept", "code": 250, "enhanced": "2.1.5",
                                       "text": "OK", "rewrite": "alice+news@example.com"})

    def test_alias_with_two_targets(self):
        got = self.check("team@example.com")
        self.assertEqual(got["verdict"], "alias")
        self.assertEqual([t["address"] for t in got["targets"]],
                         ["alice@example.com", "bob@example.com"])
        self.assertEqual(got["lmtp"]["code"], 550)
        self.assertEqual(got["maps"]["senders"]["value"], "alice@example.com,bob@example.com")

    def test_refused_addresses_exit_1_with_the_reason(self):
        cases = {
            "nobody@example.com": ("unknown-recipient", 550, "5.1.1"),
            "x@nowhere.test": ("unknown-domain", 550, "5.1.2"),
            "not-an-address": ("malformed", 550, "5.1.1"),
            "listed@relay.example": ("relay", 550, "5.1.2"),
        }
        for address, (verdict, code, enhanced) in cases.items():
            res = self.run_cli("--json", "check", address)
            got = json.loads(res.stdout)
            self.assertEqual(got["verdict"], verdict, address)
            self.assertEqual((got["lmtp"]["code"], got["lmtp"]["enhanced"]), (code, enhanced))
            self.assertEqual(res.returncode, 0 if verdict == "relay" else 1, address)
        got = self.check("x@nowhere.test")
        self.assertEqual(got["maps"]["domains"]["result"], "notfound")
        self.assertEqual(got["maps"]["transport"]["result"], "notfound")
        text = self.run_cli("check", "nobody@example.com")
        self.assertIn("recipients  nobody@example.com -> not found", text.stdout)
        self.assertIn("550 5.1.1", text.stdout)

    def test_idn_domain(self):
        self.ok("domain", "add", "bücher.example")
        self.ok("mailbox", "add", "user@bücher.example", "--no-password")
        got = self.check("user@BÜCHER.example")
        self.assertEqual(got["normalized"], "user@xn--bcher-kva.example")
        self.assertEqual(got["verdict"], "mailbox")


class ImportExportTest(CliTest):
    def new_db(self, name):
        path = os.path.join(self.dir, name)
        self.ok("init", db=path)
        return path

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_a_mailbox_description_is_kept_shown_exported_and_checked(self):
        self.provision()
        name = "Zoë Example, <img src=x onerror=alert(1)>"
        self.ok("mailbox", "add", "zoe@example.com", "--no-password", "--description", name)
        self.assertEqual(self.json("mailbox", "show", "zoe@example.com")["description"], name)
        self.assertIn("description  " + name, self.ok("mailbox", "show", "zoe@example.com"))
        self.assertIn("zoe@example.com\tactive\t0\t-\t" + name + "\n", self.ok("mailbox", "list"))
        csv = self.export()
        self.assertIn('mailbox,zoe@example.com,,0,,1,"' + name + '"\n', csv)
        # A mailbox without one is exported as before version 4.
        self.assertRegex(csv, r"\nmailbox,bob@example.com,[^\n]*,1\n")
        self.assertIn('"description":"' + name + '"', self.export(fmt="json"))
        # Round trip through import, in both formats.
        for fmt in ("csv", "json"):
            copy = self.new_db(f"described-{fmt}.sqlite")
            path = self.write("all." + fmt, self.export(fmt=fmt))
            self.ok("import", "--format", fmt, path, db=copy)
            shown = json.loads(self.ok("--json", "mailbox", "show", "zoe@example.com", db=copy))
            self.assertEqual(shown["description"], name)
        self.ok("mailbox", "set", "zoe@example.com", "--description", "")
        self.assertEqual(self.json("mailbox", "show", "zoe@example.com")["description"], "")
        before = self.export()
        rule = "zoe@example.com: description must be UTF-8 text of at most 255 characters"
        for bad in ("two\nlines", "x" * 256, "tab\there"):
            self.refused(1, "mailbox", "set", "zoe@example.com", "--description", bad, names=rule)
            self.refused(1, "mailbox", "add", "zoe2@example.com", "--no-password",
                         "--description", bad, names="zoe2@example.com: description must be")
        self.assertEqual(self.export(), before)

    def full_data(self):
        self.provision()
        self.ok("config", "set", "delimiter", "+-")
        self.ok("catchall", "set", "example.org", "real@example.org")
        self.ok("mailbox", "add", "odd@example.com", "--password-hash", "{PLAIN}a,b\"c\"",
                "--quota", "1G", "--transport", "lmtp:inet:10.0.0.3:24")
        self.ok("mailbox", "disable", "bob@example.com")
        self.ok("alias", "add", "off@example.com", "alice@example.com")
        self.ok("alias", "disable", "off@example.com")
        self.ok("sender", "allow", "team@example.com", "real@example.org")
        self.ok("sender", "deny", "alice@example.com", "alice@example.com")
        self.ok("domain", "add", "off.example")
        self.ok("domain", "disable", "off.example")

    def test_round_trip_csv_and_json(self):
        self.full_data()
        for fmt in ("csv", "json"):
            dump = self.export(fmt=fmt)
            copy = self.new_db(f"copy-{fmt}.sqlite")
            path = self.write(f"dump.{fmt}", dump)
            out = self.ok("import", path, db=copy)
            self.assertIn("imported", out)
            self.assertEqual(self.export(db=copy, fmt=fmt), dump, fmt)
            self.assertEqual(self.export(db=copy), self.export(), fmt)
        # the quoted hash survived exactly
        self.assertIn('"{PLAIN}a,b""c"""', self.export())

    def test_import_from_stdin_with_detected_json(self):
        self.full_data()
        copy = self.new_db("copy.sqlite")
        summary = json.loads(self.ok("--json", "import", "-", db=copy,
                                     input=self.export(fmt="json")))
        self.assertEqual(summary["mailbox"], 4)
        self.assertEqual(self.export(db=copy), self.export())

    def test_import_is_all_or_nothing(self):
        self.provision()
        path = self.write("bad.csv",
                          "# new records\n"
                          "domain,new.example,hosted,,,,1\n"
                          "mailbox,one@new.example,,0,,1\n"
                          "\n"
                          "mailbox,two@nowhere.test,,0,,1\n"
                          "mailbox,three@new.example,,0,,1\n")
        line = self.refused(1, "import", path, names="line 5")
        self.assertIn("two@nowhere.test: domain nowhere.test does not exist", line)
        self.assertNotIn("new.example", self.ok("domain", "list"))

    def test_import_errors_name_line_and_value(self):
        self.provision()
        bad = {
            "mailbox,x@example.com,plain-password,0,,1\n": "{SCHEME}hash",
            "mailbox,alice@example.com,,0,,1\n": "alice@example.com: mailbox exists already",
            "mailbox,y@example.com,,many,,1\n": "quota many",
            "mailbox,z@example.com,,0,,yes\n": "active yes",
            "mailbox,z@example.com,,0,,1,,extra\n": "at most 6",
            "mailbox,z@example.com,,0,,1,\"a\tb\"\n": "z@example.com: description must be",
            "frobnicate,x\n": "unknown record type frobnicate",
            "domain,d.example,weird\n": "kind: weird: must be hosted, relay or alias",
            "alias,team@example.com,alice@example.com,1\n": "exists already",
            "alias,loop@example.com,team@example.com\nalias,team@example.com,loop@example.com\n":
                "line 2: loop@example.com: target team@example.com leads back",
            'mailbox,"unterminated,x\n': "unterminated",
            "relay-recipient,a@example.com\n": "hosted domain",
            "config,colour,red\n": "setting colour",
        }
        for body, expect in bad.items():
            path = self.write("bad.csv", "# header\n" + body)
            line = self.refused(1, "import", path, names=expect)
            self.assertIn("bad.csv line", line)
        json_bad = {
            '{"type":"mailbox","address":"x@example.com","active":"yes"}\n': "true or false",
            '{"type":"mailbox","adress":"x@example.com"}\n': "no field adress",
            '{"type":"mailbox","address":"x@example.com"\n': "JSON",
            '{"address":"x@example.com"}\n': "no \"type\"",
        }
        for body, expect in json_bad.items():
            path = self.write("bad.json", body)
            line = self.refused(1, "import", path, names=expect)
            self.assertIn("bad.json line 1", line)

    def test_import_defers_loop_checks_to_the_end(self):
        # The catch-all names a mailbox that only appears later in the file.
        path = self.write("order.csv",
                          "domain,example.org,hosted,,,catchall@example.org,1\n"
                          "mailbox,catchall@example.org,,0,,1\n")
        self.ok("import", path)
        self.assertEqual(self.check("x@example.org")["verdict"], "alias")
        loop = self.write("loop.csv", "domain,l.example,hosted,,,nobody@l.example,1\n")
        self.refused(1, "import", loop, names="loop.csv line 1: l.example: catch-all target")

    def test_import_never_buffers_an_overlong_line(self):
        # Regression: getline() used to read the whole line before the
        # length check. Now rcptdb stops reading right after the bound.
        self.provision()
        before = self.export()
        proc = subprocess.Popen([harness.RCPTDB, "--db", self.db, "import", "-"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        chunk = b"x" * (1 << 20)
        sent = 0
        try:
            proc.stdin.write(b"relay-recipient,a@relay.example\nconfig,delimiter,")
            while sent < 256 * len(chunk):
                proc.stdin.write(chunk)
                sent += len(chunk)
            proc.stdin.close()
        except BrokenPipeError:
            pass
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn(b"stdin line 2: line too long (a record takes at most 65536 bytes)", err)
        self.assertLess(sent, 64 * len(chunk), "rcptdb read on past the bound")
        self.assertEqual(self.export(), before)

    def test_longest_record_line_imports(self):
        value = "{PLAIN}" + "p" * (65536 - len("mailbox,a@example.com,,0,,1") - 7)
        line = f"mailbox,a@example.com,{value},0,,1"
        self.assertEqual(len(line), 65536)
        self.ok("domain", "add", HOSTED)
        self.ok("import", self.write("long.csv", "# crlf\r\n" + line + "\r\n"))
        self.assertEqual(self.mailbox_hash("a@example.com"), value)
        self.refused(1, "import", self.write("longer.csv", line + "p\n"),
                     names="longer.csv line 1: line of 65537 bytes")

    def test_json_import_refuses_what_json_cannot_mean(self):
        self.provision()
        bad = {
            b'{"type":"mailbox","address":"x@example.com","password":"{PLAIN}a\\u0000b"}\n':
                "\\u0000 (a NUL byte)",
            b'{"type":"mailbox","address":"x@example.com","password":"{PLAIN}\xe9"}\n':
                "invalid UTF-8",
            b'{"type":"mailbox","address":"x@example.com","quota":1e}\n': "expected a value",
        }
        for body, expect in bad.items():
            path = os.path.join(self.dir, "bad.json")
            with open(path, "wb") as f:
                f.write(body)
            self.refused(1, "import", path, names=expect)

    def test_export_refuses_values_its_format_cannot_carry(self):
        # Plain SQL may store a hash CSV cannot hold on one line, or bytes
        # that are not UTF-8; the export stops rather than write a file that
        # would import as something else.
        self.provision()
        con = sqlite3.connect(self.db)
        con.execute("UPDATE mailboxes SET password = ? WHERE address = 'bob@example.com'",
                    ("{PLAIN}a\nb",))
        con.execute("UPDATE mailboxes SET password = CAST(? AS TEXT) "
                    "WHERE address = 'real@example.org'", (b"{PLAIN}\xe9",))
        con.commit()
        con.close()
        res = self.run_cli("export")
        self.assertEqual(res.returncode, 1)
        self.assertIn("bob@example.com: mailbox record: field password holds a line break",
                      res.stderr)
        res = self.run_cli("export", "--format", "json")
        self.assertEqual(res.returncode, 1)
        self.assertIn("real@example.org: mailbox record: field password is not UTF-8",
                      res.stderr)

    def test_import_usage(self):
        self.refused(2, "import")
        self.refused(2, "import", "x.csv", "--format", "xml", names="xml")
        self.refused(1, "import", os.path.join(self.dir, "missing.csv"), names="missing.csv")
        self.refused(2, "export", "--format", "xml", names="xml")


def installed_file(output, path):
    """The file that output's "#| " block says to install at path."""
    marker = f"# ---- {path} ----\n"
    if marker not in output:
        raise AssertionError(f"no block for {path} in:\n{output}")
    # The way the output tells the admin to extract it.
    res = subprocess.run(["sed", "-n", r"s/^#| \{0,1\}//p"], input=output.split(marker, 1)[1],
                         capture_output=True, text=True, check=True)
    return res.stdout


def settings_lines(text):
    """The non-comment, non-blank lines of a configuration text."""
    return [l for l in text.splitlines() if l.strip() and not l.startswith("#")]


class SetupConfigTest(CliTest):
    """postfix-config and dovecot-config, checked with postconf and doveconf."""

    EXAMPLES = os.path.join(harness.SRC, "doc", "examples")
    SQL_CONF = os.path.join(harness.SRC, "sql", "dovecot-sql.conf.ext")

    def example(self, name):
        with open(os.path.join(self.EXAMPLES, name)) as f:
            return f.read()

    def postconf(self, main_cf, *args):
        """Runs postconf -c on a private directory holding main_cf."""
        from postfix_instance import master_cf
        cfg = harness.private_config(self.dir, postfix=main_cf, master=master_cf("127.0.0.1:2525"))
        res = cfg.postconf(*args, check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("warning", res.stderr)
        return res.stdout

    def doveconf(self, snippet, *args):
        """Runs doveconf -c on a minimal dovecot.conf that includes snippet."""
        path = os.path.join(self.dir, "90-rcptdb.conf")
        with open(path, "w") as f:
            f.write(snippet)
        cfg = harness.private_config(self.dir, dovecot=f"protocols = lmtp\n!include {path}\n")
        res = cfg.doveconf(*args, check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("Warning", res.stderr)
        return res.stdout.strip()

    def test_postfix_config_passes_postconf_and_names_the_server(self):
        table = "/etc/postfix/ours/header-checks.regexp"
        for verify in ([], ["--verify"]):
            out = self.ok("postfix-config", "--server", "192.0.2.20:10099", "--lmtp",
                          "192.0.2.20:2424", "--header-checks", table, *verify)
            self.assertNotIn("127.0.0.1:10027", out)
            self.assertIn("--transport lmtp:inet:192.0.2.20:2424", out)
            self.postconf(out, "-n")
            maps = ["relay_domains", "transport_maps", "virtual_alias_maps"]
            maps += ["smtpd_recipient_restrictions"] if verify else \
                ["relay_recipient_maps", "smtpd_sender_login_maps"]
            values = self.postconf(out, "-h", *maps, "header_checks").splitlines()
            for name, value in zip(maps, values):
                if name != "smtpd_recipient_restrictions":
                    self.assertRegex(value, r"^socketmap:inet:192\.0\.2\.20:10099:\w+$", name)
            self.assertEqual(values[-1], "regexp:" + table)
            if verify:
                self.assertEqual(values[-2], "check_recipient_access "
                                 "socketmap:inet:192.0.2.20:10099:access, "
                                 "reject_unverified_recipient")
                self.assertEqual(self.postconf(out, "-h", "relay_recipient_maps").strip(), "")

    def test_postfix_config_defaults_are_the_example_and_its_table_works(self):
        out = self.ok("postfix-config")
        self.assertEqual(settings_lines(out), settings_lines(self.example("postfix-main.cf")))
        # The unix socket only Postfix can reach, in its queue directory:
        # named relative to it, with no proxymap.
        self.assertIn("relay_domains = socketmap:unix:rcptdb/socketmap:domains\n", out)
        self.assertIn("(rcptdb.conf: socketmap =\n# unix:/var/spool/postfix/rcptdb/socketmap,",
                      out)
        self.assertNotIn("proxy:", out)
        self.assertNotIn("inet:127.0.0.1:10027", out)
        self.postconf(out, "-n")
        out = self.ok("postfix-config", "--server", "unix:/srv/rcptdb/sm.sock", "--policy",
                      "127.0.0.1:10028")
        maps = re.findall(r"\S*socketmap:\S+", "\n".join(settings_lines(out)))
        self.assertEqual(len(maps), 6, out)
        for m in maps:
            self.assertRegex(m, r"^proxy:socketmap:unix:/srv/rcptdb/sm\.sock:[a-z]+$")
        self.postconf(out, "-n")
        out = self.ok("postfix-config", "--verify", "--server", "[::1]:10027")
        self.assertIn("relay_domains = socketmap:inet:[::1]:10027:domains\n", out)
        self.postconf(out, "-n")
        # The header_checks table comes out whole, and Postfix can use it.
        path = "/etc/postfix/rcptdb-header-checks.regexp"
        got = installed_file(out, path)
        self.assertEqual(got, self.example("postfix-header-checks.regexp"))
        table = os.path.join(self.dir, "hc.regexp")
        with open(table, "w") as f:
            f.write(got)
        header = "Received: from x by mx with ESMTP id 1 for <k@b\u00fccher.example>; Wed"
        value = harness.private_config(self.dir).lookup(header, "regexp:" + table)
        self.assertEqual(value, "REPLACE Received: from x by mx with ESMTP id 1; Wed")

    def test_postfix_config_names_a_socket_in_the_queue_directory_directly(self):
        # Below Postfix's queue directory (default /var/spool/postfix, or
        # --queue-directory): relative to it, no proxy:, for every map.
        for args, queue in (([], "/var/spool/postfix"),
                            (["--queue-directory", "/srv/pf/spool/"], "/srv/pf/spool")):
            out = self.ok("postfix-config", "--server", f"unix:{queue}/rcptdb/socketmap",
                          "--policy", "127.0.0.1:10028", *args)
            maps = re.findall(r"\S*socketmap:\S+", "\n".join(settings_lines(out)))
            self.assertEqual(len(maps), 6, out)
            for m in maps:
                self.assertRegex(m, r"^socketmap:unix:rcptdb/socketmap:[a-z]+$")
            self.assertIn(f"postmap -q finds it only from {queue}", out)
            self.postconf(out, "-n")
        # Anywhere else, the queue directory itself, or a path that only
        # looks as if it were below it: through proxymap, as written.
        for path in ("/var/spool/postfix-other/s", "/var/spool/postfix",
                     "/var/spool/postfix/../rcptdb/s", "/run/rcptdb/socketmap"):
            out = self.ok("postfix-config", "--server", f"unix:{path}")
            self.assertIn(f"relay_domains = proxy:socketmap:unix:{path}:domains\n", out)
        self.refused(1, "postfix-config", "--queue-directory", "spool",
                     names="--queue-directory spool: must be an absolute path")

    def test_dovecot_config_takes_the_delimiter_from_the_database(self):
        for delimiter, shown, dovecot in (("+-", "+-", "+-"), ("+#", '"+#"', "+#"), ("", "", "")):
            self.ok("config", "set", "delimiter", delimiter)
            out = self.ok("dovecot-config")
            self.assertIn(("recipient_delimiter = " + shown).strip() + "\n", out)
            # Dovecot reads back exactly the database's set.
            self.assertEqual(self.doveconf(out, "-h", "recipient_delimiter"), dovecot)
        self.ok("config", "set", "delimiter", "+-")
        out = self.ok("dovecot-config")
        self.assertIn("\nrecipient_delimiter = +-\n", out)
        self.assertIn("rcptdb", self.doveconf(out, "-n"))
        self.assertEqual(self.doveconf(out, "-h", "plugin/rcptdb_database"), self.db)

    def test_dovecot_config_fills_in_listener_and_database(self):
        out = self.ok("dovecot-config", "--lmtp", "192.0.2.20:2424", "--database",
                      "/srv/mail/rcptdb.sqlite")
        self.assertNotIn("/var/lib/rcptdb", out)
        self.assertEqual(self.doveconf(out, "-h", "plugin/rcptdb_database"),
                         "/srv/mail/rcptdb.sqlite")
        self.assertEqual(self.doveconf(out, "-h", "service/lmtp/inet_listener/lmtp/address"),
                         "192.0.2.20")
        self.assertEqual(self.doveconf(out, "-h", "service/lmtp/inet_listener/lmtp/port"), "2424")
        self.assertIn("--transport lmtp:inet:192.0.2.20:2424", out)
        # dovecot-sql.conf.ext: the shipped file, connect = the database.
        with open(self.SQL_CONF) as f:
            want = f.read().replace("connect = /var/lib/rcptdb/rcptdb.sqlite",
                                    "connect = /srv/mail/rcptdb.sqlite")
        self.assertEqual(installed_file(out, "/etc/dovecot/dovecot-sql.conf.ext"), want)
        # The default is rcptdb's own database, made absolute for Dovecot.
        res = subprocess.run([harness.RCPTDB, "--db", "rcptdb.sqlite", "dovecot-config"],
                             cwd=self.dir, capture_output=True, text=True, check=True)
        self.assertIn(f"\nconnect = {self.db}\n", installed_file(
            res.stdout, "/etc/dovecot/dovecot-sql.conf.ext"))
        self.assertIn(f"rcptdb_database = {self.db}\n", res.stdout)

    def test_dovecot_config_for_each_series(self):
        # Dovecot 2.4: its own example, the sql passdb/userdb inline and
        # no dovecot-sql.conf.ext; 2.3 as before. (doveconf of each series
        # reads them back: test_plugin.py DovecotConfigTest, run on both.)
        out = self.ok("dovecot-config", "--dovecot-version", "2.4", "--lmtp", "192.0.2.20:2424")
        self.assertIn("doc/examples/dovecot-2.4-rcptdb.conf", out)
        for line in (f"rcptdb_database = {self.db}", f"sqlite_path = {self.db}",
                     "listen = 192.0.2.20", "port = 2424", "rcptdb = yes",
                     "recipient_delimiter = +"):
            self.assertIn("\n" + line + "\n", out.replace("    ", "").replace("  ", ""))
        self.assertNotIn("dovecot-sql.conf.ext\n#|", out)
        self.assertNotIn("/var/lib/rcptdb", out)
        out = self.ok("dovecot-config", "--dovecot-version", "2.3")
        self.assertIn(f"rcptdb_database = {self.db}\n", out)
        self.assertIn("mail_plugins = $mail_plugins rcptdb\n", out)
        self.assertIn("#| connect = ", out)
        self.refused(1, "dovecot-config", "--dovecot-version", "2.5",
                     names="--dovecot-version 2.5")

    def test_config_commands_refuse_values_the_files_would_misread(self):
        for args, names in (
                (["postfix-config", "--server", "localhost"],
                 "--server localhost: not unix:PATH or HOST:PORT"),
                (["postfix-config", "--server", "unix:run/socketmap"], "absolute path"),
                (["postfix-config", "--server", "unix:/run/a b"], "--server /run/a b"),
                (["postfix-config", "--server", "unix:/" + "s" * 107], "too long for a unix socket"),
                (["postfix-config", "--server", "127.0.0.1:0"], "127.0.0.1:0"),
                (["postfix-config", "--server", "127.0.0.1:65536"], "127.0.0.1:65536"),
                (["postfix-config", "--server", "a b:10027"], "a b:10027"),
                (["postfix-config", "--server", "[::1:10027"], "[::1:10027"),
                (["postfix-config", "--lmtp", "host,x:24"], "--lmtp host,x:24"),
                (["postfix-config", "--header-checks", "hc.regexp"], "absolute path"),
                (["postfix-config", "--header-checks", "/etc/p f"], "--header-checks /etc/p f"),
                (["dovecot-config", "--database", "/srv/a#b.sqlite"], "/srv/a#b.sqlite"),
                (["dovecot-config", "--database", "/srv/$x"], "--database /srv/$x"),
                (["dovecot-config", "--dovecot-version", "2.3", "--database",
                  "postgresql:///rcptdb?host=/run/postgresql"],
                 "writes the SQLite settings only; for PostgreSQL"),
                (["dovecot-config", "--lmtp", "127.0.0.1:24x"], "127.0.0.1:24x")):
            self.refused(1, *args, names=names)
        self.refused(2, "dovecot-config", "--verify", names="--verify does not apply")
        self.refused(2, "postfix-config", "--database", "/x", names="--database does not apply")
        self.refused(2, "postfix-config", "--json", names="--json does not apply")
        self.refused(2, "postfix-config", "extra", names="unexpected argument extra")
        res = self.run_cli("dovecot-config", db=os.path.join(self.dir, "missing.sqlite"))
        self.assertEqual(res.returncode, 75, res.stderr)
        self.assertIn("missing.sqlite", res.stderr)
        self.assertEqual(res.stdout, "")


class AdminTokenAuditTest(CliTest):
    """rcptdb admin, token and audit, and the audit row of every change."""

    def setUp(self):
        super().setUp()
        self.ok("domain", "add", HOSTED, "--transport", TRANSPORT)
        self.ok("domain", "add", "other.example", "--transport", TRANSPORT)

    def audit(self, *args):
        return self.json("audit", *args)

    def test_every_cli_change_writes_its_audit_row(self):
        steps = [("mailbox", "add", f"bob@{HOSTED}", "--no-password"),
                 ("mailbox", "passwd", f"bob@{HOSTED}", "--password-stdin"),
                 ("mailbox", "disable", f"bob@{HOSTED}"),
                 ("mailbox", "quota", f"bob@{HOSTED}", "1M"),
                 ("alias", "add", f"info@{HOSTED}", f"bob@{HOSTED}"),
                 ("alias", "disable", f"info@{HOSTED}"),
                 ("catchall", "set", HOSTED, f"bob@{HOSTED}"),
                 ("sender", "allow", f"bob@{HOSTED}", "bob"),
                 ("config", "set", "postmaster", f"bob@{HOSTED}"),
                 ("sender", "del", f"bob@{HOSTED}", "bob"),
                 ("catchall", "unset", HOSTED),
                 ("alias", "del", f"info@{HOSTED}"),
                 ("mailbox", "del", f"bob@{HOSTED}"),
                 ("domain", "disable", "other.example"),
                 ("domain", "del", "other.example")]
        before = len(self.audit())
        for args in steps:
            self.ok(*args, input="Secret-42\n")
        log = self.audit()
        self.assertEqual(len(log), before + len(steps), "one row per change")
        got = [(r["action"], r["kind"], r["object"]) for r in reversed(log[:len(steps)])]
        self.assertEqual(got[0], ("create", "mailbox", f"bob@{HOSTED}"))
        self.assertEqual(got[1], ("update", "mailbox", f"bob@{HOSTED}"))
        self.assertTrue(log[len(steps) - 2]["after"]["password_changed"])
        self.assertEqual(got[-1], ("delete", "domain", "other.example"))
        for r in log:
            self.assertRegex(r["actor"], r"^unix:\S+$")
            self.assertIsNone(r["client"])
            self.assertNotIn("$6$", json.dumps(r))
        # SUDO_USER names the person behind sudo.
        env = dict(os.environ, SUDO_USER="carol")
        subprocess.run([harness.RCPTDB, "--db", self.db, "mailbox", "add", f"c@{HOSTED}",
                        "--no-password"], env=env, check=True)
        self.assertEqual(self.audit("--actor", "unix:carol")[0]["object"], f"c@{HOSTED}")
        self.assertEqual([r["object"] for r in self.audit("--domain", "other.example")],
                         ["other.example", "other.example", "other.example"])
        self.assertEqual(self.audit("--since", "2999-01-01"), [])
        self.assertIn("bob@", self.ok("audit"))

    def test_refused_change_writes_no_audit_row(self):
        before = self.audit()
        self.refused(1, "mailbox", "add", "bad@@x", "--no-password")
        self.refused(1, "mailbox", "del", f"nobody@{HOSTED}")
        self.assertEqual(self.audit(), before)

    def test_the_audit_log_is_append_only_in_plain_sql(self):
        self.ok("mailbox", "add", f"bob@{HOSTED}", "--no-password")
        with sqlite3.connect(self.db) as c:
            for sql in ("UPDATE audit_log SET actor = 'unix:x'", "DELETE FROM audit_log"):
                with self.subTest(sql=sql):
                    with self.assertRaises(sqlite3.DatabaseError):
                        c.execute(sql)

    def test_admins(self):
        self.ok("admin", "add", "Alice", "--domain", HOSTED, "--domain", "other.example",
                "--password-stdin", input="Pw-1\n")
        self.ok("admin", "add", "root", "--role", "server", "--no-password")
        admins = {a["login"]: a for a in self.json("admin", "list")}
        self.assertEqual(admins["alice"]["domains"], [HOSTED, "other.example"])
        self.assertEqual(admins["alice"]["password_scheme"], "SHA512-CRYPT")
        self.assertEqual(admins["root"]["role"], "server")
        self.assertNotIn("$6$", self.ok("--json", "admin", "list"))
        with sqlite3.connect(self.db) as c:
            hashed = c.execute("SELECT password FROM admins WHERE login = 'alice'").fetchone()[0]
        self.assertTrue(doveadm_verifies(hashed, "Pw-1"))
        self.ok("admin", "passwd", "alice", "--password-stdin", input="Pw-2\n")
        self.ok("admin", "disable", "alice")
        self.assertFalse(self.json("admin", "list")[0]["active"])
        self.ok("admin", "enable", "alice")
        self.refused(2, "admin", "add", "x", "--role", "server", "--domain", HOSTED)
        self.refused(2, "admin", "add", "x", "--role", "king", "--no-password")
        self.refused(1, "admin", "add", "bad login", "--no-password")
        self.refused(1, "admin", "add", "bob", "--domain", "nowhere.example", "--no-password")
        self.refused(1, "admin", "add", "alice", "--no-password")
        self.refused(1, "admin", "del", "nobody")
        self.ok("admin", "del", "root")
        self.assertEqual([a["login"] for a in self.json("admin", "list")], ["alice"])

    def test_tokens(self):
        self.ok("admin", "add", "alice", "--domain", HOSTED, "--no-password")
        token = self.ok("token", "create", "alice", "--read-only", "--expires", "7",
                        "--from", "192.0.2.0/24", "--from", "2001:db8::/32").strip()
        self.assertRegex(token, r"^rcptdb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$")
        prefix = token[7:19]
        listed = self.json("token", "list")
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["prefix"], prefix)
        self.assertTrue(listed[0]["read_only"])
        self.assertEqual(listed[0]["networks"], "192.0.2.0/24 2001:db8::/32")
        self.assertIsNone(listed[0]["domains"])
        # Only a hash is stored: the secret is in no row.
        with sqlite3.connect(self.db) as c:
            dump = "\n".join(c.iterdump())
        self.assertNotIn(token[20:], dump)
        self.assertNotIn(token[20:], self.ok("token", "list") + self.ok("audit"))
        # No more than its owner holds.
        self.refused(1, "token", "create", "alice", "--domain", "other.example")
        self.refused(1, "token", "create", "alice", "--from", "192.0.2.1/24")
        self.refused(2, "token", "create", "alice", "--expires", "0")
        self.refused(1, "token", "create", "nobody")
        scoped = self.json("token", "create", "alice", "--domain", HOSTED)
        self.assertEqual(len(self.json("token", "list", "alice")), 2)
        self.ok("token", "revoke", prefix)
        self.refused(1, "token", "revoke", prefix)
        self.assertEqual([t["prefix"] for t in self.json("token", "list")], [scoped["prefix"]])
        # Deleting the owner ends its tokens.
        self.ok("admin", "del", "alice")
        self.assertEqual(self.json("token", "list"), [])

    def test_migrate_from_version_2_adds_the_tables_and_keeps_the_data(self):
        old = os.path.join(self.dir, "v2.sqlite")
        # Version 2 as its migration made it: the version 1 schema, then
        # migrate-2.sql in one transaction.
        with open(os.path.join(harness.SRC, "tests", "unit", "schema_v1.sql")) as f:
            v1 = f.read()
        with open(os.path.join(harness.SRC, "sql", "migrate-2.sql")) as f:
            to_v2 = f.read()
        with sqlite3.connect(old, isolation_level=None) as c:
            c.executescript(v1)
            c.executescript("BEGIN;\n" + to_v2 + "COMMIT;\n")
            c.execute("INSERT INTO domains (name) VALUES ('kept.example')")
        self.assertEqual(self.run_cli("domain", "list", db=old).returncode, 75)
        self.assertIn("2 -> 4", self.ok("migrate", db=old))
        self.assertEqual(self.ok("mailbox", "list", db=old), "")
        self.assertIn("kept.example", self.ok("domain", "list", db=old))
        self.ok("admin", "add", "root", "--role", "server", "--no-password", db=old)
        self.assertEqual(json.loads(self.ok("--json", "audit", db=old))[0]["object"], "root")


class UsageTest(CliTest):
    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], ["domain"], ["domain", "frob"], ["domain", "add"],
                     ["domain", "list", "extra"], ["domain", "list", "--bogus"],
                     ["domain", "list", "--kind", "hosted"], ["mailbox", "add", "a@b", "--quota"],
                     ["domain", "add", "x.example", "--kind", "hosted", "--kind", "relay"]):
            res = self.run_cli(*args)
            self.assertEqual(res.returncode, 2, f"{args}: {res.stderr}")
            self.assertTrue(res.stderr.startswith("rcptdb: "), res.stderr)
            self.assertIn("usage", res.stderr)
        res = harness.run([harness.RCPTDB], check=False)
        self.assertEqual(res.returncode, 2)

    def test_help(self):
        out = harness.run([harness.RCPTDB, "--help"]).stdout
        for words in ("domain add", "mailbox passwd", "alias add", "catchall set",
                      "relay-recipient add", "sender allow", "config set", "check", "import",
                      "export", "backup", "init", "migrate", "postfix-config", "dovecot-config"):
            self.assertIn("rcptdb " + words, out)
        self.assertIn("usage: rcptdb", self.ok("mailbox", "add", "--help"))

    def test_options_anywhere_and_equals_form(self):
        self.ok("domain", "add", "--kind=relay", "r.example", "--nexthop=[mx.example]")
        self.assertEqual(self.json("domain", "show", "r.example")["transport"],
                         "smtp:[mx.example]")
        out = harness.run([harness.RCPTDB, "domain", "list", "--json", "--db", self.db]).stdout
        self.assertEqual(json.loads(out)[0]["name"], "r.example")

    def test_json_output_parses_everywhere(self):
        self.provision()
        self.ok("sender", "allow", "alice@example.com", "bob@example.com")
        for args in (["domain", "list"], ["domain", "show", HOSTED], ["mailbox", "list"],
                     ["mailbox", "show", "alice@example.com"], ["alias", "list"],
                     ["relay-recipient", "list"], ["sender", "list"], ["config", "list"],
                     ["config", "get", "delimiter"], ["check", "alice@example.com"],
                     ["check", "bad\"quote\\@example.com"]):
            res = self.run_cli("--json", *args)
            json.loads(res.stdout)
        self.assertEqual(self.json("alias", "list", "example.org"), [])


if __name__ == "__main__":
    import unittest
    unittest.main()
