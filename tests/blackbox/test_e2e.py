# SPDX-License-Identifier: MIT
"""test_e2e - Postfix hands mail to Dovecot over LMTP, both on one database.

One MailStack (mailstack.py) per test class: the sample database,
rcptdb-server, two Dovecot mail stores with the plugin, and a private
Postfix configured with the documented example (doc/examples). Every
assertion is on real SMTP replies, the real queue and real mailbox
contents read back with doveadm.
"""
import os
import re
import shutil
import smtplib
import sqlite3
import time
import unittest

import harness
from dovecot_instance import LmtpGate
from mailstack import MailStack, send, token, wait_for


class StackTest(unittest.TestCase):
    example = "postfix-main.cf"

    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-e2e-")
        cls.stack = MailStack(cls.dir, cls.example)
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start_all()

    def port(self):
        return self.stack.postfix.smtp_port

    def assertDelivered(self, rcpt, user, smtputf8=False):
        subject = token()
        replies, data = send(self.port(), [rcpt], subject, smtputf8=smtputf8)
        self.assertEqual(replies[rcpt][0], 250, f"RCPT {rcpt}: {replies[rcpt]}")
        self.assertEqual(data, 250, f"DATA for {rcpt}")
        got = wait_for(lambda: subject in self.stack.subjects(user))
        self.assertTrue(got, f"{rcpt}: nothing reached {user}\n{self.logs()}")
        self.assertQueueEmpty()
        self.assertEqual(self.stack.subjects(user).count(subject), 1, f"{rcpt}: duplicates")
        return subject

    def assertQueueEmpty(self, timeout=60):
        """Waits until Postfix has nothing left to retry (duplicates come late)."""
        left = self.stack.postfix.wait_queue_empty(timeout)
        self.assertEqual(left, [], f"still queued after {timeout}s\n{self.logs()}")

    def assertRefused(self, rcpt, code=550, smtputf8=False):
        subject = token()
        sender = f"{subject}@client.test"
        replies, data = send(self.port(), [rcpt], subject, sender=sender, smtputf8=smtputf8)
        self.assertEqual(replies[rcpt][0], code, f"RCPT {rcpt}: {replies[rcpt]}")
        self.assertIsNone(data, "no DATA after every RCPT was refused")
        self.assertNotQueued(sender, code)
        return replies[rcpt][1]

    def assertNotQueued(self, sender, code):
        """smtpd refused the RCPT of sender's (single-recipient) transaction
        before any queue file existed (its NOQUEUE line says so), and
        nothing from sender is in the queue. A sender is unique per test."""
        tail = f"from=<{sender}> to=<"

        def lines():  # postlogd writes the log a moment after the reply
            return [l for l in self.stack.postfix.log_text().splitlines() if tail in l]

        # A syntax error (501) is answered before any restriction: no line.
        if code != 501:
            rejected = wait_for(lambda: any("NOQUEUE: reject: RCPT from " in l and
                                            f": {code} " in l for l in lines()), timeout=10)
            self.assertTrue(rejected, f"no NOQUEUE {code} reject from <{sender}>:\n" +
                            "\n".join(lines()))
        queued = [m for m in self.stack.postfix.queue() if m.get("sender") == sender]
        self.assertEqual(queued, [])

    def logs(self):
        return (self.stack.postfix.log_text()[-3000:] + "\n" +
                self.stack.store_a.log_text()[-2000:])


