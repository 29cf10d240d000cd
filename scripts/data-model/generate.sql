-- Fills a migrated Nirnay PostgreSQL database with synthetic data for the
-- query-plan measurements of docs/data-model.md (run by
-- scripts/measure-data-model, which sets the variables):
--   :decisions  decision rows (acted-on and, one in ten, shadow) spread
--               evenly over the 12 months before :end_month
--   :loans      loans, each with a disbursal, six day-end and six payment
--               journals (two lines each)
-- Everything is generated with generate_series straight into the tables;
-- it is deterministic (hash functions of the row number, no random()).
-- Instants, dates and documents are written in whatever types the columns
-- have (BIGINT microseconds or timestamptz, TEXT or date, TEXT or json),
-- so the script runs on the schema before and after the type migrations.
\set ON_ERROR_STOP on
\timing on
SET TIME ZONE 'UTC';

DROP SCHEMA IF EXISTS nirnay_gen CASCADE;
CREATE SCHEMA nirnay_gen;

-- A uniform number in [0, 1) from (n, j).
CREATE FUNCTION nirnay_gen.u(n bigint, j int) RETURNS float8 LANGUAGE sql IMMUTABLE AS
$$ SELECT (hashint8extended(n, j) & 140737488355327)::float8 / 140737488355328.0 $$;

-- One Crockford base-32 digit of v (bits shift+4 … shift).
CREATE FUNCTION nirnay_gen.c(v bigint, shift int) RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', ((v >> shift) & 31)::int + 1, 1) $$;

-- dec_<ULID> of millisecond ms, its random part the row number n (unique).
CREATE FUNCTION nirnay_gen.decision_id(ms bigint, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
SELECT 'dec_' || nirnay_gen.c(ms, 45) || nirnay_gen.c(ms, 40) || nirnay_gen.c(ms, 35) || nirnay_gen.c(ms, 30) || nirnay_gen.c(ms, 25)
    || nirnay_gen.c(ms, 20) || nirnay_gen.c(ms, 15) || nirnay_gen.c(ms, 10) || nirnay_gen.c(ms, 5) || nirnay_gen.c(ms, 0)
    || '000' || nirnay_gen.c(n, 60) || nirnay_gen.c(n, 55) || nirnay_gen.c(n, 50) || nirnay_gen.c(n, 45) || nirnay_gen.c(n, 40)
    || nirnay_gen.c(n, 35) || nirnay_gen.c(n, 30) || nirnay_gen.c(n, 25) || nirnay_gen.c(n, 20) || nirnay_gen.c(n, 15)
    || nirnay_gen.c(n, 10) || nirnay_gen.c(n, 5) || nirnay_gen.c(n, 0)
$$;

-- The rules decision n fired: 0–4 draws from rule_00 … rule_29, skewed
-- (rule_00 in about 47 % of decisions, rule_29 in about 2 %), and
-- rule_rare in one decision in 10,000.
CREATE FUNCTION nirnay_gen.rules(n bigint) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}') FROM (
    SELECT 'rule_' || lpad(floor(30 * nirnay_gen.u(n, j) ^ 3)::int::text, 2, '0') AS r
    FROM generate_series(1, floor(nirnay_gen.u(n, 0) * 5)::int) j
    UNION ALL SELECT 'rule_rare' WHERE nirnay_gen.u(n, 99) < 0.0001) x
$$;

