# SPDX-License-Identifier: MIT
"""test_adopt - rcptdb adopt and rcptdb compare on real installations.

Each fixture in tests/blackbox/fixtures/ is set up as an admin would have
it, adopted, and then compared by `rcptdb compare`, which runs two private
Postfix instances (the old maps, and rcptdb's through a private
rcptdb-server) and asks both the same RCPTs:

  classic        hash: relay_domains, transport, virtual and
                 relay_recipients, and a Dovecot passwd-file;
  postfixadmin   PostfixAdmin's tables on a private PostgreSQL cluster and
                 a private MariaDB, read by the old Postfix through
                 PostfixAdmin's documented proxy:pgsql / proxy:mysql maps;
                 on SQLite, adopt only.

The traps that real migrations hit are test cases of their own; each
password adopted verifies with `doveadm auth test` against a private
Dovecot through the product's sql/dovecot-sql.conf.ext (and the
PostgreSQL one), as it verified before (`doveadm pw -t` on the old hash,
read with the scheme the old passwd-file or PostfixAdmin gave it). And a
compare must fail when the adopted database differs by one row.
"""
import os
import re
import shutil
import sqlite3
import unittest

import harness
from dovecot_instance import PrivateDovecot, pgsql_conf
from mariadb_instance import PrivateMariadb
from pg_instance import PrivatePostgres

FIXTURES = os.path.join(harness.SRC, "tests", "blackbox", "fixtures")
COMPARE = (os.environ.get("RCPTDB_COMPARE_INSTALLED", "/usr/libexec/rcptdb/rcptdb-compare")
           if os.environ.get("RCPTDB_INSTALLED") == "1"
           else os.path.join(harness.SRC, "admin", "rcptdb-compare"))
LMTP = "lmtp:inet:127.0.0.1:24"
PLACEHOLDER = re.compile(r"\{\{(bare )?([A-Z0-9-]+):([a-z-]+)\}\}")


def fill_hashes(text, cfg, secrets):
    """text with each {{[bare ]SCHEME:secret}} replaced by a doveadm pw
    hash; secrets[hash] = (secret, the hash as Dovecot read it before)."""
    def hashed(m):
        bare, scheme, secret = m.group(1), m.group(2), m.group(3)
        full = cfg.doveadm("pw", "-s", scheme, "-p", secret).stdout.strip()
        value = full[len(scheme) + 2:] if bare else full
        # A bare hash is read with the passwd-file's default scheme, CRYPT.
        secrets[value] = (secret, "{CRYPT}" + value if bare else value)
        return value
    return PLACEHOLDER.sub(hashed, text)


def compare(db, config, *args, check=False):
    env = dict(os.environ, RCPTDB_COMPARE=COMPARE, RCPTDB_SERVER=harness.SERVER)
    return harness.run([harness.RCPTDB, "--db", db, "compare", "--postfix-config", config,
                        *args], env=env, check=check, timeout=600)


def differing(output):
    """{address: reason line} of a compare's report."""
    out, current = {}, None
    for line in output.splitlines():
        m = re.match(r"(differs|accepted): (\S+)$", line)
        if m:
            current = m.group(2)
            out[current] = ""
        elif current and line.startswith("  reason"):
            out[current] = line.strip()
    return out


class Site:
    """An old installation's configuration directory under d."""

    def __init__(self, d):
        self.dir = d
        self.etc = os.path.join(d, "etc")
        os.makedirs(self.etc, exist_ok=True)
        os.chmod(d, 0o755)
        shutil.copy(os.path.join(harness.SRC, "doc", "examples", "postfix-master.cf"),
                    os.path.join(self.etc, "master.cf"))
        self.main_cf("compatibility_level = 3.6\n")  # postmap -c needs one

    def main_cf(self, text):
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(text)

    def hash_map(self, name, text):
        path = os.path.join(self.etc, name)
        with open(path, "w") as f:
            f.write(text)
        harness.run(["postmap", "-c", self.etc, f"hash:{path}"])
        return path


def classic_site(d, cfg, secrets):
    site = Site(d)
    paths = {}
    for name in ("relay_domains", "transport", "virtual", "relay_recipients"):
        with open(os.path.join(FIXTURES, "classic", name)) as f:
            paths[name] = site.hash_map(name, f.read())
    site.main_cf(f"""\
compatibility_level = 3.6
recipient_delimiter = +
mydestination =
relay_domains = hash:{paths['relay_domains']}
transport_maps = hash:{paths['transport']}
virtual_alias_maps = hash:{paths['virtual']}
virtual_alias_domains =
relay_recipient_maps = hash:{paths['relay_recipients']}
unknown_relay_recipient_reject_code = 550
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
""")
    with open(os.path.join(FIXTURES, "classic", "dovecot-users")) as f:
        users = fill_hashes(f.read(), cfg, secrets)
    site.passwd = os.path.join(d, "dovecot-users")
    with open(site.passwd, "w") as f:
        f.write(users)
    return site


