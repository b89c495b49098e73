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
-- 1. The change counter is bumped before each writing statement instead
-- of after it, so that its row lock makes writers take turns before any
-- trigger reads other rows: under READ COMMITTED two writers each passed
-- a guard the other's row broke (sql/schema-pgsql.sql says how).
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

UPDATE rcptdb_version SET schema_version = 3;
