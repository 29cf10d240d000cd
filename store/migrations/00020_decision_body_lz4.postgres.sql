-- +goose Up
-- Decision bodies are compressed with lz4 instead of pglz (DESIGN §9): a
-- body over about 2 KB is compressed as its row is written, and pglz took
-- a quarter of PostgreSQL's time shipping 3 KB bodies, lz4 a fraction of
-- that (docs/data-model.md, Shipping); lz4 also decompresses faster. It
-- changes no value: the body keeps its bytes. Rows written before keep
-- their pglz bodies, read as before. The parent's setting is copied to
-- every month partition made later (decisionlog's ensureMonths creates
-- them LIKE the parent INCLUDING COMPRESSION); the partitions that exist
-- are set here. A server built without lz4 keeps pglz (a NOTICE says so).
-- +goose StatementBegin
DO $$
DECLARE
    part regclass;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        RAISE NOTICE 'this PostgreSQL has no lz4: decision bodies stay compressed with pglz';
        RETURN;
    END IF;
    SET LOCAL lock_timeout = '10s';
    ALTER TABLE decisions.decisions ALTER COLUMN body SET COMPRESSION lz4;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'decisions.decisions'::regclass LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN body SET COMPRESSION lz4', part);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    part regclass;
BEGIN
    SET LOCAL lock_timeout = '10s';
    ALTER TABLE decisions.decisions ALTER COLUMN body SET COMPRESSION DEFAULT;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'decisions.decisions'::regclass LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN body SET COMPRESSION DEFAULT', part);
    END LOOP;
END
$$;
-- +goose StatementEnd