class DeliveredTest(StackTest):
    def test_mailbox(self):
        self.assertDelivered("alice@example.com", "alice@example.com")

    def test_alias_with_local_target(self):
        self.assertDelivered("info@example.com", "alice@example.com")

    def test_alias_with_two_targets_reaches_both(self):
        subject = token()
        replies, data = send(self.port(), ["sales@example.com"], subject)
        self.assertEqual(replies["sales@example.com"][0], 250)
        for user in ("alice@example.com", "bob@example.com"):
            self.assertTrue(wait_for(lambda: subject in self.stack.subjects(user)), user)

    def test_alias_domain(self):
        self.assertDelivered("bob@example.net", "bob@example.com")

    def test_detail(self):
        self.assertDelivered("alice+news@example.com", "alice@example.com")

    def test_catch_all(self):
        self.assertDelivered("anything@example.org", "postmaster@example.org")

    def test_upper_case_recipient(self):
        self.assertDelivered("Bob@EXAMPLE.com", "bob@example.com")

    def test_idn_domain(self):
        # One recipient: Postfix's Received: header would name the U-label
        # (see doc/examples/postfix-header-checks.regexp).
        self.assertDelivered("kontakt@bücher.example", "kontakt@xn--bcher-kva.example",
                             smtputf8=True)
        self.assertDelivered("Kontakt@BÜCHER.example", "kontakt@xn--bcher-kva.example",
                             smtputf8=True)
        self.assertDelivered("kontakt@xn--bcher-kva.example", "kontakt@xn--bcher-kva.example")

    def test_per_mailbox_transport_reaches_the_second_store(self):
        subject = self.assertDelivered("dave@example.com", "dave@example.com")
        res = self.stack.store_a.doveadm("fetch", "-u", "dave@example.com", "hdr.subject",
                                         "mailbox", "INBOX", check=False)
        self.assertNotIn(subject, res.stdout, "dave's mail is only in store B")

    def test_relay_recipient_is_accepted_for_the_next_hop(self):
        subject = token()
        sender = f"{subject}@client.test"
        replies, data = send(self.port(), ["listed@backup.example"], subject, sender=sender)
        self.assertEqual(replies["listed@backup.example"][0], 250)
        self.assertEqual(data, 250)
        self.addCleanup(self.stack.postfix.delete_queue)

        # Handed to the relay domain's next hop, [mx2.backup.example], and
        # nowhere else: that host does not exist, so the attempt's log line
        # names it (deferred, or bounced where the resolver says "no such
        # host"); the bounce stays queued (no outbound mail) until cleanup.
        log = self.stack.postfix.log_text

        def attempt():
            ids = re.findall(rf"(?m)^.*: (\w+): message-id=<{subject}@client\.test>$", log())
            return ids and [l for l in log().splitlines()
                            if f" {ids[0]}: to=<listed@backup.example>, relay=" in l]
        lines = wait_for(attempt, timeout=60)
        self.assertTrue(lines, self.logs())
        self.assertIn("mx2.backup.example", lines[0])
        self.assertNotIn("status=sent", lines[0])


class RefusedTest(StackTest):
    def test_unknown_user_in_hosted_domain(self):
        self.assertRefused("nobody@example.com")

    def test_unknown_user_in_alias_domain(self):
        self.assertRefused("nobody@example.net")

    def test_disabled_mailbox(self):
        # Postfix says what the plugin would say (the access map).
        text = self.assertRefused("carol@example.com")
        self.assertIn("5.2.1", text)
        self.assertIn("Mailbox disabled", text)

    def test_disabled_mailbox_behind_alias(self):
        self.assertIn("5.2.1", self.assertRefused("former@example.com"))

    def test_disabled_mailbox_through_alias_domain(self):
        self.assertIn("5.2.1", self.assertRefused("carol@example.net"))

    def test_unlisted_relay_recipient(self):
        self.assertRefused("other@backup.example")

    def test_good_and_bad_recipients_in_one_transaction(self):
        subject = token()
        replies, data = send(self.port(), ["nobody@example.com", "alice@example.com"], subject)
        self.assertEqual(replies["nobody@example.com"][0], 550)
        self.assertEqual(replies["alice@example.com"][0], 250)
        self.assertEqual(data, 250)
        self.assertTrue(wait_for(lambda: subject in self.stack.subjects("alice@example.com")))


class OpenRelayTest(StackTest):
    """An unauthenticated stranger must not reach anything but our users."""

    def test_foreign_domain(self):
        self.assertIn("Relay access denied", self.assertRefused("victim@foreign.test", 554))

    def test_domain_that_only_appears_as_a_transport_route(self):
        self.assertRefused("victim@mx2.backup.example", 554)

    def test_subdomain_of_ours(self):
        self.assertRefused("victim@sub.example.com", 554)

    def test_routing_tricks(self):
        for rcpt in ("victim%foreign.test@example.com", "foreign.test!victim@example.com",
                     '"victim@foreign.test"@example.com', "@example.com:victim@foreign.test",
                     "victim%foreign.test@example.org", '"victim@foreign.test"@example.org'):
            subject = token()
            sender = f"{subject}@client.test"
            replies, data = send(self.port(), [rcpt], subject, sender=sender)
            code = replies[rcpt][0]
            self.assertTrue(500 <= code < 600, f"{rcpt}: {replies[rcpt]}")
            self.assertIsNone(data)
            self.assertNotQueued(sender, code)
        self.assertEqual(self.stack.postfix.queue(), [], "nothing was queued for relay")


