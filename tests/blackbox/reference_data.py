# SPDX-License-Identifier: MIT
"""reference_data - the unit tests' reference data, for black-box tests.

A Python copy of tests/unit/fixture.h (Fill(): the reference database) and
tests/unit/resolver_cases.h (kResolverCases: addresses and what they mean),
provisioned with plain SQL, which is a supported interface (sql/schema.sql).
Keep both in sync with the C++ originals; check_in_sync() (run by
test_plugin.py) compares this copy with the headers and names what drifted.

Mailboxes get a password here (fixture.h has none) so that Dovecot's passdb
has something to verify: PASSWORD, hashed by `doveadm pw`.
"""
import ast
import os
import re
import sqlite3

import harness

SCHEMA = os.path.join(harness.SRC, "sql", "schema.sql")
FIXTURE_H = os.path.join(harness.SRC, "tests", "unit", "fixture.h")
CASES_H = os.path.join(harness.SRC, "tests", "unit", "resolver_cases.h")

LMTP = "lmtp:inet:127.0.0.1:24"
PASSWORD = "rcptdb-Secret-1"

# (name, kind, transport, target, catchall, active)
DOMAINS = [
    ("example.com", "hosted", LMTP, None, None, 1),
    ("example.org", "hosted", LMTP, None, "catchall@example.org", 1),
    ("example.net", "alias", None, "example.com", None, 1),
    ("relay.example", "relay", "smtp:[backup.example]", None, None, 1),
    ("off.example", "hosted", None, None, None, 0),
    ("broken.example", "alias", None, "off.example", None, 1),
    ("xn--bcher-kva.example", "hosted", LMTP, None, None, 1),
]

# (address, active, transport)
MAILBOXES = [
    ("alice@example.com", 1, None),
    ("bob@example.com", 1, None),
    ("a_b@example.com", 1, None),
    ("o'neil@example.com", 1, None),
    ("catchall@example.org", 1, None),
    ("real@example.org", 1, None),
    ("user@xn--bcher-kva.example", 1, None),
    ("x@off.example", 1, None),
    ("carol@example.com", 0, None),
    ("off@example.org", 0, None),
    ("dave@example.com", 1, "lmtp:inet:127.0.0.2:24"),
]

# (source, target); PAUSED_ALIASES are set inactive afterwards.
ALIASES = [
    ("sales@example.com", "alice@example.com"),
    ("sales@example.com", "bob@example.com"),
    ("info@example.com", "alice@example.com"),
    ("old@example.com", "carol@example.com"),
    ("mixed@example.com", "carol@example.com"),
    ("mixed@example.com", "bob@example.com"),
    ("ext@example.com", "someone@elsewhere.test"),
    ("nested@example.com", "sales@example.com"),
    ("loop1@example.com", "loop2@example.com"),
    ("loop2@example.com", "loop1@example.com"),
    ("ghost@example.com", "nobody@example.com"),
    ("paused@example.com", "alice@example.com"),
    ("viadomain@example.com", "bob@example.net"),
    ("team@example.org", "real@example.org"),
    ("bounce@example.org", "off@example.org"),
]
PAUSED_ALIASES = ["paused@example.com"]

RELAY_RECIPIENTS = ["listed@relay.example"]

