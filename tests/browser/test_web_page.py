# SPDX-License-Identifier: MIT
"""test_web_page - rcptdb-web's page, clicked through in headless Chromium.

One MailStack (tests/blackbox/mailstack.py: rcptdb-server, a private
Postfix, two private Dovecots with the plugin, on one database) and one
rcptdb-web serving web/static of this tree. Each role's flows, as a
person clicks them:
  - a domain admin adds a mailbox, mail sent to it through the private
    Postfix is delivered by Dovecot; it disables the mailbox and the next
    RCPT is refused with 550 5.2.1; it never sees another domain, even by
    typing that domain's URL;
  - a server admin adds a domain and a domain admin for it, and the
    activity view then shows both changes with the actor;
  - a mailbox owner changes its password: the old one no longer logs in
    to Dovecot and the new one does;
  - markup (<img src=x onerror=alert(1)>) in every value the page shows
    renders as text: the test fails if any script runs, or if an alert or a
    console error appears; a mailbox's description holding it, typed into
    the page's own Add form, shows as that text in the list, the editor,
    a stale edit's current values and the activity;
  - a session cookie without the CSRF header cannot change anything (403);
  - refusals appear next to their field in the API's words, a 412 shows
    the current values, the throttle's 429 says when to try again, views
    have URLs (back and reload work), every control has a label, the
    keyboard reaches everything with a visible focus, and the page fits a
    phone-sized window.
Screenshots of each view go to browser.SCREENSHOTS.
"""
import os
import re
import unittest

import harness
import web_instance
from browser import PHONE, Browser, Keys
from mailstack import send, token, wait_for
from pagestack import ADMIN_PASSWORD, ROOT_PASSWORD, STATIC, PageStack
from selenium.webdriver.common.by import By

MARKUP = "<img src=x onerror=alert(1)>"


