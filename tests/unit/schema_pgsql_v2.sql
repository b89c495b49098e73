-- SPDX-License-Identifier: MIT
-- schema-pgsql.sql - the rcptdb recipient database in PostgreSQL, schema version 2
--
-- The same tables, columns, meaning and guards as sql/schema.sql (read its
-- comments for what each column means); this file says only where
-- PostgreSQL spells a rule differently. Admins may provision with plain
-- SQL: the CHECKs and triggers below refuse what the resolver would
-- misread, exactly as the SQLite schema does, and name the same rules.
--
--   * Flags (active, allow) stay integers 0/1, so that the same queries
--     (Dovecot's passdb and userdb among them) work on both engines.
--   * The normal-form CHECKs use the IMMUTABLE functions rcptdb_address()
--     and rcptdb_domain_name() below; GLOB patterns become regular
--     expressions over code points, whatever the database's collation.
--   * Rules that need another row are PL/pgSQL triggers that RAISE with
--     the SQLite schema's message (SQLSTATE P0001; rcptdb reports it as
--     the write being refused, never as database trouble).
--   * rcptdb_version holds one row: the schema version (what SQLite keeps
--     in PRAGMA user_version) and a change counter that statement-level
--     triggers bump on every write to any table. A reader polls that one
--     row to learn that anything changed: it works on a streaming standby
--     too, where LISTEN does not.
--
-- Applied by `rcptdb init` in one transaction, into an empty schema.
-- rcptdb's writers use SERIALIZABLE transactions, so the triggers that
-- read other rows cannot be raced by a concurrent writer.

-- The normal form of an address (see sql/schema.sql). local: the stricter
-- form of mailbox names, alias sources and relay recipients (local part at
-- most 64 octets, no leading, trailing or double dot); otherwise the form
-- of targets (any local part, but not ending in '@' or '.').
CREATE FUNCTION rcptdb_address(a text, local boolean) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT octet_length(a) <= 254
     AND a = lower(a)
     AND a !~ '[^!-~]'
     AND a !~ '[%!"\\]'
     AND a !~ '@.*@'
     AND CASE WHEN local
              THEN strpos(a, '@') BETWEEN 2 AND 65
                   AND a !~ '^\.' AND strpos(a, '.@') = 0 AND strpos(a, '..') = 0
              ELSE strpos(a, '@') > 1 AND a !~ '[@.]$'
         END
$$;

