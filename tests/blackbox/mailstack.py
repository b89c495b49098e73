# SPDX-License-Identifier: MIT
"""mailstack - rcptdb-server, Postfix and Dovecot on one database, privately.

MailStack starts, under one directory:
  - the sample database (SAMPLE below), provisioned with rcptdb(1);
  - rcptdb-server with a socketmap listener on the documented unix socket,
    rcptdb/socketmap in Postfix's queue directory, with
    doc/examples/rcptdb.conf's group and mode;
  - Dovecot "store-a" with the rcptdb plugin, LMTP on a free port, and
    Dovecot "store-b", the second mail store that per-mailbox transports
    point at (dave@example.com lives there);
  - Postfix with a documented doc/examples main.cf, SMTP on a free port.
Every process it started is stopped by stop(), by pid. Used by the
end-to-end suite (test_e2e.py) and by scripts/demo.
"""
import os
import smtplib
import time
import uuid

import harness
from dovecot_instance import PrivateDovecot
from postfix_instance import (PrivatePostfix, example_settings, queue_socket, socketmap_conf,
                              wait_socket)

PASSWORD = "Demo-Secret-1"


def sample_commands(lmtp_a, lmtp_b):
    """rcptdb commands that provision the sample data: (args, stdin)."""
    a = f"lmtp:inet:127.0.0.1:{lmtp_a}"
    b = f"lmtp:inet:127.0.0.1:{lmtp_b}"
    pw = PASSWORD + "\n"
    return [
        (["domain", "add", "example.com", "--transport", a], None),
        (["domain", "add", "example.org", "--transport", a], None),
        (["domain", "add", "example.net", "--kind", "alias", "--target", "example.com"], None),
        (["domain", "add", "bücher.example", "--transport", a], None),
        (["domain", "add", "backup.example", "--kind", "relay",
          "--nexthop", "[mx2.backup.example]"], None),
        (["mailbox", "add", "alice@example.com", "--password-stdin"], pw),
        (["mailbox", "add", "bob@example.com", "--password-stdin"], pw),
        (["mailbox", "add", "carol@example.com", "--password-stdin"], pw),
        (["mailbox", "disable", "carol@example.com"], None),
        (["mailbox", "add", "dave@example.com", "--no-password", "--transport", b], None),
        (["mailbox", "add", "postmaster@example.org", "--no-password"], None),
        (["mailbox", "add", "kontakt@bücher.example", "--no-password"], None),
        (["alias", "add", "sales@example.com", "alice@example.com", "bob@example.com"], None),
        (["alias", "add", "info@example.com", "alice@example.com"], None),
        (["alias", "add", "former@example.com", "carol@example.com"], None),
        (["catchall", "set", "example.org", "postmaster@example.org"], None),
        (["relay-recipient", "add", "listed@backup.example"], None),
    ]


class MailStack:
    """The whole delivery path on loopback; see the module comment."""

    def __init__(self, d, example="postfix-main.cf"):
        self.dir = d
        self.db = os.path.join(d, "rcptdb.sqlite")
        self.processes = []
        postfix_dir = os.path.join(d, "postfix")
        # The examples' own socket: Postfix names it relative to its queue.
        self.socketmap = queue_socket(postfix_dir)
        self.server_conf = os.path.join(d, "rcptdb-server.conf")
        with open(self.server_conf, "w") as f:
            f.write(socketmap_conf(self.socketmap))
        self.store_a = PrivateDovecot(os.path.join(d, "store-a"), self.db, name="store-a")
        self.store_b = PrivateDovecot(os.path.join(d, "store-b"), self.db, name="store-b")
        self.postfix = PrivatePostfix(postfix_dir, example_settings(example))
        self.server = None

    # Processes are owned here, so that stop() can end every one by pid.
    def start_process(self, argv, name):
        p = harness.Process(argv, os.path.join(self.dir, name + ".log"))
        self.processes.append(p)
        return p

    start = start_process  # PrivateDovecot.start(owner) calls owner.start(argv, name)

    def provision(self):
        harness.rcptdb(self.db, "init")
        for args, stdin in sample_commands(self.store_a.port, self.store_b.port):
            harness.rcptdb(self.db, *args, input=stdin)
        # Dovecot's auth and lmtp processes run as other users: let them in.
        os.chmod(self.db, 0o644)

    def start_server(self):
        self.server = self.start_process(
            [harness.SERVER, "--foreground", "-c", self.server_conf, "--db", self.db],
            "rcptdb-server")
        wait_socket(self.socketmap)

    def stop_server(self):
        if self.server is not None:
            self.server.stop()
            self.processes.remove(self.server)
            self.server = None

    def start_all(self):
        self.provision()
        self.start_server()
        self.store_a.start(self)
        self.store_b.start(self)
        self.postfix.start()
        return self

    def stop(self):
        self.postfix.stop()
        for p in reversed(self.processes):
            p.stop()
        self.processes = []

    def store_of(self, user):
        return self.store_b if user == "dave@example.com" else self.store_a

    def subjects(self, user):
        """Subjects of every message in user's INBOX."""
        res = self.store_of(user).doveadm("fetch", "-u", user, "hdr.subject", "mailbox",
                                          "INBOX", check=False)
        return [line[len("hdr.subject: "):].strip() for line in res.stdout.splitlines()
                if line.startswith("hdr.subject:")]


def token():
    return "rcptdb-" + uuid.uuid4().hex[:12]


def send(port, rcpts, subject, sender="someone@client.test", smtputf8=False):
    """One SMTP transaction. Returns ({rcpt: (code, text)}, data_code)."""
    replies = {}
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo("client.test")
        opts = ["SMTPUTF8"] if smtputf8 else []
        code, text = s.mail(sender, opts)
        if code != 250:
            return {r: (code, text.decode()) for r in rcpts}, code
        for r in rcpts:
            code, text = s.rcpt(r)
            replies[r] = (code, text.decode("utf-8", "replace"))
        if not any(c == 250 for c, _ in replies.values()):
            return replies, None
        # ASCII headers: a UTF-8 header would need SMTPUTF8 on the LMTP hop,
        # which Dovecot 2.3 does not offer (doc/rcptdb-plugin.7, LIMITS).
        msg = (f"From: {sender}\r\nTo: undisclosed-recipients:;\r\nSubject: {subject}\r\n"
               f"Message-ID: <{subject}@client.test>\r\n\r\nHello from the rcptdb tests.\r\n")
        code, _ = s.data(msg.encode("utf-8"))
        return replies, code


def wait_for(predicate, timeout=30.0, interval=0.25):
    """Polls predicate until it returns a true value or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