class PageTest(PageStack):
    # --- a domain admin ----------------------------------------------------------

    def test_domain_admin_adds_a_mailbox_that_receives_mail_then_disables_it(self):
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        self.assertEqual(b.heading(), "Domains")
        self.assertEqual([r[0] for r in b.rows()], ["example.com"])
        b.screenshot("domains-as-domain-admin")
        b.open("#/domain/example.com/mailboxes")
        b.screenshot("mailboxes")
        form = b.form("Add a mailbox")
        b.fill("Address", "pagenew", form)
        b.fill("Password", "Page-Pass-1", form)
        b.fill("Quota", "2", form)
        b.submit("Add a mailbox", "Add mailbox")
        self.assertIn("pagenew@example.com: added", b.status())
        self.assertEqual(b.row_of("pagenew@example.com").find_element(
            By.CSS_SELECTOR, "[data-label=Quota]").text, "2 GiB")
        subject = token()
        replies, data = send(self.stack.postfix.smtp_port, ["pagenew@example.com"], subject)
        self.assertEqual(replies["pagenew@example.com"][0], 250, replies)
        self.assertTrue(wait_for(lambda: subject in self.stack.subjects("pagenew@example.com")),
                        "the mailbox added in the page got no mail")
        b.press("Disable", b.row_of("pagenew@example.com"))
        b.settle()
        self.assertIn("disabled", b.row_of("pagenew@example.com").text)
        code, text = self.rcpt("pagenew@example.com")
        self.assertEqual(code, 550)
        self.assertIn("5.2.1", text)
        # Another domain, by its URL: nothing of it shows.
        for view in ("#/domain/example.org/mailboxes", "#/domain/example.org/aliases",
                     "#/check/postmaster%40example.org"):
            b.open(view)
            self.assertNotIn("postmaster@example.org", b.driver.find_element(By.ID, "main").text
                             if view.startswith("#/domain") else "")
            self.assertEqual(b.rows(), [], view)
            self.assertIn("no such", b.text().lower(), view)
            b.expect_refusals(404)
        b.screenshot("foreign-domain-by-url")

    # --- a server admin ----------------------------------------------------------

    def test_server_admin_adds_a_domain_and_its_admin_seen_in_activity(self):
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        form = b.form("Add a domain")
        b.fill("Name", "pagedomain.test", form)
        b.fill("Transport", f"lmtp:inet:127.0.0.1:{self.stack.store_a.port}", form)
        b.submit("Add a domain", "Add domain")
        self.assertIn("pagedomain.test", [r[0] for r in b.rows()])
        b.screenshot("domains-as-server-admin")
        b.open("#/admins")
        form = b.form("Add an administrator")
        b.fill("Login", "pageadmin", form)
        b.press("Generate", form)
        generated = b.field("Password", form).get_attribute("value")
        self.assertGreaterEqual(len(generated), 20)
        b.fill("Domains", "pagedomain.test", form)
        b.submit("Add an administrator", "Add administrator")
        self.assertIn("pageadmin", [r[0] for r in b.rows()])
        b.screenshot("administrators")
        b.open("#/activity")
        b.screenshot("activity")
        rows = b.rows()
        whats = {r[3]: r[1] for r in rows}
        self.assertEqual(whats.get("create domain pagedomain.test"), "admin:root", rows[:5])
        self.assertEqual(whats.get("create admin pageadmin"), "admin:root", rows[:5])
        # The new admin signs in with the generated password and holds its domain.
        other = Browser(self.base)
        try:
            other.sign_in("pageadmin", generated)
            self.assertEqual([r[0] for r in other.rows()], ["pagedomain.test"])
        finally:
            other.close()

    # --- a mailbox owner -----------------------------------------------------------

    def test_mailbox_owner_changes_its_password(self):
        b = self.browser
        harness.rcptdb(self.stack.db, "mailbox", "passwd", "bob@example.com", "--password-stdin",
                       input="Bob-Old-Pass-1\n")
        b.sign_in("bob@example.com", "Bob-Old-Pass-1")
        self.assertEqual(b.heading(), "My account")
        self.assertNotIn("Domains", b.driver.find_element(By.ID, "nav").text)
        form = b.form("Change my password")
        b.fill("Current password", "wrong", form)
        b.fill("New password", "Bob-New-Pass-2", form)
        b.fill("New password again", "Bob-New-Pass-2", form)
        b.submit("Change my password", "Change password")
        self.assertIn("not the current password", b.error_of("Current password"))
        b.expect_refusals(403)  # the wrong current password's
        b.fill("Current password", "Bob-Old-Pass-1", form)
        b.fill("New password", "Bob-New-Pass-2", form)
        b.fill("New password again", "Bob-New-Pass-2", form)
        b.submit("Change my password", "Change password")
        self.assertIn("Your password is changed", b.form_error("Change my password"))
        self.assertIn("done", b.form("Change my password").find_element(
            By.CSS_SELECTOR, ".form-error").get_attribute("class"), "success shown as a refusal")
        b.screenshot("my-account")
        self.assertTrue(self.dovecot_login("bob@example.com", "Bob-New-Pass-2"))
        self.assertFalse(self.dovecot_login("bob@example.com", "Bob-Old-Pass-1"))
        # The owner cannot open anything else.
        b.open("#/domain/example.com/mailboxes")
        self.assertEqual(b.rows(), [])
        self.assertIn("no such", b.text().lower())
        b.expect_refusals(404)

    # --- data is text --------------------------------------------------------------

    def test_markup_in_every_value_renders_as_text(self):
        base = "/api/v1/domains/example.com"
        transport = "smtp:[relay.example]" + MARKUP
        r = self.api.post(base + "/mailboxes", {"local": "markup", "transport": transport})
        self.assertEqual(r.status, 201, r)
        r = self.api.post(base + "/senders", {"local": "markup",
                                             "login": MARKUP.replace(" ", "/")})
        self.assertEqual(r.status, 201, r)
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        for view, shown in (("#/domain/example.com/mailboxes?q=markup", transport),
                            ("#/domain/example.com/senders", MARKUP.replace(" ", "/")),
                            ("#/activity", MARKUP),
                            ("#/check/markup%40example.com", transport)):
            b.open(view)
            self.assertIn(shown, b.text(), view)
            self.assertEqual(b.driver.find_elements(By.CSS_SELECTOR, "img[src=x]"), [], view)
            self.assertIsNone(b.alert_text(), view)
        b.screenshot("markup-as-text")

    def test_a_description_typed_in_the_page_renders_as_text(self):
        # The case, literally: a description holding markup, typed
        # into the page's own field, in every place the page shows it.
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes")
        form = b.form("Add a mailbox")
        b.fill("Address", "described", form)
        b.fill("Description", MARKUP, form)
        b.submit("Add a mailbox", "Add mailbox")

        def as_text(where):
            # The alert first: while one is open, nothing else can be read.
            self.assertIsNone(b.alert_text(), where)
            self.assertEqual(b.driver.find_elements(By.CSS_SELECTOR, "img"), [], where)
            self.assertEqual(self.console_problems(), [], where)

        as_text("the list")
        self.assertIn("described@example.com: added", b.status())
        self.assertEqual(self.api.get("/api/v1/domains/example.com/mailboxes/described")
                         .json["description"], MARKUP)
        row = b.row_of("described@example.com")
        self.assertEqual(row.find_element(By.CSS_SELECTOR, "[data-label=Description]").text, MARKUP)
        b.screenshot("description-markup-as-text")
        # The mailbox's own view (its editor, under its row): the field holds
        # the text; a stale edit's current values show it as text.
        b.press("Edit", row)
        form = b.form("Edit described@example.com")
        self.assertEqual(b.field("Description", form).get_attribute("value"), MARKUP)
        as_text("the editor")
        self.api.patch("/api/v1/domains/example.com/mailboxes/described", {"quota": 1 << 30})
        b.submit("Edit described@example.com", "Save")
        b.expect_refusals(412)  # the 412 is expected; nothing else may be said
        as_text("a stale edit")
        shown = b.form_error("Edit described@example.com")
        self.assertIn("Someone else changed described@example.com", shown)
        self.assertIn(MARKUP, [dd.text for dd in b.form("Edit described@example.com")
                               .find_elements(By.CSS_SELECTOR, ".form-error dd")], shown)
        b.open("#/activity")
        as_text("the activity")
        self.assertIn(MARKUP, b.text())

    def test_a_cookie_without_the_csrf_header_changes_nothing(self):
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        status = b.driver.execute_async_script("""
            const done = arguments[arguments.length - 1];
            fetch('/api/v1/domains/example.com/mailboxes', {method: 'POST', credentials: 'same-origin',
                  headers: {'Content-Type': 'application/json'}, body: JSON.stringify({local: 'forged'})})
              .then((r) => done(r.status));""")
        self.assertEqual(status, 403)
        r = self.api.get("/api/v1/domains/example.com/mailboxes/forged")
        self.assertEqual(r.status, 404)
        b.expect_refusals(403)  # the 403 above was ours

    # --- refusals, stale edits, the throttle -----------------------------------------

    def test_refusals_show_next_to_their_field(self):
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes")
        form = b.form("Add a mailbox")
        b.fill("Address", "alice", form)
        b.submit("Add a mailbox", "Add mailbox")
        self.assertEqual(b.error_of("Address"), "alice@example.com: mailbox exists already")
        b.fill("Address", "fresh", form)
        b.fill("Transport", "no colon here", form)
        b.submit("Add a mailbox", "Add mailbox")
        self.assertIn("no colon here", b.error_of("Transport"))
        self.assertEqual(b.error_of("Address"), "")
        b.screenshot("field-error")
        b.expect_refusals(409, 422)  # the refusals are expected

    def test_a_stale_edit_shows_the_current_values(self):
        self.api.post("/api/v1/domains/example.com/mailboxes", {"local": "stale"})
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes?q=stale")
        b.press("Edit", b.row_of("stale@example.com"))
        form = b.form("Edit stale@example.com")
        b.fill("Quota", "5", form)
        # Meanwhile someone else changes the mailbox.
        self.api.patch("/api/v1/domains/example.com/mailboxes/stale",
                       {"quota": 3 << 30, "description": "changed meanwhile"})
        b.submit("Edit stale@example.com", "Save")
        shown = b.form_error("Edit stale@example.com")
        self.assertIn("Someone else changed stale@example.com", shown)
        self.assertIn("3 GiB", shown)
        self.assertIn("changed meanwhile", shown)
        b.screenshot("stale-edit")
        r = self.api.get("/api/v1/domains/example.com/mailboxes/stale")
        self.assertEqual(r.json["quota"], 3 << 30)
        b.expect_refusals(412)  # the 412 is expected

    def test_the_throttle_says_when_to_try_again(self):
        # A daemon of its own: the failures counted for 127.0.0.1 here must
        # not throttle the other tests' sign-ins.
        web = web_instance.PrivateWeb(os.path.join(self.dir, "web-throttle"), self.stack.db,
                                      f"static_dir = {STATIC}\nlogin_limit = 5\n")
        web.start(self.stack)
        self.addCleanup(web.process.stop)
        b = Browser(f"http://127.0.0.1:{web.port}")
        self.addCleanup(b.close)
        for _ in range(5):
            b.sign_in("nosuchadmin", "wrong")
            self.assertIn("Sign-in failed", b.form_error(None))
        b.sign_in("nosuchadmin", "wrong")
        shown = b.form_error(None)
        self.assertRegex(shown, r"try again in \d+ s")
        # ... in the API's words: its detail, and the seconds of its Retry-After.
        r = web.client().post("/api/v1/session", {"login": "nosuchadmin", "password": "wrong"})
        self.assertEqual(r.status, 429, r)
        wait = int(r.header("retry-after"))
        self.assertEqual(re.sub(r"\d+", "N", shown), re.sub(r"\d+", "N", r.json["detail"]))
        self.assertLessEqual(abs(int(re.search(r"(\d+) s", shown).group(1)) - wait), 5, shown)
        b.screenshot("sign-in-throttled")
        b.expect_refusals(401, 429)
        self.assertEqual([e for e in b.console_errors()], [], "console messages")

    # --- URLs, keyboard, labels, a phone ------------------------------------------------

    def test_views_have_urls_labels_keyboard_and_fit_a_phone(self):
        b = self.browser
        b.open("#/signin", reload=True)
        b.screenshot("sign-in")
        b.sign_in("root", ROOT_PASSWORD)
        views = ["#/domains", "#/domain/example.com/mailboxes", "#/domain/example.com/aliases",
                 "#/domain/example.com/catchall", "#/domain/example.org/catchall",
                 "#/domain/backup.example/relay", "#/domain/example.com/senders",
                 "#/admins", "#/check/sales%40example.com", "#/activity", "#/account"]
        names = ["domains", "mailboxes", "aliases", "catchall-none", "catchall",
                 "relay-recipients", "senders", "administrators", "check", "activity",
                 "account-admin"]
        for view, name in zip(views, names):
            b.open(view)
            self.assertEqual(b.driver.execute_script("return location.hash"), view)
            # Every control has a label a screen reader reads.
            unlabelled = b.driver.execute_script("""
                return [...document.querySelectorAll('main input, main select, main textarea')]
                  .filter((e) => !e.labels.length && !e.getAttribute('aria-label'))
                  .map((e) => e.name || e.id);""")
            self.assertEqual(unlabelled, [], view)
            # Nothing in a list is cut off or spills into the next cell (the
            # mailboxes' rows are grids of fixed tracks: one too narrow would).
            spilled = b.driver.execute_script("""
                return [...document.querySelectorAll('table.records th, table.records td, table.records button')]
                  .filter((e) => e.offsetParent !== null)
                  .filter((e) => e.scrollWidth > e.clientWidth + 1 ||
                                 e.getBoundingClientRect().right >
                                   Math.min(e.closest('.scroll').getBoundingClientRect().right,
                                            window.innerWidth) + 1)
                  .map((e) => e.textContent);""")
            self.assertEqual(spilled, [], view)
            if name == "mailboxes":
                # A screen reader still reads a table of rows, headers and
                # cells (the grid rows' CSS display is not a table's).
                roles = [n.get("role", {}).get("value") for n in
                         b.cdp("Accessibility.getFullAXTree")["nodes"]]
                self.assertEqual(roles.count("table"), 1, view)
                self.assertEqual(roles.count("columnheader"), 6, view)
                self.assertEqual(roles.count("row"), len(b.rows()) + 1, view)
                self.assertEqual(roles.count("cell"), 6 * len(b.rows()), view)
            b.screenshot("view-" + name)
            if name == "catchall-none":
                b.expect_refusals(404)  # a domain without a catch-all
        # Reload keeps the view; back goes to the one before.
        b.reload()
        self.assertEqual(b.heading(), "My account")
        b.back()
        self.assertEqual(b.heading(), "Activity")
        # The keyboard: the skip link comes first and shows a focus ring.
        # (Each view focuses its heading for a screen reader; from the first
        # link of the bar, Shift+Tab must reach the skip link and nothing else.)
        b.open("#/domains", reload=True)
        b.driver.execute_script("document.querySelector('#nav a').focus()")
        b.shift_tab()
        first = b.driver.switch_to.active_element
        self.assertEqual(first.text, "Skip to the content")
        self.assertTrue(b.driver.execute_script(
            "return [...document.querySelectorAll('a[href], button, input, select, textarea')]"
            ".filter((e) => e.tabIndex >= 0)[0] === document.activeElement"))
        b.keys(Keys.TAB, Keys.TAB)
        outline = b.driver.execute_script(
            "return getComputedStyle(document.activeElement).outlineStyle")
        self.assertNotEqual(outline, "none")
        b.screenshot("keyboard-focus")
        # Every action is reachable by Tab: count the stops on a domain view.
        b.open("#/domain/example.com/mailboxes")
        stops = set()
        for _ in range(80):
            b.keys(Keys.TAB)
            el = b.driver.switch_to.active_element
            stops.add((el.tag_name, el.text or el.get_attribute("name") or ""))
        for want in (("button", "Disable"), ("button", "Edit"), ("button", "Add mailbox"),
                     ("input", "q")):
            self.assertIn(want, stops)
        # A phone: nothing wider than the window.
        phone = Browser(self.base, size=PHONE)
        try:
            phone.sign_in("root", ROOT_PASSWORD)
            for view, name in (("#/domain/example.com/mailboxes", "phone-mailboxes"),
                               ("#/activity", "phone-activity"), ("#/domains", "phone-domains")):
                phone.open(view)
                width = phone.driver.execute_script(
                    "return [document.documentElement.scrollWidth, window.innerWidth]")
                self.assertLessEqual(width[0], width[1] + 1, view)
                # ... and no control cut off at the edge (a scroll container
                # can hide what sticks out without widening the page).
                cut = phone.driver.execute_script("""
                    return [...document.querySelectorAll('button, a[href], input, select')]
                      .filter((e) => e.offsetParent !== null)
                      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
                      .map((e) => e.textContent || e.name);""")
                self.assertEqual(cut, [], view)
                phone.screenshot(name)
        finally:
            phone.close()


if __name__ == "__main__":
    unittest.main()
