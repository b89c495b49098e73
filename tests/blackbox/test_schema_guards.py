# SPDX-License-Identifier: MIT
"""test_schema_guards - the schema's guards against plain SQL: concurrent
writers and UPDATE, on both engines (issue 26, item 8).

The guards that read other rows (a mailbox is not also an alias, lives in
a hosted domain and holds no recipient delimiter; an alias chain is at
most 8 rows; a domain that changes kind is empty) are proven the way an
admin's own tools would break them: two plain-SQL sessions held open side
by side, psql on a private PostgreSQL cluster (pg_instance.PrivatePostgres)
and sqlite3 on a file, each a process stopped by its pid.

  PgRaceTest     two psql sessions in READ COMMITTED (psql's default):
                 the first writes and holds its transaction open; the
                 second writes what the first's row makes illegal, the
                 first commits, the second must then be refused. Schema
                 version 2 let both commit (its triggers read under the
                 statement's snapshot, before the other commit). Also a
                 REPEATABLE READ writer, and a database of version 2
                 brought to version 3 by `rcptdb migrate`.
  UpdateTest     UPDATEs that move a row where its INSERT would be
                 refused, on SQLite (sqlite3) and PostgreSQL (psql): an
                 alias renamed onto a mailbox and back, rows moved into a
                 domain of the wrong kind, a chain made longer than 8 rows.
                 Schema version 2 guarded SQLite's INSERT only; also a
                 version 2 file brought to version 3 by `rcptdb migrate`.
  SqliteWritersTest  SQLite's own answer to concurrency: a second writer
                 cannot write until the first commits, nor on a snapshot
                 older than that commit (SQLITE_BUSY_SNAPSHOT).
"""
import os
import queue
import shutil
import subprocess
import threading
import time
import unittest

import harness
from pg_instance import BIN, PrivatePostgres

SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
PSQL = os.path.join(BIN, "psql")
SCHEMA_V1 = os.path.join(harness.SRC, "tests", "unit", "schema_v1.sql")
MIGRATE_2 = os.path.join(harness.SRC, "sql", "migrate-2.sql")
PGSQL_V2 = os.path.join(harness.SRC, "tests", "unit", "schema_pgsql_v2.sql")

# The rows every case starts from, valid plain SQL on both engines. Two
# alias chains of 4 rows each (a0 -> ... -> a4, b0 -> ... -> b4) and a
# lone row x -> y: a row a4 -> m plus m -> b0 joins them into 10 rows.
BASE_ROWS = """
INSERT INTO domains (name) VALUES ('example.com'), ('empty.example');
INSERT INTO domains (name, kind, transport) VALUES ('relay.example', 'relay', 'smtp:[mx.relay.example]');
INSERT INTO mailboxes (address) VALUES ('alice@example.com'), ('bob@example.com');
INSERT INTO aliases (source, target) VALUES ('sales@example.com', 'alice@example.com'),
  ('x@example.com', 'y@elsewhere.test');
INSERT INTO relay_recipients (address) VALUES ('r@relay.example');
""" + "".join(
    f"INSERT INTO aliases (source, target) VALUES ('{c}{i}@example.com', '{c}{i + 1}@example.com');\n"
    for c in "ab" for i in range(4))

CHAIN_REFUSED = "alias chain longer than 8 steps"


