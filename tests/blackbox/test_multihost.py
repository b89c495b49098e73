# SPDX-License-Identifier: MIT
"""test_multihost - several MX hosts and mail stores on one PostgreSQL truth.

The several-host setup of issue 11, on loopback, every process private
and stopped by its pid:
  - a PostgreSQL 15 primary and a streaming standby made with
    `pg_basebackup -R` (pg_instance.PrivatePostgres);
  - MX "mx-primary": a private Postfix (the documented
    doc/examples/postfix-main.cf) and its own rcptdb-server with
    `--db postgresql://...` of the primary; MX "mx-standby": the same,
    its rcptdb-server reading the standby;
  - two Dovecot stores (LMTP), "store-a" with the rcptdb plugin and the
    sql/dovecot-pgsql.conf.ext passdb/userdb on the primary, "store-b"
    with both on the standby; the domain's transport routes to store-a,
    a per-mailbox transport routes dave@example.com to store-b.
Everything is provisioned with `rcptdb --db postgresql://...` (and
RCPTDB_DB) against the primary only. Assertions are on real SMTP and
LMTP replies, the real Postfix queues and mailbox contents read back
with `doveadm -c <store's private dovecot.conf> fetch`.

It needs the PostgreSQL backend (a libpq URI as the database setting of
rcptdb, rcptdb-server and the plugin); without it setUpClass fails at
`rcptdb init`, naming the command.
"""
import os
import smtplib
import time
import unittest

import dovecot_instance
import harness
from dovecot_instance import Lmtp, LmtpGate, PrivateDovecot, Stream, userdb_question
from mailstack import PASSWORD, send, token, wait_for
from pg_instance import PrivatePostgres
from postfix_instance import (PrivatePostfix, example_settings, queue_socket, socketmap_conf,
                              wait_socket)

# How much later than the standby itself a reader of the standby may see
# a change: its own bounded staleness (a lookup cache it cannot
# invalidate by LISTEN on a standby), plus one SMTP round trip here.
READER_SLACK = 1.0


class Mx:
    """One MX host: a private Postfix and its own rcptdb-server on database uri."""

    def __init__(self, d, name, uri, owner):
        self.name = name
        self.uri = uri
        self.owner = owner
        os.makedirs(os.path.join(d, name), mode=0o755, exist_ok=True)
        self.socketmap = queue_socket(os.path.join(d, name, "postfix"))
        self.server_conf = os.path.join(d, name, "rcptdb-server.conf")
        with open(self.server_conf, "w") as f:
            f.write(socketmap_conf(self.socketmap))
        self.postfix = PrivatePostfix(os.path.join(d, name, "postfix"),
                                      example_settings("postfix-main.cf"))
        self.server = None

    def start_server(self):
        self.server = self.owner.start(
            [harness.SERVER, "--foreground", "-c", self.server_conf, "--db", self.uri],
            f"{self.name}-rcptdb-server")
        try:
            wait_socket(self.socketmap)
        except TimeoutError:
            raise AssertionError(f"{self.name}: rcptdb-server --db {self.uri} did not "
                                 f"listen:\n{self.server.output()}")

    @property
    def port(self):
        return self.postfix.smtp_port

    def rcpt(self, address):
        """(code, text) of RCPT TO:<address> in a fresh SMTP session."""
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as s:
            s.ehlo("client.test")
            code, text = s.mail("probe@client.test")
            if code != 250:
                return code, text.decode("utf-8", "replace")
            code, text = s.rcpt(address)
            s.rset()
            return code, text.decode("utf-8", "replace")

    def logs(self):
        return (f"--- {self.name} postfix ---\n{self.postfix.log_text()[-2500:]}\n"
                f"--- {self.name} rcptdb-server ---\n"
                f"{self.server.output()[-1500:] if self.server else ''}\n")


