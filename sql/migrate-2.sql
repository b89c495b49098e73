-- SPDX-License-Identifier: MIT
-- migrate-2.sql - turns an rcptdb database of schema version 1 into 2
--
-- Run by `rcptdb migrate` inside one transaction, after it has checked
-- that no mailbox name contains the recipient delimiter (which version 2
-- refuses; the command lists the names in the way). Leaves the schema text
-- exactly as sql/schema.sql creates it.
--
-- 1. settings gains postmaster and catchall_senders, with per-name checks.
CREATE TEMP TABLE settings_v1 AS SELECT name, value FROM main.settings;
DROP TABLE main.settings;
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
UPDATE settings SET value = (SELECT value FROM temp.settings_v1 WHERE name = 'delimiter')
WHERE name = 'delimiter' AND EXISTS (SELECT 1 FROM temp.settings_v1 WHERE name = 'delimiter');
DROP TABLE temp.settings_v1;

-- 2. transport values may hold inner blanks (error:5.7.1 Mailbox moved).
-- A looser CHECK needs no table rebuild: every stored row satisfies it
-- (SQLite's documented procedure for changing constraints in place; the
-- schema cookie changes with the statements below, so every connection
-- reloads the schema).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
SET sql = replace(sql, 'AND transport NOT GLOB ''*[^!-~]*'')),', 'AND transport NOT GLOB ''*[^ -~]*''
                            AND transport NOT GLOB '' *'' AND transport NOT GLOB ''* '')),')
WHERE type = 'table' AND name IN ('domains', 'mailboxes');
PRAGMA writable_schema = RESET;

-- 3. The triggers of version 2, as in sql/schema.sql.
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

PRAGMA user_version = 2;
