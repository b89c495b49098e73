# SPDX-License-Identifier: MIT
"""test_pg_roles - least-privilege roles, TLS, pg_hba and failover on PostgreSQL.

RolesTest applies doc/examples/pgsql-roles.sql to a private cluster
(pg_instance.PrivatePostgres, unix socket, trust) before and after
`rcptdb init` run as rcptdb_owner, and proves on real programs:
  - rcptdb as rcptdb_writer adds, changes and deletes domains, mailboxes,
    aliases, relay recipients, sender logins and settings;
  - rcptdb_writer cannot CREATE, ALTER, DROP or TRUNCATE;
  - rcptdb-server and Dovecot's sql userdb (doveadm -c <private dir>) work
    as rcptdb_reader, and every write as rcptdb_reader is refused;
  - the privileges are exactly the ones the file names, no more.

The example classes load doc/examples/multihost/ (postgresql.conf,
pg_hba.conf, rcptdb-admin.env, rcptdb-mx.conf, dovecot-store.conf), with
only host names, ports, paths and the password placeholder rewritten
(ExampleFiles.text), into a primary with ssl = on (a CA and a server
certificate made with openssl in the test's directory) and a streaming
standby that replicates over TLS as rcptdb_replicator:
  - the CLI and rcptdb-server connect with sslmode=verify-full; without
    TLS (pg_hba has only hostssl lines) or trusting another CA they are
    refused;
  - the MX example reads its standby, the store example's plugin and
    userdb read the primary;
  - FailoverTest: the admin's URI (two hosts,
    target_session_attrs=read-write) writes to the primary; with the
    primary stopped it writes nowhere; after `pg_ctl promote` of the
    standby the same command line writes there.
"""
import os
import re
import socket
import unittest

import dovecot_instance
import harness
from dovecot_instance import Lmtp, PrivateDovecot
from pg_instance import TRUST_LOCAL, PrivatePostgres, make_tls, private_file
from test_pgsql_dovecot import Processes
import test_server

EXAMPLES = os.path.join(harness.SRC, "doc", "examples")
ROLES_SQL = os.path.join(EXAMPLES, "pgsql-roles.sql")
MULTIHOST = os.path.join(EXAMPLES, "multihost")
TABLES = ("settings", "domains", "mailboxes", "aliases", "relay_recipients", "sender_logins")
# Schema version 3: the writer's alone; the audit log append-only.
ADMIN_TABLES = ("admins", "admin_domains", "tokens", "token_domains")
PASSWORDS = {"rcptdb_owner": "owner-pw", "rcptdb_writer": "writer-pw",
             "rcptdb_reader": "reader-pw", "rcptdb_replicator": "replicator-pw"}
SERIES_2_3 = unittest.skipUnless(dovecot_instance.SERIES == "2.3",
                                 "sql/dovecot-pgsql.conf.ext is Dovecot 2.3 syntax")


def apply_roles(pg):
    """Runs doc/examples/pgsql-roles.sql as the cluster's superuser, as its
    header says (psql -d postgres); returns psql's output."""
    with open(ROLES_SQL) as f:
        return pg.psql(f.read(), dbname="postgres")


def socketmap(port, request):
    """One socketmap request ("map key") to rcptdb-server; the reply text."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(test_server.netstring(request))
        return (test_server.recv_netstring(s) or b"").decode()


class ClusterTest(unittest.TestCase):
    """Base: a temp dir and a process owner per class."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-pgroles-")
        cls.processes = Processes(cls.dir)
        cls.addClassCleanup(cls.processes.stop)

    def start_server(self, uri=None, conf=None, name="rcptdb-server"):
        """rcptdb-server --foreground on uri (or -c conf); returns (process, port)."""
        port = harness.free_port()
        argv = [harness.SERVER, "--foreground", "--threads", "1",
                "--socketmap", f"127.0.0.1:{port}"]
        argv += ["-c", conf] if conf else ["-c", harness.private_config().rcptdb_conf,
                                           "--db", uri]
        server = self.processes.start(argv, name)
        try:
            harness.wait_port(port)
        except TimeoutError:
            raise AssertionError(f"{name} did not listen:\n{server.output()}")
        return server, port

    def stop_process(self, p):
        p.stop()
        self.processes.list.remove(p)


