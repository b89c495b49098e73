# SPDX-License-Identifier: MIT
"""test_plugin - the Dovecot LMTP plugin against a real, private Dovecot.

Every test starts its own Dovecot (dovecot_instance.PrivateDovecot) on a
copy of the reference database (reference_data.py = tests/unit/fixture.h),
speaks LMTP to it and checks each reply code, where the mail landed
(doveadm fetch), and what Dovecot's own sql passdb/userdb make of the same
file (doveadm user / auth test with sql/dovecot-sql.conf.ext).

Run after `make`:  tests/blackbox/run test_plugin.py
"""
import os
import re
import sqlite3
import time

import dovecot_instance
import harness
import reference_data
from dovecot_instance import Lmtp, PrivateDovecot, message


class PluginTest(harness.BlackBoxTest):
    """A private Dovecot with the plugin on a fresh reference database."""

    extra = {
        # Delivered-To shows ORCPT, so a rewritten recipient's mail says
        # which address it was sent to.
        "lmtp_hdr_delivery_address": "original",
    }

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db)
        self.dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), self.db,
                                      extra=self.extra).start(self)

    # --- helpers -------------------------------------------------------------

    def sql(self, statement, *args):
        db = reference_data.connect(self.db)
        try:
            db.execute(statement, args)
        finally:
            db.close()

    def rcpt_reply(self, address):
        """The reply to RCPT TO:<address> in a fresh transaction."""
        with Lmtp(self.dovecot.port) as c:
            self.assertEqual(c.mail()[0], 250)
            return c.rcpt(address)

    def assertReply(self, address, code, enhanced=None):
        got = self.rcpt_reply(address)
        self.assertEqual(got[0], code, f"RCPT TO:<{address}> -> {got}")
        if enhanced is not None:
            self.assertTrue(got[1].startswith(enhanced + " "), f"RCPT TO:<{address}> -> {got}")
        return got

    def deliver(self, recipients, subject):
        """One transaction; returns ({rcpt: RCPT reply}, [DATA replies])."""
        with Lmtp(self.dovecot.port) as c:
            self.assertEqual(c.mail()[0], 250)
            replies = {r: c.rcpt(r) for r in recipients}
            accepted = sum(1 for code, _ in replies.values() if code == 250)
            data = c.data(message(subject), accepted) if accepted else []
        return replies, data

    def mailbox_subjects(self, user):
        """Subjects of the mails in user's INBOX (empty if none)."""
        res = self.dovecot.doveadm("fetch", "-u", user, "hdr.subject", "mailbox", "INBOX",
                                   "ALL", check=False)
        return re.findall(r"(?m)^hdr\.subject: (.*)$", res.stdout)

    def headers_of(self, user, subject):
        res = self.dovecot.doveadm("fetch", "-u", user, "hdr", "mailbox", "INBOX",
                                   "HEADER", "Subject", subject)
        return res.stdout

    # --- reply codes -----------------------------------------------------------

    def test_reply_codes(self):
        self.assertReply("alice@nowhere.test", 550, "5.1.2")
        self.assertReply("x@off.example", 550, "5.1.2")
        self.assertReply("nobody@example.com", 550, "5.1.1")
        self.assertReply("carol@example.com", 550, "5.2.1")
        self.assertReply("old@example.com", 550, "5.2.1")  # alias to a disabled mailbox
        self.assertReply("alice@example.com", 250, "2.1.5")
        self.assertReply("info@example.com", 250, "2.1.5")
        self.assertReply("alice@example.net", 250, "2.1.5")
        self.assertReply("alice+news@example.com", 250, "2.1.5")
        self.assertReply("ALICE@EXAMPLE.COM", 250, "2.1.5")
        self.assertReply("random@example.org", 250, "2.1.5")  # catch-all, one local target
        self.assertReply("listed@relay.example", 550, "5.1.2")  # relay: never via LMTP
        got = self.assertReply("sales@example.com", 550, "5.3.0")
        self.assertIn("virtual_alias_maps", got[1])
        self.assertReply("ext@example.com", 550, "5.3.0")  # foreign target

    def test_reply_names_the_recipient_once(self):
        code, text = self.rcpt_reply("nobody@example.com")
        self.assertEqual((code, text),
                         (550, "5.1.1 <nobody@example.com> Recipient address rejected: "
                               "User unknown"))

    # --- where the mail lands ------------------------------------------------

    def test_alias_single_target_lands_in_target(self):
        replies, data = self.deliver(["info@example.com"], "via-alias")
        self.assertEqual(replies["info@example.com"][0], 250)
        self.assertEqual([code for code, _ in data], [250])
        self.assertEqual(self.mailbox_subjects("alice@example.com"), ["via-alias"])
        # The original recipient survives as ORCPT (Delivered-To: original).
        self.assertIn("Delivered-To: info@example.com", self.headers_of("alice@example.com",
                                                                         "via-alias"))

    def test_alias_domain_detail_and_case_land_in_mailbox(self):
        for rcpt, user, subject in [("bob@example.net", "bob@example.com", "alias-domain"),
                                    ("bob+news@example.com", "bob@example.com", "detail"),
                                    ("BOB@EXAMPLE.COM", "bob@example.com", "upper-case"),
                                    ("team@example.org", "real@example.org", "org-alias"),
                                    ("whoever@example.org", "catchall@example.org",
                                     "catch-all")]:
            replies, data = self.deliver([rcpt], subject)
            self.assertEqual(replies[rcpt][0], 250, f"{rcpt}: {replies[rcpt]}")
            self.assertEqual([code for code, _ in data], [250], f"{rcpt}: {data}")
            self.assertIn(subject, self.mailbox_subjects(user), rcpt)
        self.assertEqual(sorted(self.mailbox_subjects("bob@example.com")),
                         ["alias-domain", "detail", "upper-case"])

    def test_good_and_bad_recipient_in_one_transaction(self):
        replies, data = self.deliver(["nobody@example.com", "alice@example.com",
                                      "carol@example.com", "sales@example.com",
                                      "bob@example.com"], "mixed-transaction")
        self.assertEqual({r: code for r, (code, _) in replies.items()},
                         {"nobody@example.com": 550, "alice@example.com": 250,
                          "carol@example.com": 550, "sales@example.com": 550,
                          "bob@example.com": 250})
        self.assertEqual([code for code, _ in data], [250, 250])
        self.assertEqual(self.mailbox_subjects("alice@example.com"), ["mixed-transaction"])
        self.assertEqual(self.mailbox_subjects("bob@example.com"), ["mixed-transaction"])

    # --- the database changes under a running Dovecot ----------------------------

    def test_disabled_mailbox_refused_on_next_rcpt_without_reload(self):
        with Lmtp(self.dovecot.port) as c:
            c.mail()
            self.assertEqual(c.rcpt("bob@example.com")[0], 250)
            self.assertEqual(c.command("RSET")[0], 250)
            self.assertTrue(os.access(harness.RCPTDB, os.X_OK), f"{harness.RCPTDB}: run make")
            harness.rcptdb(self.db, "mailbox", "disable", "bob@example.com")
            c.mail()
            code, text = c.rcpt("bob@example.com")
            self.assertEqual((code, text[:5]), (550, "5.2.1"), text)
            # Through the alias domain and an alias too, same connection.
            self.assertEqual(c.rcpt("bob@example.net")[0], 550)
            self.assertEqual(c.rcpt("mixed@example.com")[0], 550)

    def test_locked_database_defers_then_recovers(self):
        self.assertReply("alice@example.com", 250)
        # In WAL mode nothing can lock readers out while any connection is
        # open (the plugin's and Dovecot's auth worker's are). A database
        # restored in rollback-journal mode can be: swap one in (the plugin
        # reopens on the new inode) and hold an exclusive lock on it.
        restored = self.db + ".restored"
        source = sqlite3.connect(self.db)
        copy = sqlite3.connect(restored, isolation_level=None)
        source.backup(copy)
        source.close()
        copy.execute("PRAGMA journal_mode = DELETE")
        copy.close()
        os.rename(restored, self.db)
        time.sleep(0.15)  # LiveStore checks the file's identity every 50 ms
        self.assertReply("alice@example.com", 250)
        locker = sqlite3.connect(self.db, isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            started = time.monotonic()
            self.assertReply("alice@example.com", 451, "4.3.0")
            self.assertReply("nobody@example.com", 451, "4.3.0")  # no verdict without a db
            self.assertLess(time.monotonic() - started, 10)
            locker.execute("COMMIT")
        finally:
            locker.close()
        self.assertReply("alice@example.com", 250)
        self.assertReply("nobody@example.com", 550, "5.1.1")
        self.assertRegex(self.dovecot.log_text(),
                         r"rcptdb: deferred <alice@example.com>: .*database is locked")

    def test_missing_database_defers_then_recovers(self):
        moved = self.db + ".away"
        os.rename(self.db, moved)
        time.sleep(0.15)  # LiveStore checks the file's identity every 50 ms
        try:
            self.assertReply("alice@example.com", 451, "4.3.0")
            self.assertReply("carol@example.com", 451, "4.3.0")
        finally:
            os.rename(moved, self.db)
        self.assertReply("alice@example.com", 250)
        self.assertReply("carol@example.com", 550, "5.2.1")

    # --- Dovecot's own view of the same file (sql/dovecot-sql.conf.ext) --------

    def test_dovecot_sql_userdb_and_passdb(self):
        self.sql("UPDATE mailboxes SET quota = 1048576 WHERE address = ?", "alice@example.com")
        alice = self.dovecot.doveadm("user", "alice@example.com").stdout
        field, prefix = dovecot_instance.QUOTA_FIELD  # named per Dovecot series
        self.assertRegex(alice, rf"(?m)^{field}\s+{re.escape(prefix)}1048576$")
        bob = self.dovecot.doveadm("user", "bob@example.com").stdout
        self.assertIn("/mail/example.com/bob", bob)  # mail_location (2.3), mail_path (2.4)
        self.assertNotIn(field, bob)  # quota 0: no limit, no rule
        for disabled in ("carol@example.com", "x@off.example", "nobody@example.com"):
            res = self.dovecot.doveadm("user", disabled, check=False)
            # 67 (EX_NOUSER) is "user not found"; any other failure is not.
            self.assertEqual(res.returncode, 67, f"{disabled}: {res.stdout}{res.stderr}")
        listed = self.dovecot.doveadm("user", "*").stdout.split()
        self.assertEqual(sorted(listed), sorted(
            a for a, active, _ in reference_data.MAILBOXES
            if active and not a.endswith("@off.example")))

        ok = self.dovecot.doveadm("auth", "test", "alice@example.com", reference_data.PASSWORD)
        self.assertIn("auth succeeded", ok.stdout)
        for user, password in [("alice@example.com", "wrong"),
                               ("carol@example.com", reference_data.PASSWORD),
                               ("x@off.example", reference_data.PASSWORD)]:
            res = self.dovecot.doveadm("auth", "test", user, password, check=False)
            self.assertNotEqual(res.returncode, 0, f"{user}: {res.stdout}")
            self.assertIn("auth failed", res.stdout + res.stderr)

    # --- reference data ------------------------------------------------------------

    def test_reference_data_in_sync_with_unit_headers(self):
        self.assertEqual(reference_data.check_in_sync(), [])


class ReferenceDataTest(harness.BlackBoxTest):
    """check_in_sync() notices every kind of drift, not only addresses."""

    DRIFTS = [
        ('MakeMailbox("carol@example.com", false)', 'MakeMailbox("carol@example.com", true)'),
        ('MakeDomain("relay.example", K::kRelay', 'MakeDomain("relay.example", K::kHosted'),
        ('"example.net", K::kAlias, "", "example.com"', '"example.net", K::kAlias, "", "example.org"'),
        ('InsertAlias("info@example.com", "alice@example.com")',
         'InsertAlias("info@example.com", "bob@example.com")'),
        ('"", "", "", false)', '"", "", "", true)'),
        ('"lmtp:inet:127.0.0.2:24"', '"lmtp:inet:127.0.0.3:24"'),
        ('SetAliasActive("paused@example.com", false)', 'SetAliasActive("paused@example.com", true)'),
    ]

    def test_in_sync_and_each_drift_is_named(self):
        self.assertEqual(reference_data.check_in_sync(), [])
        with open(reference_data.FIXTURE_H, encoding="utf-8") as f:
            original = f.read()
        for old, new in self.DRIFTS:
            with self.subTest(drift=new):
                self.assertEqual(original.count(old), 1, old)
                path = os.path.join(self.dir, "fixture.h")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(original.replace(old, new))
                self.assertNotEqual(reference_data.check_in_sync(fixture_h=path), [])


class ConsistencyTest(harness.BlackBoxTest):
    """Dovecot answers every RCPT as Postfix was told, for the whole table.

    For every address of the resolver's test table (reference_data.CASES,
    kept in sync with tests/unit/resolver_cases.h), the Postfix view comes
    from the real rcptdb-server through Postfix's own client (postmap -c DIR -q
    over socketmap), and the LMTP view from Dovecot with the plugin:

      recipients map says found  ->  Postfix expands the address with the
          aliases map (recursively, as virtual_alias_maps does) and routes
          each result with the transport map; every result routed to lmtp:
          must be accepted by LMTP (RCPT 250). Results routed elsewhere
          (relay recipients: smtp:[backup.example]; foreign alias targets:
          no route, Postfix's default transport) never reach LMTP, so the
          test asserts their route is not lmtp instead of sending them.
      recipients map says not found  ->  Postfix rejects at RCPT, and LMTP
          must reject the address too (5xx, never 250 and never 4xx).

    Keys with a NUL byte or a line break cannot be asked over either lookup
    protocol; Postfix's smtpd refuses such an address before any lookup, so
    they count as "not found" and LMTP must reject them as well.

    Postfix's trivial-rewrite strips a source route (@a,@b:user@domain ->
    user@domain) before any map sees the address, and so does Dovecot's
    RCPT parser: the table's source-route case is looked up and sent in
    that rewritten form, as it would be in production.
    """

    def setUp(self):
        super().setUp()
        self.assertTrue(os.access(harness.SERVER, os.X_OK),
                        f"{harness.SERVER} is not built: run make first")
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db)
        self.cfg = harness.private_config(self.dir)
        self.sm_port = harness.free_port()
        self.start([harness.SERVER, "--foreground", "-c", self.cfg.rcptdb_conf, "--db", self.db,
                    "--socketmap", f"127.0.0.1:{self.sm_port}"], "rcptdb-server")
        harness.wait_port(self.sm_port)
        self.dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), self.db).start(self)

    def postmap(self, table, key):
        """The value Postfix gets for key from table, or None if not found."""
        return self.cfg.lookup(key, f"socketmap:inet:127.0.0.1:{self.sm_port}:{table}")

    def expand(self, address, depth=0):
        """Postfix's virtual alias expansion of address: the final recipients."""
        value = self.postmap("aliases", address)
        if value is None or depth >= 10:
            return [address]
        out = []
        for target in value.split(","):
            # As in Postfix: an address that maps to itself is not expanded.
            out += [target] if target == address else self.expand(target, depth + 1)
        return out

    @staticmethod
    def trivial_rewrite(address):
        """The address as Postfix's maps see it: without a source route."""
        if address.startswith("@") and ":" in address:
            return address[address.index(":") + 1:]
        return address

    def lmtp_reply(self, address):
        with Lmtp(self.dovecot.port) as c:
            self.assertEqual(c.mail()[0], 250)
            try:
                return c.rcpt(address)
            except ConnectionError as e:
                return 0, str(e)

    def test_lmtp_agrees_with_postfix_for_every_table_address(self):
        accepted = rejected = elsewhere = direct = 0
        for address, verdict, _ in reference_data.CASES:
            with self.subTest(address=address, verdict=verdict):
                key = self.trivial_rewrite(address)
                found = (reference_data.postfix_key(key)
                         and self.postmap("recipients", key) is not None)
                if not found:
                    code, text = self.lmtp_reply(address)
                    self.assertTrue(500 <= code < 600,
                                    f"Postfix rejects {address!r}, LMTP said {code} {text}")
                    rejected += 1
                    continue
                targets = self.expand(key)
                local = []
                for target in targets:
                    route = self.postmap("transport", target)
                    if route is None or not route.startswith("lmtp:"):
                        # Never sent to LMTP: a listed relay recipient, routed
                        # to the relay domain's next hop, or an alias target
                        # in a domain that is not ours (Postfix's default
                        # transport). An unrouted address of ours is neither.
                        domain = self.postmap("domains", target.rsplit("@", 1)[1])
                        if verdict == "relay":
                            self.assertEqual((domain, route), ("relay", "smtp:[backup.example]"),
                                             target)
                        else:
                            self.assertEqual(verdict, "alias", target)
                            self.assertEqual((domain, route), (None, None),
                                             f"{target} of {address!r} is ours")
                        elsewhere += 1
                        continue
                    local.append(target)
                    code, text = self.lmtp_reply(target)
                    self.assertEqual(code, 250, f"Postfix accepts {address!r} as {target}, "
                                                f"LMTP said {code} {text}")
                    accepted += 1
                # Unexpanded, as a client that skips virtual_alias_maps would
                # send it: one local mailbox is accepted as is; fan-out and
                # foreign targets are refused (Postfix's job); relay
                # recipients are not this store's. Dovecot alone fails here.
                code, text = self.lmtp_reply(key)
                if code == 501:
                    # Not even LMTP syntax (U-label, trailing dot, white
                    # space): Postfix must rewrite it, and did (see above).
                    self.assertIsNotNone(self.postmap("aliases", key), f"{key!r}: {text}")
                elif len(targets) == 1 and local:
                    self.assertEqual(code, 250, f"{key!r} unexpanded: {code} {text}")
                elif verdict == "relay":
                    self.assertEqual((code, text[:5]), (550, "5.1.2"), f"{key!r}: {text}")
                else:
                    self.assertEqual((code, text[:5]), (550, "5.3.0"), f"{key!r}: {text}")
                direct += 1
        print(f"\n  {accepted} LMTP accepts, {rejected} LMTP rejects, {elsewhere} not via LMTP, "
              f"{direct} unexpanded", end=" ")
        # The table has enough of each kind for the comparison to mean something.
        self.assertGreaterEqual(accepted, 35)
        self.assertGreaterEqual(rejected, 45)
        self.assertGreaterEqual(elsewhere, 4)
        self.assertGreaterEqual(direct, 35)