class Session:
    """One interactive plain-SQL client (psql or sqlite3) on pipes: what an
    admin types, statement by statement, with its transaction held open
    between them. send() writes SQL and a marker the client echoes after
    it; wait() returns everything the client printed before the marker
    (errors included), or None if it has not got there in time: the
    client is blocked, waiting for a lock."""

    def __init__(self, argv, echo, test):
        self.echo = echo
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     start_new_session=True)
        self.lines = queue.Queue()
        self.pending = []
        self.count = 0
        threading.Thread(target=self._read, daemon=True).start()
        test.addCleanup(self.close)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)

    def send(self, sql):
        """Sends sql, ended by a ';' if it has none; returns its marker."""
        self.count += 1
        marker = f"rcptdb-session-mark-{self.count}"
        sql = sql.rstrip()
        if not sql.endswith(";"):
            sql += ";"
        self.proc.stdin.write(f"{sql}\n{self.echo} {marker}\n")
        self.proc.stdin.flush()
        return marker

    def wait(self, marker, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line.strip() == marker:
                out, self.pending = "".join(self.pending), []
                return out
            self.pending.append(line)

    def run(self, sql, timeout=60):
        """sql to its end; returns what it printed."""
        out = self.wait(self.send(sql), timeout)
        if out is None:
            raise AssertionError(f"{sql!r} did not finish in {timeout}s")
        return out

    def close(self):
        """Ends the client: EOF, then SIGKILL by its pid if it lingers."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait()


def psql_session(uri, test):
    return Session([PSQL, "-X", "-q", "-A", "-t", "-d", uri], "\\echo", test)


def sqlite3_session(path, test):
    # A busy timeout, as any sane client sets: SQLite's refusals below
    # are then about snapshots, not about a lock held for a moment.
    s = Session([SQLITE3, "-batch", path], ".print", test)
    s.run(".timeout 2000\nPRAGMA foreign_keys = ON;")
    return s


class PgTest(unittest.TestCase):
    """Base: one private cluster per class, a fresh database per test."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-guards-")
        cls.pg = PrivatePostgres(os.path.join(cls.dir, "pg"))
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.databases = 0

    def new_database(self, version=None):
        """A database with BASE_ROWS: made by `rcptdb init`, or with schema
        version 2 (tests/unit/schema_pgsql_v2.sql) and `rcptdb migrate`."""
        type(self).databases += 1
        name = f"guards{self.databases}"
        self.pg.create_database(name)
        uri = self.pg.uri(name)
        if version == 2:
            with open(PGSQL_V2) as f:
                self.pg.psql(f.read(), dbname=name)
            res = harness.rcptdb(uri, "migrate")
            self.assertIn("schema version 2 -> 4", res.stdout)
        else:
            harness.rcptdb(uri, "init")
        self.pg.psql(BASE_ROWS, dbname=name)
        return name

    def value(self, name, sql):
        return self.pg.psql(sql, dbname=name).strip()