class ClassicTest(unittest.TestCase):
    """The classic setup: adopted, compared, and its traps."""

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-adopt-")
        cls.cfg = harness.private_config(os.path.join(cls.dir, "cfg"))
        cls.secrets = {}
        cls.site = classic_site(os.path.join(cls.dir, "site"), cls.cfg, cls.secrets)
        cls.db = os.path.join(cls.dir, "rcptdb.sqlite")
        harness.rcptdb(cls.db, "init")
        cls.dry = harness.rcptdb(cls.db, "adopt", "postfix", "--config-dir", cls.site.etc,
                                 "--dovecot-passwd", cls.site.passwd, "--dry-run")
        cls.export_after_dry = harness.rcptdb(cls.db, "export").stdout
        cls.adopt = harness.rcptdb(cls.db, "adopt", "postfix", "--config-dir", cls.site.etc,
                                   "--dovecot-passwd", cls.site.passwd)
        cls.compare = compare(cls.db, cls.site.etc, "--accept", "alias-drops-detail")
        cls.diffs = differing(cls.compare.stdout)

    def test_dry_run_writes_nothing(self):
        self.assertIn("mailbox,bob@example.com,{SHA512-CRYPT}", self.dry.stdout)
        self.assertNotIn("mailbox,", self.export_after_dry)

    def test_adopt_writes_the_site(self):
        self.assertIn("adopted ", self.adopt.stdout)
        export = harness.rcptdb(self.db, "export").stdout
        for record in ("domain,example.com,hosted,lmtp:inet:127.0.0.1:24,,catchall@example.com,1",
                       "domain,partner.example,relay,smtp:[mx.partner.example],,,1",
                       "domain,alias.example,alias,,example.com,,1",
                       "relay-recipient,ops@partner.example",
                       "alias,sales@example.com,dave@example.net,1"):
            self.assertIn(record, export)
        self.assertIn("mailbox,bob@example.com,{SHA512-CRYPT}", export)
        # Quota from userdb_quota_rule: storage=1G and bytes=1048576.
        self.assertRegex(export, r"mailbox,bob@example.com,\S+,1073741824,")
        self.assertRegex(export, r"mailbox,catchall@example.com,\{MD5-CRYPT\}\S+,1048576,")

    def test_compare_answers_every_address_alike(self):
        out = self.compare.stdout + self.compare.stderr
        self.assertEqual(self.compare.returncode, 0, out)
        m = re.search(r"compared (\d+) addresses .*: (\d+) answered alike", out)
        self.assertTrue(m, out)
        self.assertGreater(int(m.group(1)), 40, out)
        # Only Postfix's +detail on alias targets differs, and it is named.
        for address, why in self.diffs.items():
            self.assertIn("(alias-drops-detail)", why, address)

    def test_trap_catchall_with_self_aliases(self):
        for a in ("bob@example.com", "carol@example.com", "catchall@example.com",
                  "no-such-user-rcptdb-compare@example.com"):
            self.assertNotIn(a, self.diffs)
        self.assertIn("verdict     mailbox",
                      harness.rcptdb(self.db, "check", "bob@example.com").stdout)

    def test_trap_alias_domain_catchall(self):
        self.assertNotIn("no-such-user-rcptdb-compare@alias.example", self.diffs)
        out = harness.rcptdb(self.db, "check", "whoever@alias.example").stdout
        self.assertIn("catchall@example.com", out)

    def test_trap_ext_through_alias_domain(self):
        self.assertNotIn("bob+ext@alias.example", self.diffs)
        self.assertNotIn("bob+ext@example.com", self.diffs)

    def test_trap_transport_per_user(self):
        self.assertNotIn("shard@example.com", self.diffs)
        out = harness.rcptdb(self.db, "check", "shard@example.com").stdout
        self.assertIn("lmtp:inet:127.0.0.2:24", out)

    def test_passwords_verify_as_before(self):
        """Bare and prefixed hashes: the old hash verifies its secret as
        Dovecot read it from the passwd-file, and the adopted one through
        the product's dovecot-sql.conf.ext."""
        d = os.path.join(self.dir, "dovecot")
        dovecot = PrivateDovecot(d, self.db, plugin=False)
        test = harness.BlackBoxTest()
        test.setUp()
        try:
            dovecot.start(test)
            users = {}
            with open(self.site.passwd) as f:
                for line in f:
                    if line.strip() and not line.startswith("#"):
                        user, hashed = line.split(":")[:2]
                        users[user] = hashed
            self.assertEqual(len(users), 5)
            for user, hashed in users.items():
                secret, before = self.secrets[hashed]
                self.cfg.doveadm("pw", "-t", before, "-p", secret)
                res = dovecot.doveadm("auth", "test", user, secret, check=False)
                self.assertEqual(res.returncode, 0, f"{user}: {res.stdout}{res.stderr}")
                res = dovecot.doveadm("auth", "test", user, secret + "x", check=False)
                self.assertNotEqual(res.returncode, 0, user)
        finally:
            dovecot.stop()
            test.doCleanups()

    def test_compare_fails_on_one_row_change(self):
        for name, change, address in (
                ("disabled", ["mailbox", "disable", "carol@example.com"], "carol@example.com"),
                ("dropped", ["alias", "del", "info@example.com", "carol@example.com"],
                 "info@example.com")):
            db = os.path.join(self.dir, f"changed-{name}.sqlite")
            harness.rcptdb(self.db, "backup", db)
            harness.rcptdb(db, *change)
            res = compare(db, self.site.etc, "--accept", "alias-drops-detail")
            self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
            diffs = differing(res.stdout)
            self.assertIn(address, diffs, res.stdout)
            self.assertNotIn("(alias-drops-detail)", diffs[address])


