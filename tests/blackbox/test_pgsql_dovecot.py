# SPDX-License-Identifier: MIT
"""test_pgsql_dovecot - Dovecot's passdb and userdb on rcptdb in PostgreSQL.

One private PostgreSQL 15 cluster (pg_instance.PrivatePostgres) holds
sql/schema-pgsql.sql and the reference domains and mailboxes
(reference_data.py), written with plain SQL (a supported interface); one
private Dovecot (dovecot_instance.PrivateDovecot, LMTP only, no plugin)
reads them through the shipped file of its series with only the
connection changed: sql/dovecot-pgsql.conf.ext on Dovecot 2.3 (connect=),
sql/dovecot-pgsql-2.4.conf.ext on 2.4 (the pgsql block), which takes the
place of the 2.4 example's sqlite passdb/userdb in the instance's
dovecot.conf. Everything is asked of the running Dovecot
with `doveadm -c <its private dovecot.conf>`: `doveadm user` and
`doveadm auth test` must succeed for an active mailbox in an active
domain and fail for a disabled, unknown or inactive-domain one, exactly
as they do with sql/dovecot-sql.conf.ext on SQLite (test_plugin.py).
"""
import os
import re
import time
import unittest

import dovecot_instance
import harness
import reference_data
from dovecot_instance import Lmtp, PrivateDovecot, Stream, rcpt_question
from pg_instance import PrivatePostgres

PG_SCHEMA = os.path.join(harness.SRC, "sql", "schema-pgsql.sql")