# kResolverCases: (input, verdict, delivered), in the header's order.
CASES = [
    # Mailboxes and normalisation.
    ("alice@example.com", "mailbox", "alice@example.com"),
    ("ALICE@EXAMPLE.COM", "mailbox", "alice@example.com"),
    ("Alice@Example.Com.", "mailbox", "alice@example.com"),
    ("  alice@example.com\t", "mailbox", "alice@example.com"),
    ("\"alice\"@example.com", "mailbox", "alice@example.com"),
    ("dave@example.com", "mailbox", "dave@example.com"),
    ("o'neil@example.com", "mailbox", "o'neil@example.com"),
    ("a_b@example.com", "mailbox", "a_b@example.com"),
    # Recipient details (delimiter '+').
    ("alice+news@example.com", "mailbox", "alice+news@example.com"),
    ("Alice+News@Example.com", "mailbox", "alice+news@example.com"),
    ("alice+@example.com", "mailbox", "alice+@example.com"),
    ("alice+a+b@example.com", "mailbox", "alice+a+b@example.com"),
    ("+alice@example.com", "unknown-recipient", ""),
    ("alice-news@example.com", "unknown-recipient", ""),
    ("dave+x@example.com", "mailbox", "dave+x@example.com"),
    # Unknown and disabled recipients.
    ("nobody@example.com", "unknown-recipient", ""),
    ("carol@example.com", "disabled", ""),
    ("CAROL@example.com", "disabled", ""),
    ("carol+x@example.com", "disabled", ""),
    # Aliases.
    ("sales@example.com", "alias", "alice@example.com,bob@example.com"),
    ("sales+q3@example.com", "alias", "alice@example.com,bob@example.com"),
    ("SALES@example.com", "alias", "alice@example.com,bob@example.com"),
    ("info@example.com", "alias", "alice@example.com"),
    ("old@example.com", "disabled", ""),
    ("mixed@example.com", "alias", "bob@example.com"),
    ("ext@example.com", "alias", "someone@elsewhere.test"),
    ("nested@example.com", "alias", "alice@example.com,bob@example.com"),
    ("loop1@example.com", "unknown-recipient", ""),
    ("ghost@example.com", "unknown-recipient", ""),
    ("paused@example.com", "disabled", ""),
    ("viadomain@example.com", "alias", "bob@example.com"),
    # Alias domain example.net -> example.com.
    ("alice@example.net", "mailbox", "alice@example.com"),
    ("ALICE@EXAMPLE.NET", "mailbox", "alice@example.com"),
    ("alice+tag@example.net", "mailbox", "alice+tag@example.com"),
    ("nobody@example.net", "unknown-recipient", ""),
    ("carol@example.net", "disabled", ""),
    ("sales@example.net", "alias", "alice@example.com,bob@example.com"),
    ("dave@example.net", "mailbox", "dave@example.com"),
    # Catch-all example.org.
    ("random@example.org", "alias", "catchall@example.org"),
    ("Random+x@example.org", "alias", "catchall@example.org"),
    ("real@example.org", "mailbox", "real@example.org"),
    ("real+x@example.org", "mailbox", "real+x@example.org"),
    ("team@example.org", "alias", "real@example.org"),
    ("off@example.org", "disabled", ""),
    ("off+x@example.org", "disabled", ""),
    ("bounce@example.org", "disabled", ""),
    ("catchall@example.org", "mailbox", "catchall@example.org"),
    # Relay domain: listed recipients only.
    ("listed@relay.example", "relay", "listed@relay.example"),
    ("Listed@Relay.Example", "relay", "listed@relay.example"),
    ("listed+x@relay.example", "relay", "listed+x@relay.example"),
    ("other@relay.example", "unknown-recipient", ""),
    # Domains that are not ours, or not active.
    ("x@off.example", "unknown-domain", ""),
    ("x@broken.example", "unknown-domain", ""),
    ("alice@nowhere.test", "unknown-domain", ""),
    ("alice@sub.example.com", "unknown-domain", ""),
    ("alice@com", "unknown-domain", ""),
    # IDN: U-labels become A-labels.
    ("user@bücher.example", "mailbox", "user@xn--bcher-kva.example"),
    ("USER@BÜCHER.EXAMPLE", "mailbox", "user@xn--bcher-kva.example"),
    ("user@xn--bcher-kva.example", "mailbox", "user@xn--bcher-kva.example"),
    ("user@XN--BCHER-KVA.example.", "mailbox", "user@xn--bcher-kva.example"),
    # Malformed: never found, never temporary.
    ("", "malformed", ""),
    ("   ", "malformed", ""),
    ("alice", "malformed", ""),
    ("@example.com", "malformed", ""),
    ("alice@", "malformed", ""),
    ("alice@@example.com", "malformed", ""),
    ("a@b@example.com", "malformed", ""),
    ("alice@exa mple.com", "malformed", ""),
    ("ali ce@example.com", "malformed", ""),
    ("alice@.example.com", "malformed", ""),
    ("alice@example..com", "malformed", ""),
    ("alice@-example.com", "malformed", ""),
    (".alice@example.com", "malformed", ""),
    ("alice.@example.com", "malformed", ""),
    ("al..ice@example.com", "malformed", ""),
    ("jörg@example.com", "malformed", ""),
    ("example.com", "malformed", ""),
    ("*", "malformed", ""),
    ("a" * 65 + "@example.com", "malformed", ""),
    ("alice@" + "a" * 64 + ".com", "malformed", ""),
    ("alice@exam\0ple.com", "malformed", ""),
    ("<alice@example.com>", "malformed", ""),
    # Routing tricks: never ours, even in a catch-all domain.
    ("user%elsewhere.test@example.com", "malformed", ""),
    ("user%elsewhere.test@example.org", "malformed", ""),
    ("elsewhere.test!user@example.com", "malformed", ""),
    ("\"user@elsewhere.test\"@example.com", "malformed", ""),
    ("\"user@elsewhere.test\"@example.org", "malformed", ""),
    ("@elsewhere.test:alice@example.com", "malformed", ""),
    ("\"ali ce\"@example.com", "malformed", ""),
    ("\"ali\\\"ce\"@example.com", "malformed", ""),
    # Keys are data: SQL and pattern characters match only themselves.
    ("a%b@example.com", "malformed", ""),
    ("axb@example.com", "unknown-recipient", ""),
    ("a_@example.com", "unknown-recipient", ""),
    ("*@example.com", "unknown-recipient", ""),
    ("'or'1'='1@example.com", "unknown-recipient", ""),
    ("alice'--@example.com", "unknown-recipient", ""),
    ("x');drop table mailboxes;--@example.com", "malformed", ""),
    ("\\alice@example.com", "malformed", ""),
    ("alice@example.com'", "malformed", ""),
    ("alice@%", "malformed", ""),
]


