# SPDX-License-Identifier: MIT
"""demo.py - run the whole rcptdb delivery path once and show the result.

Started by scripts/demo after the build. Provisions the sample database
with rcptdb(1), starts rcptdb-server, two private Dovecot mail stores
with the rcptdb plugin and a private Postfix (all on free loopback
ports, under DEMO_DIR), sends one message per recipient below through
Postfix's SMTP port, and prints for each: what Postfix answered at RCPT,
and where the message landed (read back with doveadm) or why it was
refused (rcptdb check). Everything it started is stopped before it exits.
"""
import json
import os
import shutil
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "blackbox"))

import harness  # noqa: E402
from mailstack import MailStack, send, token, wait_for  # noqa: E402

DEMO_DIR = os.environ.get("RCPTDB_DEMO_DIR", "/tmp/rcptdb-demo")
STATE = os.path.join(DEMO_DIR, "pids")

# (recipient, what it shows)
MESSAGES = [
    ("alice@example.com", "a mailbox"),
    ("Bob@EXAMPLE.com", "upper case"),
    ("alice+news@example.com", "+detail"),
    ("sales@example.com", "alias, two mailboxes"),
    ("alice@example.net", "alias domain"),
    ("anything@example.org", "catch-all"),
    ("kontakt@bücher.example", "IDN domain (SMTPUTF8)"),
    ("dave@example.com", "mailbox on the 2nd store"),
    ("listed@backup.example", "relay domain, listed"),
    ("carol@example.com", "disabled mailbox"),
    ("former@example.com", "alias of a disabled one"),
    ("nobody@example.com", "unknown user"),
    ("nobody@example.net", "unknown, alias domain"),
    ("other@backup.example", "relay, not listed"),
    ("victim@foreign.test", "foreign domain (relay)"),
    ("victim%foreign.test@example.com", "routing trick"),
]
MAILBOXES = ["alice@example.com", "bob@example.com", "dave@example.com",
             "postmaster@example.org", "kontakt@xn--bcher-kva.example"]


def why_refused(stack, rcpt):
    res = harness.rcptdb(stack.db, "--json", "check", rcpt, check=False)
    try:
        info = json.loads(res.stdout)
    except ValueError:
        return "not an address of ours"
    verdict = info.get("verdict", "?")
    path = info.get("path") or []
    reason = path[-1].strip() if path else ""
    return f"{verdict}: {reason}" if reason else verdict


def landed(stack, subject):
    return [u for u in MAILBOXES if subject in stack.subjects(u)]


def save_state(stack):
    """Pids and the Postfix config dir, for `scripts/demo stop`."""
    with open(STATE, "w") as f:
        for p in stack.processes:
            f.write(f"pid {p.pid}\n")
        f.write(f"postfix {stack.postfix.config}\n")


def main():
    if os.path.exists(DEMO_DIR):
        shutil.rmtree(DEMO_DIR)
    os.makedirs(DEMO_DIR)
    os.chmod(DEMO_DIR, 0o755)
    stack = MailStack(DEMO_DIR)
    # Stop everything on Ctrl-C or kill, too.
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    try:
        print("starting rcptdb-server, two Dovecot stores and Postfix on loopback ...")
        stack.start_all()
        save_state(stack)
        print(f"  database      {stack.db}")
        print(f"  rcptdb-server {stack.socketmap} (Postfix's queue directory; main.cf: "
              "socketmap:unix:rcptdb/socketmap:MAP)")
        print(f"  Dovecot LMTP  127.0.0.1:{stack.store_a.port} (store A), "
              f"127.0.0.1:{stack.store_b.port} (store B), plugin loaded")
        print(f"  Postfix SMTP  127.0.0.1:{stack.postfix.smtp_port}")
        print()
        results = []
        for rcpt, what in MESSAGES:
            subject = token()
            replies, data = send(stack.postfix.smtp_port, [rcpt], subject,
                                 smtputf8=not rcpt.isascii())
            code, text = replies[rcpt]
            results.append((rcpt, what, code, text, subject, data))
        width = max(len(r[0]) for r in results)
        print(f"{'recipient':<{width}}  {'shows':<24} Postfix  outcome")
        print("-" * (width + 80))
        for rcpt, what, code, text, subject, data in results:
            if code == 250 and data == 250:
                where = wait_for(lambda: landed(stack, subject), timeout=15)
                if where:
                    outcome = "delivered to " + ", ".join(where)
                elif rcpt.endswith("backup.example"):
                    outcome = "accepted, queued for the relay's next hop"
                else:
                    outcome = "accepted, not delivered yet"
            else:
                outcome = f"refused: {text.split(':')[-1].strip()} [{why_refused(stack, rcpt)}]"
            print(f"{rcpt:<{width}}  {what:<24} {code}      {outcome}")
        print()
        print("Postfix log:", stack.postfix.log)
        print("Try: admin/rcptdb --db", stack.db, "check sales@example.com")
    finally:
        print("stopping everything the demo started ...")
        stack.stop()
        if os.path.exists(STATE):
            os.remove(STATE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
