package decisionstest

import (
	"testing"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/store"
)

// Log opens a decision log on db with its segments in a temporary
// directory, closed when the test ends.
func Log(t testing.TB, db *store.DB, opts decisionlog.Options) *decisionlog.Log {
	t.Helper()
	l, err := decisionlog.Open(t.TempDir(), db, opts)
	if err != nil {
		t.Fatalf("open the decision log: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
