# SPDX-License-Identifier: MIT
"""browser - headless Chromium on rcptdb-web's page, for the browser suites.

Browser drives Debian's chromium through chromium-driver (Selenium 4, from
/usr/bin/python3), in a private profile directory, and helps a test act as
a person would: open a view by its URL, fill a field found by its label,
press a button by its text, read what is shown. It records what a test
must be able to fail on: browser console messages (errors from scripts,
the Content-Security-Policy, the network), alerts, and it saves a
screenshot of a view under SCREENSHOTS (RCPTDB_SCREENSHOTS, default
/tmp/rcptdb-web-screenshots), named after the test's view. With
RCPTDB_WEBDRIVER set (a URL such as http://127.0.0.1:PORT) it asks that
running chromedriver for its Chromium instead of starting its own.
"""
import os
import shutil
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chromium.remote_connection import ChromiumRemoteConnection
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

SCREENSHOTS = os.environ.get("RCPTDB_SCREENSHOTS", "/tmp/rcptdb-web-screenshots")
WIDE = (1280, 900)
PHONE = (390, 844)  # a phone-sized window


class Browser:
    def __init__(self, base_url, size=WIDE):
        self.base = base_url.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="rcptdb-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--user-data-dir={self.profile}", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  f"--window-size={size[0]},{size[1]}"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        remote = os.environ.get("RCPTDB_WEBDRIVER")
        if remote:
            # A chromedriver started by the caller (scripts/check starts one
            # outside strace, which has lost track of Chromium's processes).
            # Chromium's connection knows its own commands (the DevTools
            # protocol's, for cdp() below).
            self.driver = webdriver.Remote(
                command_executor=ChromiumRemoteConnection(remote, "goog", "chrome"), options=opts)
        elif hasattr(webdriver, "ChromeService"):
            self.driver = webdriver.Chrome(
                options=opts, service=webdriver.ChromeService(executable_path="/usr/bin/chromedriver"))
        else:
            self.driver = webdriver.Chrome(options=opts)
        self.driver.set_window_size(*size)
        self.console = []

    def cdp(self, cmd, params=None):
        """The answer of Chromium's DevTools protocol command CMD, through
        a local or a remote chromedriver alike."""
        return self.driver.execute("executeCdpCommand",
                                   {"cmd": cmd, "params": params or {}})["value"]

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # --- navigation ------------------------------------------------------------

    def open(self, hash_path="", reload=False):
        url = self.base + "/" + (hash_path or "")
        if reload or not self.driver.current_url.startswith(self.base):
            self.driver.get(url)
        else:
            self.driver.execute_script("location.hash = arguments[0]", hash_path or "#/")
        self.settle()

    def reload(self):
        self.driver.refresh()
        self.settle()

    def back(self):
        self.driver.back()
        self.settle()

    def settle(self, timeout=15):
        """Waits until the page is loaded and no request of it is in flight
        (app.js keeps the count on <html data-busy>), twice in a row."""
        end = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < end:
            idle = self.driver.execute_script(
                "return document.readyState === 'complete' && "
                "(document.documentElement.dataset.busy || '0') === '0'")
            quiet = quiet + 1 if idle else 0
            if quiet >= 2:
                return
            time.sleep(0.05)
        raise AssertionError("the page did not settle")

    def wait(self, predicate, timeout=10, what="the page"):
        try:
            # The page re-renders a view whole: an element read while it is
            # replaced is asked for again.
            return WebDriverWait(self.driver, timeout,
                                 ignored_exceptions=(StaleElementReferenceException,)) \
                .until(lambda d: predicate())
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}; page says:\n{self.text()[:2000]}")

    # --- reading --------------------------------------------------------------------

    def text(self):
        return self.driver.find_element(By.TAG_NAME, "body").text

    def heading(self):
        return self.driver.find_element(By.TAG_NAME, "h1").text

    def status(self):
        return self.driver.find_element(By.ID, "status").text

    def rows(self):
        """The records table's rows, as lists of cell texts."""
        out = []
        for tr in self.driver.find_elements(By.CSS_SELECTOR, "table.records tbody tr"):
            out.append([td.text for td in tr.find_elements(By.TAG_NAME, "td")])
        return out

    def row_of(self, first_cell):
        for tr in self.driver.find_elements(By.CSS_SELECTOR, "table.records tbody tr"):
            cells = tr.find_elements(By.TAG_NAME, "td")
            if cells and cells[0].text == first_cell:
                return tr
        raise AssertionError(f"no row {first_cell!r} in {self.rows()}")

    def error_of(self, label):
        """The error shown next to the field labelled label."""
        field = self.field(label)
        if field.get_attribute("aria-invalid") != "true":
            return ""
        return self.driver.find_element(By.ID, field.get_attribute("id") + "-error").text

    def form_error(self, form_heading):
        form = self.form(form_heading)
        return form.find_element(By.CSS_SELECTOR, ".form-error").text

    # --- acting -------------------------------------------------------------------------

    def form(self, heading):
        for f in self.driver.find_elements(By.TAG_NAME, "form"):
            hs = f.find_elements(By.TAG_NAME, "h2")
            if (hs and hs[0].text == heading) or (heading is None and not hs):
                return f
        raise AssertionError(f"no form {heading!r}")

    def field(self, label, within=None):
        root = within or self.driver
        for lab in root.find_elements(By.TAG_NAME, "label"):
            if lab.text.strip() == label:
                return self.driver.find_element(By.ID, lab.get_attribute("for"))
        raise AssertionError(f"no field labelled {label!r}")

    def fill(self, label, value, within=None):
        f = self.field(label, within)
        if f.tag_name == "select":
            for o in f.find_elements(By.TAG_NAME, "option"):
                if o.get_attribute("value") == value or o.text == value:
                    o.click()
                    return f
            raise AssertionError(f"{label}: no option {value!r}")
        f.clear()
        f.send_keys(value)
        return f

    def press(self, text, within=None):
        root = within or self.driver
        for b in root.find_elements(By.TAG_NAME, "button"):
            if b.text == text and b.is_displayed():
                b.click()
                time.sleep(0.1)
                return
        raise AssertionError(f"no button {text!r}")

    def submit(self, form_heading, button):
        self.press(button, self.form(form_heading))
        self.settle()

    def accept_confirm(self):
        self.driver.switch_to.alert.accept()
        self.settle()

    def sign_in(self, login, password):
        self.open("#/signin", reload=True)
        self.fill("Login or address", login)
        self.fill("Password", password)
        self.press("Sign in")
        self.wait(self._signed_in_or_refused, what="signing in")
        self.settle()

    def _signed_in_or_refused(self):
        if self.heading() != "Sign in":
            return True
        try:
            return self.form_error(None)
        except AssertionError:  # the sign-in form is being drawn again
            return False

    def keys(self, *keys):
        webdriver.ActionChains(self.driver).send_keys(*keys).perform()

    def shift_tab(self):
        webdriver.ActionChains(self.driver).key_down(Keys.SHIFT).send_keys(Keys.TAB) \
            .key_up(Keys.SHIFT).perform()

    # --- what a test must be able to fail on -------------------------------------------

    def alert_text(self):
        """The text of an open alert, or None."""
        try:
            return self.driver.switch_to.alert.text
        except NoAlertPresentException:
            return None

    def console_errors(self):
        self.console += self.driver.get_log("browser")
        return [e for e in self.console if e["level"] in ("SEVERE", "WARNING")]

    def expect_refusals(self, *statuses):
        """Forgets the network console messages of the answers with these
        HTTP statuses that the test provoked (Chromium logs every 4xx);
        every other message, a script error or a CSP violation above all,
        still fails the test."""
        self.console += self.driver.get_log("browser")
        self.console = [e for e in self.console
                        if not (e.get("source") == "network" and any(
                            f"status of {s} " in e["message"] for s in statuses))]

    def screenshot(self, name):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        path = os.path.join(SCREENSHOTS, name + ".png")
        self.driver.save_screenshot(path)
        return path


Keys = Keys