class PgRaceTest(PgTest):

    def race(self, name, first, second, begin="BEGIN"):
        """Session one writes first inside an open transaction; session two
        begins (begin), writes second, and the first commits. Returns what
        session two's write printed once it finished."""
        one = psql_session(self.pg.uri(name), self)
        two = psql_session(self.pg.uri(name), self)
        self.assertEqual(one.run("BEGIN"), "")
        self.assertEqual(one.run(first), "", first)
        two.run(begin + "; SELECT 1 FROM rcptdb_version")  # its snapshot begins now
        mark = two.send(second)
        # It waits for the first writer; whether it shows that within a
        # second on a busy machine is not what is tested: the outcome is.
        early = two.wait(mark, 1.0)
        self.assertEqual(one.run("COMMIT"), "")
        out = early if early is not None else two.wait(mark, 60)
        self.assertIsNotNone(out, f"{second!r} never finished")
        two.run("COMMIT")
        return out

    def test_two_writers_cannot_build_a_chain_longer_than_eight(self):
        name = self.new_database()
        out = self.race(name, "INSERT INTO aliases (source, target) "
                              "VALUES ('a4@example.com', 'm@example.com')",
                        "INSERT INTO aliases (source, target) "
                        "VALUES ('m@example.com', 'b0@example.com')")
        self.assertIn(CHAIN_REFUSED, out)
        self.assertEqual(self.value(name, "SELECT count(*) FROM aliases "
                                          "WHERE source = 'm@example.com'"), "0")

    def test_a_new_delimiter_and_a_mailbox_holding_it_cannot_both_commit(self):
        name = self.new_database()
        out = self.race(name, "UPDATE settings SET value = '+-' WHERE name = 'delimiter'",
                        "INSERT INTO mailboxes (address) VALUES ('jean-luc@example.com')")
        self.assertIn("mailbox local part contains a recipient delimiter", out)
        name = self.new_database()
        out = self.race(name, "INSERT INTO mailboxes (address) VALUES ('jean-luc@example.com')",
                        "UPDATE settings SET value = '+-' WHERE name = 'delimiter'")
        self.assertIn("a mailbox local part contains the new recipient delimiter", out)
        self.assertEqual(self.value(name, "SELECT value FROM settings WHERE name = 'delimiter'"),
                         "+")

    def test_a_mailbox_and_an_alias_of_one_address_cannot_both_commit(self):
        name = self.new_database()
        out = self.race(name, "INSERT INTO mailboxes (address) VALUES ('carol@example.com')",
                        "INSERT INTO aliases (source, target) "
                        "VALUES ('carol@example.com', 'alice@example.com')")
        self.assertIn("a mailbox with this address exists", out)
        name = self.new_database()
        out = self.race(name, "INSERT INTO aliases (source, target) "
                              "VALUES ('carol@example.com', 'alice@example.com')",
                        "INSERT INTO mailboxes (address) VALUES ('carol@example.com')")
        self.assertIn("an alias with this address exists", out)

    def test_a_domain_cannot_change_kind_under_a_new_mailbox(self):
        name = self.new_database()
        out = self.race(name, "UPDATE domains SET kind = 'relay', transport = 'smtp:[mx]' "
                              "WHERE name = 'empty.example'",
                        "INSERT INTO mailboxes (address) VALUES ('new@empty.example')")
        self.assertIn("mailboxes live in hosted domains only", out)
        self.assertEqual(self.value(name, "SELECT count(*) FROM mailboxes "
                                          "WHERE domain = 'empty.example'"), "0")

    def test_a_snapshot_older_than_the_last_commit_cannot_write(self):
        # rcptdb's own writers run SERIALIZABLE: a writer whose snapshot
        # misses the other's commit fails (40001) and may try again.
        name = self.new_database()
        out = self.race(name, "INSERT INTO aliases (source, target) "
                              "VALUES ('a4@example.com', 'm@example.com')",
                        "INSERT INTO aliases (source, target) "
                        "VALUES ('m@example.com', 'b0@example.com')",
                        begin="BEGIN ISOLATION LEVEL REPEATABLE READ")
        self.assertIn("could not serialize access", out)
        self.assertEqual(self.value(name, "SELECT count(*) FROM aliases "
                                          "WHERE source = 'm@example.com'"), "0")

    def test_a_database_migrated_from_version_2_is_guarded_too(self):
        name = self.new_database(version=2)
        self.assertEqual(self.value(name, "SELECT schema_version FROM rcptdb_version"), "4")
        out = self.race(name, "INSERT INTO aliases (source, target) "
                              "VALUES ('a4@example.com', 'm@example.com')",
                        "INSERT INTO aliases (source, target) "
                        "VALUES ('m@example.com', 'b0@example.com')")
        self.assertIn(CHAIN_REFUSED, out)


# (UPDATE, what the refusal says): each would be refused as an INSERT.
REFUSED_UPDATES = [
    ("UPDATE aliases SET source = 'bob@example.com' WHERE source = 'sales@example.com'",
     "a mailbox with this address exists"),
    ("UPDATE mailboxes SET address = 'sales@example.com' WHERE address = 'bob@example.com'",
     "an alias with this address exists"),
    ("UPDATE aliases SET source = 'sales@relay.example' WHERE source = 'sales@example.com'",
     "aliases live in hosted domains only"),
    ("UPDATE mailboxes SET address = 'bob@relay.example' WHERE address = 'bob@example.com'",
     "mailboxes live in hosted domains only"),
    ("UPDATE relay_recipients SET address = 'r@example.com' WHERE address = 'r@relay.example'",
     "relay recipients live in relay domains only"),
    # x -> y becomes a4 -> b0: 4 + 1 + 4 = 9 rows.
    ("UPDATE aliases SET source = 'a4@example.com', target = 'b0@example.com' "
     "WHERE source = 'x@example.com'", CHAIN_REFUSED),
    ("UPDATE aliases SET target = 'b0@example.com' WHERE source = 'x@example.com'; "
     "UPDATE aliases SET source = 'a4@example.com' WHERE source = 'x@example.com'",
     CHAIN_REFUSED),
]
# UPDATEs that stay within the rules: still accepted.
ACCEPTED_UPDATES = [
    # a3 -> a4 becomes a3 -> b0: 3 + 1 + 4 = 8 rows, the bound itself.
    "UPDATE aliases SET target = 'b0@example.com' WHERE source = 'a3@example.com'",
    "UPDATE mailboxes SET address = 'bobby@example.com' WHERE address = 'bob@example.com'",
    "UPDATE aliases SET source = 'team@example.com' WHERE source = 'sales@example.com'",
    "UPDATE aliases SET active = 0 WHERE source = 'a0@example.com'",
]


