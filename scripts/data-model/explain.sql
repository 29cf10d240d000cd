-- EXPLAIN (ANALYZE, BUFFERS) of the hottest queries, each exactly as the
-- Go code sends it, on a database filled by generate.sql (run by
-- scripts/measure-data-model). Parameters are picked from the data; each
-- query runs once to warm the cache, then is explained.
\set ON_ERROR_STOP on
SET TIME ZONE 'UTC';
\pset pager off

SELECT max(decided_at) AS last_at FROM decisions \gset
-- An acted-on decision from the middle of the data, its customer, and a
-- loan with its ledger.
SELECT id AS decision_id, customer_id, request_id, date_trunc('month', decided_at) AS id_month
FROM decisions WHERE decided_at >= :'last_at'::timestamptz - interval '180 days' AND role <> 'shadow' ORDER BY decided_at LIMIT 1 \gset
SELECT id AS loan_id FROM loans ORDER BY id OFFSET (SELECT count(*) / 2 FROM loans) LIMIT 1 \gset

\echo
\echo '== 1. decision by id (GET /v1/decisions/{id}: the month from the id prunes to one partition)'
PREPARE by_id(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.id = $1 AND d.decided_at >= $2 AND d.decided_at < $3;
\o /dev/null
EXECUTE by_id(:'decision_id', :'id_month', :'id_month'::timestamptz + interval '1 month');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_id(:'decision_id', :'id_month', :'id_month'::timestamptz + interval '1 month');
\echo '-- the same as a generic plan (pruned when it starts: what a cached prepared statement runs)'
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_id(:'decision_id', :'id_month', :'id_month'::timestamptz + interval '1 month');
RESET plan_cache_mode;
\echo '-- without the month (an id that does not carry it): every partition''s key is probed'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.id = :'decision_id';

\echo
\echo '== 2. decisions by customer (the journey page: newest 50 of a customer)'
PREPARE by_customer(text) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.customer_id = $1 ORDER BY d.decided_at DESC, d.id DESC LIMIT 51;
\o /dev/null
EXECUTE by_customer(:'customer_id');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_customer(:'customer_id');
\echo '-- with a 30-day window'
PREPARE by_customer_window(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.customer_id = $1 AND d.decided_at >= $2 AND d.decided_at < $3 ORDER BY d.decided_at DESC, d.id DESC LIMIT 51;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_customer_window(:'customer_id', :'last_at'::timestamptz - interval '30 days', :'last_at');

\echo
\echo '== 3. decisions by rule (newest 50 that hit a rule in a window; decision_rules)'
PREPARE by_rule(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decision_rules r CROSS JOIN LATERAL (SELECT * FROM decisions d WHERE d.id = r.decision_id AND d.decided_at = r.decided_at LIMIT 1) d
WHERE r.rule_id = $1 AND r.decided_at >= $2 AND r.decided_at < $3 ORDER BY r.decided_at DESC, r.decision_id DESC LIMIT 51;
\echo '-- a common rule (rule_00), last 7 days'
\o /dev/null
EXECUTE by_rule('rule_00', :'last_at'::timestamptz - interval '7 days', :'last_at');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_rule('rule_00', :'last_at'::timestamptz - interval '7 days', :'last_at');
\echo '-- an uncommon rule (rule_29), 12 months'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_rule('rule_29', :'last_at'::timestamptz - interval '365 days', :'last_at');
\echo '-- a rare rule (rule_rare, 1 in 10,000), 12 months'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_rule('rule_rare', :'last_at'::timestamptz - interval '365 days', :'last_at');
\echo '-- the plain join (what the lateral read replaces), the common rule, last 7 days'
PREPARE by_rule_join(text, timestamptz, timestamptz) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decision_rules r JOIN decisions d ON d.id = r.decision_id AND d.decided_at = r.decided_at
WHERE r.rule_id = $1 AND r.decided_at >= $2 AND r.decided_at < $3 ORDER BY r.decided_at DESC, r.decision_id DESC LIMIT 51;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_rule_join('rule_00', :'last_at'::timestamptz - interval '7 days', :'last_at');

\echo
\echo '== 4. loan by id'
PREPARE loan(text) AS SELECT * FROM loans WHERE id = $1;
\o /dev/null
EXECUTE loan(:'loan_id');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE loan(:'loan_id');

\echo
\echo '== 5. ledger lines by loan (Journals, and the balances of reconcile)'
PREPARE journals(text) AS
SELECT j.id, j.kind, j.ref, j.on_date, j.created_at, l.account, l.debit, l.credit
FROM ledger_journals j JOIN ledger_lines l ON l.journal_id = j.id WHERE j.loan_id = $1 ORDER BY j.created_at, j.id, l.line;
\o /dev/null
EXECUTE journals(:'loan_id');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE journals(:'loan_id');
PREPARE balances(text) AS SELECT account, SUM(debit) - SUM(credit) FROM ledger_lines WHERE loan_id = $1 GROUP BY account;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE balances(:'loan_id');

\echo
\echo '== 6. decision by request id (the idempotency check before every decision with a request id)'
PREPARE by_request(text, text) AS
SELECT d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body
FROM decisions d WHERE d.request_id = $1 AND d.customer_id = $2 AND d.role <> 'shadow' ORDER BY d.decided_at LIMIT 1;
\o /dev/null
EXECUTE by_request(:'request_id', :'customer_id');
\o
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE by_request(:'request_id', :'customer_id');

\echo
\echo '== sizes'
SELECT c.relname, pg_size_pretty(pg_total_relation_size(c.oid)) AS total, pg_size_pretty(pg_relation_size(c.oid)) AS heap
FROM pg_class c WHERE c.relname IN ('decisions', 'decision_rules', 'loans', 'ledger_journals', 'ledger_lines') AND c.relkind IN ('r', 'p');
SELECT 'decisions (all partitions)' AS what, pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'decisions'::regclass
UNION ALL SELECT 'decision_rules (all partitions)', pg_size_pretty(sum(pg_total_relation_size(inhrelid))) FROM pg_inherits WHERE inhparent = 'decision_rules'::regclass;