class LiveChangeTest(StackTest):
    """rcptdb changes the very next SMTP transaction; nothing is reloaded."""

    def test_add_disable_enable_delete(self):
        db = self.stack.db
        rcpt = "newcomer@example.com"
        self.assertRefused(rcpt)
        harness.rcptdb(db, "mailbox", "add", rcpt, "--no-password")
        self.assertDelivered(rcpt, rcpt)
        harness.rcptdb(db, "mailbox", "disable", rcpt)
        self.assertRefused(rcpt)
        harness.rcptdb(db, "mailbox", "enable", rcpt)
        self.assertDelivered(rcpt, rcpt)
        harness.rcptdb(db, "mailbox", "del", rcpt)
        self.assertRefused(rcpt)


class FaultTest(StackTest):
    """Faults anywhere on the path: every accepted message arrives once."""

    def stream(self, n, during, user="alice@example.com"):
        """Sends n messages to user while during(i) acts; no bounce may
        appear at any point.

        Returns the accepted subjects and, for each message, "accepted",
        "deferred" (a 4xx) or "dropped" (the session broke)."""
        accepted = []
        outcomes = []
        for i in range(n):
            during(i)
            self.assertNoBounce(f"before message {i}")
            subject = token()
            try:
                replies, data = send(self.port(), [user], subject)
            except (OSError, smtplib.SMTPException):  # a dropped session is not acceptance
                outcomes.append("dropped")
                continue
            if data == 250:
                accepted.append(subject)
                outcomes.append("accepted")
            else:
                code = list(replies.values())[0][0]
                self.assertTrue(400 <= code < 500 or data is not None and 400 <= data < 500,
                                f"a fault must defer, never bounce: {replies} {data}")
                outcomes.append("deferred")
        return accepted, outcomes

    def assertNoBounce(self, when):
        """Postfix has refused nothing for good: no "status=bounced" in its
        log, no bounce in its queue (shown with the reply that caused it)."""
        found = self.stack.postfix.bounces()
        self.assertFalse(found, f"{when}: a fault must defer, never bounce:\n"
                                + "\n".join(found) + f"\n{self.logs()}")

    def assertAllDeliveredOnce(self, accepted, user="alice@example.com"):
        self.stack.postfix.flush()

        def arrived():
            self.assertNoBounce("while the queue drains")
            got = self.stack.subjects(user)
            return all(s in got for s in accepted)

        if not wait_for(arrived, timeout=90, interval=1):
            self.stack.postfix.flush()
            wait_for(arrived, timeout=30, interval=1)
        got = self.stack.subjects(user)
        missing = [s for s in accepted if s not in got]
        self.assertFalse(missing, f"accepted, never delivered: {missing}\n{self.logs()}")
        self.assertQueueEmpty()
        self.assertNoBounce("at the end")
        got = self.stack.subjects(user)
        for s in accepted:
            self.assertEqual(got.count(s), 1, f"{s} delivered {got.count(s)} times\n{self.logs()}")

    def test_server_stopped_and_restarted_during_a_stream(self):
        def during(i):
            if i == 3:
                self.stack.stop_server()
            if i == 8:
                self.stack.start_server()

        accepted, outcomes = self.stream(12, during)
        # Before and after the outage mail flows; during it, every RCPT is
        # deferred (Postfix's lookups fail), so the outage really happened.
        self.assertEqual(outcomes[:3], ["accepted"] * 3, outcomes)
        self.assertEqual(outcomes[3:8], ["deferred"] * 5, outcomes)
        self.assertEqual(outcomes[8:], ["accepted"] * 4, outcomes)
        self.assertAllDeliveredOnce(accepted)

    def rcpt_code(self, address):
        """The code smtpd answers RCPT TO:<address> (then RSET)."""
        with smtplib.SMTP("127.0.0.1", self.port(), timeout=30) as smtp:
            smtp.ehlo("client.test")
            smtp.mail("probe@client.test")
            code, _ = smtp.rcpt(address)
            smtp.rset()
            return code

    def gated_mailbox(self, address):
        """A mailbox on store-a whose route goes through an LmtpGate (so that
        its deliveries can be held in flight); returns the gate."""
        gate = LmtpGate(self.stack.store_a.port)
        self.addCleanup(gate.stop)
        harness.rcptdb(self.stack.db, "mailbox", "add", address, "--no-password",
                       "--transport", f"lmtp:inet:127.0.0.1:{gate.port}")
        self.addCleanup(harness.rcptdb, self.stack.db, "mailbox", "del", address)
        # Runs before that (cleanups run last first): a message a failed
        # test left queued for address would otherwise bounce once the
        # mailbox is gone, and fail the next tests' no-bounce checks.
        self.addCleanup(self.stack.postfix.delete_queue)
        return gate

    def test_database_gone_while_deliveries_are_in_flight(self):
        # The file moved away (a botched restore) while the deliveries of
        # messages 0-2 wait in flight, which then reach store-a; moved back
        # 5 messages later. rcptdb-server and the plugin defer meanwhile
        # (Dovecot's own sqlite userdb keeps its open file), nothing
        # bounces, and every accepted message arrives once.
        db = self.stack.db
        user = "held@example.com"
        gate = self.gated_mailbox(user)
        gate.close()

        def during(i):
            if i == 3:
                self.assertGreaterEqual(gate.wait_held(1), 1, self.logs())
                os.rename(db, db + ".gone")
                time.sleep(0.2)  # readers look at the file every 50 ms
                gate.open()
            if i == 8:
                os.rename(db + ".gone", db)
                self.assertTrue(wait_for(lambda: self.rcpt_code(user) == 250, timeout=30),
                                self.logs())

        try:
            accepted, outcomes = self.stream(12, during, user)
        finally:
            gate.open()
            if os.path.exists(db + ".gone"):
                os.rename(db + ".gone", db)
        self.assertEqual(outcomes[:3], ["accepted"] * 3, outcomes)
        self.assertEqual(outcomes[3:8], ["deferred"] * 5, f"{outcomes}\n{self.logs()}")
        self.assertEqual(outcomes[8:], ["accepted"] * 4, outcomes)
        self.assertIn(f"rcptdb: deferred <{user}>", self.stack.store_a.log_text(),
                      "no delivery met the missing file")
        self.assertAllDeliveredOnce(accepted, user)

    def test_database_restored_in_place_while_mail_flows(self):
        # rcptdb(1)'s restore: the backup copied into the live file (SQLite's
        # backup API), so every reader, Dovecot's own sqlite userdb too,
        # reads the restored data at once. A mailbox added after the restore
        # is then delivered; with the file replaced by rename Dovecot's
        # userdb kept reading the old file and answered "550 5.1.1 User
        # doesn't exist": a bounce.
        db = self.stack.db
        # Dovecot's auth has the file open (it opens it at its first lookup).
        self.assertDelivered("bob@example.com", "bob@example.com")
        user = "flowing@example.com"
        gate = self.gated_mailbox(user)
        backup = os.path.join(self.dir, "restore-backup.sqlite")
        harness.rcptdb(db, "backup", backup)
        harness.rcptdb(db, "mailbox", "add", "before-restore@example.com", "--no-password")
        gate.close()

        def during(i):
            if i == 3:
                # Deliveries of messages 0-2 in flight across the restore.
                self.assertGreaterEqual(gate.wait_held(1), 1, self.logs())
                restore = harness.run(["sqlite3", db, f".restore {backup}"], check=False)
                self.assertEqual(restore.returncode, 0, restore.stdout + restore.stderr)
                gate.open()
                harness.rcptdb(db, "mailbox", "add", "after-restore@example.com", "--no-password")

        try:
            accepted, outcomes = self.stream(6, during, user)
        finally:
            gate.open()
        self.assertEqual(outcomes, ["accepted"] * 6, f"{outcomes}\n{self.logs()}")
        # The backup does not know the mailbox added after it.
        self.assertRefused("before-restore@example.com")
        self.assertDelivered("after-restore@example.com", "after-restore@example.com")
        self.assertAllDeliveredOnce(accepted, user)

    def test_long_write_transaction(self):
        # A provisioning run holding the write lock: WAL readers go on.
        writer = sqlite3.connect(self.stack.db, isolation_level=None, timeout=5)
        writer.execute("PRAGMA foreign_keys = ON")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO mailboxes (address) VALUES ('pending@example.com')")
        accepted, _ = self.stream(4, lambda i: None)
        self.assertEqual(len(accepted), 4)
        self.assertRefused("pending@example.com")
        writer.execute("COMMIT")
        writer.close()
        self.assertDelivered("pending@example.com", "pending@example.com")
        self.assertAllDeliveredOnce(accepted)

    def test_dovecot_down_and_back(self):
        def during(i):
            if i == 2:
                # Stopped between deliveries: one killed after it saved the
                # mail but before it answered is retried and arrives twice,
                # LMTP's own limit, not what this test is about.
                self.assertQueueEmpty()
                self.stack.store_a.stop()
                self.stack.processes.remove(self.stack.store_a.process)

        accepted, _ = self.stream(6, during)
        self.assertEqual(len(accepted), 6, "Postfix queues while LMTP is down")
        time.sleep(1)
        self.stack.store_a.start(self.stack)
        self.assertAllDeliveredOnce(accepted)