def literal(value):
    """value as an SQL literal (None: NULL)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def load_schema(cluster, dbname="rcptdb"):
    """Creates the rcptdb tables in dbname with sql/schema-pgsql.sql itself."""
    with open(PG_SCHEMA) as f:
        cluster.psql(f.read(), dbname)


def load_reference_mailboxes(cluster, password_hash, dbname="rcptdb"):
    """The reference domains and mailboxes, each mailbox with password_hash."""
    rows = [f"INSERT INTO domains (name, kind, transport, target, catchall, active) VALUES "
            f"({', '.join(literal(v) for v in d)});" for d in reference_data.DOMAINS]
    rows += [f"INSERT INTO mailboxes (address, active, password, transport) VALUES "
             f"({literal(a)}, {active}, {literal(password_hash)}, {literal(t)});"
             for a, active, t in reference_data.MAILBOXES]
    cluster.psql("BEGIN;\n" + "\n".join(rows) + "\nCOMMIT;\n", dbname)


Processes = harness.Processes


class PgsqlDovecotTest(unittest.TestCase):
    failures = 0

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-pgsql-")
        cls.pg = PrivatePostgres(os.path.join(cls.dir, "pg"))
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.pg.create_database("rcptdb")
        load_schema(cls.pg)
        load_reference_mailboxes(cls.pg, reference_data.password_hash())
        cls.processes = Processes(cls.dir)
        cls.addClassCleanup(cls.processes.stop)
        cls.dovecot = PrivateDovecot(
            os.path.join(cls.dir, "dovecot"), cls.pg.uri(), plugin=False,
            sql_text=dovecot_instance.pgsql_conf(cls.pg.conninfo()),
            # Refusals are answered at once (default: 2 s each).
            extra={"auth_failure_delay": "0"})
        cls.dovecot.start(cls.processes)

    def sql(self, statement):
        return self.pg.psql(statement)

    def doveadm(self, *args):
        return self.dovecot.doveadm(*args, check=False)

    def assertUser(self, user):
        res = self.doveadm("user", user)
        self.assertEqual(res.returncode, 0, f"doveadm -c DIR user {user}: {res.stdout}{res.stderr}\n"
                         f"{self.dovecot.log_text()[-2000:]}")
        return res.stdout

    def assertNoUser(self, user):
        res = self.doveadm("user", user)
        # 67 (EX_NOUSER) is "user not found"; any other failure is not.
        self.assertEqual(res.returncode, 67, f"doveadm -c DIR user {user}: {res.stdout}{res.stderr}\n"
                         f"{self.dovecot.log_text()[-2000:]}")

    def assertAuth(self, user, password=reference_data.PASSWORD):
        res = self.doveadm("auth", "test", user, password)
        self.assertEqual(res.returncode, 0, f"auth test {user}: {res.stdout}{res.stderr}\n"
                         f"{self.dovecot.log_text()[-2000:]}")
        self.assertIn("auth succeeded", res.stdout)

    def assertNoAuth(self, user, password=reference_data.PASSWORD):
        # Each failure from its own client address: Dovecot's auth penalty
        # (per address, 2 s doubling to 15 s) would only slow the suite.
        PgsqlDovecotTest.failures += 1
        rip = f"192.0.2.{PgsqlDovecotTest.failures % 250 + 1}"
        res = self.doveadm("auth", "test", "-x", f"rip={rip}", user, password)
        self.assertNotEqual(res.returncode, 0, f"auth test {user}: {res.stdout}")
        self.assertIn("auth failed", res.stdout + res.stderr)
        # A failure of the database would also say "auth failed": it must
        # be an answer, so the log names no SQL error.
        self.assertNotRegex(self.dovecot.log_text(), r"(?i)pgsql.*(error|failed)")

    def test_the_shipped_file_uses_the_pgsql_driver(self):
        text = dovecot_instance.pgsql_conf(self.pg.conninfo())
        if dovecot_instance.SERIES == "2.4":
            self.assertRegex(text, r"(?m)^sql_driver = pgsql$")
            self.assertRegex(text, rf"(?m)^pgsql {re.escape(self.pg.sock)} {{$")
            self.assertRegex(text, rf"(?m)^    port = {self.pg.port}$")
            with open(self.dovecot.conf) as f:
                self.assertIn(text, f.read(), "the instance reads the shipped file")
        else:
            self.assertRegex(text, r"(?m)^driver = pgsql$")
            self.assertRegex(text, rf"(?m)^connect = {re.escape(self.pg.conninfo())}$")
            with open(os.path.join(self.dir, "dovecot", "dovecot-sql.conf.ext")) as f:
                self.assertEqual(f.read(), text, "the instance reads the shipped file")
        # Dovecot really asked PostgreSQL: the cluster saw its session.
        self.assertUser("alice@example.com")
        sessions = self.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'rcptdb' "
                            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        self.assertGreaterEqual(int(sessions), 1, "Dovecot's auth-worker is connected")

    def test_active_mailbox_is_a_user(self):
        alice = self.assertUser("alice@example.com")
        self.assertIn("/mail/example.com/alice", alice)
        self.assertNotIn(dovecot_instance.QUOTA_FIELD[0], alice)  # quota 0: no limit
        self.assertUser("Alice@Example.COM")  # auth_username_format %Lu
        self.assertIn("o'neil", self.assertUser("o'neil@example.com"))  # quoting, not injection

    def test_quota_is_a_quota_field(self):
        self.sql("UPDATE mailboxes SET quota = 1048576 WHERE address = 'bob@example.com'")
        self.addCleanup(self.sql, "UPDATE mailboxes SET quota = 0 "
                                  "WHERE address = 'bob@example.com'")
        bob = self.assertUser("bob@example.com")
        field, prefix = dovecot_instance.QUOTA_FIELD
        self.assertRegex(bob, rf"(?m)^{field}\s+{re.escape(prefix)}1048576$")

    def test_disabled_unknown_and_inactive_domain_are_no_users(self):
        for user in ("carol@example.com", "off@example.org", "x@off.example",
                     "nobody@example.com", "alice@example.net", "x' OR '1'='1@example.com"):
            with self.subTest(user=user):
                self.assertNoUser(user)

    def test_iterate_lists_exactly_the_active_mailboxes(self):
        res = self.doveadm("user", "*")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(sorted(res.stdout.split()), sorted(
            a for a, active, _ in reference_data.MAILBOXES
            if active and not a.endswith("@off.example")))

    def test_auth_succeeds_for_an_active_mailbox_only(self):
        self.assertAuth("alice@example.com")
        self.assertAuth("o'neil@example.com")
        for user, password in [("alice@example.com", "wrong"),
                               ("carol@example.com", reference_data.PASSWORD),
                               ("x@off.example", reference_data.PASSWORD),
                               ("nobody@example.com", reference_data.PASSWORD),
                               ("x' OR '1'='1@example.com", reference_data.PASSWORD)]:
            with self.subTest(user=user, password=password):
                self.assertNoAuth(user, password)

    def test_no_password_means_no_login_but_a_user(self):
        self.sql("INSERT INTO mailboxes (address) VALUES ('deliveronly@example.com')")
        self.addCleanup(self.sql, "DELETE FROM mailboxes "
                                  "WHERE address = 'deliveronly@example.com'")
        self.assertUser("deliveronly@example.com")
        self.assertNoAuth("deliveronly@example.com")

    def test_a_change_counts_at_once(self):
        # Disabled with SQL: no login, no user; enabled again: both back.
        self.sql("UPDATE mailboxes SET active = 0 WHERE address = 'real@example.org'")
        try:
            self.assertNoUser("real@example.org")
            self.assertNoAuth("real@example.org")
        finally:
            self.sql("UPDATE mailboxes SET active = 1 WHERE address = 'real@example.org'")
        self.assertUser("real@example.org")
        self.assertAuth("real@example.org")


class PgsqlStandbyTest(harness.BlackBoxTest):
    """The queries only read: a hot standby (read-only) serves Dovecot too,
    and sees a change on the primary once it has replayed it."""

    def test_dovecot_on_a_streaming_standby(self):
        primary = PrivatePostgres(os.path.join(self.dir, "primary")).start(self)
        primary.create_database("rcptdb")
        load_schema(primary)
        load_reference_mailboxes(primary, reference_data.password_hash())
        standby = primary.standby(os.path.join(self.dir, "standby"), self)
        dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), standby.uri(), plugin=False,
                                 sql_text=dovecot_instance.pgsql_conf(standby.conninfo()),
                                 extra={"auth_failure_delay": "0"})
        dovecot.start(self)
        res = dovecot.doveadm("auth", "test", "alice@example.com", reference_data.PASSWORD,
                              check=False)
        self.assertEqual(res.returncode, 0, f"{res.stdout}{res.stderr}{dovecot.log_text()}")
        self.assertEqual(dovecot.doveadm("user", "carol@example.com", check=False).returncode, 67)

        primary.psql("UPDATE mailboxes SET active = 0 WHERE address = 'alice@example.com'")
        standby.wait_until("SELECT active = 0 FROM mailboxes "
                           "WHERE address = 'alice@example.com'")
        self.assertEqual(dovecot.doveadm("user", "alice@example.com", check=False).returncode,
                         67)
        res = dovecot.doveadm("auth", "test", "alice@example.com", reference_data.PASSWORD,
                              check=False)
        self.assertIn("auth failed", res.stdout + res.stderr)


class PgsqlOutageTest(harness.BlackBoxTest):
    """The server stops and comes back while LMTP asks: Dovecot's own
    userdb defers (451), never says "User doesn't exist" (550, a bounce)."""

    def test_a_lost_connection_defers_and_never_says_unknown(self):
        pg = PrivatePostgres(os.path.join(self.dir, "pg")).start(self)
        pg.create_database("rcptdb")
        load_schema(pg)
        load_reference_mailboxes(pg, reference_data.password_hash())
        # No plugin: its own deferral would answer first while the server is
        # down; this is Dovecot's userdb alone, as in the window after a
        # restart where the plugin has reconnected and auth has not.
        dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), pg.uri(), plugin=False,
                                 sql_text=dovecot_instance.pgsql_conf(pg.conninfo()))
        dovecot.start(self)
        with Lmtp(dovecot.port) as lmtp:
            lmtp.mail()
            self.assertEqual(lmtp.rcpt("alice@example.com")[0], 250, dovecot.log_text())
        # RCPTs every 100 ms: before, during and after the outage. Those
        # made while auth has no connection are the ones Debian 12's
        # Dovecot cannot escape (sql/dovecot-pgsql.conf.ext).
        stream = Stream(rcpt_question(dovecot.port, "alice@example.com"))
        try:
            time.sleep(0.5)
            pg.stop()
            time.sleep(1.0)
            pg.start()
            # A few more after the first success: the queries queued while
            # down run now, on the new connection.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not any(
                    code == 250 and t > 1.5 for t, _, code, _ in stream.replies):
                time.sleep(0.1)
            time.sleep(1.0)
        finally:
            replies = stream.stop()
        table = Stream.table(replies)
        print(f"\n  {len(replies)} RCPTs: " + ", ".join(
            f"{n} x {c}" for c, n in sorted(
                {c: sum(1 for r in replies if r[2] == c) for _, _, c, _ in replies}.items())),
            end=" ")
        bounced = [r for r in replies if r[2] >= 500 or r[2] == 0]
        self.assertFalse(bounced, f"a lost connection must defer, {len(bounced)} did not:\n"
                                  f"{table}\n{dovecot.log_text()[-4000:]}")
        self.assertIn(451, [r[2] for r in replies], f"the outage was not seen:\n{table}")
        self.assertEqual(replies[-1][2], 250, f"no recovery:\n{table}")


if __name__ == "__main__":
    unittest.main()