class MultiHost:
    """Both database hosts, both MX hosts and both stores; see the module comment."""

    def __init__(self, d, gated=False):
        """gated: store-a's route goes through an LmtpGate (self.gate), so a
        test can hold the deliveries to store-a in flight."""
        self.dir = d
        self.processes = []
        self.primary = PrivatePostgres(os.path.join(d, "pg-primary"))
        self.standby = None
        self.mx = []
        self.lag = None
        self.gated = gated
        self.gate = None

    # PrivateDovecot.start(owner) calls owner.start(argv, name).
    def start(self, argv, name):
        p = harness.Process(argv, os.path.join(self.dir, name + ".log"))
        self.processes.append(p)
        return p

    def rcptdb(self, *args, input=None, check=True):
        """rcptdb --db <primary> ARGS: every change is written to the primary."""
        return harness.rcptdb(self.primary.uri(), *args, input=input, check=check)

    def start_all(self):
        self.primary.start()
        self.primary.create_database("rcptdb")
        self.standby = self.primary.standby(os.path.join(self.dir, "pg-standby"))
        store_conf = {"store-a": self.primary, "store-b": self.standby}
        self.stores = {
            name: PrivateDovecot(os.path.join(self.dir, name), pg.uri(), plugin=True,
                                 plugin_db=pg.uri(), name=name,
                                 sql_text=dovecot_instance.pgsql_conf(pg.conninfo()))
            for name, pg in store_conf.items()}
        if self.gated:
            self.gate = LmtpGate(self.stores["store-a"].port)
        self.provision()
        self.lag = self.primary.replay_lag(self.standby)
        self.mx = [Mx(self.dir, "mx-primary", self.primary.uri(), self),
                   Mx(self.dir, "mx-standby", self.standby.uri(), self)]
        for mx in self.mx:
            mx.start_server()
        for store in self.stores.values():
            store.start(self)
        for mx in self.mx:
            mx.postfix.start()
        return self

    def provision(self):
        a = f"lmtp:inet:127.0.0.1:{self.gate.port if self.gate else self.stores['store-a'].port}"
        b = f"lmtp:inet:127.0.0.1:{self.stores['store-b'].port}"
        res = self.rcptdb("init", check=False)
        if res.returncode != 0:
            raise AssertionError(
                f"rcptdb --db {self.primary.uri()} init exited {res.returncode}: the "
                f"PostgreSQL backend is missing or broken\n{res.stdout}{res.stderr}")
        # RCPTDB_DB names the database as well as --db does.
        harness.run([harness.RCPTDB, "domain", "add", "example.com", "--transport", a],
                    env=dict(os.environ, RCPTDB_DB=self.primary.uri()))
        self.rcptdb("mailbox", "add", "alice@example.com", "--password-stdin",
                    input=PASSWORD + "\n")
        self.rcptdb("mailbox", "add", "dave@example.com", "--no-password", "--transport", b)
        self.rcptdb("mailbox", "add", "carol@example.com", "--no-password")
        self.rcptdb("mailbox", "disable", "carol@example.com")
        self.transport_b = b

    def stop(self):
        if self.gate is not None:
            self.gate.stop()
        for mx in self.mx:
            mx.postfix.stop()
        for p in reversed(self.processes):
            p.stop()
        self.processes = []
        if self.standby is not None:
            self.standby.stop()
        self.primary.stop()

    def store_of(self, user):
        return self.stores["store-b" if user == "dave@example.com" else "store-a"]

    def subjects(self, user, store=None):
        """Subjects of every message in user's INBOX on store (default: user's own)."""
        store = store or self.store_of(user)
        res = store.doveadm("fetch", "-u", user, "hdr.subject", "mailbox", "INBOX",
                            check=False)
        return [line[len("hdr.subject: "):].strip() for line in res.stdout.splitlines()
                if line.startswith("hdr.subject:")]

    def logs(self):
        out = "".join(mx.logs() for mx in self.mx)
        for name, store in self.stores.items():
            out += f"--- {name} ---\n{store.log_text()[-1500:]}\n"
        return out


class HostsTest(unittest.TestCase):
    """Base: one MultiHost per test class, stopped at class cleanup."""

    gated = False  # store-a behind an LmtpGate (MultiHost)

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-multihost-")
        cls.hosts = MultiHost(cls.dir, gated=cls.gated)
        cls.addClassCleanup(cls.hosts.stop)
        cls.hosts.start_all()

    def assertDeliveredOnce(self, mx, rcpt, user, store=None):
        subject = token()
        replies, data = send(mx.port, [rcpt], subject)
        self.assertEqual(replies[rcpt][0], 250, f"{mx.name} RCPT {rcpt}: {replies[rcpt]}")
        self.assertEqual(data, 250, f"{mx.name} DATA for {rcpt}")
        got = wait_for(lambda: subject in self.hosts.subjects(user, store), timeout=60)
        self.assertTrue(got, f"{mx.name}: {rcpt} never reached {user}\n{self.hosts.logs()}")
        self.assertEqual(mx.postfix.wait_queue_empty(60), [], self.hosts.logs())
        self.assertEqual(self.hosts.subjects(user, store).count(subject), 1, "duplicates")
        return subject

    def assertRefusedEverywhere(self, address, code=550):
        for mx in self.hosts.mx:
            got = mx.rcpt(address)
            self.assertEqual(got[0], code, f"{mx.name} RCPT {address}: {got}\n{mx.logs()}")
        for name, store in self.hosts.stores.items():
            with Lmtp(store.port) as lmtp:
                lmtp.mail()
                got = lmtp.rcpt(address)
            self.assertEqual(got[0], code, f"{name} LMTP RCPT {address}: {got}")

    def wait_accepted(self, mx, address, timeout):
        """Seconds until mx answers 250 to RCPT address (None after timeout)."""
        start = time.monotonic()
        while True:
            code, _ = mx.rcpt(address)
            elapsed = time.monotonic() - start
            if code == 250:
                return elapsed
            self.assertTrue(500 <= code < 600 or 400 <= code < 500, code)
            if elapsed > timeout:
                return None
            time.sleep(0.02)


