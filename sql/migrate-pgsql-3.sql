-- SPDX-License-Identifier: MIT
-- migrate-pgsql-3.sql - turns an rcptdb PostgreSQL database of schema
-- version 2 into 3
--
-- Run by `rcptdb migrate` inside one transaction, as the role that owns
-- the tables (doc/examples/pgsql-roles.sql: rcptdb_owner). Leaves the
-- schema as sql/schema-pgsql.sql creates it (pg_store_test compares the
-- two). Each part of version 3 is one numbered section; a new section
-- goes before the closing UPDATE, which stays last.
--
-- 1. The change counter is bumped before the first writing statement of
-- each transaction instead of after every statement, so that its row lock
-- makes writers take turns before any trigger reads other rows: under READ
-- COMMITTED two writers each passed a guard the other's row broke; and
-- once per transaction, as a long transaction bumping per statement cost
-- O(n^2) (sql/schema-pgsql.sql says how).
CREATE OR REPLACE FUNCTION rcptdb_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('rcptdb.bumped', true) = 'on' THEN
    RETURN NULL;
  END IF;
  UPDATE rcptdb_version SET v = v + 1;
  PERFORM set_config('rcptdb.bumped', 'on', true);
  RETURN NULL;
END
$$;
DROP TRIGGER settings_changed ON settings;
DROP TRIGGER domains_changed ON domains;
DROP TRIGGER mailboxes_changed ON mailboxes;
DROP TRIGGER aliases_changed ON aliases;
DROP TRIGGER relay_recipients_changed ON relay_recipients;
DROP TRIGGER sender_logins_changed ON sender_logins;
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
UPDATE rcptdb_version SET schema_version = 3;
