package screening_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestSchemaRefusesBadRows breaks each rule of migration 21 on both
// backends and checks that the database refuses it, naming the rule.
func TestSchemaRefusesBadRows(t *testing.T) {
	cases := []struct{ name, sql, constraint string }{
		{"list name in capitals", `UPDATE screening_lists SET name = 'UN' WHERE name = 'un'`, "screening_lists_name_format"},
		{"list name with a space", `INSERT INTO screening_lists (name, revision, entries, rescreened_revision, updated_at) VALUES ('my list', 0, 0, 0, $1)`, "screening_lists_name_format"},
		{"list name too long", `INSERT INTO screening_lists (name, revision, entries, rescreened_revision, updated_at) VALUES ('a23456789012345678901234567890123', 0, 0, 0, $1)`, "screening_lists_name_format"},
		{"re-screened beyond the revision", `UPDATE screening_lists SET rescreened_revision = 3`, "screening_lists_rescreened_within"},
		{"negative count", `UPDATE screening_lists SET entries = -1`, "screening_lists_entries_non_negative"},
		{"removed before added", `UPDATE screening_entries SET removed_revision = 1`, "screening_entries_removal_after_add"},
		{"unknown kind", `UPDATE screening_entries SET kind = 'vessel'`, "screening_entries_kind_known"},
		{"aliases not an array", `UPDATE screening_entries SET aliases = '{}'`, "screening_entries_aliases_array"},
		{"empty name", `UPDATE screening_entries SET name = ''`, "screening_entries_name_present"},
		{"score above one", `UPDATE screening_hits SET score = 1.5`, "screening_hits_score_range"},
		{"hit at revision 0", `UPDATE screening_hits SET revision = 0`, "screening_hits_revision_positive"},
		{"hit of no customer", `UPDATE screening_hits SET customer_id = ''`, "screening_hits_customer_present"},
	}
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := store.Instant(t0)
		for _, q := range []string{
			`INSERT INTO screening_lists (name, revision, entries, rescreened_revision, updated_at) VALUES ('un', 2, 1, 1, $1)`,
			`INSERT INTO screening_entries (list_name, ref, added_revision, kind, name, aliases, dob, note) VALUES ('un', 'TSi.1', 2, 'individual', 'A B', '["C D"]', '1970', '')`,
			`INSERT INTO screening_hits (id, customer_id, list_name, ref, matched_name, score, revision, created_at) VALUES ('scr_1', 'C1', 'un', 'TSi.1', 'A B', 0.9, 2, $1)`,
		} {
			args := []any{}
			if strings.Contains(q, "$1") {
				args = append(args, now)
			}
			if _, err := db.Writer().ExecContext(ctx, q, args...); err != nil {
				t.Fatalf("a row that keeps every rule was refused: %v\n%s", store.Translate(err), q)
			}
		}
		for _, c := range cases {
			args := []any{}
			if strings.Contains(c.sql, "$1") {
				args = append(args, now)
			}
			_, raw := db.Writer().ExecContext(ctx, c.sql, args...)
			err := store.Translate(raw)
			var v *store.Violation
			switch {
			case raw == nil:
				t.Errorf("%s: accepted", c.name)
			case !nirnay.IsKind(err, nirnay.KindUnprocessable) || !errors.As(err, &v) || v.Constraint != c.constraint || v.Rule == "":
				t.Errorf("%s: got %v, want unprocessable naming %s with its rule", c.name, err, c.constraint)
			}
		}
		// A second hit of the customer on the ref, and an entry of no list.
		_, raw := db.Writer().ExecContext(ctx, `INSERT INTO screening_hits (id, customer_id, list_name, ref, matched_name, score, revision, created_at)
			VALUES ('scr_2', 'C1', 'un', 'TSi.1', 'C D', 0.95, 2, $1)`, now)
		if err := store.Translate(raw); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a second hit on the ref: %v, want conflict", err)
		}
		_, raw = db.Writer().ExecContext(ctx, `INSERT INTO screening_entries (list_name, ref, added_revision, kind, name, aliases, note)
			VALUES ('nolist', 'X', 1, 'individual', 'A', '[]', '')`)
		if err := store.Translate(raw); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("an entry of no list: %v, want conflict", err)
		}
		// At most one open row per ref.
		_, raw = db.Writer().ExecContext(ctx, `INSERT INTO screening_entries (list_name, ref, added_revision, kind, name, aliases, note)
			VALUES ('un', 'TSi.1', 3, 'individual', 'A', '[]', '')`)
		if err := store.Translate(raw); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a second open row of a ref: %v, want conflict", err)
		}
	})
}
