# SPDX-License-Identifier: MIT
"""test_docs - the documentation's examples parse, the man pages render.

The same-host examples in doc/examples/ are what test_e2e.py runs; this
suite also checks the remote-host variant, which the black-box suite cannot
run on one machine, with the programs' own parsers: postconf, rcptdb-server
--check-config and doveconf. Man pages must render without warnings, and
the README's quick start must be the two commands.
"""
import glob
import os
import re
import subprocess
import unittest

import harness
from postfix_instance import EXAMPLES, example_settings, master_cf, read_main_cf

DOC = os.path.join(harness.SRC, "doc")


class PostfixExamplesTest(harness.BlackBoxTest):
    def postconf_warnings(self, settings):
        cfg = harness.private_config(self.dir, postfix=settings,
                                     master=master_cf("127.0.0.1:2525"))
        res = cfg.postconf("-n", check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        return [l for l in res.stderr.splitlines() if "warning" in l]

    def test_every_main_cf_example_is_known_to_postfix(self):
        examples = glob.glob(os.path.join(EXAMPLES, "**", "postfix-main*.cf"), recursive=True)
        self.assertGreaterEqual(len(examples), 3)
        for path in examples:
            rel = os.path.relpath(path, EXAMPLES)
            settings = example_settings(rel)
            self.assertIn("relay_domains", settings, rel)
            self.assertEqual(settings.get("virtual_alias_domains"), "", rel)
            self.assertIn("reject_unauth_destination", settings["smtpd_relay_restrictions"], rel)
            self.assertEqual(self.postconf_warnings(settings), [], rel)

    def test_policy_example_adds_the_policy_check_after_the_recipient_checks(self):
        settings = example_settings("postfix-main.cf")
        settings.update(example_settings("postfix-policy.cf"))
        restrictions = settings["smtpd_recipient_restrictions"]
        self.assertRegex(restrictions, r"access\s+reject_unlisted_recipient\s+check_policy_service "
                         r"\{ inet:127\.0\.0\.1:10028, timeout=10s, default_action=DUNNO \}$")
        self.assertEqual(self.postconf_warnings(settings), [])

    def test_header_checks_rule_drops_only_utf8_for_clauses(self):
        table = "regexp:" + os.path.join(EXAMPLES, "postfix-header-checks.regexp")
        utf8 = ("Received: from [127.0.0.1] (localhost [127.0.0.1])\n\tby mx (Postfix) with ESMTP"
                " id 1\n\tfor <kontakt@bücher.example>; Wed, 25 Nov 2026 15:50:51 +0000")
        cfg = harness.private_config(self.dir)
        value = cfg.lookup(utf8, table)
        self.assertIsNotNone(value)
        self.assertNotIn("for <", value)
        self.assertIn("id 1; Wed", value)
        # Not found: exit 1 AND an empty stderr (lookup() checks both).
        ascii_only = "Received: from x by y with ESMTP id 2 for <a@example.com>; Wed"
        self.assertIsNone(cfg.lookup(ascii_only, table))


class ServerExamplesTest(unittest.TestCase):
    def test_rcptdb_conf_examples_pass_check_config(self):
        for path in (os.path.join(EXAMPLES, "rcptdb.conf"),
                     os.path.join(EXAMPLES, "remote", "rcptdb.conf")):
            res = harness.run([harness.SERVER, "-c", path, "--check-config"], check=False)
            self.assertEqual(res.returncode, 0, f"{path}: {res.stdout}{res.stderr}")

    def test_the_same_host_example_matches_postfix_main_cf(self):
        with open(os.path.join(EXAMPLES, "rcptdb.conf")) as f:
            text = f.read()
        # The listeners: the one the Postfix examples name, in Postfix's
        # queue directory, and the one in the unit's RuntimeDirectory (for
        # postmap -q and main.cf files of earlier releases); only Postfix's
        # to reach.
        self.assertRegex(text, r"(?m)^socketmap = unix:/var/spool/postfix/rcptdb/socketmap, "
                         r"unix:/run/rcptdb/socketmap$")
        self.assertRegex(text, r"(?m)^unix_socket_group = postfix$")
        self.assertRegex(text, r"(?m)^unix_socket_mode = 0660$")
        # Every socketmap map of the same-host examples is on that socket,
        # by its path relative to the queue directory (reached directly
        # from a chrooted smtpd).
        for name in ("postfix-main.cf", "postfix-main-verify.cf", "postfix-policy.cf"):
            values = " ".join(read_main_cf(os.path.join(EXAMPLES, name)).values())
            maps = re.findall(r"\S*socketmap:\S+", values)
            self.assertTrue(maps, name)
            for m in maps:
                self.assertRegex(m, r"^socketmap:unix:rcptdb/socketmap:[a-z]+,?$", name)
        # The package makes that socket's directory with rcptdb-server(8)'s
        # modes: root binds, the server's group removes, Postfix passes.
        with open(os.path.join(harness.SRC, "debian", "rcptdb.tmpfiles")) as f:
            lines = [l.split() for l in f if l.strip() and not l.startswith("#")]
        self.assertIn(["d", "/var/spool/postfix/rcptdb", "0771", "root", "rcptdb", "-"], lines)
        # ... and the unit, under ProtectSystem=strict, may write it.
        with open(os.path.join(harness.SRC, "init", "rcptdb-server.service.in")) as f:
            self.assertIn("ReadWritePaths=-/var/spool/postfix/rcptdb\n", f.read())
        self.assertRegex(text, r"(?m)^policy = 127\.0\.0\.1:10028$")
        self.assertRegex(text, r"(?m)^quota_status = 127\.0\.0\.1:10029$")


class DovecotExamplesTest(harness.BlackBoxTest):
    def test_conf_d_snippets_parse(self):
        for path in (os.path.join(EXAMPLES, "dovecot-rcptdb.conf"),
                     os.path.join(EXAMPLES, "remote", "dovecot-rcptdb.conf")):
            cfg = harness.private_config(self.dir, dovecot=f"protocols = lmtp\n!include {path}\n")
            res = cfg.doveconf("-n", check=False)
            self.assertEqual(res.returncode, 0, f"{path}: {res.stderr}")
            self.assertIn("rcptdb", res.stdout)
            self.assertNotIn("Warning", res.stderr, path)

    def test_quota_example_parses(self):
        path = os.path.join(EXAMPLES, "dovecot-quota.conf")
        cfg = harness.private_config(self.dir, dovecot=f"protocols = lmtp\n!include {path}\n")
        res = cfg.doveconf("-n", check=False)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("Warning", res.stderr)
        for want in ("quota = count:User quota", "quota_status_nouser = DUNNO",
                     "quota_status_overquota = 552 5.2.2 Mailbox is full",
                     "executable = quota-status -p postfix", "client_limit = 1"):
            self.assertIn(want, res.stdout)


class ManPagesTest(unittest.TestCase):
    def test_man_pages_exist_and_render_cleanly(self):
        pages = sorted(glob.glob(os.path.join(DOC, "*.[1-8]")))
        names = [os.path.basename(p) for p in pages]
        for want in ("rcptdb.1", "rcptdb-server.8", "rcptdb.conf.5", "rcptdb-plugin.7"):
            self.assertIn(want, names)
        for page in pages:
            self.assertGreater(os.path.getsize(page), 500, page)
            res = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", page],
                                 capture_output=True, text=True)
            self.assertEqual(res.stderr.strip(), "", page)


class ReadmeTest(unittest.TestCase):
    def test_quick_start_is_the_two_commands(self):
        with open(os.path.join(harness.SRC, "README.md")) as f:
            text = f.read()
        section = text.split("## Quick start", 1)[1].split("##", 1)[0]
        block = re.search(r"```\n(.*?)```", section, re.S).group(1)
        self.assertEqual(block.split(), ["scripts/demo", "scripts/check"])
        for script in ("demo", "check"):
            self.assertTrue(os.access(os.path.join(harness.SRC, "scripts", script), os.X_OK))


if __name__ == "__main__":
    unittest.main()
