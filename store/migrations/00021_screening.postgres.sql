-- +goose Up
-- Sanctions screening (DESIGN §16): the lists customers are screened
-- against (the UN Security Council consolidated list, the lender's own),
-- each stored whole at a revision, and the hits of customers on them.
--
-- revision counts the imports that changed a list: each one stamps the
-- rows it opens (added_revision) and closes (removed_revision) with the
-- new value, so the entries added after revision r — what a re-screen
-- of every customer needs — are the open rows with added_revision > r.
-- An entry whose name, aliases, date of birth or note changed is closed
-- and opened anew. Imports of one list take its row lock. entries is the
-- number of open rows; rescreened_revision is how far every customer has
-- been re-screened.
CREATE TABLE kyc.screening_lists (
    name                TEXT PRIMARY KEY,
    revision            BIGINT NOT NULL,
    entries             BIGINT NOT NULL,
    rescreened_revision BIGINT NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT screening_lists_name_format CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    CONSTRAINT screening_lists_revision_non_negative CHECK (revision >= 0),
    CONSTRAINT screening_lists_entries_non_negative CHECK (entries >= 0),
    CONSTRAINT screening_lists_rescreened_within CHECK (rescreened_revision >= 0 AND rescreened_revision <= revision)
);

-- Every version of every entry; rows are never deleted. dob is in the
-- grammar of screening.ParseDOB (days, months, years and ranges of years,
-- separated by "; "), NULL when unknown; aliases a JSON array of strings.
CREATE TABLE kyc.screening_entries (
    list_name        TEXT NOT NULL,
    ref              TEXT NOT NULL,
    added_revision   BIGINT NOT NULL,
    removed_revision BIGINT,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    aliases          jsonb NOT NULL,
    dob              TEXT,
    note             TEXT NOT NULL,
    PRIMARY KEY (list_name, ref, added_revision),
    CONSTRAINT screening_entries_list_fk FOREIGN KEY (list_name) REFERENCES kyc.screening_lists (name),
    CONSTRAINT screening_entries_ref_present CHECK (ref <> ''),
    CONSTRAINT screening_entries_name_present CHECK (name <> ''),
    CONSTRAINT screening_entries_kind_known CHECK (kind IN ('individual', 'entity')),
    CONSTRAINT screening_entries_added_positive CHECK (added_revision >= 1),
    CONSTRAINT screening_entries_removal_after_add CHECK (removed_revision IS NULL OR removed_revision > added_revision),
    CONSTRAINT screening_entries_aliases_array CHECK (jsonb_typeof(aliases) = 'array')
);
CREATE UNIQUE INDEX screening_entries_open ON kyc.screening_entries (list_name, ref) WHERE removed_revision IS NULL;
CREATE INDEX screening_entries_added ON kyc.screening_entries (list_name, added_revision) WHERE removed_revision IS NULL;

-- A customer's hit on a listed entry, recorded once (screening_hits_once),
-- however many instances screen or re-screen at once: only the one whose
-- insert succeeded raises its review case. revision is the list's revision
-- the hit was found at, matched_name the listed name or alias that scored.
CREATE TABLE kyc.screening_hits (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    list_name    TEXT NOT NULL,
    ref          TEXT NOT NULL,
    matched_name TEXT NOT NULL,
    score        DOUBLE PRECISION NOT NULL,
    revision     BIGINT NOT NULL,
    created_at   timestamptz NOT NULL,
    CONSTRAINT screening_hits_once UNIQUE (customer_id, list_name, ref),
    CONSTRAINT screening_hits_list_fk FOREIGN KEY (list_name) REFERENCES kyc.screening_lists (name),
    CONSTRAINT screening_hits_customer_present CHECK (customer_id <> ''),
    CONSTRAINT screening_hits_score_range CHECK (score >= 0 AND score <= 1),
    CONSTRAINT screening_hits_revision_positive CHECK (revision >= 1)
);
CREATE INDEX screening_hits_by_list ON kyc.screening_hits (list_name, ref);

-- +goose Down
DROP TABLE kyc.screening_hits;
DROP TABLE kyc.screening_entries;
DROP TABLE kyc.screening_lists;