class RolesTest(ClusterTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg = PrivatePostgres(os.path.join(cls.dir, "pg"))
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.first_run = apply_roles(cls.pg)
        res = harness.rcptdb(cls.pg.uri(user="rcptdb_owner"), "init", check=False)
        if res.returncode != 0:
            raise AssertionError(f"rcptdb init as rcptdb_owner: {res.stdout}{res.stderr}")
        cls.second_run = apply_roles(cls.pg)
        cls.writer = cls.pg.uri(user="rcptdb_writer")
        cls.reader = cls.pg.uri(user="rcptdb_reader")
        w = cls.writer
        for args in (("domain", "add", "example.com", "--transport", "lmtp:inet:127.0.0.1:24"),
                     ("mailbox", "add", "alice@example.com", "--no-password"),
                     ("alias", "add", "info@example.com", "alice@example.com")):
            harness.rcptdb(w, *args)

    def refused(self, sql, user):
        """Runs sql as user; asserts PostgreSQL refuses it for lack of rights."""
        res = self.pg.psql(sql, user=user, check=False)
        self.assertNotEqual(res.returncode, 0, f"{user} may run {sql!r}")
        self.assertRegex(res.stderr, r"permission denied|must be owner",
                         f"{user}: {sql!r}: {res.stderr}")

    def test_the_file_runs_before_and_after_init_and_again(self):
        self.assertIn("no rcptdb schema yet", self.first_run)
        self.assertNotIn("no rcptdb schema yet", self.second_run)
        self.assertEqual(apply_roles(self.pg), "")  # a third run changes nothing, says nothing
        owner = self.pg.psql("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
                             "GROUP BY 1").split()
        self.assertEqual(owner, ["rcptdb_owner"], "rcptdb init ran as the owner")

    def test_the_grants_are_exactly_those_named(self):
        def grants(role):
            out = self.pg.psql(
                "SELECT table_name || ' ' || privilege_type FROM "
                f"information_schema.role_table_grants WHERE grantee = '{role}' ORDER BY 1")
            return set(out.split("\n")) - {""}

        select = {f"{t} SELECT" for t in TABLES + ("rcptdb_version",)}
        self.assertEqual(grants("rcptdb_reader"), select)
        self.assertEqual(grants("rcptdb_writer"),
                         select | {f"{t} {p}" for t in TABLES + ADMIN_TABLES
                                   for p in ("INSERT", "UPDATE", "DELETE")}
                         | {f"{t} SELECT" for t in ADMIN_TABLES}
                         | {"audit_log SELECT", "audit_log INSERT"})
        columns = self.pg.psql(
            "SELECT grantee || ' ' || table_name || '.' || column_name || ' ' || privilege_type "
            "FROM information_schema.column_privileges WHERE table_name = 'rcptdb_version' "
            "AND privilege_type <> 'SELECT' AND grantee <> 'rcptdb_owner' ORDER BY 1")
        self.assertEqual(columns.split("\n")[:-1], ["rcptdb_writer rcptdb_version.v UPDATE"])
        # No role but the owner may create anything, in the schema or the database.
        for role in ("rcptdb_writer", "rcptdb_reader", "rcptdb_replicator"):
            self.assertEqual(self.pg.psql(
                f"SELECT has_schema_privilege('{role}', 'public', 'CREATE'), "
                f"has_database_privilege('{role}', 'rcptdb', 'CREATE'), "
                f"has_database_privilege('{role}', 'rcptdb', 'TEMPORARY')").strip(), "f|f|f", role)

    def test_writer_provisions_with_the_cli(self):
        w = self.writer
        steps = [
            ("domain", "add", "writer.example", "--transport", "lmtp:inet:127.0.0.1:24"),
            ("domain", "disable", "writer.example"),
            ("domain", "enable", "writer.example"),
            ("mailbox", "add", "bob@writer.example", "--no-password"),
            ("mailbox", "passwd", "bob@writer.example", "--password-stdin"),
            ("mailbox", "disable", "bob@writer.example"),
            ("mailbox", "quota", "bob@writer.example", "1G"),
            ("alias", "add", "team@writer.example", "bob@writer.example"),
            ("alias", "disable", "team@writer.example"),
            ("domain", "add", "relay.example", "--kind", "relay", "--nexthop", "[mx.example]"),
            ("relay-recipient", "add", "x@relay.example"),
            ("sender", "allow", "bob@writer.example", "bob@writer.example"),
            ("config", "set", "delimiter", "-"),
        ]
        before = int(self.pg.psql("SELECT v FROM rcptdb_version"))
        for args in steps:
            res = harness.rcptdb(w, *args, input="Secret-42\n", check=False)
            self.assertEqual(res.returncode, 0, f"rcptdb {' '.join(args)} as rcptdb_writer: "
                             f"{res.stdout}{res.stderr}")
        self.assertEqual(self.pg.psql(
            "SELECT active || ' ' || (password IS NOT NULL) || ' ' || quota FROM mailboxes "
            "WHERE address = 'bob@writer.example'").strip(), "0 true 1073741824")
        self.assertEqual(self.pg.psql("SELECT value FROM settings WHERE name = 'delimiter'")
                         .strip(), "-")
        self.assertGreater(int(self.pg.psql("SELECT v FROM rcptdb_version")), before,
                           "the triggers bumped the change counter as the writer")
        for args in (("sender", "del", "bob@writer.example", "bob@writer.example"),
                     ("relay-recipient", "del", "x@relay.example"),
                     ("domain", "del", "relay.example"),
                     ("alias", "del", "team@writer.example"),
                     ("mailbox", "del", "bob@writer.example"),
                     ("domain", "del", "writer.example"),
                     ("config", "set", "delimiter", "+")):
            res = harness.rcptdb(w, *args, check=False)
            self.assertEqual(res.returncode, 0, f"rcptdb {' '.join(args)}: {res.stderr}")
        self.assertEqual(self.pg.psql(
            "SELECT (SELECT count(*) FROM domains WHERE name = 'writer.example') + "
            "(SELECT count(*) FROM mailboxes WHERE domain = 'writer.example') + "
            "(SELECT count(*) FROM aliases WHERE domain = 'writer.example')").strip(), "0")

    def test_writer_cannot_change_the_schema(self):
        for sql in ("CREATE TABLE evil (x int)",
                    "CREATE TEMPORARY TABLE evil (x int)",
                    "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                    "DROP TABLE aliases",
                    "ALTER TABLE mailboxes ADD COLUMN evil int",
                    "DROP TRIGGER mailboxes_check ON mailboxes",
                    "TRUNCATE mailboxes",
                    "UPDATE rcptdb_version SET schema_version = 99",
                    "INSERT INTO rcptdb_version (schema_version, v) VALUES (3, 0)",
                    "DELETE FROM rcptdb_version"):
            with self.subTest(sql=sql):
                self.refused(sql, "rcptdb_writer")
        self.assertEqual(self.pg.psql("SELECT schema_version FROM rcptdb_version").strip(), "4")

    def test_reader_cannot_write(self):
        # One harmless UPDATE per table: it would change nothing, but needs the right.
        column = {"settings": "value", "domains": "active", "mailboxes": "active",
                  "aliases": "active", "relay_recipients": "address", "sender_logins": "allow",
                  "rcptdb_version": "v"}
        for t, c in column.items():
            for sql in (f"DELETE FROM {t}", f"UPDATE {t} SET {c} = {c}", f"TRUNCATE {t}"):
                with self.subTest(sql=sql):
                    self.refused(sql, "rcptdb_reader")
        self.refused("INSERT INTO mailboxes (address) VALUES ('evil@example.com')",
                     "rcptdb_reader")
        self.refused("CREATE TABLE evil (x int)", "rcptdb_reader")
        # The CLI as the reader: refused, nothing written, and told apart
        # from database trouble: a retry (exit 75) would never succeed, the
        # role lacks the right (SQLSTATE 42501): EX_CONFIG, 78.
        res = harness.rcptdb(self.reader, "mailbox", "add", "evil@example.com", "--no-password",
                             check=False)
        self.assertEqual(res.returncode, 78, res.stdout + res.stderr)
        self.assertIn("permission denied", res.stderr)
        self.assertEqual(self.pg.psql(
            "SELECT count(*) FROM mailboxes WHERE address = 'evil@example.com'").strip(), "0")

    def test_reader_cannot_read_admins_tokens_or_the_audit_log(self):
        for t in ADMIN_TABLES + ("audit_log",):
            with self.subTest(table=t):
                self.refused(f"SELECT count(*) FROM {t}", "rcptdb_reader")
        res = harness.rcptdb(self.reader, "audit", check=False)
        self.assertNotEqual(res.returncode, 0, res.stdout)

    def test_the_writer_appends_to_the_audit_log_and_cannot_rewrite_it(self):
        w = self.writer
        harness.rcptdb(w, "admin", "add", "ops", "--role", "server", "--no-password")
        token = harness.rcptdb(w, "token", "create", "ops").stdout.strip()
        self.assertRegex(token, r"^rcptdb_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$")
        log = harness.rcptdb(w, "audit").stdout
        self.assertIn("create\tadmin\tops", log)
        self.assertIn("create\ttoken\t" + token[7:19], log)
        self.assertNotIn(token[20:], self.pg.psql("SELECT string_agg(secret_hash || after, ' ') "
                                                  "FROM tokens, audit_log"))
        for sql in ("UPDATE audit_log SET actor = 'unix:nobody'", "DELETE FROM audit_log",
                    "TRUNCATE audit_log"):
            with self.subTest(sql=sql):
                self.refused(sql, "rcptdb_writer")
        # A plain-SQL change by the writer is recorded under its role.
        self.pg.psql("UPDATE mailboxes SET quota = 5 WHERE address = 'alice@example.com'",
                     user="rcptdb_writer")
        self.assertEqual(self.pg.psql(
            "SELECT actor || ' ' || action || ' ' || object FROM audit_log "
            "ORDER BY id DESC LIMIT 1").strip(), "sql:rcptdb_writer update alice@example.com")

    def test_reader_serves_rcptdb_server(self):
        server, port = self.start_server(self.reader)
        try:
            self.assertTrue(socketmap(port, "recipients alice@example.com").startswith("OK"),
                            server.output())
            self.assertTrue(socketmap(port, "recipients info@example.com").startswith("OK"))
            self.assertEqual(socketmap(port, "recipients nobody@example.com"), "NOTFOUND ")
            self.assertTrue(socketmap(port, "domains example.com").startswith("OK"))
            sessions = self.pg.psql("SELECT count(*) FROM pg_stat_activity "
                                    "WHERE usename = 'rcptdb_reader'")
            self.assertGreaterEqual(int(sessions), 1, "rcptdb-server logged in as the reader")
        finally:
            self.stop_process(server)
        self.assertNotIn("permission denied", server.output())

    @SERIES_2_3
    def test_reader_serves_dovecot_userdb(self):
        conninfo = self.pg.conninfo().replace("user=rcptdb", "user=rcptdb_reader")
        self.assertIn("user=rcptdb_reader", conninfo)
        dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), self.reader, plugin=True,
                                 plugin_db=self.reader,
                                 sql_text=dovecot_instance.pgsql_conf(conninfo))
        dovecot.start(self.processes)
        try:
            res = dovecot.doveadm("user", "alice@example.com", check=False)
            self.assertEqual(res.returncode, 0, f"doveadm -c {dovecot.conf} user: "
                             f"{res.stdout}{res.stderr}\n{dovecot.log_text()[-2000:]}")
            self.assertEqual(dovecot.doveadm("user", "nobody@example.com", check=False)
                             .returncode, 67)
            with Lmtp(dovecot.port) as lmtp:
                lmtp.mail()
                self.assertEqual(lmtp.rcpt("alice@example.com")[0], 250)
                self.assertEqual(lmtp.rcpt("nobody@example.com")[0], 550)
        finally:
            self.stop_process(dovecot.process)
        self.assertNotIn("permission denied", dovecot.log_text())


