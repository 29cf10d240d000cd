-- The decision body's column type: json (migration 16) against jsonb, on
-- 200,000 acted-on bodies of a database filled by generate.sql: the time
-- and WAL to write them, the space they take, the time to read them back
-- as text (what the log reads), and how many come back with other bytes
-- than were written (jsonb reorders keys and respaces; a replayed decision
-- must answer its first bytes).
--   psql URL -X -f scripts/data-model/body-type.sql
\set ON_ERROR_STOP on
\pset pager off
SET TIME ZONE 'UTC';
DROP SCHEMA IF EXISTS nirnay_body CASCADE;
CREATE SCHEMA nirnay_body;
CREATE TABLE nirnay_body.src AS SELECT body::text AS b FROM decisions WHERE role <> 'shadow' LIMIT 200000;
CREATE TABLE nirnay_body.as_json (b json NOT NULL);
CREATE TABLE nirnay_body.as_jsonb (b jsonb NOT NULL);
CREATE TEMP TABLE took (what text, t interval, wal bigint);
CHECKPOINT;
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS w0 \gset
INSERT INTO nirnay_body.as_json SELECT b::json FROM nirnay_body.src;
INSERT INTO took SELECT 'write json', clock_timestamp() - :'t0'::timestamptz, pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0');
CHECKPOINT;
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS w0 \gset
INSERT INTO nirnay_body.as_jsonb SELECT b::jsonb FROM nirnay_body.src;
INSERT INTO took SELECT 'write jsonb', clock_timestamp() - :'t0'::timestamptz, pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0');
SELECT count(*) FROM nirnay_body.as_json;
SELECT count(*) FROM nirnay_body.as_jsonb;
SELECT clock_timestamp() AS t0 \gset
SELECT sum(length(b::text)) FROM nirnay_body.as_json;
INSERT INTO took SELECT 'read json as text', clock_timestamp() - :'t0'::timestamptz, NULL;
SELECT clock_timestamp() AS t0 \gset
SELECT sum(length(b::text)) FROM nirnay_body.as_jsonb;
INSERT INTO took SELECT 'read jsonb as text', clock_timestamp() - :'t0'::timestamptz, NULL;
SELECT what, t, pg_size_pretty(wal) AS wal FROM took;
SELECT 'json' AS type, pg_size_pretty(pg_total_relation_size('nirnay_body.as_json')) AS size
UNION ALL SELECT 'jsonb', pg_size_pretty(pg_total_relation_size('nirnay_body.as_jsonb'));
SELECT count(*) FILTER (WHERE b::jsonb::text <> b) AS changed_by_jsonb, count(*) AS bodies FROM nirnay_body.src;
DROP SCHEMA nirnay_body CASCADE;
