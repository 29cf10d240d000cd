package migrations

import (
	"slices"
	"strings"
	"testing"
)

// TestSplitKeepsQuotesAndDropsComments: definitions and scripts are cut
// only at top-level separators: not inside parentheses, quotes or a
// trigger's body, and a comment (with its apostrophe) is dropped.
func TestSplitKeepsQuotesAndDropsComments(t *testing.T) {
	ddl := `CREATE TABLE "t" (
    id   TEXT PRIMARY KEY, -- the caller's id
    kind TEXT NOT NULL CHECK (kind IN ('a,b', 'c')),
    body TEXT NOT NULL DEFAULT '{;}',
    CONSTRAINT t_kind CHECK (substr(body, 1, 1) = '{')
)`
	want := []string{"id TEXT PRIMARY KEY", "kind TEXT NOT NULL CHECK (kind IN ('a,b', 'c'))",
		"body TEXT NOT NULL DEFAULT '{;}'", "CONSTRAINT t_kind CHECK (substr(body, 1, 1) = '{')"}
	if got := definitionItems(ddl); !slices.Equal(got, want) {
		t.Errorf("definitionItems:\n got %q\nwant %q", got, want)
	}
	script := `CREATE TABLE x (v TEXT DEFAULT ';'); -- it's done
CREATE TRIGGER x_t BEFORE INSERT ON x
BEGIN
    INSERT INTO y VALUES (NEW.v);
END;
ALTER TABLE x ADD CONSTRAINT x_v CHECK (v <> '');`
	stmts := statements(script)
	if len(stmts) != 3 || stmts[0] != "CREATE TABLE x (v TEXT DEFAULT ';')" || !strings.HasSuffix(stmts[1], "END") || !strings.HasPrefix(stmts[2], "ALTER TABLE") {
		t.Errorf("statements: %q", stmts)
	}
}

// TestRebuildApply: ADD replaces a constraint of the same name, DROP takes
// a named or unnamed one (IF EXISTS: if there), ALTER COLUMN restates a
// column; naming what is not there is an error.
func TestRebuildApply(t *testing.T) {
	items := []string{"id TEXT PRIMARY KEY", "n INTEGER NOT NULL CHECK (n > 0)", "CHECK (n < 9)", "CONSTRAINT t_n CHECK (n <> 5)"}
	r := &rebuild{table: "t", columns: map[string]string{"n": "n INTEGER NOT NULL"}, ifAny: map[string]bool{"CHECK (n < 7)": true},
		drop: []string{"CHECK (n < 9)", "CHECK (n < 7)"}, add: []string{"CONSTRAINT t_n CHECK (n <> 6)", "CONSTRAINT t_pos CHECK (n > 0)"}}
	got, err := r.apply(items)
	want := []string{"id TEXT PRIMARY KEY", "n INTEGER NOT NULL", "CONSTRAINT t_n CHECK (n <> 6)", "CONSTRAINT t_pos CHECK (n > 0)"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("apply: %q, %v; want %q", got, err, want)
	}
	for _, bad := range []*rebuild{
		{drop: []string{"t_missing"}},
		{columns: map[string]string{"missing": "missing TEXT"}},
	} {
		if _, err := bad.apply(items); err == nil {
			t.Errorf("apply %+v: no error", bad)
		}
	}
}