def password_hash(password=PASSWORD):
    """A {SHA512-CRYPT} hash of password, made by Dovecot itself."""
    res = harness.private_config().doveadm("pw", "-s", "SHA512-CRYPT", "-p", password)
    return res.stdout.strip()


def connect(path):
    """A read-write connection with the foreign keys the schema relies on."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    return db


def create(path, password=None):
    """Creates the reference database at path with plain SQL."""
    password = password or password_hash()
    db = connect(path)
    with open(SCHEMA) as f:
        db.executescript(f.read())
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("BEGIN")
    for name, kind, transport, target, catchall, active in DOMAINS:
        db.execute("INSERT INTO domains (name, kind, transport, target, catchall, active) "
                   "VALUES (?, ?, ?, ?, ?, ?)", (name, kind, transport, target, catchall, active))
    for address, active, transport in MAILBOXES:
        db.execute("INSERT INTO mailboxes (address, active, password, transport) "
                   "VALUES (?, ?, ?, ?)", (address, active, password, transport))
    for source, target in ALIASES:
        db.execute("INSERT INTO aliases (source, target) VALUES (?, ?)", (source, target))
    for source in PAUSED_ALIASES:
        db.execute("UPDATE aliases SET active = 0 WHERE source = ?", (source,))
    for address in RELAY_RECIPIENTS:
        db.execute("INSERT INTO relay_recipients (address) VALUES (?)", (address,))
    db.execute("COMMIT")
    db.close()


def pgsql_uri():
    """The PostgreSQL database the suites may wipe ($RCPTDB_TEST_PGSQL_URI), or None."""
    return os.environ.get("RCPTDB_TEST_PGSQL_URI") or None


def _literal(value):
    """value as a SQL literal (standard_conforming_strings: only ' doubles)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def execute(db, sql, params=()):
    """Runs one statement with ? parameters on the database db, a SQLite
    path or a PostgreSQL URI (through psql, the parameters as literals)."""
    if not db.startswith(("postgresql://", "postgres://")):
        conn = connect(db)
        conn.execute(sql, params)
        conn.close()
        return
    parts = sql.split("?")
    assert len(parts) == len(params) + 1, sql
    text = parts[0] + "".join(_literal(p) + rest for p, rest in zip(params, parts[1:]))
    harness.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", text])


def create_pgsql(uri, password=None):
    """Creates the reference data in the PostgreSQL database uri, wiping its
    schema public first: rcptdb init (sql/schema-pgsql.sql), then the same
    plain SQL as create(), through psql in one transaction."""
    password = password or password_hash()
    stmts = ["SET client_min_messages = warning",
             "DROP SCHEMA IF EXISTS public CASCADE", "CREATE SCHEMA public"]
    harness.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-c",
                 "; ".join(stmts)])
    harness.rcptdb(uri, "init")
    sql = ["BEGIN;"]
    for row in DOMAINS:
        sql.append("INSERT INTO domains (name, kind, transport, target, catchall, active) "
                   "VALUES (" + ", ".join(map(_literal, row)) + ");")
    for address, active, transport in MAILBOXES:
        sql.append("INSERT INTO mailboxes (address, active, password, transport) VALUES (" +
                   ", ".join(map(_literal, (address, active, password, transport))) + ");")
    for row in ALIASES:
        sql.append("INSERT INTO aliases (source, target) VALUES (" +
                   ", ".join(map(_literal, row)) + ");")
    for source in PAUSED_ALIASES:
        sql.append(f"UPDATE aliases SET active = 0 WHERE source = {_literal(source)};")
    for address in RELAY_RECIPIENTS:
        sql.append(f"INSERT INTO relay_recipients (address) VALUES ({_literal(address)});")
    sql.append("COMMIT;")
    harness.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", uri, "-f", "-"],
                input="\n".join(sql) + "\n")
    return uri


