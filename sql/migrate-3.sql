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

PRAGMA user_version = 3;
