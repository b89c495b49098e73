# SPDX-License-Identifier: MIT
"""pagestack - the stack a browser test class clicks through, started once.

PageStack is a test class's base: one MailStack (tests/blackbox/mailstack.py:
rcptdb-server, a private Postfix, two private Dovecots with the plugin, on
one database with the sample data), the admins "root" (server) and
"exadmin" (domain admin of example.com), and one rcptdb-web serving
web/static of this tree, started for the class and stopped by pid at its
end. Each test gets a fresh Browser; no test may leave a script error, a
CSP violation or an alert behind.
"""
import os
import unittest

import harness
import web_instance
from browser import SCREENSHOTS, Browser
from mailstack import MailStack, send, token

ROOT_PASSWORD = "Root-Secret-1"
ADMIN_PASSWORD = "Example-Admin-1"
STATIC = os.path.join(harness.SRC, "web", "static")


class PageStack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = harness.class_tempdir(cls, "rcptdb-web-page-")
        cls.stack = MailStack(cls.dir)
        cls.addClassCleanup(cls.stack.stop)
        cls.stack.start_all()
        db = cls.stack.db
        web_instance.make_admin(db, "root", ROOT_PASSWORD)
        web_instance.make_admin(db, "exadmin", ADMIN_PASSWORD, "domain", ["example.com"])
        cls.web = web_instance.PrivateWeb(
            os.path.join(cls.dir, "web"), db,
            f"static_dir = {STATIC}\nlogin_limit = 5\n").start(cls.stack)
        cls.api, _ = cls.web.sign_in("root", ROOT_PASSWORD)
        cls.base = f"http://127.0.0.1:{cls.web.port}"

    @classmethod
    def tearDownClass(cls):
        print(f"\nscreenshots: {SCREENSHOTS}")

    def setUp(self):
        self.browser = Browser(self.base)
        self.addCleanup(self.browser.close)

    def tearDown(self):
        self.assertIsNone(self.browser.alert_text(), "an alert is open")
        self.assertEqual(self.console_problems(), [], "console messages")

    def console_problems(self):
        """The browser's console messages a test must fail on: all but the
        401 of asking for a session that has ended."""
        return [e for e in self.browser.console_errors()
                if not ("401" in e["message"] and "/api/v1/session" in e["message"])]

    def rcpt(self, address):
        replies, _ = send(self.stack.postfix.smtp_port, [address], token())
        return replies[address]

    def dovecot_login(self, address, password):
        """Whether Dovecot (store-a) lets address log in with password."""
        return self.stack.store_a.doveadm("auth", "login", address, password,
                                          check=False).returncode == 0