class RefusalTest(harness.BlackBoxTest):
    def test_trap_catchall_in_relay_recipient_maps(self):
        """"@domain" in relay_recipient_maps accepts every address: refused
        with file and line, and nothing is written without --force-partial."""
        site = Site(os.path.join(self.dir, "site"))
        domains = site.hash_map("relay_domains", "partner.example OK\n")
        recipients = site.hash_map("relay_recipients",
                                   "# partner\nsales@partner.example OK\n@partner.example OK\n")
        transport = site.hash_map("transport", "partner.example smtp:[mx.partner.example]\n")
        site.main_cf(f"relay_domains = hash:{domains}\nrelay_recipient_maps = hash:{recipients}\n"
                     f"transport_maps = hash:{transport}\n")
        db = os.path.join(self.dir, "rcptdb.sqlite")
        harness.rcptdb(db, "init")
        res = harness.rcptdb(db, "adopt", "postfix", "--config-dir", site.etc, check=False)
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn(f"refused: relay_recipient_maps {recipients} line 3: @partner.example: "
                      "accepts every address", res.stdout)
        self.assertIn("nothing was written", res.stderr)
        self.assertEqual(harness.rcptdb(db, "export").stdout.count("domain,"), 0)
        res = harness.rcptdb(db, "adopt", "postfix", "--config-dir", site.etc, "--force-partial")
        self.assertIn("1 entries left out", res.stdout)
        self.assertIn("relay-recipient,sales@partner.example", harness.rcptdb(db, "export").stdout)

    def test_pattern_tables_are_refused(self):
        site = Site(os.path.join(self.dir, "site"))
        path = os.path.join(site.etc, "virtual.regexp")
        with open(path, "w") as f:
            f.write("/^(.*)@example\\.com$/ $1@example.net\n")
        site.main_cf(f"relay_domains = example.com\nvirtual_alias_maps = regexp:{path}\n"
                     f"transport_maps = inline:{{ example.com=lmtp:inet:127.0.0.1:24 }}\n")
        db = os.path.join(self.dir, "rcptdb.sqlite")
        harness.rcptdb(db, "init")
        res = harness.rcptdb(db, "adopt", "postfix", "--config-dir", site.etc, "--dry-run",
                             check=False)
        self.assertEqual(res.returncode, 1)
        self.assertIn(f"refused: virtual_alias_maps regexp:{path}: a regexp: table cannot be "
                      "adopted", res.stdout)
        self.assertIn("domain,example.com,hosted,lmtp:inet:127.0.0.1:24,,,1", res.stdout)


def postfixadmin_data(cfg, secrets, extra=""):
    with open(os.path.join(FIXTURES, "postfixadmin", "data.sql")) as f:
        return fill_hashes(f.read(), cfg, secrets) + extra