class MultiHostTest(HostsTest):
    """A change on the primary reaches every MX and store; refusals agree."""

    def test_replay_lag_is_measured(self):
        self.assertLess(self.hosts.lag, 1.0, "streaming replication on loopback")
        print(f"\n  replay lag (worst of 5): {self.hosts.lag * 1000:.1f} ms", end=" ")

    def test_each_reader_reads_its_own_database(self):
        # Sessions on the standby exist only if its readers (mx-standby's
        # rcptdb-server, store-b's plugin and auth) really connect there.
        self.assertEqual(self.hosts.mx[1].rcpt("alice@example.com")[0], 250)
        self.assertEqual(self.hosts.standby.psql("SELECT pg_is_in_recovery()").strip(), "t")
        sessions = self.hosts.standby.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND datname = 'rcptdb' AND pid <> pg_backend_pid()")
        self.assertGreaterEqual(int(sessions), 1)
        # And a write through the standby's URI is refused: it is read-only.
        res = harness.rcptdb(self.hosts.standby.uri(), "mailbox", "add", "w@example.com",
                             "--no-password", check=False)
        self.assertNotEqual(res.returncode, 0, res.stdout)
        self.assertNotEqual(self.hosts.mx[0].rcpt("w@example.com")[0], 250)

    def test_existing_mailboxes_reach_the_right_store_through_both_mx(self):
        for mx in self.hosts.mx:
            with self.subTest(mx=mx.name):
                subject = self.assertDeliveredOnce(mx, "alice@example.com", "alice@example.com")
                self.assertDeliveredOnce(mx, "dave@example.com", "dave@example.com")
                self.assertNotIn(subject, self.hosts.subjects(
                    "alice@example.com", self.hosts.stores["store-b"]))

    def test_added_mailbox_is_accepted_by_both_mx_within_the_lag(self):
        bound = self.hosts.lag + READER_SLACK
        for rcpt, user_store in (("newcomer@example.com", "store-a"),
                                 ("sharded@example.com", "store-b")):
            with self.subTest(rcpt=rcpt):
                self.assertRefusedEverywhere(rcpt)
                extra = ["--transport", self.hosts.transport_b] if user_store == "store-b" else []
                self.hosts.rcptdb("mailbox", "add", rcpt, "--no-password", *extra)
                primary_mx, standby_mx = self.hosts.mx
                # On the primary: the very next lookup.
                self.assertEqual(primary_mx.rcpt(rcpt)[0], 250, primary_mx.logs())
                took = self.wait_accepted(standby_mx, rcpt, timeout=bound + 10)
                self.assertIsNotNone(took, standby_mx.logs())
                print(f"\n  {rcpt}: accepted by the standby's MX after {took * 1000:.0f} ms "
                      f"(bound {bound * 1000:.0f} ms)", end=" ")
                self.assertLessEqual(took, bound)
                store = self.hosts.stores[user_store]
                other = self.hosts.stores["store-a" if user_store == "store-b" else "store-b"]
                for mx in self.hosts.mx:
                    subject = self.assertDeliveredOnce(mx, rcpt, rcpt, store)
                    self.assertNotIn(subject, self.hosts.subjects(rcpt, other))

    def test_disabled_mailbox_is_refused_by_both_mx_and_both_stores(self):
        self.assertRefusedEverywhere("carol@example.com")
        self.assertRefusedEverywhere("nobody@example.com")
        # Disabled while everything runs: refused everywhere within the lag.
        rcpt = "leaving@example.com"
        self.hosts.rcptdb("mailbox", "add", rcpt, "--no-password")
        self.assertIsNotNone(self.wait_accepted(self.hosts.mx[1], rcpt, timeout=10))
        self.hosts.rcptdb("mailbox", "disable", rcpt)
        time.sleep(self.hosts.lag + READER_SLACK)
        self.assertRefusedEverywhere(rcpt)
        for mx in self.hosts.mx:
            self.assertIn("5.2.1", mx.rcpt(rcpt)[1], mx.name)

    def test_z_standby_promoted_mid_stream(self):
        # Last in the class: the standby stays a primary. Its readers (the
        # MX reading it, store-b's plugin and auth) keep their sessions
        # through the promotion; nothing is deferred, lost or bounced.
        accepted = []
        for i in range(8):
            if i == 3:
                self.hosts.standby.promote()
                self.assertEqual(self.hosts.standby.psql("SELECT pg_is_in_recovery()").strip(),
                                 "f")
            for mx in self.hosts.mx:
                subject = token()
                replies, data = send(mx.port, ["alice@example.com", "dave@example.com"], subject)
                self.assertEqual((replies["alice@example.com"][0], replies["dave@example.com"][0],
                                  data), (250, 250, 250), f"{mx.name} message {i}: {replies}\n"
                                                          f"{self.hosts.logs()}")
                accepted.append(subject)
            found = [b for mx in self.hosts.mx for b in mx.postfix.bounces()]
            self.assertFalse(found, "\n".join(found))
        self.assertEqual(self.hosts.mx[1].rcpt("nobody@example.com")[0], 550)

        def arrived():
            a = self.hosts.subjects("alice@example.com")
            d = self.hosts.subjects("dave@example.com")
            return all(a.count(s) == 1 and d.count(s) == 1 for s in accepted)

        self.assertTrue(wait_for(arrived, timeout=60, interval=0.5), self.hosts.logs())
        for mx in self.hosts.mx:
            self.assertEqual(mx.postfix.wait_queue_empty(60), [], self.hosts.logs())
            self.assertEqual(mx.postfix.bounces(), [])
        self.assertTrue(arrived(), "a message arrived twice")


