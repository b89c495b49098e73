-- SPDX-License-Identifier: MIT
-- schema.sql - the rcptdb recipient database, schema version 4
--
-- This file is a public interface: admins may provision with plain SQL as
-- well as with rcptdb(1). The constraints below refuse what the resolver
-- would misread, so plain SQL cannot create a recipient that Postfix and
-- Dovecot would see differently.
--
-- Normal form of every stored value:
--   domain   lower-case A-label (xn--...), LDH labels, no leading, trailing
--            or double dot, at most 253 octets
--   address  local@domain, lower case, printable ASCII without white space,
--            exactly one '@', no routing characters (% ! " \), no leading,
--            trailing or double dot in the local part, local part at most 64
--            octets
-- Connections must enable foreign keys (PRAGMA foreign_keys = ON); rcptdb
-- and the sqlite3 shell snippet in doc/ do. The file runs in WAL mode.
--
-- Applied by `rcptdb init`; `PRAGMA user_version` says which schema a file
-- holds, and every rcptdb program refuses a version it does not know.
-- `rcptdb migrate` brings an older file up to date with sql/migrate-N.sql,
-- which turns version N-1 into N and leaves exactly the text below.

PRAGMA journal_mode = WAL;

-- Settings that decide what an address means, shared by every reader.
--   delimiter         characters that start a recipient detail (user+detail);
--                     empty disables detail handling. A local part with one
--                     of them after its first character is never a mailbox
--                     name (Dovecot would strip it and deliver elsewhere).
--   postmaster        the address that "postmaster" without a domain means
--                     (RFC 5321 4.5.1); empty: refused as unknown
--   catchall_senders  'yes': a catch-all's owners may send as every address
--                     it catches; 'no' (default): a catch-all grants none
CREATE TABLE settings (
  name  TEXT PRIMARY KEY CHECK (name IN ('delimiter', 'postmaster', 'catchall_senders')),
  value TEXT NOT NULL
        CONSTRAINT delimiter_chars CHECK (name <> 'delimiter'
                   OR (length(value) <= 8 AND value NOT GLOB '*[^-+=_.#~]*'))
        CONSTRAINT postmaster_not_normalised CHECK (name <> 'postmaster' OR value = ''
                   OR (length(value) <= 254 AND value = lower(value)
                       AND value NOT GLOB '*[^!-~]*'
                       AND value NOT GLOB '*[%!"\]*'
                       AND instr(value, '@') > 1
                       AND instr(substr(value, instr(value, '@') + 1), '@') = 0
                       AND value NOT GLOB '*@' AND value NOT GLOB '*.'))
        CONSTRAINT catchall_senders_flag CHECK (name <> 'catchall_senders'
                   OR value IN ('yes', 'no'))
) WITHOUT ROWID;

INSERT INTO settings (name, value) VALUES ('delimiter', '+'), ('postmaster', ''),
  ('catchall_senders', 'no');

-- Domains we accept mail for. Nothing outside this table is ours.
-- (transport, here and in mailboxes: printable ASCII with inner blanks
-- allowed, as in error:5.7.1 Mailbox moved; no leading or trailing blank.)
--   hosted  mailboxes and aliases live here
--   relay   backup MX: only relay_recipients are accepted, sent to transport
--   alias   every x@name means x@target (one hop; target is hosted or relay)
CREATE TABLE domains (
  name      TEXT PRIMARY KEY
            CONSTRAINT domain_not_normalised CHECK (length(name) BETWEEN 1 AND 253
                   AND name NOT GLOB '*[^a-z0-9.-]*'
                   AND name NOT GLOB '.*' AND name NOT GLOB '*.'
                   AND name NOT GLOB '-*' AND name NOT GLOB '*-'
                   AND instr(name, '..') = 0
                   AND instr(name, '.-') = 0 AND instr(name, '-.') = 0),
  kind      TEXT NOT NULL DEFAULT 'hosted'
            CONSTRAINT unknown_domain_kind CHECK (kind IN ('hosted', 'relay', 'alias')),
  active    INTEGER NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  -- Postfix transport(5) value, e.g. lmtp:inet:127.0.0.1:24 or smtp:[mx]
  transport TEXT CONSTRAINT transport_syntax CHECK (transport IS NULL
                        OR (transport GLOB '*:*'
                            AND transport NOT GLOB '*[^ -~]*'
                            AND transport NOT GLOB ' *' AND transport NOT GLOB '* ')),
  target    TEXT REFERENCES domains (name) ON DELETE RESTRICT,
  -- catch-all target address for unknown local parts (hosted only)
  catchall  TEXT CONSTRAINT catchall_not_normalised CHECK (catchall IS NULL
                        OR (catchall = lower(catchall)
                            AND catchall NOT GLOB '*[^!-~]*'
                            AND catchall NOT GLOB '*[%!"\]*'
                            AND instr(catchall, '@') > 1
                            AND instr(substr(catchall, instr(catchall, '@') + 1), '@') = 0
                            AND catchall NOT GLOB '*@' AND catchall NOT GLOB '*.')),
  created   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  CONSTRAINT alias_domain_needs_target CHECK ((kind = 'alias') = (target IS NOT NULL)),
  CONSTRAINT alias_domain_to_itself CHECK (target IS NULL OR target <> name),
  CONSTRAINT catchall_needs_hosted CHECK (kind = 'hosted' OR catchall IS NULL),
  CONSTRAINT alias_domain_transport CHECK (kind <> 'alias' OR transport IS NULL)
) WITHOUT ROWID;

CREATE INDEX domains_target ON domains (target) WHERE target IS NOT NULL;

-- Mailboxes: one Dovecot user each. The domain column is derived from the
-- address; insert the address only. description is free text for people
-- (the owner's name, a note): at most 255 characters, no control
-- characters; no program reads it to route mail. Version 4 added it with
-- ALTER TABLE, which appends the column where it stands below, leading
-- comma and all: this text is what that leaves.
CREATE TABLE mailboxes (
  address   TEXT PRIMARY KEY
            CONSTRAINT address_not_normalised CHECK (length(address) <= 254
                   AND address = lower(address)
                   AND address NOT GLOB '*[^!-~]*'
                   AND address NOT GLOB '*[%!"\]*'
                   AND instr(address, '@') BETWEEN 2 AND 65
                   AND instr(substr(address, instr(address, '@') + 1), '@') = 0
                   AND address NOT GLOB '.*' AND address NOT GLOB '*.@*'
                   AND instr(address, '..') = 0),
  domain    TEXT GENERATED ALWAYS AS (substr(address, instr(address, '@') + 1))
            STORED NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  local_part TEXT GENERATED ALWAYS AS (substr(address, 1, instr(address, '@') - 1))
            VIRTUAL,
  active    INTEGER NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  -- Dovecot password in {SCHEME}hash form; NULL: no login (delivery only)
  password  TEXT CONSTRAINT password_not_scheme_hash CHECK (password IS NULL OR password GLOB '{[A-Z]*}?*'),
  -- quota in bytes; 0 means no limit
  quota     INTEGER NOT NULL DEFAULT 0 CONSTRAINT quota_not_bytes CHECK (typeof(quota) = 'integer' AND quota >= 0),
  -- per-mailbox route overriding the domain's transport (shards users)
  transport TEXT CONSTRAINT transport_syntax CHECK (transport IS NULL
                        OR (transport GLOB '*:*'
                            AND transport NOT GLOB '*[^ -~]*'
                            AND transport NOT GLOB ' *' AND transport NOT GLOB '* ')),
  created   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
, description TEXT NOT NULL DEFAULT ''
            CONSTRAINT description_text CHECK (length(description) <= 255
                   AND description NOT GLOB '*[' || char(1) || '-' || char(31) || char(127) || ']*')) WITHOUT ROWID;

CREATE INDEX mailboxes_domain ON mailboxes (domain);

-- Aliases: one row per (source, target). Targets may be local or foreign.
CREATE TABLE aliases (
  source    TEXT NOT NULL
            CONSTRAINT source_not_normalised CHECK (length(source) <= 254
                   AND source = lower(source)
                   AND source NOT GLOB '*[^!-~]*'
                   AND source NOT GLOB '*[%!"\]*'
                   AND instr(source, '@') BETWEEN 2 AND 65
                   AND instr(substr(source, instr(source, '@') + 1), '@') = 0
                   AND source NOT GLOB '.*' AND source NOT GLOB '*.@*'
                   AND instr(source, '..') = 0),
  domain    TEXT GENERATED ALWAYS AS (substr(source, instr(source, '@') + 1))
            STORED NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  target    TEXT NOT NULL
            CONSTRAINT target_not_normalised CHECK (length(target) <= 254
                   AND target = lower(target)
                   AND target NOT GLOB '*[^!-~]*'
                   AND target NOT GLOB '*[%!"\]*'
                   AND instr(target, '@') > 1
                   AND instr(substr(target, instr(target, '@') + 1), '@') = 0
                   AND target NOT GLOB '*@' AND target NOT GLOB '*.'),
  active    INTEGER NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  PRIMARY KEY (source, target),
  CONSTRAINT alias_to_itself CHECK (source <> target)
) WITHOUT ROWID;

CREATE INDEX aliases_domain ON aliases (domain);
CREATE INDEX aliases_target ON aliases (target);

-- Recipients accepted for relay domains (backup MX).
CREATE TABLE relay_recipients (
  address   TEXT PRIMARY KEY
            CONSTRAINT address_not_normalised CHECK (length(address) <= 254
                   AND address = lower(address)
                   AND address NOT GLOB '*[^!-~]*'
                   AND address NOT GLOB '*[%!"\]*'
                   AND instr(address, '@') BETWEEN 2 AND 65
                   AND instr(substr(address, instr(address, '@') + 1), '@') = 0
                   AND address NOT GLOB '.*' AND address NOT GLOB '*.@*'
                   AND instr(address, '..') = 0),
  domain    TEXT GENERATED ALWAYS AS (substr(address, instr(address, '@') + 1))
            STORED NOT NULL REFERENCES domains (name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX relay_recipients_domain ON relay_recipients (domain);

-- Sender logins beyond the defaults (a mailbox may send as itself and as
-- the aliases that lead to it). allow = 0 takes a default right away.
CREATE TABLE sender_logins (
  address   TEXT NOT NULL
            CONSTRAINT address_not_normalised CHECK (length(address) <= 254
                   AND address = lower(address)
                   AND address NOT GLOB '*[^!-~]*'
                   AND address NOT GLOB '*[%!"\]*'
                   AND instr(address, '@') > 1
                   AND instr(substr(address, instr(address, '@') + 1), '@') = 0),
  login     TEXT NOT NULL
            CONSTRAINT login_not_normalised CHECK (length(login) BETWEEN 1 AND 254
                   AND login NOT GLOB '*[^!-~]*' AND instr(login, ',') = 0),
  allow     INTEGER NOT NULL DEFAULT 1 CHECK (allow IN (0, 1)),
  PRIMARY KEY (address, login)
) WITHOUT ROWID;

-- Rules that need another row to check.

CREATE TRIGGER domains_alias_target_ins BEFORE INSERT ON domains
WHEN NEW.target IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'alias domain target must be a hosted or relay domain')
  WHERE (SELECT kind FROM domains WHERE name = NEW.target) = 'alias';
END;

CREATE TRIGGER domains_alias_target_upd BEFORE UPDATE OF kind, target ON domains
BEGIN
  SELECT RAISE(ABORT, 'alias domain target must be a hosted or relay domain')
  WHERE NEW.target IS NOT NULL
    AND (SELECT kind FROM domains WHERE name = NEW.target) = 'alias';
  SELECT RAISE(ABORT, 'domain is the target of an alias domain')
  WHERE NEW.kind = 'alias'
    AND EXISTS (SELECT 1 FROM domains WHERE target = NEW.name);
END;

CREATE TRIGGER domains_kind_upd BEFORE UPDATE OF kind ON domains
WHEN NEW.kind <> OLD.kind
BEGIN
  SELECT RAISE(ABORT, 'domain still has mailboxes, aliases or relay recipients')
  WHERE EXISTS (SELECT 1 FROM mailboxes WHERE domain = OLD.name)
     OR EXISTS (SELECT 1 FROM aliases WHERE domain = OLD.name)
     OR EXISTS (SELECT 1 FROM relay_recipients WHERE domain = OLD.name);
END;

CREATE TRIGGER mailboxes_ins BEFORE INSERT ON mailboxes
BEGIN
  SELECT RAISE(ABORT, 'mailboxes live in hosted domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.address, instr(NEW.address, '@') + 1)) <> 'hosted';
  SELECT RAISE(ABORT, 'an alias with this address exists')
  WHERE EXISTS (SELECT 1 FROM aliases WHERE source = NEW.address);
END;

CREATE TRIGGER aliases_ins BEFORE INSERT ON aliases
BEGIN
  SELECT RAISE(ABORT, 'aliases live in hosted domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.source, instr(NEW.source, '@') + 1)) <> 'hosted';
  SELECT RAISE(ABORT, 'a mailbox with this address exists')
  WHERE EXISTS (SELECT 1 FROM mailboxes WHERE address = NEW.source);
END;

CREATE TRIGGER relay_recipients_ins BEFORE INSERT ON relay_recipients
BEGIN
  SELECT RAISE(ABORT, 'relay recipients live in relay domains only')
  WHERE (SELECT kind FROM domains
         WHERE name = substr(NEW.address, instr(NEW.address, '@') + 1)) <> 'relay';
END;

-- Version 2: the recipient delimiter and alias nesting (sql/migrate-2.sql
-- repeats these triggers word for word).

-- A mailbox whose local part holds a delimiter after its first character
-- would be misdelivered: Dovecot strips the detail before its userdb
-- lookup, so mail for alice+y@ lands in alice's INBOX. (An alias source
-- may hold one: Postfix rewrites it before LMTP.) In a GLOB class a '-'
-- is literal only first, so it is moved to the front.
CREATE TRIGGER mailboxes_delimiter_ins BEFORE INSERT ON mailboxes
BEGIN
  SELECT RAISE(ABORT, 'mailbox local part contains a recipient delimiter')
  WHERE substr(NEW.address, 2, instr(NEW.address, '@') - 2) GLOB
        (SELECT '*[' || iif(instr(value, '-') > 0, '-', '') || replace(value, '-', '') || ']*'
         FROM settings WHERE name = 'delimiter' AND value <> '');
END;

CREATE TRIGGER mailboxes_delimiter_upd BEFORE UPDATE OF address ON mailboxes
BEGIN
  SELECT RAISE(ABORT, 'mailbox local part contains a recipient delimiter')
  WHERE substr(NEW.address, 2, instr(NEW.address, '@') - 2) GLOB
        (SELECT '*[' || iif(instr(value, '-') > 0, '-', '') || replace(value, '-', '') || ']*'
         FROM settings WHERE name = 'delimiter' AND value <> '');
END;

-- A new delimiter must not turn an existing mailbox name into name+detail.
-- (rcptdb config set delimiter lists the mailboxes in the way.)
CREATE TRIGGER settings_delimiter_ins BEFORE INSERT ON settings
WHEN NEW.name = 'delimiter' AND NEW.value <> '' AND NEW.value NOT GLOB '*[^-+=_.#~]*'
BEGIN
  SELECT RAISE(ABORT, 'a mailbox local part contains the new recipient delimiter')
  WHERE EXISTS (SELECT 1 FROM mailboxes
                WHERE substr(address, 2, instr(address, '@') - 2) GLOB
                      '*[' || iif(instr(NEW.value, '-') > 0, '-', '')
                           || replace(NEW.value, '-', '') || ']*');
END;

CREATE TRIGGER settings_delimiter_upd BEFORE UPDATE OF value ON settings
WHEN NEW.name = 'delimiter' AND NEW.value <> '' AND NEW.value NOT GLOB '*[^-+=_.#~]*'
BEGIN
  SELECT RAISE(ABORT, 'a mailbox local part contains the new recipient delimiter')
  WHERE EXISTS (SELECT 1 FROM mailboxes
                WHERE substr(address, 2, instr(address, '@') - 2) GLOB
                      '*[' || iif(instr(NEW.value, '-') > 0, '-', '')
                           || replace(NEW.value, '-', '') || ']*');
END;

-- The resolver follows at most 8 alias steps (kMaxAliasDepth in
-- sql/lib/resolver.h) and defers anything deeper, so no chain of alias
-- rows may be longer: the rows leading to the new source, the new row,
-- and the rows after its target. Disabled rows count (one `alias enable`
-- away); loops are cut by the path so far. Alias domains, +detail and
-- catch-alls are not followed here: the resolver's bound covers them.
CREATE TRIGGER aliases_depth_ins BEFORE INSERT ON aliases
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

-- Version 3: the guards of a row hold when an UPDATE moves it as when it
-- is inserted (sql/migrate-3.sql repeats these triggers word for word).
-- SQLite runs one writer at a time, and a write transaction always reads
-- the latest commit (a deferred one that read an older state cannot
-- write: SQLITE_BUSY_SNAPSHOT), so no trigger here can be raced.
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

PRAGMA user_version = 4;