class VerifyVariantTest(StackTest):
    """reject_unverified_recipient: the probe reaches LMTP and the plugin."""

    example = "postfix-main-verify.cf"

    def test_known_delivered(self):
        self.assertDelivered("alice@example.com", "alice@example.com")
        self.assertDelivered("info@example.com", "alice@example.com")

    def test_unknown_and_disabled_refused(self):
        for rcpt in ("nobody@example.com", "carol@example.com", "nobody@example.net"):
            self.assertRefused(rcpt)

    def test_the_probe_is_answered_by_the_plugin(self):
        # Dovecot alone would say "User doesn't exist"; only the plugin
        # says "User unknown", and logs each refusal.
        for rcpt in ("nobody@example.com", "nobody@example.net"):
            text = self.assertRefused(rcpt)
            self.assertIn("said: 550 5.1.1", text)
            self.assertIn("Recipient address rejected: User unknown", text)
            self.assertNotIn("doesn't exist", text)
            self.assertIn(f"rcptdb: rejected <{rcpt}>: 550 5.1.1",
                          self.stack.store_a.log_text())


class PostfixConfigTest(unittest.TestCase):
    """This Postfix's postconf (3.7 or 3.10) reads `rcptdb postfix-config` without a warning."""

    def test_postconf_reads_both_variants_without_warnings(self):
        from postfix_instance import master_cf
        d = harness.open_tempdir("rcptdb-postconf-")
        self.addCleanup(shutil.rmtree, d, True)
        db = os.path.join(d, "rcptdb.sqlite")
        harness.rcptdb(db, "init")
        for variant in ([], ["--verify"]):
            out = harness.rcptdb(db, "postfix-config", *variant).stdout
            with open(os.path.join(d, "main.cf"), "w") as f:
                # An admin's main.cf has its own level; Debian's says 3.6.
                f.write("compatibility_level = 3.6\n" + out)
            with open(os.path.join(d, "master.cf"), "w") as f:
                f.write(master_cf("127.0.0.1:2525"))
            for args in (["-n"], ["-M"]):
                res = harness.run(["postconf", "-c", d, *args], check=False)
                self.assertEqual(res.returncode, 0, res.stderr)
                self.assertEqual(res.stderr, "", f"postconf {' '.join(args)} {variant}")
            self.assertIn("socketmap:unix:rcptdb/socketmap:domains",
                          harness.run(["postconf", "-c", d, "-h", "relay_domains"]).stdout)