class ExampleFiles:
    """doc/examples/multihost/ with its names, ports and paths made local.

    primary, standby: PrivatePostgres (standby may be None before it
    exists); tls: make_tls()'s files; passfile: the libpq password file."""

    def __init__(self, primary, standby, tls, passfile):
        self.primary = primary
        self.standby = standby
        self.tls = tls
        self.passfile = passfile

    def text(self, name, **more):
        """The example file name with every site-specific value rewritten;
        fails if anything of the example site is left."""
        with open(os.path.join(MULTIHOST, name)) as f:
            text = f.read()
        p, s = self.primary, self.standby
        pairs = [("/etc/postgresql/ssl/server.crt", self.tls.cert),
                 ("/etc/postgresql/ssl/server.key", self.tls.key),
                 ("/etc/rcptdb/pg-ca.crt", self.tls.ca),
                 ("/etc/rcptdb/pgpass", self.passfile),
                 ("password=PASSWORD", "password=" + PASSWORDS["rcptdb_reader"]),
                 ("db1.example.net:5432", f"localhost:{p.port}")]
        if s is not None:
            pairs += [("mx1.example.net:5432", f"localhost:{s.port}"),
                      ("host=/var/run/postgresql,db1.example.net&port=5432,5432",
                       f"host={s.sock},localhost&port={s.port},{p.port}"),
                      ("host=db1.example.net,mx1.example.net port=5432,5432",
                       f"host=localhost,localhost port={p.port},{s.port}")]
        pairs += list(more.items())
        for old, new in pairs:
            text = text.replace(old, new)
        text = re.sub(r"192\.0\.2\.\d+/\d+", "127.0.0.1/32", text)  # pg_hba's networks
        body = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
        left = re.findall(r"example\.net|192\.0\.2\.|/etc/|/var/run/|:5432\b|PASSWORD", body)
        if left:
            raise AssertionError(f"{name}: not rewritten for the test: {left}\n{body}")
        return text

    def hba(self):
        """The example pg_hba.conf for the test: its TCP lines for loopback,
        after the harness's own socket lines (which replace its "local")."""
        lines = [l for l in self.text("pg_hba.conf").splitlines()
                 if l.strip() and not l.startswith("#") and not l.startswith("local")]
        return TRUST_LOCAL + "\n".join(lines) + "\n"

    def value(self, name, setting):
        """The value of setting (NAME = VALUE or NAME=VALUE) in example file name."""
        m = re.search(rf"(?m)^\s*{setting}\s*=\s*(.*)$", self.text(name))
        if not m:
            raise AssertionError(f"{name} has no {setting} line")
        return m.group(1).strip()


