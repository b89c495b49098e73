-- SPDX-License-Identifier: MIT
-- schema-pgsql.sql - the rcptdb recipient database in PostgreSQL, schema version 4
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
--     triggers bump before the first write of each transaction to any
--     table. A reader polls that
--     one row to learn that anything changed: it works on a streaming
--     standby too, where LISTEN does not.
--   * That bump is also the writers' one lock: it row-locks the counter
--     before the statement touches a row, until the transaction ends, so
--     writers take turns and the triggers that read other rows cannot be
--     raced, whatever the isolation level. Under READ COMMITTED (plain
--     SQL's default) a second writer waits, and its triggers then read
--     what the first committed; under REPEATABLE READ or SERIALIZABLE
--     (rcptdb's own writers), a writer whose snapshot is older than the
--     last commit fails with SQLSTATE 40001 and is retried.
--
-- Applied by `rcptdb init` in one transaction, into an empty schema;
-- `rcptdb migrate` brings an older one up to date with
-- sql/migrate-pgsql-N.sql, which turns version N-1 into N.

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
             DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  description text NOT NULL DEFAULT ''
             CONSTRAINT description_text CHECK (char_length(description) <= 255
                    AND description !~ '[\x01-\x1f\x7f]')
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

-- The change counter: one bump before the first writing statement of a
-- transaction, whatever it writes. Before, not after: the row lock it
-- takes, held to the end of the transaction, is what makes writers take
-- turns (see the top of this file). Version 2 bumped after the statement,
-- when its triggers had already read other rows. Once per transaction,
-- not per statement: every UPDATE of the one row leaves a row version that
-- cannot be pruned before the transaction ends, and the next UPDATE walks
-- them all, so bumping per statement made a transaction of n statements
-- cost O(n^2) (a 20,000-mailbox import took 70 s instead of 5 s). Readers
-- see only committed counters, so one bump is as good a signal; a
-- rolled-back savepoint takes the transaction-local mark back with the
-- bump.
CREATE FUNCTION rcptdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('rcptdb.bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE rcptdb_version SET v = v + 1;
  PERFORM set_config('rcptdb.bumped', 'on', true);
  RETURN NULL;
END
$$;

CREATE TRIGGER settings_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON settings
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER domains_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON domains
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER mailboxes_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON mailboxes
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER aliases_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON aliases
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER relay_recipients_changed
  BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON relay_recipients
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();
CREATE TRIGGER sender_logins_changed BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON sender_logins
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_bump_version();

INSERT INTO rcptdb_version (schema_version, v) VALUES (4, 0);
INSERT INTO settings (name, value) VALUES ('delimiter', '+'), ('postmaster', ''),
  ('catchall_senders', 'no');

-- Version 3: delegated provisioning (rcptdb-web) and the audit log
-- (sql/migrate-pgsql-3.sql repeats this part word for word). See
-- sql/schema.sql for what each column means.

CREATE TABLE admins (
  login      text PRIMARY KEY
             CONSTRAINT admin_login_syntax CHECK (octet_length(login) BETWEEN 1 AND 64
                    AND login !~ '[^a-z0-9._@-]'),
  password   text CONSTRAINT password_not_scheme_hash CHECK (password ~ '^\{[A-Z].*\}.'),
  role       text NOT NULL CONSTRAINT admin_role CHECK (role IN ('server', 'domain')),
  active     integer NOT NULL DEFAULT 1 CONSTRAINT active_flag CHECK (active IN (0, 1)),
  created    text NOT NULL
             DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  last_login text
);

CREATE TABLE admin_domains (
  login     text NOT NULL REFERENCES admins (login) ON DELETE CASCADE,
  domain    text NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  PRIMARY KEY (login, domain)
);

CREATE INDEX admin_domains_domain ON admin_domains (domain);

CREATE FUNCTION rcptdb_admin_domains_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT role FROM admins WHERE login = NEW.login) <> 'domain' THEN
    RAISE EXCEPTION 'only domain admins hold domains';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION rcptdb_admins_role_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.role <> 'domain' AND EXISTS (SELECT 1 FROM admin_domains WHERE login = NEW.login) THEN
    RAISE EXCEPTION 'only domain admins hold domains';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER admin_domains_check BEFORE INSERT OR UPDATE ON admin_domains
  FOR EACH ROW EXECUTE FUNCTION rcptdb_admin_domains_check();
CREATE TRIGGER admins_role_check BEFORE UPDATE OF role ON admins
  FOR EACH ROW EXECUTE FUNCTION rcptdb_admins_role_check();

CREATE TABLE tokens (
  prefix      text PRIMARY KEY
              CONSTRAINT token_prefix_syntax CHECK (prefix ~ '^[a-z0-9]{12}$'),
  login       text NOT NULL REFERENCES admins (login) ON DELETE CASCADE,
  secret_hash text NOT NULL CONSTRAINT token_hash_syntax CHECK (secret_hash ~ '^[0-9a-f]{64}$'),
  all_domains integer NOT NULL DEFAULT 1
              CONSTRAINT token_all_domains_flag CHECK (all_domains IN (0, 1)),
  read_only   integer NOT NULL DEFAULT 0
              CONSTRAINT token_read_only_flag CHECK (read_only IN (0, 1)),
  expires     text,
  networks    text CONSTRAINT token_networks_syntax CHECK (octet_length(networks) BETWEEN 1 AND 2048
                     AND networks !~ '[^0-9a-f.:/ ]'),
  created     text NOT NULL
              DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  last_used   text
);

CREATE INDEX tokens_login ON tokens (login);

CREATE TABLE token_domains (
  prefix    text NOT NULL REFERENCES tokens (prefix) ON DELETE CASCADE,
  domain    text NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
  PRIMARY KEY (prefix, domain)
);

CREATE INDEX token_domains_domain ON token_domains (domain);

CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time       text NOT NULL,
  actor      text NOT NULL
             CONSTRAINT audit_actor CHECK (actor ~ '^(admin|token|mailbox|unix|sql):.'),
  client     text,
  request_id text,
  kind       text NOT NULL,
  object     text NOT NULL,
  domain     text,
  action     text NOT NULL CONSTRAINT audit_action CHECK (action IN ('create', 'update', 'delete')),
  before     text,
  after      text
);

CREATE INDEX audit_log_domain ON audit_log (domain, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_time ON audit_log (time);

-- Append-only, for every role (and by grants: doc/examples/pgsql-roles.sql
-- gives the writer only SELECT and INSERT on it).
CREATE FUNCTION rcptdb_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END
$$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION rcptdb_audit_log_append_only();

-- Plain SQL changes are audited too, as actor sql:ROLE (current_user): a
-- trigger writes a row for each changed row, unless the transaction is
-- rcptdb's own, which writes its own audit rows and says so with the
-- transaction-local setting rcptdb.audited (set as rcptdb begins a write
-- transaction, and again with each of its audit rows). Its before and
-- after are the table rows, without password hashes and token secrets.
CREATE FUNCTION rcptdb_audit_plain_sql() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  old_row jsonb;
  new_row jsonb;
  r jsonb;
  kind text;
  object text;
  domain text;
BEGIN
  IF current_setting('rcptdb.audited', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    old_row := to_jsonb(OLD) - 'password' - 'secret_hash';
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_row := to_jsonb(NEW) - 'password' - 'secret_hash';
  END IF;
  r := COALESCE(new_row, old_row);
  kind := CASE TG_TABLE_NAME
            WHEN 'domains' THEN 'domain' WHEN 'mailboxes' THEN 'mailbox'
            WHEN 'aliases' THEN 'alias' WHEN 'relay_recipients' THEN 'relay_recipient'
            WHEN 'sender_logins' THEN 'sender_login' WHEN 'settings' THEN 'setting'
            WHEN 'admins' THEN 'admin' WHEN 'admin_domains' THEN 'admin'
            ELSE 'token' END;
  object := COALESCE(r->>'address', r->>'source', r->>'login', r->>'prefix', r->>'name');
  domain := CASE TG_TABLE_NAME
              WHEN 'domains' THEN r->>'name'
              WHEN 'sender_logins' THEN substr(object, strpos(object, '@') + 1)
              ELSE r->>'domain' END;
  INSERT INTO audit_log (time, actor, kind, object, domain, action, before, after)
  VALUES (to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'sql:' || current_user, kind, object, domain,
          CASE TG_OP WHEN 'INSERT' THEN 'create' WHEN 'DELETE' THEN 'delete' ELSE 'update' END,
          old_row::text, new_row::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER domains_audited AFTER INSERT OR UPDATE OR DELETE ON domains
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER mailboxes_audited AFTER INSERT OR UPDATE OR DELETE ON mailboxes
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER aliases_audited AFTER INSERT OR UPDATE OR DELETE ON aliases
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER relay_recipients_audited AFTER INSERT OR UPDATE OR DELETE ON relay_recipients
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER sender_logins_audited AFTER INSERT OR UPDATE OR DELETE ON sender_logins
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER settings_audited AFTER INSERT OR UPDATE OR DELETE ON settings
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER admins_audited AFTER INSERT OR UPDATE OR DELETE ON admins
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER admin_domains_audited AFTER INSERT OR UPDATE OR DELETE ON admin_domains
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER tokens_audited AFTER INSERT OR UPDATE OR DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();
CREATE TRIGGER token_domains_audited AFTER INSERT OR UPDATE OR DELETE ON token_domains
  FOR EACH ROW EXECUTE FUNCTION rcptdb_audit_plain_sql();

-- Keyset paging (rcptdb-web's lists): a domain's rows in key order.
CREATE INDEX mailboxes_domain_address ON mailboxes (domain, address);
CREATE INDEX aliases_domain_source ON aliases (domain, source);
CREATE INDEX relay_recipients_domain_address ON relay_recipients (domain, address);
