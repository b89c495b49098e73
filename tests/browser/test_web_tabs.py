# SPDX-License-Identifier: MIT
"""test_web_tabs - every tab of rcptdb-web's page used, as a person clicks.

On one PageStack (pagestack.py: the sample data, rcptdb-server, Postfix,
two Dovecots, rcptdb-web), each flow clicks through one view and checks
what it did twice: on the page, and through the API (or Dovecot):
  - Domains (server admin): add a relay and an alias domain by choosing
    the kind, disable and enable a domain, change a domain's transport
    (a refusal next to the field in the API's words; a stale edit shows
    the current values);
  - Mailboxes (domain admin): search by typing, add with a generated
    password (shown once, and Dovecot takes it), a per-mailbox transport,
    disable and enable, reset the password, delete; pages of 100 with
    "Next page"; descriptions shown in the list, changed in the editor (a
    refusal beside the field in the API's words), kept after a reload,
    and removed by emptying the field;
  - Aliases: add, disable and enable, delete; the catch-all: set and
    remove; relay recipients and sender logins: add and delete;
  - Check an address: each map's key, answer and reason, the verdict and
    the LMTP reply, as the API gives them;
  - Activity as a domain admin: only its domains' changes, newest first,
    with who, from where, and before and after.
"""
import json
import unittest

from browser import PHONE, Browser, Keys
from pagestack import ADMIN_PASSWORD, ROOT_PASSWORD, PageStack
from selenium.webdriver.common.by import By

DOMAINS = "/api/v1/domains"


def cell(row, label):
    return row.find_element(By.CSS_SELECTOR, f"[data-label='{label}']").text


