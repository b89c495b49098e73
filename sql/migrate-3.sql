-- SPDX-License-Identifier: MIT
-- migrate-3.sql - turns an rcptdb database of schema version 2 into 3
--
-- Run by `rcptdb migrate` inside one transaction. Leaves the schema text
-- exactly as sql/schema.sql creates it (schema_v2_test compares the two).
-- Each part of version 3 is one numbered section; a new section goes
-- before the closing PRAGMA, which stays last.
--
-- 1. The guards of a row hold when an UPDATE moves it as when it is
-- inserted: a mailbox or alias renamed onto the other's address, or into
-- a domain of the wrong kind, and an alias row given a new source or
-- target that makes a chain longer than the resolver's bound, were
-- accepted by version 2. As in sql/schema.sql:
CREATE TRIGGER mailboxes_upd BEFORE UPDATE OF address ON mailboxes
BEGIN
  SELECT RAISE(ABORT, 'mailboxes live in hosted domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.address, instr(NEW.address, '@') + 1)) <> 'hosted';
  SELECT RAISE(ABORT, 'an alias with this address exists')
  WHERE EXISTS (SELECT 1 FROM aliases WHERE source = NEW.address);
END;

CREATE TRIGGER aliases_upd BEFORE UPDATE OF source ON aliases
BEGIN
  SELECT RAISE(ABORT, 'aliases live in hosted domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.source, instr(NEW.source, '@') + 1)) <> 'hosted';
  SELECT RAISE(ABORT, 'a mailbox with this address exists')
  WHERE EXISTS (SELECT 1 FROM mailboxes WHERE address = NEW.source);
END;

CREATE TRIGGER relay_recipients_upd BEFORE UPDATE OF address ON relay_recipients
BEGIN
  SELECT RAISE(ABORT, 'relay recipients live in relay domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.address, instr(NEW.address, '@') + 1)) <> 'relay';
END;

-- A row given a new source or target is measured as if it were inserted
-- anew (aliases_depth_ins).
CREATE TRIGGER aliases_depth_upd BEFORE UPDATE OF source, target ON aliases
WHEN NEW.source <> OLD.source OR NEW.target <> OLD.target
BEGIN
  SELECT RAISE(ABORT, 'alias chain longer than 8 steps, the resolver''s bound')
  WHERE (WITH RECURSIVE up(node, steps, seen) AS (
           SELECT NEW.source, 0, ' ' || NEW.source || ' '
           UNION ALL
           SELECT a.source, up.steps + 1, up.seen || a.source || ' '
           FROM up JOIN aliases a ON a.target = up.node
           WHERE up.steps < 8 AND instr(up.seen, ' ' || a.source || ' ') = 0)
         SELECT max(steps) FROM up)
      + (WITH RECURSIVE down(node, steps, seen) AS (
           SELECT NEW.target, 0, ' ' || NEW.source || ' ' || NEW.target || ' '
           UNION ALL
           SELECT a.target, down.steps + 1, down.seen || a.target || ' '
           FROM down JOIN aliases a ON a.source = down.node
           WHERE down.steps < 8 AND instr(down.seen, ' ' || a.target || ' ') = 0)
         SELECT max(steps) FROM down) >= 8;
END;

-- 2. Delegated provisioning and the audit log: new tables only, no
-- existing row changes. As in sql/schema.sql:
-- Version 3: delegated provisioning (rcptdb-web) and the audit log
-- (sql/migrate-3.sql repeats this part word for word). Times are UTC in
-- ISO 8601 (2026-01-31T12:00:00Z), written by rcptdb.

-- Administrators of rcptdb-web. A server admin may do everything; a
-- domain admin only what concerns the domains it holds (admin_domains).
--   login     lower-case letters, digits and . _ @ -, at most 64 octets
--   password  {SCHEME}hash, as for mailboxes (rcptdb admin passwd);
--             NULL: cannot log in (tokens only)
--   active    0: no login, and none of its tokens is accepted
CREATE TABLE admins (
  login      TEXT PRIMARY KEY
             CONSTRAINT admin_login_syntax CHECK (length(login) BETWEEN 1 AND 64
                    AND login NOT GLOB '*[^a-z0-9._@-]*'),
  password   TEXT CONSTRAINT password_not_scheme_hash
             CHECK (password IS NULL OR password GLOB '{[A-Z]*}?*'),
  role       TEXT NOT NULL CONSTRAINT admin_role CHECK (role IN ('server', 'domain')),
  active     INTEGER NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  created    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  last_login TEXT
) WITHOUT ROWID;

-- The domains a domain admin holds (a server admin holds every domain and
-- has no rows here). Deleting a domain takes it from its admins.
CREATE TABLE admin_domains (
  login     TEXT NOT NULL REFERENCES admins (login) ON DELETE CASCADE,
  domain    TEXT NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  PRIMARY KEY (login, domain)
) WITHOUT ROWID;

CREATE INDEX admin_domains_domain ON admin_domains (domain);

CREATE TRIGGER admin_domains_ins BEFORE INSERT ON admin_domains
BEGIN
  SELECT RAISE(ABORT, 'only domain admins hold domains')
  WHERE (SELECT role FROM admins WHERE login = NEW.login) <> 'domain';
END;

CREATE TRIGGER admins_role_upd BEFORE UPDATE OF role ON admins
WHEN NEW.role <> 'domain'
BEGIN
  SELECT RAISE(ABORT, 'only domain admins hold domains')
  WHERE EXISTS (SELECT 1 FROM admin_domains WHERE login = NEW.login);
END;

-- API tokens (Authorization: Bearer). The secret is shown once, by rcptdb
-- token create, and never stored: secret_hash is the SHA-256 of the token
-- in hex. prefix is public: it names the token in lists and in the audit
-- log (token:PREFIX) and finds its row.
--   all_domains  1: whatever its owner holds at each use; 0: only the
--                token_domains rows, and of those only what the owner
--                still holds
--   read_only    1: the token reads, never writes
--   expires      NULL: never
--   networks     client networks it may be used from, CIDR blocks
--                separated by a space; NULL: any
-- A token never holds more than its owner holds now: rcptdb-web reads the
-- owner's row and domains with the token at every use (no copy), so an
-- owner disabled, narrowed or deleted narrows or ends its tokens at once.
CREATE TABLE tokens (
  prefix      TEXT PRIMARY KEY
              CONSTRAINT token_prefix_syntax CHECK (length(prefix) = 12
                     AND prefix NOT GLOB '*[^a-z0-9]*'),
  login       TEXT NOT NULL REFERENCES admins (login) ON DELETE CASCADE,
  secret_hash TEXT NOT NULL
              CONSTRAINT token_hash_syntax CHECK (length(secret_hash) = 64
                     AND secret_hash NOT GLOB '*[^0-9a-f]*'),
  all_domains INTEGER NOT NULL DEFAULT 1 CONSTRAINT token_all_domains_flag CHECK (all_domains IN (0, 1)),
  read_only   INTEGER NOT NULL DEFAULT 0 CONSTRAINT token_read_only_flag CHECK (read_only IN (0, 1)),
  expires     TEXT,
  networks    TEXT CONSTRAINT token_networks_syntax CHECK (networks IS NULL
                     OR (length(networks) BETWEEN 1 AND 2048
                         AND networks NOT GLOB '*[^0-9a-f.:/ ]*')),
  created     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  last_used   TEXT
) WITHOUT ROWID;

CREATE INDEX tokens_login ON tokens (login);

CREATE TABLE token_domains (
  prefix    TEXT NOT NULL REFERENCES tokens (prefix) ON DELETE CASCADE,
  domain    TEXT NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  PRIMARY KEY (prefix, domain)
) WITHOUT ROWID;

CREATE INDEX token_domains_domain ON token_domains (domain);

-- The audit log: one row per change that rcptdb or rcptdb-web makes,
-- written in the same transaction as the change, so that nothing changes
-- without its row. Append-only: the triggers below refuse UPDATE and
-- DELETE. Plain SQL changes leave no row on SQLite, which has no users to
-- name (PostgreSQL records them, as sql:ROLE).
--   actor    admin:LOGIN, token:PREFIX, mailbox:ADDRESS (rcptdb-web),
--            unix:USER (rcptdb: SUDO_USER, else the user running it)
--   client   the client's address (rcptdb-web); NULL for rcptdb
--   kind     domain, mailbox, alias, relay_recipient, sender_login,
--            setting, admin or token; object is its key, domain its
--            domain (NULL for settings, admins and tokens)
--   before, after  the object's fields as a JSON object, NULL before a
--            create and after a delete; password hashes and token secrets
--            never appear (only "password_scheme" and "password_changed")
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY,
  time       TEXT NOT NULL,
  actor      TEXT NOT NULL
             CONSTRAINT audit_actor CHECK (actor GLOB 'admin:?*' OR actor GLOB 'token:?*'
                    OR actor GLOB 'mailbox:?*' OR actor GLOB 'unix:?*' OR actor GLOB 'sql:?*'),
  client     TEXT,
  request_id TEXT,
  kind       TEXT NOT NULL,
  object     TEXT NOT NULL,
  domain     TEXT,
  action     TEXT NOT NULL CONSTRAINT audit_action CHECK (action IN ('create', 'update', 'delete')),
  before     TEXT,
  after      TEXT
);

CREATE INDEX audit_log_domain ON audit_log (domain, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_time ON audit_log (time);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;

PRAGMA user_version = 3;