-- The normal form of a domain name: lower-case LDH labels, A-labels.
CREATE FUNCTION rcptdb_domain_name(n text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT octet_length(n) BETWEEN 1 AND 253
     AND n !~ '[^a-z0-9.-]'
     AND n !~ '^[.-]' AND n !~ '[.-]$'
     AND strpos(n, '..') = 0 AND strpos(n, '.-') = 0 AND strpos(n, '-.') = 0
$$;

-- A Postfix transport(5) value: printable ASCII, inner blanks allowed.
CREATE FUNCTION rcptdb_transport(t text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT strpos(t, ':') > 0 AND t !~ '[^ -~]' AND t !~ '^ ' AND t !~ ' $'
$$;

-- True iff the local part of address holds one of the delimiter
-- characters after its first character (translate() drops them: a local
-- part that changes held one). No pattern is built from the value.
CREATE FUNCTION rcptdb_has_delimiter(address text, delimiters text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT delimiters <> ''
     AND translate(substr(address, 2, greatest(strpos(address, '@') - 2, 0)), delimiters, '')
         <> substr(address, 2, greatest(strpos(address, '@') - 2, 0))
$$;

CREATE TABLE rcptdb_version (
  only_row       boolean PRIMARY KEY DEFAULT true CONSTRAINT one_row CHECK (only_row),
  schema_version integer NOT NULL,
  v              bigint NOT NULL DEFAULT 0
);

CREATE TABLE settings (
  name  text PRIMARY KEY
        CONSTRAINT setting_name CHECK (name IN ('delimiter', 'postmaster', 'catchall_senders')),
  value text NOT NULL
        CONSTRAINT delimiter_chars CHECK (name <> 'delimiter'
                   OR (length(value) <= 8 AND value !~ '[^-+=_.#~]'))
        CONSTRAINT postmaster_not_normalised CHECK (name <> 'postmaster' OR value = ''
                   OR rcptdb_address(value, false))
        CONSTRAINT catchall_senders_flag CHECK (name <> 'catchall_senders'
                   OR value IN ('yes', 'no'))
);

CREATE TABLE domains (
  name      text PRIMARY KEY
            CONSTRAINT domain_not_normalised CHECK (rcptdb_domain_name(name)),
  kind      text NOT NULL DEFAULT 'hosted'
            CONSTRAINT unknown_domain_kind CHECK (kind IN ('hosted', 'relay', 'alias')),
  active    integer NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  transport text CONSTRAINT transport_syntax CHECK (rcptdb_transport(transport)),
  target    text REFERENCES domains (name) ON DELETE RESTRICT,
  catchall  text CONSTRAINT catchall_not_normalised CHECK (rcptdb_address(catchall, false)),
  created   text NOT NULL
            DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  CONSTRAINT alias_domain_needs_target CHECK ((kind = 'alias') = (target IS NOT NULL)),
  CONSTRAINT alias_domain_to_itself CHECK (target IS NULL OR target <> name),
  CONSTRAINT catchall_needs_hosted CHECK (kind = 'hosted' OR catchall IS NULL),
  CONSTRAINT alias_domain_transport CHECK (kind <> 'alias' OR transport IS NULL)
);

CREATE INDEX domains_target ON domains (target) WHERE target IS NOT NULL;

CREATE TABLE mailboxes (
  address    text PRIMARY KEY
             CONSTRAINT address_not_normalised CHECK (rcptdb_address(address, true)),
  domain     text GENERATED ALWAYS AS (substr(address, strpos(address, '@') + 1)) STORED
             NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  local_part text GENERATED ALWAYS AS
             (substr(address, 1, greatest(strpos(address, '@') - 1, 0))) STORED,
  active     integer NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  password   text CONSTRAINT password_not_scheme_hash CHECK (password ~ '^\{[A-Z].*\}.'),
  quota      bigint NOT NULL DEFAULT 0 CONSTRAINT quota_not_bytes CHECK (quota >= 0),
  transport  text CONSTRAINT transport_syntax CHECK (rcptdb_transport(transport)),
  created    text NOT NULL
             DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
);

CREATE INDEX mailboxes_domain ON mailboxes (domain);

CREATE TABLE aliases (
  source    text NOT NULL
            CONSTRAINT source_not_normalised CHECK (rcptdb_address(source, true)),
  domain    text GENERATED ALWAYS AS (substr(source, strpos(source, '@') + 1)) STORED
            NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  target    text NOT NULL
            CONSTRAINT target_not_normalised CHECK (rcptdb_address(target, false)),
  active    integer NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  PRIMARY KEY (source, target),
  CONSTRAINT alias_to_itself CHECK (source <> target)
);

CREATE INDEX aliases_domain ON aliases (domain);
CREATE INDEX aliases_target ON aliases (target);

CREATE TABLE relay_recipients (
  address   text PRIMARY KEY
            CONSTRAINT address_not_normalised CHECK (rcptdb_address(address, true)),
  domain    text GENERATED ALWAYS AS (substr(address, strpos(address, '@') + 1)) STORED
            NOT NULL REFERENCES domains (name) ON DELETE CASCADE
);

CREATE INDEX relay_recipients_domain ON relay_recipients (domain);

CREATE TABLE sender_logins (
  address   text NOT NULL
            CONSTRAINT address_not_normalised CHECK (octet_length(address) <= 254
                   AND address = lower(address) AND address !~ '[^!-~]'
                   AND address !~ '[%!"\\]' AND strpos(address, '@') > 1
                   AND address !~ '@.*@'),
  login     text NOT NULL
            CONSTRAINT login_not_normalised CHECK (octet_length(login) BETWEEN 1 AND 254
                   AND login !~ '[^!-~]' AND strpos(login, ',') = 0),
  allow     integer NOT NULL DEFAULT 1 CONSTRAINT allow_flag CHECK (allow IN (0, 1)),
  PRIMARY KEY (address, login)
);

-- Rules that need another row to check.

-- The kind of the domain of address (the part after '@'); NULL if none.
CREATE FUNCTION rcptdb_domain_kind(address text) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
  SELECT kind FROM domains WHERE name = substr(address, strpos(address, '@') + 1)
$$;

CREATE FUNCTION rcptdb_domains_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.target IS NOT NULL
     AND (SELECT kind FROM domains WHERE name = NEW.target) = 'alias' THEN
    RAISE EXCEPTION 'alias domain target must be a hosted or relay domain';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.kind = 'alias' AND EXISTS (SELECT 1 FROM domains WHERE target = NEW.name) THEN
      RAISE EXCEPTION 'domain is the target of an alias domain';
    END IF;
    IF NEW.kind <> OLD.kind
       AND (EXISTS (SELECT 1 FROM mailboxes WHERE domain = OLD.name)
            OR EXISTS (SELECT 1 FROM aliases WHERE domain = OLD.name)
            OR EXISTS (SELECT 1 FROM relay_recipients WHERE domain = OLD.name)) THEN
      RAISE EXCEPTION 'domain still has mailboxes, aliases or relay recipients';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER domains_check BEFORE INSERT OR UPDATE ON domains
  FOR EACH ROW EXECUTE FUNCTION rcptdb_domains_check();

-- A mailbox lives in a hosted domain, is not also an alias, and its name
-- holds no recipient delimiter after its first character: Dovecot strips
-- the detail before its userdb lookup, so mail for alice+y@ would land in
-- alice's INBOX. (An alias source may hold one: Postfix rewrites it.)
CREATE FUNCTION rcptdb_mailboxes_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rcptdb_domain_kind(NEW.address) <> 'hosted' THEN
    RAISE EXCEPTION 'mailboxes live in hosted domains only';
  END IF;
  IF EXISTS (SELECT 1 FROM aliases WHERE source = NEW.address) THEN
    RAISE EXCEPTION 'an alias with this address exists';
  END IF;
  IF rcptdb_has_delimiter(NEW.address,
                          (SELECT value FROM settings WHERE name = 'delimiter')) THEN
    RAISE EXCEPTION 'mailbox local part contains a recipient delimiter';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER mailboxes_check BEFORE INSERT OR UPDATE OF address ON mailboxes
  FOR EACH ROW EXECUTE FUNCTION rcptdb_mailboxes_check();

-- The number of alias rows on the longest chain through a new row
-- source -> target: the rows leading to source, the row itself, and the
-- rows after target. Disabled rows count (one `alias enable` away); loops
-- are cut by the path so far.
CREATE FUNCTION rcptdb_alias_chain(new_source text, new_target text) RETURNS integer
LANGUAGE sql STABLE AS $$
  WITH RECURSIVE
    up(node, steps, seen) AS (
      SELECT new_source, 0, ARRAY[new_source]
      UNION ALL
      SELECT a.source, up.steps + 1, up.seen || a.source
      FROM up JOIN aliases a ON a.target = up.node
      WHERE up.steps < 8 AND NOT a.source = ANY (up.seen)),
    down(node, steps, seen) AS (
      SELECT new_target, 0, ARRAY[new_source, new_target]
      UNION ALL
      SELECT a.target, down.steps + 1, down.seen || a.target
      FROM down JOIN aliases a ON a.source = down.node
      WHERE down.steps < 8 AND NOT a.target = ANY (down.seen))
  SELECT (SELECT max(steps) FROM up) + (SELECT max(steps) FROM down) + 1
$$;

-- An alias lives in a hosted domain, is not also a mailbox, and no chain
-- of alias rows is longer than 8, the resolver's bound (kMaxAliasDepth in
-- sql/lib/resolver.h).
CREATE FUNCTION rcptdb_aliases_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rcptdb_domain_kind(NEW.source) <> 'hosted' THEN
    RAISE EXCEPTION 'aliases live in hosted domains only';
  END IF;
  IF EXISTS (SELECT 1 FROM mailboxes WHERE address = NEW.source) THEN
    RAISE EXCEPTION 'a mailbox with this address exists';
  END IF;
  IF (TG_OP = 'INSERT' OR NEW.source <> OLD.source OR NEW.target <> OLD.target)
     AND rcptdb_alias_chain(NEW.source, NEW.target) > 8 THEN
    RAISE EXCEPTION 'alias chain longer than 8 steps, the resolver''s bound';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER aliases_check BEFORE INSERT OR UPDATE OF source, target ON aliases
  FOR EACH ROW EXECUTE FUNCTION rcptdb_aliases_check();

CREATE FUNCTION rcptdb_relay_recipients_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF rcptdb_domain_kind(NEW.address) <> 'relay' THEN
    RAISE EXCEPTION 'relay recipients live in relay domains only';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER relay_recipients_check BEFORE INSERT OR UPDATE OF address ON relay_recipients
  FOR EACH ROW EXECUTE FUNCTION rcptdb_relay_recipients_check();

-- A new delimiter must not turn an existing mailbox name into name+detail.
-- (rcptdb config set delimiter lists the mailboxes in the way.)
CREATE FUNCTION rcptdb_settings_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A value the CHECK delimiter_chars refuses is left to that CHECK.
  IF NEW.name = 'delimiter' AND NEW.value !~ '[^-+=_.#~]'
     AND EXISTS (SELECT 1 FROM mailboxes WHERE rcptdb_has_delimiter(address, NEW.value)) THEN
    RAISE EXCEPTION 'a mailbox local part contains the new recipient delimiter';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER settings_check BEFORE INSERT OR UPDATE ON settings
  FOR EACH ROW EXECUTE FUNCTION rcptdb_settings_check();

-- The change counter: one bump per writing statement, whatever it wrote.
CREATE FUNCTION rcptdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE rcptdb_version SET v = v + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER domains_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domains
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER mailboxes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mailboxes
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER aliases_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON aliases
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER relay_recipients_changed
  AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON relay_recipients
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER sender_logins_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sender_logins
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();

INSERT INTO rcptdb_version (schema_version, v) VALUES (2, 0);
INSERT INTO settings (name, value) VALUES ('delimiter', '+'), ('postmaster', ''),
  ('catchall_senders', 'no');