class ExampleClusterTest(ClusterTest):
    """Base: a primary built from the multihost example's postgresql.conf
    and pg_hba.conf, TLS on, the roles file applied, a standby that
    replicates over TLS as rcptdb_replicator, and example.com with alice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tls = make_tls(os.path.join(cls.dir, "tls"))
        cls.passfile = private_file(os.path.join(cls.dir, "pgpass"), "".join(
            f"*:*:{'replication' if r == 'rcptdb_replicator' else 'rcptdb'}:{r}:{pw}\n"
            for r, pw in PASSWORDS.items()))
        primary = PrivatePostgres(os.path.join(cls.dir, "pg-primary"))
        files = ExampleFiles(primary, None, cls.tls, cls.passfile)
        primary.hba = files.hba()
        primary.settings = files.text("postgresql.conf")
        cls.primary = primary
        cls.addClassCleanup(primary.stop)
        primary.start()
        apply_roles(primary)
        harness.rcptdb(primary.uri(user="rcptdb_owner"), "init")
        apply_roles(primary)
        primary.psql("".join(f"ALTER ROLE {r} PASSWORD '{pw}';\n" for r, pw in PASSWORDS.items()),
                     dbname="postgres")
        cls.standby = primary.standby(
            os.path.join(cls.dir, "pg-standby"),
            conninfo=(f"host=localhost port={primary.port} user=rcptdb_replicator "
                      f"sslmode=verify-full sslrootcert={cls.tls.ca} passfile={cls.passfile}"))
        cls.addClassCleanup(cls.standby.stop)
        cls.files = ExampleFiles(primary, cls.standby, cls.tls, cls.passfile)
        cls.admin = cls.files.value("rcptdb-admin.env", "RCPTDB_DB")
        for args in (("domain", "add", "example.com", "--transport", "lmtp:inet:127.0.0.1:24"),
                     ("mailbox", "add", "alice@example.com", "--no-password")):
            harness.rcptdb(cls.admin, *args)
        cls.standby.wait_until("SELECT count(*) = 1 FROM mailboxes "
                               "WHERE address = 'alice@example.com'")

    def cli(self, *args, db=None):
        return harness.rcptdb(db or self.admin, *args, check=False)

    def mx_conf(self, port):
        """The MX example as a private rcptdb.conf, listening on port."""
        path = os.path.join(self.dir, f"rcptdb-mx-{port}.conf")
        with open(path, "w") as f:
            f.write(self.files.text("rcptdb-mx.conf", **{"127.0.0.1:10027": f"127.0.0.1:{port}"}))
        return path

    def start_mx(self):
        """rcptdb-server -c <the MX example>; returns (process, port)."""
        port = harness.free_port()
        conf = self.mx_conf(port)
        res = harness.run([harness.SERVER, "-c", conf, "--check-config"], check=False)
        self.assertEqual(res.returncode, 0, f"--check-config: {res.stdout}{res.stderr}")
        server = self.processes.start([harness.SERVER, "--foreground", "--threads", "1",
                                       "-c", conf], "mx-rcptdb-server")
        try:
            harness.wait_port(port)
        except TimeoutError:
            raise AssertionError(f"rcptdb-server -c {conf} did not listen:\n{server.output()}")
        return server, port


class MultiHostExampleTest(ExampleClusterTest):
    def test_the_example_pg_hba_allows_tcp_only_over_tls(self):
        with open(os.path.join(self.primary.data, "pg_hba.conf")) as f:
            hba = [l.split() for l in f if l.strip() and not l.startswith("#")]
        self.assertEqual({l[0] for l in hba if l[0] != "local"}, {"hostssl"})
        self.assertEqual({l[-1] for l in hba if l[0] == "hostssl"}, {"scram-sha-256"})
        self.assertEqual(self.primary.psql("SHOW ssl").strip(), "on")
        self.assertEqual(self.standby.psql("SHOW ssl").strip(), "on")
        # The standby streams over TLS as the replication role.
        self.assertEqual(self.primary.psql(
            "SELECT r.usename || ' ' || s.ssl FROM pg_stat_replication r "
            "JOIN pg_stat_ssl s USING (pid)").strip(), "rcptdb_replicator true")

    def test_cli_connects_with_verify_full_and_is_refused_without_tls_or_with_another_ca(self):
        res = self.cli("mailbox", "add", "tls@example.com", "--no-password")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("sslmode=verify-full", self.admin)
        out = self.primary.psql("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                                uri=self.admin.replace("target_session_attrs=read-write&", ""))
        self.assertEqual(out.strip(), "t")
        plain = re.sub(r"sslmode=[a-z-]+", "sslmode=disable", self.admin)
        other_ca = self.admin.replace(self.tls.ca, self.tls.other_ca)
        for name, uri, cause in (("sslmode=disable", plain, "no encryption"),
                                 ("another CA", other_ca, "certificate verify failed")):
            with self.subTest(name):
                res = self.cli("mailbox", "add", "plain@example.com", "--no-password", db=uri)
                self.assertNotEqual(res.returncode, 0, f"{name}: {res.stdout}")
                self.assertIn(cause, res.stderr)
                self.assertNotIn("writer-pw", res.stderr + res.stdout)
        self.assertEqual(self.primary.psql(
            "SELECT count(*) FROM mailboxes WHERE address = 'plain@example.com'").strip(), "0")

    def test_server_connects_with_verify_full_and_is_refused_without_tls(self):
        reader = self.primary.tcp_uri("rcptdb", "rcptdb_reader", sslmode="verify-full",
                                      sslrootcert=self.tls.ca, passfile=self.passfile)
        server, port = self.start_server(reader, name="tls-server")
        try:
            self.assertTrue(socketmap(port, "recipients alice@example.com").startswith("OK"),
                            server.output())
        finally:
            self.stop_process(server)
        for name, uri in (("sslmode=disable", reader.replace("verify-full", "disable")),
                          ("another CA", reader.replace(self.tls.ca, self.tls.other_ca))):
            with self.subTest(name):
                server, port = self.start_server(uri, name="refused-server")
                try:
                    reply = socketmap(port, "recipients alice@example.com")
                    self.assertTrue(reply.startswith("TEMP"), f"{name}: {reply}")
                finally:
                    self.stop_process(server)
                self.assertNotIn("reader-pw", server.output())

    def test_mx_example_reads_its_standby(self):
        server, port = self.start_mx()
        try:
            self.assertTrue(socketmap(port, "recipients alice@example.com").startswith("OK"),
                            server.output())
            self.assertEqual(socketmap(port, "recipients nobody@example.com"), "NOTFOUND ")
            sessions = self.standby.psql("SELECT count(*) FROM pg_stat_activity "
                                         "WHERE usename = 'rcptdb_reader'")
            self.assertGreaterEqual(int(sessions), 1, "the MX reads the standby")
            self.assertEqual(self.primary.psql("SELECT count(*) FROM pg_stat_activity "
                                               "WHERE usename = 'rcptdb_reader'").strip(), "0")
        finally:
            self.stop_process(server)

    @SERIES_2_3
    def test_store_example_reads_the_primary(self):
        plugin_db = self.files.value("dovecot-store.conf", "rcptdb_database")
        connect = re.search(r"(?m)^#\s+connect = (.*)$",
                            self.files.text("dovecot-store.conf")).group(1)
        # The snippet itself goes into dovecot.conf, after the plugin's example.
        dovecot = PrivateDovecot(os.path.join(self.dir, "store"), plugin_db, plugin=True,
                                 plugin_db=plugin_db,
                                 extra_text=self.files.text("dovecot-store.conf"),
                                 sql_text=dovecot_instance.pgsql_conf(connect))
        dovecot.start(self.processes)
        try:
            conf = harness.run(["doveconf", "-c", dovecot.conf, "-n", "plugin/rcptdb_database"])
            self.assertEqual(conf.stdout.strip(), f"plugin/rcptdb_database = {plugin_db}")
            self.assertNotIn("Warning", conf.stderr)
            res = dovecot.doveadm("user", "alice@example.com", check=False)
            self.assertEqual(res.returncode, 0, f"doveadm -c {dovecot.conf} user: "
                             f"{res.stdout}{res.stderr}\n{dovecot.log_text()[-2000:]}")
            with Lmtp(dovecot.port) as lmtp:
                lmtp.mail()
                self.assertEqual(lmtp.rcpt("alice@example.com")[0], 250,
                                 dovecot.log_text()[-2000:])
                self.assertEqual(lmtp.rcpt("nobody@example.com")[0], 550)
            sessions = self.primary.psql(
                "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                "WHERE a.usename = 'rcptdb_reader' AND s.ssl")
            self.assertGreaterEqual(int(sessions), 1, "the store reads the primary over TLS")
        finally:
            self.stop_process(dovecot.process)


class FailoverTest(ExampleClusterTest):
    def test_the_admin_uri_follows_the_promoted_standby(self):
        mx, port = self.start_mx()
        res = self.cli("mailbox", "add", "before@example.com", "--no-password")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(self.primary.psql(
            "SELECT count(*) FROM mailboxes WHERE address = 'before@example.com'").strip(), "1")
        # With the standby listed first, libpq still writes to the primary:
        # target_session_attrs=read-write skips the read-only standby.
        p, s = f"localhost:{self.primary.port}", f"localhost:{self.standby.port}"
        standby_first = self.admin.replace(f"{p},{s}", f"{s},{p}")
        self.assertNotEqual(standby_first, self.admin)
        res = self.cli("mailbox", "add", "first@example.com", "--no-password", db=standby_first)
        self.assertEqual(res.returncode, 0, f"standby listed first: {res.stdout}{res.stderr}")

        self.primary.stop()
        # No server accepts writes now: refused as database trouble, nothing written.
        res = self.cli("mailbox", "add", "during@example.com", "--no-password")
        self.assertEqual(res.returncode, 75, f"{res.stdout}{res.stderr}")
        # The MX keeps answering from its standby.
        self.assertTrue(socketmap(port, "recipients before@example.com").startswith("OK"),
                        mx.output())

        self.standby.promote()
        res = self.cli("mailbox", "add", "after@example.com", "--no-password")
        self.assertEqual(res.returncode, 0, f"the same command line after promote: {res.stderr}")
        self.assertEqual(self.standby.psql(
            "SELECT string_agg(address, ' ' ORDER BY address) FROM mailboxes "
            "WHERE address IN ('before@example.com', 'first@example.com', "
            "'during@example.com', 'after@example.com')").strip(),
            "after@example.com before@example.com first@example.com")
        self.assertEqual(socketmap(port, "recipients after@example.com")[:2], "OK", mx.output())
        self.stop_process(mx)


if __name__ == "__main__":
    unittest.main()