# --- drift detection ---------------------------------------------------------

_CASE_ROW = re.compile(r'^\s*\{(.*),\s*V::k(\w+),\s*("(?:[^"\\]|\\.)*")')
_VERDICTS = {"Malformed": "malformed", "UnknownDomain": "unknown-domain",
             "UnknownRecipient": "unknown-recipient", "Disabled": "disabled",
             "Mailbox": "mailbox", "Alias": "alias", "Relay": "relay"}


def _c_string(literal):
    """The value of a simple C string literal (the escapes the headers use)."""
    return ast.literal_eval(literal)


_CALL = re.compile(r"\b(MakeDomain|MakeMailbox|InsertAlias|SetAliasActive|InsertRelayRecipient)\(")
_TOKEN = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[\w:]+|[(),{}])')
_KINDS = {"K::kHosted": "hosted", "K::kRelay": "relay", "K::kAlias": "alias"}


def _call_args(text, pos):
    """The arguments of the C++ call whose '(' ends at pos, as Python values.

    A C string becomes its value ("" becomes None, as the tables here say
    "no value"); true/false become 1/0; K::kHosted and friends the kind's name;
    anything else (a variable) stays a name."""
    args, depth = [], 1
    while depth:
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"fixture.h: cannot parse near {text[pos:pos + 40]!r}")
        tok, pos = m.group(1), m.end()
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok != "," and depth == 1:
            if tok.startswith('"'):
                args.append(_c_string(tok) or None)
            else:
                args.append({"true": 1, "false": 0}.get(tok, _KINDS.get(tok, tok)))
    return args


