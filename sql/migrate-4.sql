-- SPDX-License-Identifier: MIT
-- migrate-4.sql - turns an rcptdb database of schema version 3 into 4
--
-- Run by `rcptdb migrate` inside one transaction. Leaves the schema text
-- exactly as sql/schema.sql creates it (schema_v2_test compares the two).
-- Each part of version 4 is one numbered section; a new section goes
-- before the closing PRAGMA, which stays last.
--
-- 1. A mailbox has a description, free text for people (the owner's name,
-- a note), empty in every row that exists.
ALTER TABLE mailboxes ADD COLUMN description TEXT NOT NULL DEFAULT ''
            CONSTRAINT description_text CHECK (length(description) <= 255
                   AND description NOT GLOB '*[' || char(1) || '-' || char(31) || char(127) || ']*');

PRAGMA user_version = 4;
