-- pgsql-roles.sql - least-privilege PostgreSQL roles for rcptdb
--
-- Four roles, each with only what its programs need:
--   rcptdb_owner       owns the database and its schema: `rcptdb init` and
--                      `rcptdb migrate` only. Never used by a daemon.
--   rcptdb_writer      the provisioning command rcptdb(1) and rcptdb-web:
--                      SELECT, INSERT, UPDATE, DELETE on the six data
--                      tables and (schema version 3) on administrators and
--                      tokens, SELECT and INSERT only on the audit log,
--                      and UPDATE of
--                      the change counter rcptdb_version.v (the schema's
--                      triggers bump it with the writer's rights). It
--                      cannot CREATE, ALTER or DROP anything.
--   rcptdb_reader      rcptdb-server, the Dovecot LMTP plugin and Dovecot's
--                      sql passdb/userdb (dovecot-pgsql.conf.ext): SELECT
--                      only, and not even that on administrators, tokens
--                      and the audit log. Make one login role per host a member of it
--                      if you like: CREATE ROLE mx1 LOGIN IN ROLE rcptdb_reader;
--   rcptdb_replicator  a streaming standby's walreceiver (pg_basebackup -R).
-- rcptdb's one sequence is the audit log's identity column, which an
-- INSERT on the table may use. The functions of the schema stay EXECUTE for
-- PUBLIC, as PostgreSQL creates them; they only compute.
--
-- Run it as a superuser, before and again after `rcptdb init` (and after
-- every `rcptdb migrate`); each run changes only what is missing:
--   psql -X -v ON_ERROR_STOP=1 -d postgres -f pgsql-roles.sql
--   rcptdb --db 'postgresql:///rcptdb?host=/run/postgresql&user=rcptdb_owner' init
--   psql -X -v ON_ERROR_STOP=1 -d postgres -f pgsql-roles.sql
-- The first run makes the roles and the database, the second the GRANTs.
-- Then give each login role a password (psql: \password rcptdb_writer)
-- and allow it in pg_hba.conf (doc/examples/multihost/pg_hba.conf).
-- A reader may carry its standby lag bound (rcptdb-server(8), "Standbys"):
--   ALTER ROLE rcptdb_reader SET rcptdb.max_standby_lag = '10s';
-- and, to notice a silently lost link to the primary within that bound
-- rather than after the standby's wal_receiver_timeout, read its WAL
-- receiver's details (this also shows it every session's query text):
--   GRANT pg_read_all_stats TO rcptdb_reader;

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['rcptdb_owner', 'rcptdb_writer', 'rcptdb_reader'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rcptdb_replicator') THEN
    CREATE ROLE rcptdb_replicator LOGIN REPLICATION;
  END IF;
END
$$;

SELECT 'CREATE DATABASE rcptdb OWNER rcptdb_owner'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'rcptdb') \gexec

-- Only rcptdb's roles may connect; nobody else may make temporary tables.
REVOKE ALL ON DATABASE rcptdb FROM PUBLIC;
GRANT CONNECT ON DATABASE rcptdb TO rcptdb_writer, rcptdb_reader;

\connect rcptdb
-- PostgreSQL 15 makes the database owner own schema public and gives
-- PUBLIC no CREATE there; say so for older clusters and upgraded ones.
ALTER SCHEMA public OWNER TO rcptdb_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO rcptdb_writer, rcptdb_reader;

SELECT to_regclass('public.rcptdb_version') IS NOT NULL AS initialised \gset
\if :initialised
GRANT SELECT ON settings, domains, mailboxes, aliases, relay_recipients, sender_logins,
  rcptdb_version TO rcptdb_reader, rcptdb_writer;
GRANT INSERT, UPDATE, DELETE ON settings, domains, mailboxes, aliases, relay_recipients,
  sender_logins TO rcptdb_writer;
GRANT UPDATE (v) ON rcptdb_version TO rcptdb_writer;
-- Schema version 3: administrators, API tokens and the audit log are the
-- writer's (rcptdb and rcptdb-web); the reader gets none of them, so a
-- mail host never holds a password hash of an admin or a token's hash,
-- nor the log. The log is append-only: the writer may add rows, never
-- change or remove them (the schema's triggers refuse that too).
SELECT schema_version >= 3 AS version3 FROM rcptdb_version \gset
\if :version3
GRANT SELECT, INSERT, UPDATE, DELETE ON admins, admin_domains, tokens, token_domains
  TO rcptdb_writer;
GRANT SELECT, INSERT ON audit_log TO rcptdb_writer;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM rcptdb_writer;
REVOKE ALL ON admins, admin_domains, tokens, token_domains, audit_log FROM rcptdb_reader;
\endif
\else
\echo 'pgsql-roles.sql: no rcptdb schema yet: run rcptdb init as rcptdb_owner, then this file again'
\endif
