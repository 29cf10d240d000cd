-- The rule filter's two layouts, measured on a database filled by
-- generate.sql with -v rule_array=1 (RULE_ARRAY=1 scripts/measure-data-model),
-- where every decision also carries its rule ids in decisions.rules:
--   A. decision_rules, a row per fired rule keyed (rule_id, decided_at,
--      decision_id) — what migration 16 keeps;
--   B. a GIN index on decisions.rules (text[]), queried with @>.
-- 1. write cost: 100,000 decisions shipped as the shipper does (a
--    transaction per 1,000), each layout alone, timed, with the WAL each
--    writes; 2. the GIN index's build time and size beside decision_rules';
-- 3. the plans of "newest 50 decisions that hit rule X in a window" for a
--    common, an uncommon and a rare rule.
--   psql URL -X -f scripts/data-model/rules-gin.sql
\set ON_ERROR_STOP on
\pset pager off
SET TIME ZONE 'UTC';
DROP INDEX IF EXISTS decisions_rules_gin;
SELECT max(decided_at) AS last_at FROM decisions \gset

CREATE TEMP TABLE shipped (layout text, took interval, wal bigint);

-- Ships :n decisions (100 transactions of 1,000) into the current month;
-- layout 'A' writes their rule rows, 'B' their rules array.
CREATE FUNCTION pg_temp.batch(layout text, first bigint, rows int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body, rules)
    SELECT 'dec_w' || layout || lpad(n::text, 21, '0'), NULL, 'req-w' || n, 'C' || lpad((n % 500000)::text, 8, '0'), 'application', 'approve',
           'credit-underwriting', 3, 'champion', 700, date_trunc('month', now()) + n * interval '1 millisecond',
           format('{"response":{"decision_id":"dec_w%s","outcome":"approve","rules":[{"id":"rule_00","fired":true}]},"input":{"amount":%s},"features":[%s],"request_hash":"%s"}',
               n, n % 90000, repeat('{"name":"f","value":712,"age_ms":2781,"state":"present"},', 14) || '{}', md5(n::text))::json,
           CASE WHEN layout = 'B' THEN CASE n % 3 WHEN 0 THEN ARRAY['rule_00', 'rule_07'] WHEN 1 THEN ARRAY['rule_03'] ELSE ARRAY['rule_00', 'rule_11', 'rule_29'] END END
    FROM generate_series(first, first + rows - 1) n;
    IF layout = 'A' THEN
        INSERT INTO decision_rules (decision_id, rule_id, decided_at)
        SELECT 'dec_w' || layout || lpad(n::text, 21, '0'), r, date_trunc('month', now()) + n * interval '1 millisecond'
        FROM generate_series(first, first + rows - 1) n,
             unnest(CASE n % 3 WHEN 0 THEN ARRAY['rule_00', 'rule_07'] WHEN 1 THEN ARRAY['rule_03'] ELSE ARRAY['rule_00', 'rule_11', 'rule_29'] END) r;
    END IF;
END $$;

\echo '== 1. write cost: 100,000 decisions in 100 transactions of 1,000'
\echo '-- layout A: decisions and their decision_rules rows'
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS w0 \gset
\o /dev/null
SELECT format('SELECT pg_temp.batch(%L, %s, 1000)', 'A', 1000 * i) FROM generate_series(1, 100) i \gexec
\o
INSERT INTO shipped SELECT 'A: decisions + decision_rules', clock_timestamp() - :'t0'::timestamptz, pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0');

\echo '== 2. the GIN index on decisions.rules (every partition)'
\timing on
CREATE INDEX decisions_rules_gin ON decisions USING gin (rules);
\timing off
SELECT 'decision_rules (all partitions)' AS what, pg_size_pretty(sum(pg_total_relation_size(inhrelid))) AS size
FROM pg_inherits WHERE inhparent = 'decision_rules'::regclass
UNION ALL
SELECT 'GIN on decisions.rules (all partitions)', pg_size_pretty(sum(pg_relation_size(i.indexrelid)))
FROM pg_inherits p JOIN pg_index i ON i.indrelid = p.inhrelid JOIN pg_class c ON c.oid = i.indexrelid
WHERE p.inhparent = 'decisions'::regclass AND c.relname LIKE '%rules%';

\echo '-- layout B: decisions with their rules array, GIN-indexed (no decision_rules rows)'
SELECT clock_timestamp() AS t0, pg_current_wal_lsn() AS w0 \gset
\o /dev/null
SELECT format('SELECT pg_temp.batch(%L, %s, 1000)', 'B', 1000 * i) FROM generate_series(1, 100) i \gexec
\o
INSERT INTO shipped SELECT 'B: decisions with rules[] + GIN', clock_timestamp() - :'t0'::timestamptz, pg_wal_lsn_diff(pg_current_wal_lsn(), :'w0');
SELECT layout, took, pg_size_pretty(wal) AS wal, round(100000 / extract(epoch FROM took)) AS decisions_per_s FROM shipped;
DELETE FROM decision_rules WHERE decision_id LIKE 'dec_w%' AND decided_at >= date_trunc('month', now());
DELETE FROM decisions WHERE id LIKE 'dec_w%' AND decided_at >= date_trunc('month', now());
VACUUM ANALYZE decisions;
VACUUM ANALYZE decision_rules;

\echo '== 3. newest 50 decisions that hit a rule in a window'
PREPARE by_rule(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decision_rules r CROSS JOIN LATERAL (SELECT * FROM decisions d WHERE d.id = r.decision_id AND d.decided_at = r.decided_at LIMIT 1) d
WHERE r.rule_id = $1 AND r.decided_at >= $2 AND r.decided_at < $3 ORDER BY r.decided_at DESC, r.decision_id DESC LIMIT 51;
PREPARE by_rule_gin(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.rules @> ARRAY[$1] AND d.decided_at >= $2 AND d.decided_at < $3 ORDER BY d.decided_at DESC, d.id DESC LIMIT 51;
CREATE TEMP TABLE cases AS
SELECT q, rule, win, format('SELECT %L AS "case"', format('%s: %s in the last %s', q, rule, win)) AS label,
       format('EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE %s(%L, %L, %L)', q, rule, :'last_at'::timestamptz - win::interval, :'last_at') AS plan
FROM unnest(ARRAY['rule_00', 'rule_00', 'rule_29', 'rule_rare'], ARRAY['7 days', '365 days', '365 days', '365 days']) AS c(rule, win),
     unnest(ARRAY['by_rule', 'by_rule_gin']) q;
\o /dev/null
SELECT plan FROM cases \gexec
\o
SELECT label, plan FROM cases ORDER BY rule, win, q \gexec
DROP INDEX decisions_rules_gin;
