# SPDX-License-Identifier: MIT
"""test_policy - over-quota recipients refused at RCPT time, through every alias kind.

One stack for the suite: rcptdb-server (socketmap + policy listener), a
private Dovecot running doc/examples/dovecot-rcptdb.conf and
doc/examples/dovecot-quota.conf (quota plugin, count driver, quota-status
service; only ports and paths changed) on the rcptdb database, and a
private Postfix with doc/examples/postfix-main.cf plus
doc/examples/postfix-policy.cf. Mailboxes are filled over their small
quota by real LMTP deliveries until Dovecot's own quota-status says they
are full; then every case sends a real SMTP transaction to Postfix and
checks the RCPT reply, and that nothing was queued or bounced.
"""
import os
import shutil
import signal
import smtplib
import socket
import time
import unittest

import harness
from dovecot_instance import PrivateDovecot, Lmtp, message
from mailstack import token, wait_for
from postfix_instance import (EXAMPLES, PrivatePostfix, example_settings, queue_socket,
                              socketmap_conf)

QUOTA_EXAMPLE = os.path.join(EXAMPLES, "dovecot-quota.conf")
EXAMPLE_POLICY = "127.0.0.1:10028"
EXAMPLE_QUOTA_STATUS_PORT = "port = 10029"
DOVECOT_MODULES = "/usr/lib/dovecot/modules"
QUOTA_PLUGIN = "lib10_quota_plugin.so"
TROUBLE = "DEFER_IF_PERMIT quota service unavailable, try again later"

# (args) to provision; quotas in bytes.
PROVISION = [
    ["domain", "add", "example.com", "--transport", "{lmtp}"],
    ["domain", "add", "example.org", "--transport", "{lmtp}"],
    ["domain", "add", "example.net", "--kind", "alias", "--target", "example.com"],
    ["mailbox", "add", "full@example.com", "--no-password", "--quota", "10000"],
    ["mailbox", "add", "roomy@example.com", "--no-password", "--quota", "10000000"],
    ["mailbox", "add", "half@example.com", "--no-password", "--quota", "100000"],
    ["mailbox", "add", "refill@example.com", "--no-password", "--quota", "10000"],
    ["mailbox", "add", "gone@example.com", "--no-password", "--quota", "10000"],
    ["mailbox", "disable", "gone@example.com"],
    ["alias", "add", "alias-full@example.com", "full@example.com"],
    ["alias", "add", "level2@example.com", "alias-full@example.com"],
    ["alias", "add", "multi@example.com", "full@example.com", "roomy@example.com"],
    ["alias", "add", "away@example.com", "someone@far.test"],
    ["catchall", "set", "example.org", "full@example.com"],
]


def add_quota_plugin(dovecot):
    """The instance's private module directory gets Dovecot's quota plugin."""
    src = os.path.join(DOVECOT_MODULES, QUOTA_PLUGIN)
    shutil.copy(src, os.path.join(dovecot.dir, "modules", QUOTA_PLUGIN))