def fixture_rows(fixture_h=FIXTURE_H):
    """What fixture.h's Fill() provisions, as DOMAINS, MAILBOXES, ... rows."""
    with open(fixture_h, encoding="utf-8") as f:
        text = f.read()
    text = text[text.index("inline void Fill("):]
    text = text[:text.index("\n}\n")]
    rows = {"domains": [], "mailboxes": [], "aliases": [], "paused": [], "relay": []}
    # The loop over plain addresses: for (const char* a : {...}) ... MakeMailbox(a)
    loop = re.search(r"for \(const char\* (\w+) :\s*\{(.*?)\}\)", text, re.S)
    loop_var, loop_values = (loop.group(1), [_c_string(v) for v in
                             re.findall(r'"(?:[^"\\]|\\.)*"', loop.group(2))]) if loop else (None, [])
    for m in _CALL.finditer(text):
        name, args = m.group(1), _call_args(text, m.end())
        if name == "MakeDomain":
            d = args + [None] * (5 - len(args))
            rows["domains"].append((d[0], d[1], d[2], d[3], d[4], d[5] if len(args) > 5 else 1))
        elif name == "MakeMailbox":
            active = args[1] if len(args) > 1 else 1
            transport = args[2] if len(args) > 2 else None
            addresses = loop_values if args[0] == loop_var else [args[0]]
            rows["mailboxes"] += [(a, active, transport) for a in addresses]
        elif name == "InsertAlias":
            rows["aliases"].append(tuple(args))
        elif name == "SetAliasActive" and args[1] == 0:
            rows["paused"].append(args[0])
        elif name == "InsertRelayRecipient":
            rows["relay"].append(args[0])
    return rows


def check_in_sync(fixture_h=FIXTURE_H, cases_h=CASES_H):
    """Returns a list of differences between this copy and the C++ headers.

    Every row is compared whole: a flipped active flag, a domain's kind,
    transport, target or catch-all, an alias target, a verdict or a
    delivered address counts, not only the addresses."""
    problems = []
    with open(cases_h, encoding="utf-8") as f:
        rows = [m for m in map(_CASE_ROW.match, f) if m]
    if len(rows) != len(CASES):
        problems.append(f"resolver_cases.h has {len(rows)} rows, CASES has {len(CASES)}")
    for i, (m, case) in enumerate(zip(rows, CASES)):
        first, verdict, delivered = m.group(1).strip(), _VERDICTS[m.group(2)], m.group(3)
        if verdict != case[1] or _c_string(delivered) != case[2]:
            problems.append(f"row {i} ({case[0]!r}): header says {verdict} {delivered}")
        if re.fullmatch(r'"(?:[^"\\]|\\.)*"', first) and _c_string(first) != case[0]:
            problems.append(f"row {i}: header input {first}, CASES has {case[0]!r}")
    try:
        fixture = fixture_rows(fixture_h)
    except (ValueError, AttributeError, IndexError) as e:
        return problems + [f"fixture.h: {e}"]
    ours = {"domains": DOMAINS, "mailboxes": MAILBOXES, "aliases": ALIASES,
            "paused": PAUSED_ALIASES, "relay": RELAY_RECIPIENTS}
    for table, rows_here in ours.items():
        theirs, here = sorted(fixture[table], key=repr), sorted(rows_here, key=repr)
        for row in theirs:
            if row not in here:
                problems.append(f"fixture.h {table} row {row!r} is not in reference_data.py")
        for row in here:
            if row not in theirs:
                problems.append(f"reference_data.py {table} row {row!r} is not in fixture.h")
    return problems


def postfix_key(address):
    """True iff a Postfix map could be asked about address at all.

    A key with a NUL byte or a line break cannot travel in either lookup
    protocol, so Postfix never asks; everything else may arrive.
    """
    return "\0" not in address and "\n" not in address and "\r" not in address


if __name__ == "__main__":
    for p in check_in_sync():
        print(p)