class UpdateTest(PgTest):

    def check_updates(self, session, rollback):
        """Each UPDATE in its own transaction, rolled back after."""
        for sql, refusal in REFUSED_UPDATES:
            with self.subTest(sql=sql):
                out = session.run(f"BEGIN; {sql};")
                session.run(rollback)
                self.assertIn(refusal, out)
        for sql in ACCEPTED_UPDATES:
            with self.subTest(sql=sql):
                out = session.run(f"BEGIN; {sql};")
                session.run(rollback)
                self.assertEqual(out.strip(), "")

    def sqlite_file(self, version=None):
        """A file with BASE_ROWS, made by `rcptdb init`, or by the version
        1 schema and migrate-2.sql (a version 2 file) and `rcptdb migrate`."""
        path = os.path.join(self.dir, f"guards{time.monotonic_ns()}.sqlite")
        if version == 2:
            with open(SCHEMA_V1) as f:
                harness.run([SQLITE3, "-bail", path], input=f.read())
            with open(MIGRATE_2) as f:  # as `rcptdb migrate` runs it: in one transaction
                harness.run([SQLITE3, "-bail", path], input="BEGIN;\n" + f.read() + "COMMIT;\n")
            res = harness.rcptdb(path, "migrate")
            self.assertIn("schema version 2 -> 4", res.stdout)
        else:
            harness.rcptdb(path, "init")
        harness.run([SQLITE3, "-bail", path], input="PRAGMA foreign_keys = ON;" + BASE_ROWS)
        return path

    def test_sqlite_guards_hold_on_update(self):
        self.check_updates(sqlite3_session(self.sqlite_file(), self), "ROLLBACK;")

    def test_sqlite_file_migrated_from_version_2_is_guarded_on_update(self):
        self.check_updates(sqlite3_session(self.sqlite_file(version=2), self), "ROLLBACK;")

    def test_postgresql_guards_hold_on_update(self):
        name = self.new_database()
        self.check_updates(psql_session(self.pg.uri(name), self), "ROLLBACK;")


class SqliteWritersTest(unittest.TestCase):
    """SQLite runs one writer at a time: its triggers read the last commit."""

    def setUp(self):
        self.dir = harness.open_tempdir("rcptdb-guards-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.path = os.path.join(self.dir, "db.sqlite")
        harness.rcptdb(self.path, "init")
        harness.run([SQLITE3, "-bail", self.path], input="PRAGMA foreign_keys = ON;" + BASE_ROWS)

    def test_a_writer_on_an_older_snapshot_cannot_write(self):
        one = sqlite3_session(self.path, self)
        two = sqlite3_session(self.path, self)
        self.assertEqual(one.run("BEGIN; INSERT INTO aliases (source, target) "
                                 "VALUES ('a4@example.com', 'm@example.com');"), "")
        # The second reads (its snapshot begins), the first commits, and
        # the second's write on that older snapshot is refused outright.
        self.assertEqual(two.run("BEGIN; SELECT count(*) FROM aliases;").strip(), "10")
        self.assertEqual(one.run("COMMIT;"), "")
        out = two.run("INSERT INTO aliases (source, target) "
                      "VALUES ('m@example.com', 'b0@example.com');")
        self.assertIn("database is locked", out)
        two.run("ROLLBACK;")
        # Begun afresh, it reads the commit and the guard refuses the row.
        out = two.run("BEGIN; INSERT INTO aliases (source, target) "
                      "VALUES ('m@example.com', 'b0@example.com'); ROLLBACK;")
        self.assertIn(CHAIN_REFUSED, out)


if __name__ == "__main__":
    unittest.main()