class DelimiterMismatchTest(harness.BlackBoxTest):
    """Dovecot strips '-', the database says '+': the database decides."""

    def setUp(self):
        super().setUp()
        self.db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(self.db)
        self.dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), self.db,
                                      extra={"recipient_delimiter": "-"}).start(self)

    def test_database_delimiter_decides_and_warning_once_per_process(self):
        for _ in range(3):
            with Lmtp(self.dovecot.port) as c:
                c.mail()
                # '+' is the database's delimiter: the plugin delivers to the
                # mailbox itself, since Dovecot would not strip it.
                self.assertEqual(c.rcpt("alice+news@example.com")[0], 250)
                # '-' is Dovecot's only: not an address Postfix accepts.
                self.assertEqual(c.rcpt("alice-news@example.com")[0], 550)
                replies = c.data(message("plus-detail"), 1)
                self.assertEqual(replies[0][0], 250, replies)
        log = self.dovecot.log_text()
        pids = set(re.findall(r"lmtp\((\d+)\): Info: Connect from", log))
        warnings = re.findall(r"lmtp\((\d+)\): Warning: rcptdb: Dovecot's recipient_delimiter "
                              r"\"-\" differs from the delimiter setting \"\+\"", log)
        self.assertTrue(pids)
        self.assertEqual(sorted(warnings), sorted(pids), log)  # one per process
        subjects = self.dovecot.doveadm("fetch", "-u", "alice@example.com", "hdr.subject",
                                        "mailbox", "INBOX", "ALL").stdout
        self.assertEqual(subjects.count("plus-detail"), 3)