class PrimaryFailureTest(HostsTest):
    """The primary stops mid-stream and comes back: nothing is lost, doubled
    or bounced.

    The outage is bounded by the stream, not by the machine's speed:
      - store-a is reached through an LmtpGate, closed as the primary
        stops: every delivery to store-a from then on waits in flight, and
        all of them reach store-a at once right after the restart;
      - while the primary is down, store-a's auth is asked for alice every
        200 ms (doveadm user, as IMAP logins and other deliveries ask it),
        so its pgsql connections are down, not merely idle, and its last
        attempt to reconnect is recent when the primary returns.
    That is where Debian 12's Dovecot ran userdb queries with an empty
    name and answered "User doesn't exist" (issue 28): LMTP's "550 5.1.1",
    which bounced accepted mail. Each of those lookups must be a temporary
    failure, and no bounce may appear at any point.
    """

    gated = True

    def send_both(self, mx, subject):
        """One message to alice (store-a) and dave (store-b) through mx:
        "accepted", "deferred" (a 4xx) or "dropped" (the session broke)."""
        rcpts = ["alice@example.com", "dave@example.com"]
        try:
            replies, data = send(mx.port, rcpts, subject)
        except (OSError, smtplib.SMTPException):
            return "dropped", None
        codes = [replies[r][0] for r in rcpts]
        for c in codes + ([data] if data is not None else []):
            self.assertFalse(500 <= c < 600, f"{mx.name}: a fault must never bounce: "
                                             f"{replies} {data}\n{mx.logs()}")
        if data == 250 and codes == [250, 250]:
            return "accepted", replies
        self.assertTrue(any(400 <= c < 500 for c in codes + [data or 0]),
                        f"{mx.name}: neither accepted nor deferred: {replies} {data}")
        return "deferred", replies

    def send_message(self, i, outcomes, accepted):
        """Message i through each MX; records each outcome, and the subject of
        each accepted message."""
        for mx in self.hosts.mx:
            subject = token()
            outcome, _ = self.send_both(mx, subject)
            outcomes[mx.name].append(outcome)
            if outcome == "accepted":
                accepted.append(subject)

    def assertNoBounce(self, when):
        """Neither MX has refused anything for good so far: no "status=bounced"
        in its log, no bounce in its queue (each shown with its text and the
        reply that caused it)."""
        found = [f"{mx.name}: {b}" for mx in self.hosts.mx for b in mx.postfix.bounces()]
        self.assertFalse(found, f"{when}: a fault must defer, never bounce:\n"
                                + "\n".join(found) + f"\n{self.hosts.logs()}")

    def test_primary_stopped_mid_stream(self):
        primary_mx, standby_mx = self.hosts.mx
        store_a = self.hosts.stores["store-a"]
        outcomes = {mx.name: [] for mx in self.hosts.mx}
        accepted = []
        unknown_on_standby = []
        gate = self.hosts.gate
        lookups = None
        answers = []
        try:
            for i in range(12):
                if i == 3:
                    # From now on the deliveries to store-a wait in flight.
                    gate.close()
                    self.hosts.primary.stop()
                    # store-a's auth is asked meanwhile (see the class comment).
                    lookups = Stream(userdb_question(store_a, "alice@example.com"), interval=0.2)
                if i == 8:
                    # The deliveries held since the stop reach store-a all at
                    # once, right after the restart.
                    lookups.halt()
                    self.hosts.primary.start()
                    held = gate.held
                    gate.open()
                    for mx in self.hosts.mx:
                        mx.postfix.flush()
                    # rcptdb-server reconnects in the background, with
                    # backoff: the next message waits until it answers.
                    back = wait_for(lambda: primary_mx.rcpt("alice@example.com")[0] == 250,
                                    timeout=30, interval=0.2)
                    self.assertTrue(back, f"mx-primary never recovered\n{primary_mx.logs()}")
                    answers = lookups.stop()
                    lookups = None
                self.send_message(i, outcomes, accepted)
                if i == 5:
                    unknown_on_standby.append(standby_mx.rcpt("nobody@example.com")[0])
                self.assertNoBounce(f"after message {i}")
        finally:
            if lookups is not None:
                lookups.stop()
        primary_out, standby_out = outcomes["mx-primary"], outcomes["mx-standby"]
        # The MX reading the primary accepts before, defers during, and
        # accepts again after the outage; the one reading the standby
        # answers throughout, "not found" included.
        self.assertEqual(primary_out[:3], ["accepted"] * 3, outcomes)
        self.assertEqual(primary_out[3:8], ["deferred"] * 5, f"{outcomes}\n{primary_mx.logs()}")
        self.assertEqual(primary_out[8:], ["accepted"] * 4, f"{outcomes}\n{primary_mx.logs()}")
        self.assertEqual(standby_out, ["accepted"] * 12, f"{outcomes}\n{standby_mx.logs()}")
        self.assertEqual(unknown_on_standby, [550])

        # Every accepted message reaches both mailboxes exactly once: store-a
        # (reading the primary) deferred LMTP during the outage, and the
        # queue retried after the restart. No bounce at any point.
        def arrived():
            self.assertNoBounce("while the queues drain")
            a = self.hosts.subjects("alice@example.com")
            d = self.hosts.subjects("dave@example.com")
            return all(s in a and s in d for s in accepted)

        for _ in range(3):
            for mx in self.hosts.mx:
                mx.postfix.flush()
            if wait_for(arrived, timeout=40, interval=1):
                break
        alice = self.hosts.subjects("alice@example.com")
        dave = self.hosts.subjects("dave@example.com")
        missing = [s for s in accepted if s not in alice or s not in dave]
        self.assertTrue(arrived(), f"{len(missing)} accepted messages never arrived: "
                                   f"{missing}\n{self.hosts.logs()}")
        for mx in self.hosts.mx:
            self.assertEqual(mx.postfix.wait_queue_empty(90), [], self.hosts.logs())
        self.assertNoBounce("at the end")
        print(f"\n  sent {len(accepted)} accepted messages to 2 mailboxes ({held} deliveries "
              f"held in flight); delivered {sum(alice.count(s) for s in accepted)} + "
              f"{sum(dave.count(s) for s in accepted)}", end=" ")
        for s in accepted:
            self.assertEqual((alice.count(s), dave.count(s)), (1, 1),
                             f"{s}: delivered (alice, dave) times\n{self.hosts.logs()}")
        # Each userdb lookup on store-a during the outage found alice or
        # failed for the moment (doveadm's 75), never said "no such user"
        # (67): the answer LMTP turns into "550 5.1.1", a bounce.
        self.assertFalse([a for a in answers if a[2] not in (0, 75)],
                         f"doveadm user on store-a through the outage:\n"
                         f"{Stream.table(answers)}\n{store_a.log_text()[-3000:]}")
        self.assertIn(75, [a[2] for a in answers], Stream.table(answers))


if __name__ == "__main__":
    unittest.main()