def quota_status(port, recipient, size=1):
    """Asks Dovecot's quota-status directly; returns its action."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient={recipient}\n"
                  f"size={size}\n\n".encode())
        data = b""
        while not data.endswith(b"\n\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode().split("\n")[0].partition("=")[2]


def rcpt(port, recipient, size=None):
    """MAIL FROM (with SIZE= if given) and RCPT TO; returns (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo("client.test")
        code, text = s.mail("someone@client.test", [f"SIZE={size}"] if size else [])
        if code != 250:
            return code, text.decode()
        code, text = s.rcpt(recipient)
        s.rset()
        return code, text.decode("utf-8", "replace")


class PolicyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.open_tempdir("rcptdb-policy-")
        cls.processes = []
        try:
            cls.build_stack()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls, argv, name):
        p = harness.Process(argv, os.path.join(cls.dir, name + ".log"))
        cls.processes.append(p)
        return p

    @classmethod
    def build_stack(cls):
        d = cls.dir
        cls.db = os.path.join(d, "rcptdb.sqlite")
        cls.socketmap = queue_socket(os.path.join(d, "postfix"))
        cls.policy_port = harness.free_port()
        cls.qs_port = harness.free_port()
        with open(QUOTA_EXAMPLE) as f:
            quota_conf = f.read()
        if EXAMPLE_QUOTA_STATUS_PORT not in quota_conf:
            raise AssertionError(f"{QUOTA_EXAMPLE} lost {EXAMPLE_QUOTA_STATUS_PORT!r}")
        quota_conf = quota_conf.replace(EXAMPLE_QUOTA_STATUS_PORT, f"port = {cls.qs_port}")
        cls.dovecot = PrivateDovecot(os.path.join(d, "dovecot"), cls.db, name="store",
                                     extra_text=quota_conf)
        add_quota_plugin(cls.dovecot)
        harness.rcptdb(cls.db, "init")
        for args in PROVISION:
            harness.rcptdb(cls.db, *[a.format(lmtp=f"lmtp:inet:127.0.0.1:{cls.dovecot.port}")
                                     for a in args])
        os.chmod(cls.db, 0o644)
        cls.conf = os.path.join(d, "rcptdb.conf")
        cls.write_conf("any")
        cls.server = cls.start([harness.SERVER, "--foreground", "-c", cls.conf], "rcptdb-server")
        harness.wait_port(cls.policy_port)
        cls.dovecot_process = cls.dovecot.start(cls)
        settings = example_settings("postfix-main.cf")
        quota = example_settings("postfix-policy.cf")
        for k, v in quota.items():
            if EXAMPLE_POLICY in v:
                v = v.replace(EXAMPLE_POLICY, f"127.0.0.1:{cls.policy_port}")
            settings[k] = v
        assert f"127.0.0.1:{cls.policy_port}" in settings["smtpd_recipient_restrictions"]
        cls.postfix = PrivatePostfix(os.path.join(d, "postfix"), settings)
        cls.postfix.start()
        for user in ("full@example.com", "refill@example.com"):
            cls.fill(user, 300)
        cls.fill("half@example.com", 50000 // 900, stop_when_full=False)

    @classmethod
    def write_conf(cls, rule, qs_port=None, cache_time=0):
        with open(cls.conf, "w") as f:
            f.write(f"database = {cls.db}\n"
                    + socketmap_conf(cls.socketmap) +
                    f"policy = 127.0.0.1:{cls.policy_port}\n"
                    f"quota_status = 127.0.0.1:{qs_port or cls.qs_port}\n"
                    f"policy_refuse = {rule}\n"
                    f"policy_trouble_action = {TROUBLE}\n"
                    f"quota_status_timeout = 2000\n"
                    f"policy_cache_time = {cache_time}\n"
                    # One worker, so every question meets the same cache.
                    f"threads = 1\n")

    @classmethod
    def fill(cls, user, count, stop_when_full=True):
        """Delivers ~900-byte messages to user over LMTP (real deliveries)."""
        body = "x" * 800
        with Lmtp(cls.dovecot.port) as lmtp:
            for i in range(count):
                answer = quota_status(cls.qs_port, user)
                if answer != "DUNNO" and not answer.startswith("552"):
                    raise AssertionError(f"quota-status answered {answer!r} for {user}")
                if stop_when_full and answer.startswith("552"):
                    return
                lmtp.mail()
                code, text = lmtp.rcpt(user)
                if code != 250:
                    lmtp.command("RSET")
                    continue
                replies = lmtp.data(message(f"fill-{i}", to=user, body=body), 1)
                if replies[0][0] != 250:
                    break
        if stop_when_full and not quota_status(cls.qs_port, user).startswith("552"):
            raise AssertionError(f"{user} is not over quota after filling: "
                                 f"{quota_status(cls.qs_port, user)}")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "postfix", None):
            cls.postfix.stop()
        for p in reversed(cls.processes):
            p.stop()
        cls.processes = []
        if os.environ.get("RCPTDB_KEEP_TMP") != "1":
            shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.postfix.delete_queue()

    def assertRefused(self, recipient, size=None):
        code, text = rcpt(self.postfix.smtp_port, recipient, size)
        self.assertEqual(code, 552, f"{recipient}: {code} {text}")
        # Dovecot's words, enhanced status first; Postfix adds the address.
        self.assertTrue(text.startswith("5.2.2 "), f"{recipient}: {text}")
        self.assertTrue(text.endswith("Mailbox is full"), f"{recipient}: {text}")
        self.assertEqual(self.postfix.queue(), [], recipient)

    def assertAccepted(self, recipient, size=None):
        code, text = rcpt(self.postfix.smtp_port, recipient, size)
        self.assertEqual(code, 250, f"{recipient}: {code} {text}")

    def reload(self, rule, qs_port=None, cache_time=0):
        self.write_conf(rule, qs_port, cache_time)
        self.server.signal(signal.SIGHUP)
        time.sleep(0.5)

    # -- refused, however the full mailbox is reached ------------------------
    def test_full_mailbox_is_refused_with_dovecots_reply(self):
        self.assertRefused("full@example.com")

    def test_alias_to_a_full_mailbox_is_refused(self):
        self.assertRefused("alias-full@example.com")

    def test_two_level_alias_is_refused(self):
        self.assertRefused("level2@example.com")

    def test_alias_domain_is_refused(self):
        self.assertRefused("full@example.net")

    def test_detail_is_refused(self):
        self.assertRefused("full+news@example.com")
        # quota-status strips +detail itself, but cannot see the alias behind it.
        self.assertRefused("alias-full+news@example.com")

    def test_catch_all_is_refused(self):
        self.assertRefused("anything@example.org")

    def test_upper_case_is_refused(self):
        self.assertRefused("FULL@Example.COM")
        # quota-status lower-cases itself, but cannot see the alias behind it.
        self.assertRefused("ALIAS-FULL@Example.COM")

    def test_dovecot_itself_cannot_see_aliases(self):
        # The gap this service closes: quota-status alone lets these through.
        self.assertTrue(quota_status(self.qs_port, "full@example.com").startswith("552"))
        self.assertEqual(quota_status(self.qs_port, "alias-full@example.com"), "DUNNO")

    # -- accepted ------------------------------------------------------------
    def test_roomy_mailbox_is_accepted(self):
        self.assertAccepted("roomy@example.com")

    def test_foreign_target_alone_is_accepted(self):
        self.assertAccepted("away@example.com")
        # Not asked at all: with no quota-status to reach (a closed port),
        # asking would give the trouble action instead of acceptance.
        self.reload("any", qs_port=harness.free_port())
        try:
            self.assertAccepted("away@example.com")
            code, text = rcpt(self.postfix.smtp_port, "full@example.com")
            self.assertEqual(code // 100, 4, f"the closed port was not used: {code} {text}")
        finally:
            self.reload("any")

    def test_size_larger_than_the_room_left_is_refused(self):
        self.assertRefused("half@example.com", size=90000)

    def test_size_smaller_than_the_room_left_is_accepted(self):
        self.assertAccepted("half@example.com", size=1000)

    def test_disabled_mailbox_keeps_its_own_550(self):
        code, text = rcpt(self.postfix.smtp_port, "gone@example.com")
        self.assertEqual(code, 550, text)
        self.assertIn("5.2.1", text)
        self.assertNotIn("full", text)

    # -- the combination rule ------------------------------------------------
    def test_multi_target_alias_with_one_full_target(self):
        self.assertRefused("multi@example.com")
        self.reload("all")
        try:
            subject = token()
            with smtplib.SMTP("127.0.0.1", self.postfix.smtp_port, timeout=60) as s:
                s.ehlo("client.test")
                s.mail("someone@client.test")
                code, text = s.rcpt("multi@example.com")
                self.assertEqual(code, 250, text)
                code, _ = s.data(f"From: someone@client.test\r\nSubject: {subject}\r\n\r\nhi\r\n"
                                 .encode())
                self.assertEqual(code, 250)
            self.postfix.flush()
            got = wait_for(lambda: subject in self.dovecot.doveadm(
                "fetch", "-u", "roomy@example.com", "hdr.subject", "mailbox", "INBOX",
                check=False).stdout)
            self.assertTrue(got, "the roomy target did not receive the message")
        finally:
            self.reload("any")
        self.assertRefused("multi@example.com")

    # -- trouble and recovery ------------------------------------------------
    def test_quota_status_stopped_gives_the_trouble_action_then_recovers(self):
        self.assertRefused("full@example.com")
        self.dovecot.stop()
        self.processes.remove(self.dovecot.process)
        try:
            code, text = rcpt(self.postfix.smtp_port, "full@example.com")
            self.assertEqual(code // 100, 4, f"{code} {text}")
            self.assertIn("quota service unavailable", text)
            self.assertEqual(self.postfix.queue(), [])
        finally:
            self.dovecot.start(type(self))
        self.assertRefused("full@example.com")
        self.assertAccepted("roomy@example.com")
        with open(os.path.join(self.dir, "rcptdb-server.log"), errors="replace") as f:
            log = f.read()
        self.assertEqual(log.count(f"quota-status 127.0.0.1:{self.qs_port} did not answer"), 1,
                         log)
        self.assertIn("answers again", log)

    def test_z_emptied_mailbox_is_accepted_again_without_reload(self):
        # With the over-quota cache on, a cached refusal must expire.
        cache_time = 2
        self.reload("any", cache_time=cache_time)
        try:
            self.assertRefused("refill@example.com")
            self.dovecot.doveadm("expunge", "-u", "refill@example.com", "mailbox", "INBOX", "all")
            time.sleep(cache_time + 0.5)
            self.assertAccepted("refill@example.com")
        finally:
            self.reload("any")

    # -- rcptdb check --size, and the printed configuration ------------------
    def check(self, *args):
        return harness.run([harness.RCPTDB, "--db", self.db, "check", *args,
                            "--policy", f"127.0.0.1:{self.policy_port}"], check=False)

    def test_check_size_shows_the_answer_and_the_full_target(self):
        res = self.check("multi@example.com", "--size", "10")
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)
        self.assertIn("RCPT TO:<multi@example.com> SIZE=10 -> 552 5.2.2 Mailbox is full",
                      res.stdout)
        self.assertIn("target full@example.com (route lmtp:inet:", res.stdout)
        self.assertRegex(res.stdout, r"target roomy@example.com \(route [^)]*\) -> DUNNO")
        res = self.check("half@example.com", "--size", "1000")
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("SIZE=1000 -> DUNNO", res.stdout)
        res = self.check("half@example.com", "--size", "90000")
        self.assertEqual(res.returncode, 1, res.stdout + res.stderr)

    def test_check_size_without_a_policy_service_is_a_temporary_error(self):
        res = harness.run([harness.RCPTDB, "--db", self.db, "check", "full@example.com",
                           "--policy", f"127.0.0.1:{harness.free_port()}"], check=False)
        self.assertEqual(res.returncode, 75, res.stdout + res.stderr)

    def test_printed_configuration_has_the_policy_pieces(self):
        out = harness.run([harness.RCPTDB, "postfix-config", "--policy", "127.0.0.1:2028"]).stdout
        self.assertIn("check_policy_service { inet:127.0.0.1:2028, timeout=10s, "
                      "default_action=DUNNO }", out)
        self.assertEqual(out.count("smtpd_recipient_restrictions ="), 1)
        out = harness.run([harness.RCPTDB, "--db", self.db, "dovecot-config",
                           "--quota-status", "127.0.0.1:2029"]).stdout
        self.assertIn("port = 2029", out)
        self.assertIn('quota_status_overquota = "552 5.2.2 Mailbox is full"', out)

    def test_other_protocol_states_get_dunno(self):
        with socket.create_connection(("127.0.0.1", self.policy_port), timeout=10) as s:
            s.sendall(b"request=smtpd_access_policy\nprotocol_state=DATA\n"
                      b"recipient=full@example.com\nsize=1\n\n"
                      b"protocol_state=RCPT\nrecipient=full@example.com\n\n")
            data = b""
            while data.count(b"\n\n") < 2:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        self.assertEqual(data, b"action=DUNNO\n\naction=552 5.2.2 Mailbox is full\n\n")


if __name__ == "__main__":
    unittest.main()