def postfixadmin_site(d, engine, connection):
    """The old Postfix: PostfixAdmin's documented maps on engine."""
    site = Site(d)
    with open(os.path.join(FIXTURES, "postfixadmin", "main.cf.in")) as f:
        site.main_cf(f.read().replace("@ENGINE@", engine).replace("@DIR@", site.etc))
    with open(os.path.join(FIXTURES, "postfixadmin", "queries")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, query = line.rstrip("\n").split(" ", 1)
            with open(os.path.join(site.etc, name), "w") as out:
                out.write(connection + f"query = {query}\n")
    return site


class PostfixAdminMixin:
    """Checks shared by the PostfixAdmin sites (setUpClass fills cls.*)."""

    ACCEPT = ("disabled-refused", "catchall-never-shadows", "alias-drops-detail",
              "vacation-not-copied")

    @classmethod
    def adopt_and_compare(cls, uri):
        cls.db = os.path.join(cls.dir, "rcptdb.sqlite") if not getattr(cls, "db", None) else cls.db
        harness.rcptdb(cls.db, "init")
        cls.adopt = harness.rcptdb(cls.db, "adopt", "postfixadmin", uri, "--transport", LMTP,
                                   "--force-partial")
        args = ["--postfixadmin", uri]
        for rule in cls.ACCEPT:
            args += ["--accept", rule]
        cls.compare = compare(cls.db, cls.site.etc, *args)
        cls.diffs = differing(cls.compare.stdout)

    def test_adopted(self):
        export = harness.rcptdb(self.db, "export").stdout
        self.assertIn("domain,example.org,hosted,lmtp:inet:127.0.0.1:24,,catch@example.org,1",
                      export)
        self.assertIn("domain,alias.example.org,alias,,example.org,,1", export)
        self.assertRegex(export, r"mailbox,off@example.org,\S+,0,,0")
        # Quota in bytes as stored, and the multiplier named.
        self.assertRegex(export, r"mailbox,bob@example.org,\{SHA512-CRYPT\}\$6\$\S+,1024000000,")
        self.assertIn("quota_multiplier", self.adopt.stdout)
        # Self-aliases dropped, the vacation target reported, not copied.
        self.assertNotIn("alias,bob@example.org", export)
        self.assertIn("alias,away@example.org,dave@example.org,1", export)
        self.assertNotIn("autoreply", export)
        self.assertIn("vacation target away#example.org@autoreply.example.org", self.adopt.stdout)

    def test_compare(self):
        out = self.compare.stdout + self.compare.stderr
        self.assertEqual(self.compare.returncode, 0, out)
        for address, why in self.diffs.items():
            self.assertRegex(why, r"\((disabled-refused|catchall-never-shadows|"
                                  r"alias-drops-detail|vacation-not-copied)\)", f"{address}\n{out}")

    def test_trap_disabled_mailbox_in_catchall_domain(self):
        self.assertIn("off@example.org", self.diffs, self.compare.stdout)
        self.assertIn("(disabled-refused)", self.diffs["off@example.org"])
        self.assertIn("old: delivered to catch@example.org", self.diffs["off@example.org"])

    def test_trap_alias_domain_catchall_takes_ext(self):
        """PostfixAdmin's alias-domain catch-all map answers bob+ext@alias
        before the mailbox map strips the extension; rcptdb never lets a
        catch-all shadow a mailbox."""
        self.assertIn("bob+ext@alias.example.org", self.diffs, self.compare.stdout)
        self.assertIn("(catchall-never-shadows)", self.diffs["bob+ext@alias.example.org"])

    def test_trap_catchall_with_self_aliases(self):
        for a in ("bob@example.org", "carol@example.org", "info@example.org",
                  "bob@alias.example.org", "whoever@alias.example.org"):
            self.assertNotIn(a, self.diffs)


class PostgresSiteTest(PostfixAdminMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-adopt-pg-")
        cls.cfg = harness.private_config(os.path.join(cls.dir, "cfg"))
        cls.secrets = {}
        cls.pg = PrivatePostgres(os.path.join(cls.dir, "pg")).start()
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.create_database("postfixadmin")
        with open(os.path.join(FIXTURES, "postfixadmin", "schema-pgsql.sql")) as f:
            cls.pg.psql(f.read(), dbname="postfixadmin")
        # The trap: a mixed-case row, never found by Postfix on PostgreSQL.
        cls.pg.psql(postfixadmin_data(cls.cfg, cls.secrets,
                                      "INSERT INTO mailbox (username, password, domain) VALUES "
                                      "('Mixed@Example.org', '', 'example.org');\n"),
                    dbname="postfixadmin")
        cls.site = postfixadmin_site(
            os.path.join(cls.dir, "site"), "pgsql",
            f"hosts = inet:127.0.0.1:{cls.pg.port}\nuser = rcptdb\ndbname = postfixadmin\n")
        # The adopted database is a PostgreSQL one too, so that Dovecot's
        # pgsql passdb is proven as well.
        cls.pg.create_database("rcptdb")
        cls.db = cls.pg.uri("rcptdb")
        cls.adopt_and_compare(cls.pg.uri("postfixadmin"))

    def test_trap_mixed_case_on_postgresql(self):
        self.assertIn("refused: mailbox Mixed@Example.org: Mixed@Example.org: mixed case",
                      self.adopt.stdout)
        self.assertNotIn("mixed@example.org", harness.rcptdb(self.db, "export").stdout)
        self.assertNotIn("Mixed@Example.org", self.diffs)

    def test_passwords_verify_as_before(self):
        """Through the product's PostgreSQL passdb (sql/dovecot-pgsql*.conf.ext)."""
        dovecot = PrivateDovecot(os.path.join(self.dir, "dovecot"), "", plugin=False,
                                 sql_text=pgsql_conf(self.pg.conninfo("rcptdb")))
        test = harness.BlackBoxTest()
        test.setUp()
        try:
            dovecot.start(test)
            for user, secret in (("bob", "bob-pfa"), ("carol", "carol-pfa"),
                                 ("dave", "dave-pfa"), ("catch", "catch-pfa")):
                res = dovecot.doveadm("auth", "test", f"{user}@example.org", secret, check=False)
                self.assertEqual(res.returncode, 0, f"{user}: {res.stdout}{res.stderr}")
            for hashed, (secret, before) in self.secrets.items():
                self.cfg.doveadm("pw", "-t", before, "-p", secret)
        finally:
            dovecot.stop()
            test.doCleanups()


class MariadbSiteTest(PostfixAdminMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-adopt-my-")
        cls.cfg = harness.private_config(os.path.join(cls.dir, "cfg"))
        cls.secrets = {}
        cls.holder = harness.BlackBoxTest()
        cls.holder.setUp()
        cls.addClassCleanup(cls.holder.doCleanups)
        cls.my = PrivateMariadb(os.path.join(cls.dir, "mariadb")).start(cls.holder)
        cls.my.sql("CREATE DATABASE postfix; CREATE USER 'postfix'@'127.0.0.1' IDENTIFIED BY "
                   "'pf-secret'; GRANT SELECT ON postfix.* TO 'postfix'@'127.0.0.1';")
        with open(os.path.join(FIXTURES, "postfixadmin", "schema-mysql.sql")) as f:
            cls.my.sql(f.read(), database="postfix")
        # Mixed case is no trap here: MariaDB compares without case.
        cls.my.sql(postfixadmin_data(cls.cfg, cls.secrets,
                                     "INSERT INTO mailbox (username, password, domain) VALUES "
                                     "('Mixed@Example.org', '', 'example.org');\n"),
                   database="postfix")
        cls.site = postfixadmin_site(
            os.path.join(cls.dir, "site"), "mysql",
            f"hosts = inet:127.0.0.1:{cls.my.port}\nuser = postfix\npassword = pf-secret\n"
            "dbname = postfix\n")
        cls.adopt_and_compare(cls.my.uri("postfix"))

    def test_mixed_case_folded_on_mariadb(self):
        self.assertIn("mailbox,mixed@example.org,", harness.rcptdb(self.db, "export").stdout)
        self.assertNotIn("Mixed@Example.org", self.diffs)


class SqliteSiteTest(harness.BlackBoxTest):
    def test_adopts_postfixadmin_on_sqlite(self):
        cfg = harness.private_config(os.path.join(self.dir, "cfg"))
        path = os.path.join(self.dir, "postfixadmin.sqlite")
        with sqlite3.connect(path) as conn, \
                open(os.path.join(FIXTURES, "postfixadmin", "schema-sqlite.sql")) as f:
            conn.executescript(f.read())
            conn.executescript(postfixadmin_data(cfg, {}))
        db = os.path.join(self.dir, "rcptdb.sqlite")
        harness.rcptdb(db, "init")
        res = harness.rcptdb(db, "adopt", "postfixadmin", f"sqlite://{path}", "--transport", LMTP)
        self.assertIn("adopted ", res.stdout)
        export = harness.rcptdb(db, "export").stdout
        self.assertIn("domain,alias.example.org,alias,,example.org,,1", export)
        self.assertRegex(export, r"mailbox,dave@example.org,\{MD5-CRYPT\}\$1\$")
        # Bad input changes nothing: an unreadable URI, a missing table.
        res = harness.rcptdb(db, "adopt", "postfixadmin", f"sqlite://{self.dir}/none.sqlite",
                             check=False)
        self.assertEqual(res.returncode, 1, res.stderr)


if __name__ == "__main__":
    unittest.main()