-- The expression expr (an instant, a date or a document, by kind) in the
-- type column col of table tbl has.
CREATE FUNCTION nirnay_gen.adapt(tbl regclass, col text, kind text, expr text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE t text;
BEGIN
    SELECT format_type(atttypid, atttypmod) INTO t FROM pg_attribute WHERE attrelid = tbl AND attname = col AND NOT attisdropped;
    IF t IS NULL THEN RAISE EXCEPTION 'no column %.%', tbl, col; END IF;
    RETURN CASE
        WHEN kind = 'instant' AND t = 'bigint' THEN format('(extract(epoch FROM (%s)) * 1000000)::bigint', expr)
        WHEN kind = 'date' AND t = 'text' THEN format('to_char((%s), ''YYYY-MM-DD'')', expr)
        WHEN kind IN ('instant', 'date', 'json') THEN format('(%s)::%s', expr, t)
        ELSE expr END;
END $$;

-- INSERT INTO tbl (cols…) SELECT exprs… FROM source, each expression
-- adapted to its column (cols: name, kind, expression).
CREATE FUNCTION nirnay_gen.fill(tbl regclass, cols text[], source text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE names text := ''; exprs text := ''; i int;
BEGIN
    FOR i IN 1 .. array_length(cols, 1) / 3 LOOP
        names := names || CASE WHEN i > 1 THEN ', ' ELSE '' END || quote_ident(cols[3 * i - 2]);
        exprs := exprs || CASE WHEN i > 1 THEN ', ' ELSE '' END || nirnay_gen.adapt(tbl, cols[3 * i - 2], cols[3 * i - 1], cols[3 * i]);
    END LOOP;
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', tbl, names, exprs, source);
END $$;

SELECT date_trunc('month', :'end_month'::timestamptz - interval '12 months') AS first_month \gset

-- The months the decisions span, as partitions (the shipper and the day
-- end create them in production; migration 16 made the current and next).
SELECT relnamespace::regnamespace AS dschema FROM pg_class WHERE oid = 'decisions'::regclass \gset
SELECT format('CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
              :'dschema', t || '_' || to_char(m, 'YYYYMM'), :'dschema', t, m, m + interval '1 month')
FROM generate_series(:'first_month'::timestamptz, :'end_month'::timestamptz - interval '1 month', interval '1 month') m,
     unnest(ARRAY['decisions', 'decision_rules']) t \gexec

-- Decisions: row n (1 … :decisions) at an even step through the 12 months;
-- one row in ten is the shadow evaluation of the row before it (same id
-- with .s1, same instant). 500,000 customers.
CREATE TABLE nirnay_gen.d AS
SELECT n, base, at, shadow,
       nirnay_gen.decision_id((extract(epoch FROM at) * 1000)::bigint, base) || CASE WHEN shadow THEN '.s1' ELSE '' END AS id,
       nirnay_gen.rules(n) AS rules
FROM (SELECT n, base, n % 10 = 0 AS shadow,
             :'first_month'::timestamptz + (base - 1) * ((:'end_month'::timestamptz - :'first_month'::timestamptz) / :decisions) AS at
      FROM (SELECT n, CASE WHEN n % 10 = 0 THEN n - 1 ELSE n END AS base FROM generate_series(1, :decisions::bigint) n) s) t;

-- With -v rule_array=1 decisions also get a rules text[] column (the
-- alternative to decision_rules that scripts/data-model/rules-gin.sql
-- measures).
\if :{?rule_array}
ALTER TABLE decisions ADD COLUMN IF NOT EXISTS rules text[];
\else
\set rule_array 0
\endif

SELECT format('%s', string_agg(format('{"name":"f%s","value":%s,"age_ms":%s,"state":"present"}', i, i * 37, i * 1000), ','))
    AS features FROM generate_series(1, 14) i \gset

\if :rule_array
\set rule_column ', rules'
\set rule_value ', c.rules'
\else
\set rule_column ''
\set rule_value ''
\endif
INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body :rule_column)
SELECT d.id,
       CASE WHEN d.shadow THEN split_part(d.id, '.', 1) END,
       'req-' || d.base,
       c.customer,
       c.step,
       c.outcome,
       'credit-underwriting',
       CASE WHEN d.shadow THEN 4 ELSE 3 END,
       CASE WHEN d.shadow THEN 'shadow' WHEN d.base % 5 = 0 THEN 'challenger' ELSE 'champion' END,
       c.score,
       d.at,
       (CASE WHEN d.shadow THEN
           format('{"policy":{"id":"credit-underwriting","version":4,"role":"shadow"},"outcome":"%s","reasons":[],"score":%s,"offer":{},"rules":%s}',
               c.outcome, c.score, to_json(c.rules))
        ELSE
           format('{"response":{"decision_id":"%s","request_id":"req-%s","customer_id":"%s","step":"%s","outcome":"%s","reasons":[],"score":%s,'
               '"offer":{"limit":150000,"annual_rate_bps":1800,"tenure_months":12},"actions":[],"policy":{"id":"credit-underwriting","version":3,"role":"champion"},'
               '"rules":%s,"shadow":[],"evaluated_at":"%s","latency_us":%s},"input":{"amount":%s,"device_id":"d-%s","pan":"XXXXXX234F"},'
               '"features":[%s],"request_hash":"%s","fetch_us":120,"eval_us":85}',
               d.id, d.base, c.customer, c.step, c.outcome, c.score,
               '[' || (SELECT coalesce(string_agg(format('{"id":"%s","fired":true,"outcome":"review","score":-10}', r), ','), '') FROM unnest(c.rules) r) || ']',
               to_char(d.at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 80 + d.base % 50, 10000 + d.base % 90000, d.base % 100000,
               :'features', md5(d.base::text))
        END)::json
       :rule_value
FROM nirnay_gen.d d,
LATERAL (SELECT 'C' || lpad(((hashint8extended(d.base, 1) & 9223372036854775807) % 500000)::text, 8, '0') AS customer,
                (ARRAY['application', 'application', 'application', 'login', 'login', 'kyc', 'signup', 'disbursal', 'repayment', 'offer_accept'])[d.base % 10 + 1] AS step,
                (ARRAY['approve', 'approve', 'approve', 'approve', 'approve', 'review', 'review', 'decline', 'decline', 'step_up'])[(d.n * 7) % 10 + 1] AS outcome,
                (550 + d.n % 300)::bigint AS score,
                d.rules) c;

INSERT INTO decision_rules (decision_id, rule_id, decided_at)
SELECT d.id, r, d.at FROM nirnay_gen.d d, unnest(d.rules) r;

-- Loans: :loans term loans, disbursed evenly through the 12 months, with 13 journals of two lines (disbursal, then six
-- day-end accruals and six payments, a month apart).
CREATE TABLE nirnay_gen.l AS
SELECT n,
       'loan_' || lpad(n::text, 10, '0') AS id,
       'C' || lpad(((hashint8extended(n, 3) & 9223372036854775807) % 500000)::text, 8, '0') AS customer,
       :'first_month'::timestamptz + (n - 1) * ((:'end_month'::timestamptz - :'first_month'::timestamptz) / :loans) AS at,
       (50000 + (n % 40) * 5000)::bigint * 100 AS amount
FROM generate_series(1, :loans::bigint) n;

SELECT nirnay_gen.fill('loans', ARRAY[
    'id', 'plain', 'l.id',
    'customer_id', 'plain', 'l.customer',
    'product_id', 'plain', '''personal-loan''',
    'kind', 'plain', '''term_loan''',
    'request_id', 'plain', '''app-'' || l.n',
    'status', 'plain', '''active''',
    'amount', 'plain', 'l.amount',
    'tenure_months', 'plain', '12',
    'annual_rate_bps', 'plain', '1800',
    'offer', 'json', '''{"limit": 150000}''',
    'disbursed_on', 'date', 'l.at::date',
    'outstanding', 'plain', 'l.amount / 2',
    'principal_outstanding', 'plain', 'l.amount / 2',
    'last_event_on', 'date', 'l.at::date',
    'created_at', 'instant', 'l.at',
    'updated_at', 'instant', 'l.at'], 'nirnay_gen.l l');

CREATE TABLE nirnay_gen.j AS
SELECT l.id AS loan_id, l.amount, k,
       l.id || '_j' || lpad(k::text, 2, '0') AS id,
       CASE WHEN k = 0 THEN 'disbursal' WHEN k % 2 = 1 THEN 'day_end' ELSE 'payment' END AS kind,
       l.at + (k / 2) * interval '1 month' + (k % 2) * interval '1 hour' AS at
FROM nirnay_gen.l l, generate_series(0, 12) k;

SELECT nirnay_gen.fill('ledger_journals', ARRAY[
    'id', 'plain', 'j.id',
    'loan_id', 'plain', 'j.loan_id',
    'kind', 'plain', 'j.kind',
    'ref', 'plain', 'j.id',
    'on_date', 'date', 'j.at::date',
    'created_at', 'instant', 'j.at'], 'nirnay_gen.j j');

INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit)
SELECT j.id, s.line, j.loan_id, s.account, s.debit, s.credit
FROM nirnay_gen.j j, LATERAL (VALUES
    (1, CASE j.kind WHEN 'disbursal' THEN 'principal_receivable' WHEN 'day_end' THEN 'interest_receivable' ELSE 'bank' END,
        CASE j.kind WHEN 'disbursal' THEN j.amount ELSE j.amount / 100 END, 0::bigint),
    (2, CASE j.kind WHEN 'disbursal' THEN 'bank' WHEN 'day_end' THEN 'interest_income' ELSE 'principal_receivable' END,
        0::bigint, CASE j.kind WHEN 'disbursal' THEN j.amount ELSE j.amount / 100 END)) s(line, account, debit, credit);

DROP SCHEMA nirnay_gen CASCADE;
VACUUM ANALYZE;