class ChrootTest(harness.BlackBoxTest):
    """rcptdb's maps work with Debian's stock master.cf, which runs smtpd,
    cleanup and trivial-rewrite chrooted in the queue directory: the
    examples' socket inside the queue directory directly, by its relative
    path; a socket elsewhere through proxymap (proxy:), which runs outside
    the chroot. Without proxy: the chrooted services cannot reach that
    one."""

    def rcpt_replies(self, name, settings):
        """RCPT codes for a known and an unknown recipient, and the log, of
        a private Postfix named name, chrooted as Debian's master.cf is."""
        from postfix_instance import PrivatePostfix
        d = os.path.join(self.dir, name)
        postfix = PrivatePostfix(d, settings)
        master = os.path.join(postfix.config, "master.cf")
        with open(master) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^(\S+\s+(?:inet|unix)\s+\S+\s+\S+\s+)n(\s+\S+\s+\S+\s+"
                          r"(?:smtpd|cleanup|trivial-rewrite)\s*$)", r"\1y\2", text)
        self.assertEqual(n, 3, text)
        with open(master, "w") as f:
            f.write(text)
        self.addCleanup(postfix.stop)
        postfix.start()
        with smtplib.SMTP("127.0.0.1", postfix.smtp_port, timeout=60) as s:
            s.ehlo("client.test")
            s.mail("someone@client.test")
            got = [s.rcpt(r)[0] for r in ("alice@example.com", "nobody@example.com")]
        return got, postfix.log_text()

    @staticmethod
    def make_database(db):
        """alice@example.com, a mailbox; readable by rcptdb-server's user."""
        harness.rcptdb(db, "init")
        harness.rcptdb(db, "domain", "add", "example.com", "--transport", "lmtp:inet:127.0.0.1:9")
        harness.rcptdb(db, "mailbox", "add", "alice@example.com", "--no-password")
        os.chmod(db, 0o644)

    def postfix_config_settings(self, db, *args):
        """`rcptdb postfix-config ARGS` (with the header_checks table where
        the tests find it): its output and the settings it holds."""
        from postfix_instance import EXAMPLE_FILES, read_main_cf
        (table,) = EXAMPLE_FILES.values()
        out = harness.rcptdb(db, "postfix-config", *args, "--header-checks", table).stdout
        main = os.path.join(self.dir, "rendered-main.cf")
        with open(main, "w") as f:
            f.write(out)
        return out, read_main_cf(main)

    def test_a_socket_outside_the_queue_directory_is_reached_through_proxymap(self):
        """`rcptdb postfix-config --server unix:PATH` for a socket outside
        Postfix's queue directory (an admin's /run/rcptdb/socketmap, as
        rcptdb wrote the maps before) writes proxy:, and the chrooted
        services reach the socket through proxymap."""
        from postfix_instance import socketmap_conf, wait_socket
        db = os.path.join(self.dir, "rcptdb.sqlite")
        self.make_database(db)
        sock = os.path.join(self.dir, "socketmap")
        conf = os.path.join(self.dir, "rcptdb-server.conf")
        with open(conf, "w") as f:
            f.write(socketmap_conf(sock))
        self.start([harness.SERVER, "--foreground", "-c", conf, "--db", db], "server")
        wait_socket(sock)
        _, settings = self.postfix_config_settings(db, "--server", f"unix:{sock}")
        self.assertEqual(settings["relay_recipient_maps"],
                         f"proxy:socketmap:unix:{sock}:recipients")
        got, log = self.rcpt_replies("proxied", settings)
        self.assertEqual(got, [250, 550], log)
        # The same maps without proxy: every lookup fails in the chroot.
        plain = {k: v.replace("proxy:socketmap:", "socketmap:") for k, v in settings.items()}
        got, log = self.rcpt_replies("plain", plain)
        self.assertEqual(got, [451, 451], log)
        self.assertIn(f"connect to {sock}: No such file or directory", log)

    def test_a_socket_in_the_queue_directory_is_reached_without_proxymap(self):
        """`rcptdb postfix-config --server unix:QUEUE/rcptdb/socketmap` names
        the socket relative to Postfix's queue directory, where chrooted
        and unchrooted daemons alike run: the chrooted smtpd reaches
        rcptdb-server directly, with no proxymap in between. The socket's
        directory has rcptdb-server(8)'s modes (root, the server's group,
        0771): root binds, the server's user removes the socket at exit,
        Postfix only passes through."""
        import pwd
        from postfix_instance import queue_socket, socketmap_conf, wait_socket
        user = pwd.getpwnam("nobody")
        data = os.path.join(self.dir, "data")
        os.makedirs(data)
        os.chown(data, user.pw_uid, user.pw_gid)
        db = os.path.join(data, "rcptdb.sqlite")
        self.make_database(db)
        # rcpt_replies("direct", ...) puts the instance's queue here.
        os.chmod(self.dir, 0o755)
        sock = queue_socket(os.path.join(self.dir, "direct"), user.pw_gid)
        queue = os.path.join(self.dir, "direct", "queue")
        conf = os.path.join(self.dir, "rcptdb-server.conf")
        with open(conf, "w") as f:
            f.write(socketmap_conf(sock))
        server = self.start([harness.SERVER, "--foreground", "-c", conf, "--db", db,
                             "--user", "nobody"], "server")
        wait_socket(sock)
        out, settings = self.postfix_config_settings(db, "--server", f"unix:{sock}",
                                                     "--queue-directory", queue)
        self.assertEqual(settings["relay_recipient_maps"],
                         "socketmap:unix:rcptdb/socketmap:recipients")
        self.assertNotIn("proxy:", out)
        got, log = self.rcpt_replies("direct", settings)
        self.assertEqual(got, [250, 550], log)
        self.assertNotIn("proxymap", log)
        server.stop()
        self.assertFalse(os.path.exists(sock), server.output())
        self.assertNotIn("warning", server.output())


if __name__ == "__main__":
    unittest.main()