class DovecotConfigTest(harness.BlackBoxTest):
    """`rcptdb dovecot-config` as the installed Dovecot (2.3 or 2.4) reads it."""

    def test_printed_config_is_read_back_by_this_dovecots_doveconf(self):
        db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(db)
        out = harness.rcptdb(db, "dovecot-config", "--lmtp", "127.0.0.1:2424").stdout
        self.assertIn(f"Dovecot {dovecot_instance.SERIES}'s side of rcptdb", out)
        snippet = os.path.join(self.dir, "90-rcptdb.conf")
        with open(snippet, "w") as f:
            f.write(out)
        conf = os.path.join(self.dir, "dovecot.conf")
        with open(conf, "w") as f:
            if dovecot_instance.SERIES == "2.4":
                f.write("dovecot_config_version = 2.4.1\ndovecot_storage_version = 2.4.1\n")
            f.write(f"protocols = lmtp\nssl = no\nbase_dir = {self.dir}/run\n!include {snippet}\n")

        def doveconf(*args):
            res = harness.run(["doveconf", "-c", conf, *args], check=False)
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertNotIn("Warning", res.stderr)
            return res.stdout.strip()

        if dovecot_instance.SERIES == "2.4":
            self.assertEqual(doveconf("-h", "rcptdb_database"), db)
            self.assertEqual(doveconf("-h", "sqlite_path"), db)
            self.assertEqual(doveconf("-h", "service/lmtp/inet_listener/lmtp/listen"),
                             "127.0.0.1")
            self.assertRegex(doveconf("-n"), r"mail_plugins \{\s*rcptdb = yes")
        else:
            self.assertEqual(doveconf("-h", "plugin/rcptdb_database"), db)
            self.assertEqual(doveconf("-h", "service/lmtp/inet_listener/lmtp/address"),
                             "127.0.0.1")
        self.assertEqual(doveconf("-h", "service/lmtp/inet_listener/lmtp/port"), "2424")
        self.assertEqual(doveconf("-h", "recipient_delimiter"), "+")


class WithoutPluginTest(harness.BlackBoxTest):
    """The same Dovecot without the plugin: proves the tests can fail."""

    def test_dovecot_alone_does_not_know_aliases_or_disabled(self):
        db = os.path.join(self.dir, "rcptdb.sqlite")
        reference_data.create(db)
        dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), db, plugin=False).start(self)
        with Lmtp(dovecot.port) as c:
            c.mail()
            self.assertEqual(c.rcpt("info@example.com")[:1], (550,))  # alias unknown
            code, text = c.rcpt("carol@example.com")
            self.assertEqual((code, text[:5]), (550, "5.1.1"))  # not 5.2.1
            self.assertEqual(c.rcpt("alice@example.net")[0], 550)  # alias domain unknown


if __name__ == "__main__":
    import unittest
    unittest.main()
