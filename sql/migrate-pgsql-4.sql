-- SPDX-License-Identifier: MIT
-- migrate-pgsql-4.sql - turns an rcptdb PostgreSQL database of schema
-- version 3 into 4
--
-- Run by `rcptdb migrate` inside one transaction, as the role that owns
-- the tables (doc/examples/pgsql-roles.sql: rcptdb_owner). Leaves the
-- schema as sql/schema-pgsql.sql creates it (pg_store_test compares the
-- two). Each part of version 4 is one numbered section; a new section
-- goes before the closing UPDATE, which stays last.
--
-- 1. A mailbox has a description, free text for people (the owner's name,
-- a note), empty in every row that exists.
ALTER TABLE mailboxes ADD COLUMN description text NOT NULL DEFAULT ''
             CONSTRAINT description_text CHECK (char_length(description) <= 255
                    AND description !~ '[\x01-\x1f\x7f]');

-- 2. The change counter is bumped once per transaction (sql/schema-pgsql.sql
-- says why). A database made by `rcptdb init` at version 3 before that
-- fix still bumps once per statement, which makes a long transaction
-- cost O(n^2); this gives it the function a fresh database has.
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

UPDATE rcptdb_version SET schema_version = 4;