class TabsTest(PageStack):
    def hash(self):
        return self.browser.driver.execute_script("return location.hash")

    def press_in_row(self, button, first_cell):
        b = self.browser
        b.press(button, b.row_of(first_cell))
        b.settle()

    # --- domains -------------------------------------------------------------------

    def test_domains_kind_state_and_transport(self):
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        self.assertEqual(b.heading(), "Domains")
        # A relay domain and an alias domain, by the kind chosen.
        form = b.form("Add a domain")
        b.fill("Name", "relay-page.test", form)
        b.fill("Kind", "relay", form)
        b.fill("Transport", "smtp:[mx.relay-page.test]", form)
        b.submit("Add a domain", "Add domain")
        row = b.row_of("relay-page.test")
        self.assertEqual(cell(row, "Kind"), "relay")
        self.assertEqual(cell(row, "Transport"), "smtp:[mx.relay-page.test]")
        d = self.api.get(DOMAINS + "/relay-page.test").json
        self.assertEqual((d["kind"], d["transport"]), ("relay", "smtp:[mx.relay-page.test]"))
        form = b.form("Add a domain")
        b.fill("Name", "alias-page.test", form)
        b.fill("Kind", "alias", form)
        b.fill("Target (alias domains)", "example.com", form)
        b.submit("Add a domain", "Add domain")
        self.assertEqual(cell(b.row_of("alias-page.test"), "Kind"), "alias of example.com")
        d = self.api.get(DOMAINS + "/alias-page.test").json
        self.assertEqual((d["kind"], d["target"]), ("alias", "example.com"))
        # Disable, then enable.
        self.press_in_row("Disable", "example.org")
        self.assertEqual(cell(b.row_of("example.org"), "State"), "disabled")
        self.assertIs(self.api.get(DOMAINS + "/example.org").json["active"], False)
        self.press_in_row("Enable", "example.org")
        self.assertEqual(cell(b.row_of("example.org"), "State"), "active")
        self.assertIs(self.api.get(DOMAINS + "/example.org").json["active"], True)
        # The transport of an existing domain: a refusal beside the field,
        # in the API's words, and nothing changed ...
        before = self.api.get(DOMAINS + "/example.org").json["transport"]
        self.press_in_row("Change transport", "example.org")
        form = b.form("Transport of example.org")
        self.assertEqual(b.field("Transport", form).get_attribute("value"), before)
        b.fill("Transport", "no colon here", form)
        b.submit("Transport of example.org", "Save")
        said = self.api.patch(DOMAINS + "/example.org?dry_run=1", {"transport": "no colon here"})
        self.assertEqual(said.status, 422, said)
        self.assertEqual(b.error_of("Transport"), said.json["detail"])
        self.assertEqual(self.api.get(DOMAINS + "/example.org").json["transport"], before)
        b.screenshot("domain-transport-refused")
        # ... then a good one, shown in the list and kept.
        other = f"lmtp:inet:127.0.0.1:{self.stack.store_b.port}"
        b.fill("Transport", other, b.form("Transport of example.org"))
        b.submit("Transport of example.org", "Save")
        self.assertEqual(cell(b.row_of("example.org"), "Transport"), other)
        self.assertIn("example.org: transport " + other, b.status())
        self.assertEqual(self.api.get(DOMAINS + "/example.org").json["transport"], other)
        # A stale edit: someone else changes it meanwhile.
        self.press_in_row("Change transport", "example.org")
        b.fill("Transport", "smtp:[stale.example]", b.form("Transport of example.org"))
        self.api.patch(DOMAINS + "/example.org", {"transport": before})
        b.submit("Transport of example.org", "Save")
        shown = b.form_error("Transport of example.org")
        self.assertIn("Someone else changed domain example.org", shown)
        self.assertIn(before, shown)
        self.assertEqual(self.api.get(DOMAINS + "/example.org").json["transport"], before)
        b.screenshot("domain-transport-stale")
        b.expect_refusals(412, 422)

    # --- mailboxes --------------------------------------------------------------------

    def test_mailboxes_search_add_transport_state_password_delete(self):
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes")
        base = DOMAINS + "/example.com/mailboxes"
        # Search as you type: the list and the URL follow the box.
        b.field("Search mailboxes").send_keys("ca")
        b.wait(lambda: [r[0] for r in b.rows()] == ["carol@example.com"], what="the search")
        b.settle()
        self.assertEqual(self.hash(), "#/domain/example.com/mailboxes?q=ca")
        self.assertEqual(b.driver.switch_to.active_element.get_attribute("id"), "search")
        b.keys(Keys.BACKSPACE, Keys.BACKSPACE)
        b.wait(lambda: len(b.rows()) > 1, what="the search cleared")
        b.settle()
        # Add with a generated password: shown once, and Dovecot takes it.
        form = b.form("Add a mailbox")
        b.fill("Address", "gen", form)
        b.press("Generate", form)
        generated = b.field("Password", form).get_attribute("value")
        self.assertGreaterEqual(len(generated), 20)
        b.submit("Add a mailbox", "Add mailbox")
        self.assertIn("gen@example.com: added", b.status())
        self.assertNotIn(generated, b.driver.page_source, "the password is shown again")
        self.assertTrue(self.dovecot_login("gen@example.com", generated))
        # A per-mailbox transport.
        other = f"lmtp:inet:127.0.0.1:{self.stack.store_b.port}"
        self.press_in_row("Edit", "gen@example.com")
        b.fill("Transport", other, b.form("Edit gen@example.com"))
        b.submit("Edit gen@example.com", "Save")
        self.assertEqual(cell(b.row_of("gen@example.com"), "Transport"), other)
        self.assertEqual(self.api.get(base + "/gen").json["transport"], other)
        # Disable, then enable.
        self.press_in_row("Disable", "gen@example.com")
        self.assertEqual(cell(b.row_of("gen@example.com"), "State"), "disabled")
        self.assertIs(self.api.get(base + "/gen").json["active"], False)
        self.press_in_row("Enable", "gen@example.com")
        self.assertEqual(cell(b.row_of("gen@example.com"), "State"), "active")
        self.assertIs(self.api.get(base + "/gen").json["active"], True)
        # Reset the password: the new one logs in, the old one no more.
        self.press_in_row("Reset password", "gen@example.com")
        b.fill("New password", "Reset-Pass-9", b.form("New password for gen@example.com"))
        b.submit("New password for gen@example.com", "Set password")
        self.assertIn("gen@example.com: password set", b.status())
        self.assertTrue(self.dovecot_login("gen@example.com", "Reset-Pass-9"))
        self.assertFalse(self.dovecot_login("gen@example.com", generated))
        b.screenshot("mailbox-added-and-changed")
        # Delete, after the confirmation.
        b.press("Delete", b.row_of("gen@example.com"))
        self.assertIn("Delete gen@example.com?", b.alert_text())
        b.accept_confirm()
        self.assertNotIn("gen@example.com", [r[0] for r in b.rows()])
        self.assertEqual(self.api.get(base + "/gen").status, 404)

    def test_a_search_redraws_the_list_in_place(self):
        # A search changes the rows already drawn (the page's fast path):
        # each must then read as a freshly drawn page's row, and its
        # buttons act on the mailbox it now shows.
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes")
        everyone = b.rows()
        by_address = {r[0]: r for r in everyone}
        self.assertIn("lmtp:", by_address["dave@example.com"][4])  # a transport of its own
        for typed, want in (("ca", ["carol@example.com"]), ((Keys.BACKSPACE,) * 2, None),
                            ("d", ["dave@example.com"]), ((Keys.BACKSPACE,), None),
                            ("ca", ["carol@example.com"])):
            b.field("Search mailboxes").send_keys(*typed)
            want_rows = everyone if want is None else [by_address[a] for a in want]
            b.wait(lambda: b.rows() == want_rows, what=f"the rows after {typed!r}")
            b.settle()
        carol = by_address["carol@example.com"]
        before = self.api.get(DOMAINS + "/example.com/mailboxes/carol").json["active"]
        self.press_in_row("Disable" if carol[5].startswith("Disable") else "Enable", "carol@example.com")
        self.assertIs(self.api.get(DOMAINS + "/example.com/mailboxes/carol").json["active"], not before)
        for other in everyone:
            if other[0] != "carol@example.com":
                local = other[0].split("@")[0]
                self.assertEqual(self.api.get(DOMAINS + f"/example.com/mailboxes/{local}").json["active"],
                                 other[2] == "active", other[0])
        self.api.patch(DOMAINS + "/example.com/mailboxes/carol", {"active": before})

    def test_mailbox_descriptions_shown_changed_and_removed(self):
        base = DOMAINS + "/example.com/mailboxes"
        # Descriptions as admins give them (the screenshots show these).
        for local, text in (("alice", "Alice Liddell, sales"),
                            ("bob", "Bob Kelso \u2013 front desk, shared with the night shift")):
            self.assertEqual(self.api.patch(f"{base}/{local}", {"description": text}).status, 200)
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/domain/example.com/mailboxes")
        self.assertEqual(cell(b.row_of("alice@example.com"), "Description"), "Alice Liddell, sales")
        self.assertEqual(cell(b.row_of("carol@example.com"), "Description"), "\u2014")
        # A refusal beside the field, in the API's words, and nothing changed.
        self.press_in_row("Edit", "carol@example.com")
        form = b.form("Edit carol@example.com")
        self.assertEqual(b.field("Description", form).get_attribute("value"), "")
        self.assertEqual(b.driver.switch_to.active_element.get_attribute("name"), "description")
        too_long = "x" * 256
        b.fill("Description", too_long, form)
        b.submit("Edit carol@example.com", "Save")
        said = self.api.patch(base + "/carol?dry_run=1", {"description": too_long})
        self.assertEqual(said.status, 422, said)
        self.assertIn("description must be", said.json["detail"])
        self.assertEqual(b.error_of("Description"), said.json["detail"])
        self.assertEqual(self.api.get(base + "/carol").json["description"], "")
        b.screenshot("mailbox-description-refused")
        # A good one: saved, shown in the list, and still there after a
        # reload (the API keeps it).
        text = "Carol Danvers \u2013 on leave until March; mail goes to Bob"
        b.fill("Description", text, b.form("Edit carol@example.com"))
        b.submit("Edit carol@example.com", "Save")
        self.assertIn("carol@example.com: saved", b.status())
        b.reload()
        self.assertEqual(cell(b.row_of("carol@example.com"), "Description"), text)
        self.assertEqual(self.api.get(base + "/carol").json["description"], text)
        b.screenshot("mailboxes-with-descriptions")
        phone = Browser(self.base, size=PHONE)
        try:
            phone.sign_in("exadmin", ADMIN_PASSWORD)
            phone.open("#/domain/example.com/mailboxes")
            self.assertEqual(cell(phone.row_of("carol@example.com"), "Description"), text)
            phone.screenshot("phone-mailboxes-with-descriptions")
        finally:
            phone.close()
        # Emptying the field removes it.
        self.press_in_row("Edit", "carol@example.com")
        b.fill("Description", "", b.form("Edit carol@example.com"))
        b.submit("Edit carol@example.com", "Save")
        b.reload()
        self.assertEqual(cell(b.row_of("carol@example.com"), "Description"), "\u2014")
        self.assertEqual(self.api.get(base + "/carol").json["description"], "")
        b.expect_refusals(422)

    def test_mailboxes_come_in_pages_of_100(self):
        self.api.post(DOMAINS, {"name": "many.test", "kind": "hosted",
                                "transport": f"lmtp:inet:127.0.0.1:{self.stack.store_a.port}"})
        items = [{"method": "POST", "path": DOMAINS + "/many.test/mailboxes",
                  "body": {"local": f"user{i:03d}"}} for i in range(130)]
        r = self.api.post("/api/v1/batch", {"items": items})
        self.assertEqual(r.status, 200, r)
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        b.open("#/domain/many.test/mailboxes")
        first = [r[0] for r in b.rows()]
        self.assertEqual(len(first), 100)
        b.driver.find_element(By.LINK_TEXT, "Next page \u2192").click()
        b.settle()
        second = [r[0] for r in b.rows()]
        self.assertEqual(len(second), 30)
        self.assertEqual(sorted(first + second), [f"user{i:03d}@many.test" for i in range(130)])
        self.assertIn("cursor=", self.hash())
        b.screenshot("mailboxes-second-page")
        b.driver.find_element(By.LINK_TEXT, "\u2190 First page").click()
        b.settle()
        self.assertEqual([r[0] for r in b.rows()], first)
        # Searches that change a page of 100 in place into pages of 30, 100,
        # 10 and 100 rows: each row then reads as the search's.
        for typed, want in (("user1", range(100, 130)), ((Keys.BACKSPACE,), range(100)),
                            ("05", range(50, 60)), ((Keys.BACKSPACE,) * 2, range(100))):
            b.field("Search mailboxes").send_keys(*typed)
            want_rows = [f"user{i:03d}@many.test" for i in want]
            b.wait(lambda: [r[0] for r in b.rows()] == want_rows, what=f"the rows after {typed!r}")
            b.settle()

    def test_a_search_changes_the_rows_in_sight_first(self):
        """The rows up to the window's bottom edge show a search's answer at
        once; those below it change in the task after the next frame (held
        here by holding requestAnimationFrame's callbacks), the table is
        aria-busy and the page busy until they have, and a newer search's
        rows win over an older one still pending."""
        self.api.post(DOMAINS, {"name": "sight.test", "kind": "hosted",
                                "transport": f"lmtp:inet:127.0.0.1:{self.stack.store_a.port}"})
        items = [{"method": "POST", "path": DOMAINS + "/sight.test/mailboxes",
                  "body": {"local": f"user{i:03d}"}} for i in range(130)]
        self.assertEqual(self.api.post("/api/v1/batch", {"items": items}).status, 200)
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        b.open("#/domain/sight.test/mailboxes")
        self.assertEqual(len(b.rows()), 100)
        d = b.driver
        d.execute_script("window.heldFrames = [];"
                         "window.requestAnimationFrame = (f) => window.heldFrames.push(f);")
        # Each row's address and whether it starts inside the window.
        seen = ("return [...document.querySelectorAll('table.mailboxes tbody tr')].map((tr) =>"
                " [tr.cells[0].textContent, tr.getBoundingClientRect().top < innerHeight]);")
        marks = "return performance.getEntriesByName('rcptdb-mailboxes-shown').length"

        def search(typed):
            before = d.execute_script(marks)
            b.field("Search mailboxes").send_keys(*typed)
            b.wait(lambda: d.execute_script(marks) > before, what=f"the rows in sight after {typed!r}")
            return d.execute_script(seen)

        rows = search("user1")  # 30 rows: user100 to user129
        sight = [a for a, inside in rows if inside]
        self.assertGreater(len(sight), 3)
        self.assertLess(len(sight), 30, "the window is meant to show only some of the rows")
        self.assertEqual(sight, [f"user{i:03d}@sight.test" for i in range(100, 100 + len(sight))])
        self.assertEqual(len(rows), 30)
        below = [a for a, inside in rows if not inside]
        self.assertNotEqual(below, [f"user{i:03d}@sight.test" for i in range(100 + len(sight), 130)],
                            "the rows below the window waited for the next frame")
        self.assertEqual(d.execute_script("return document.querySelector('table.mailboxes')"
                                          ".getAttribute('aria-busy')"), "true")
        self.assertNotEqual(d.execute_script("return document.documentElement.dataset.busy"), "0")
        b.screenshot("search-rows-in-sight")  # what one sees before the rows below change
        # A newer search while the older one's rows below are still pending.
        rows = search((Keys.BACKSPACE, "0"))  # user0: 100 rows, user000 to user099
        sight = [a for a, inside in rows if inside]
        self.assertEqual(sight, [f"user{i:03d}@sight.test" for i in range(len(sight))])
        self.assertEqual(len(rows), 30, "the 70 rows more are added with those below the window")
        self.assertGreaterEqual(len(d.execute_script("return window.heldFrames")), 2)
        # Released newest first: the older search must not draw over the newer.
        d.execute_script("window.heldFrames.splice(0).reverse().forEach((f) => f(performance.now()));")
        b.settle()
        self.assertEqual([r[0] for r in b.rows()], [f"user{i:03d}@sight.test" for i in range(100)])
        self.assertIsNone(d.execute_script("return document.querySelector('table.mailboxes')"
                                           ".getAttribute('aria-busy')"))
        # A search whose rows all fit in the window, while an older one's
        # rows below are pending: nothing is left pending, nor busy.
        search((Keys.BACKSPACE,))  # user: 100 rows, those below the window pending
        self.assertEqual(d.execute_script("return document.querySelector('table.mailboxes')"
                                          ".getAttribute('aria-busy')"), "true")
        rows = search(("12",))  # user12: 10 rows, all in sight
        want = [f"user{i:03d}@sight.test" for i in range(120, 130)]
        self.assertEqual(rows, [[a, True] for a in want])
        self.assertIsNone(d.execute_script("return document.querySelector('table.mailboxes')"
                                           ".getAttribute('aria-busy')"))
        d.execute_script("window.heldFrames.splice(0).reverse().forEach((f) => f(performance.now()));")
        b.settle()
        self.assertEqual([r[0] for r in b.rows()], want)
        self.assertIsNone(d.execute_script("return document.querySelector('table.mailboxes')"
                                           ".getAttribute('aria-busy')"))

    # --- aliases, catch-all, relay recipients, sender logins -------------------------

    def test_aliases_catchall_relay_recipients_and_senders(self):
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        com = DOMAINS + "/example.com"
        # Aliases: add, disable and enable, delete.
        b.open("#/domain/example.com/aliases")
        form = b.form("Add an alias")
        b.fill("Source", "team", form)
        b.fill("Targets", "alice@example.com\nbob@example.com", form)
        b.submit("Add an alias", "Add alias")
        self.assertEqual(cell(b.row_of("team@example.com"), "Targets"),
                         "alice@example.com, bob@example.com")
        self.assertEqual(self.api.get(com + "/aliases/team").json["targets"],
                         ["alice@example.com", "bob@example.com"])
        self.press_in_row("Disable", "team@example.com")
        self.assertEqual(cell(b.row_of("team@example.com"), "State"), "disabled")
        self.assertIs(self.api.get(com + "/aliases/team").json["active"], False)
        self.press_in_row("Enable", "team@example.com")
        self.assertEqual(cell(b.row_of("team@example.com"), "State"), "active")
        self.assertIs(self.api.get(com + "/aliases/team").json["active"], True)
        b.press("Delete", b.row_of("team@example.com"))
        self.assertIn("Delete the alias team@example.com?", b.alert_text())
        b.accept_confirm()
        self.assertNotIn("team@example.com", [r[0] for r in b.rows()])
        self.assertEqual(self.api.get(com + "/aliases/team").status, 404)
        # The catch-all: set, then remove.
        b.open("#/domain/example.com/catchall")
        self.assertIn("No catch-all", b.text())
        b.fill("Target address", "alice@example.com", b.form("Set a catch-all"))
        b.submit("Set a catch-all", "Save")
        self.assertIn("goes to alice@example.com", b.text())
        self.assertEqual(self.api.get(com + "/catchall").json["target"], "alice@example.com")
        b.screenshot("catchall-set")
        b.press("Remove the catch-all")
        b.settle()
        self.assertIn("No catch-all", b.text())
        self.assertEqual(self.api.get(com + "/catchall").status, 404)
        # Relay recipients: add, delete.
        b.open("#/domain/backup.example/relay")
        b.fill("Address", "newlisted", b.form("Add a relay recipient"))
        b.submit("Add a relay recipient", "Add")
        self.assertIn("newlisted@backup.example", [r[0] for r in b.rows()])
        relay = DOMAINS + "/backup.example/relay-recipients/newlisted"
        self.assertEqual(self.api.get(relay).status, 200)
        self.press_in_row("Delete", "newlisted@backup.example")
        self.assertNotIn("newlisted@backup.example", [r[0] for r in b.rows()])
        self.assertEqual(self.api.get(relay).status, 404)
        # Sender logins: add, delete.
        b.open("#/domain/example.com/senders")
        form = b.form("Add a sender rule")
        b.fill("Address", "sales", form)
        b.fill("Login", "alice@example.com", form)
        b.fill("Rule", "may send as it", form)
        b.submit("Add a sender rule", "Add rule")
        row = b.row_of("sales@example.com")
        self.assertEqual((cell(row, "Login"), cell(row, "Rule")),
                         ("alice@example.com", "may send as it"))
        sender = com + "/senders/sales/alice%40example.com"
        self.assertIs(self.api.get(sender).json["allow"], True)
        self.press_in_row("Delete", "sales@example.com")
        self.assertNotIn("sales@example.com", [r[0] for r in b.rows()])
        self.assertEqual(self.api.get(sender).status, 404)
        b.expect_refusals(404)  # a domain without a catch-all

    # --- check an address ---------------------------------------------------------------

    def test_check_shows_every_map_and_the_lmtp_reply(self):
        b = self.browser
        b.sign_in("root", ROOT_PASSWORD)
        b.open("#/check")
        for address in ("sales@example.com", "nobody@example.com"):
            b.fill("Address", address)
            b.press("Check")
            b.settle()
            b.wait(lambda: b.rows(), what="the maps")
            self.assertEqual(self.hash(), "#/check/" + address.replace("@", "%40"))
            c = self.api.get("/api/v1/check/" + address).json
            shown = {r[0]: r[1:] for r in b.rows()}
            # (HTML shows a run of spaces as one.)
            want = {name: [m["key"], "found: " + m["value"] if m["result"] == "found"
                           else m["result"], " ".join(m["why"].split())]
                    for name, m in c["maps"].items()}
            self.assertEqual(shown, want, address)
            facts = dict(zip([e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "dl.kv dt")],
                             [e.text for e in b.driver.find_elements(By.CSS_SELECTOR, "dl.kv dd")]))
            lmtp = c["lmtp"]
            self.assertTrue(facts["Dovecot (LMTP)"].startswith(
                f"{lmtp['code']} {lmtp['enhanced']} {lmtp['text']}"), facts)
            self.assertEqual(facts["Verdict"], c["verdict"])
            b.screenshot("check-" + address.split("@")[0])
        self.assertTrue(facts["Dovecot (LMTP)"].startswith("550 "), facts)

    # --- activity -------------------------------------------------------------------------

    def test_activity_of_a_domain_admin(self):
        # A change in another domain, and two in the admin's own, the last
        # one made with a client address.
        self.api.post(DOMAINS + "/example.org/mailboxes", {"local": "act-foreign"})
        ex, _ = self.web.sign_in("exadmin", ADMIN_PASSWORD)
        self.assertEqual(ex.post(DOMAINS + "/example.com/mailboxes", {"local": "act"}).status, 201)
        self.assertEqual(ex.patch(DOMAINS + "/example.com/mailboxes/act",
                                  {"active": False}).status, 200)
        b = self.browser
        b.sign_in("exadmin", ADMIN_PASSWORD)
        b.open("#/activity")
        b.screenshot("activity-as-domain-admin")
        rows = b.rows()
        self.assertIn("Changes in your domains, newest first.", b.text())
        # Only its own domains: the API's rows for this admin, in its order
        # (newest first), and none of example.org.
        seen = ex.get("/api/v1/audit?limit=50").json["items"]
        self.assertEqual([r[3] for r in rows], [f"{a['action']} {a['kind']} {a['object']}"
                                                for a in seen])
        self.assertFalse([r for r in rows if "example.org" in r[3]], rows)
        ids = [a["id"] for a in seen]
        self.assertEqual(ids, sorted(ids, reverse=True))
        # Who, from where, before and after: the newest row is the disable.
        when, who, where, what, before, after = rows[0]
        self.assertEqual(what, f"{seen[0]['action']} mailbox act@example.com")
        self.assertEqual(who, "admin:exadmin")
        self.assertEqual(where, seen[0]["client"])
        self.assertTrue(where)
        self.assertIs(json.loads(before)["active"], True)
        self.assertIs(json.loads(after)["active"], False)
        self.assertTrue(when)
        # A change made with the command line says so.
        cli = [r for r, a in zip(rows, seen) if a["client"] is None]
        self.assertTrue(cli and all(r[2] == "the command line" for r in cli), rows)


if __name__ == "__main__":
    unittest.main()
