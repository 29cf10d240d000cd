package migrations

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestForHidesTheOtherDialect checks that each dialect sees the shared files
// and only its own file of each pair, and that every pair is complete.
func TestForHidesTheOtherDialect(t *testing.T) {
	version := regexp.MustCompile(`^(\d{5})_[a-z0-9_]+(\.(postgres|sqlite))?\.sql$`)
	seen := map[string]map[string]string{} // dialect → version → file
	for _, d := range dialects {
		seen[d] = map[string]string{}
		names, err := fs.Glob(For(d), "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			m := version.FindStringSubmatch(n)
			if m == nil {
				t.Fatalf("%s: not NNNNN_name.sql or NNNNN_name.<dialect>.sql", n)
			}
			if m[3] != "" && m[3] != d {
				t.Errorf("%s sees %s", d, n)
			}
			if prev, ok := seen[d][m[1]]; ok {
				t.Errorf("%s: version %s twice (%s, %s)", d, m[1], prev, n)
			}
			seen[d][m[1]] = n
		}
		if _, err := For(d).Open("00001_api_keys.sql"); err != nil {
			t.Errorf("%s: shared file hidden: %v", d, err)
		}
	}
	rebuilds, err := SQLiteGo()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rebuilds {
		v := fmt.Sprintf("%05d", m.Version)
		if prev, ok := seen["sqlite"][v]; ok {
			t.Errorf("sqlite: version %s twice (%s, sqlite/)", v, prev)
		}
		seen["sqlite"][v] = "sqlite/" + v + ".sqlite.sql"
	}
	for v, n := range seen["postgres"] {
		other, ok := seen["sqlite"][v]
		if !ok {
			t.Errorf("%s has no sqlite counterpart", n)
		} else if strings.Contains(n, ".postgres.") != strings.Contains(other, ".sqlite.") {
			t.Errorf("%s and %s: a pair needs both dialect files", n, other)
		}
	}
	if len(seen["postgres"]) != len(seen["sqlite"]) {
		t.Errorf("postgres has %d versions, sqlite %d", len(seen["postgres"]), len(seen["sqlite"]))
	}
	for _, d := range dialects {
		for _, other := range dialects {
			if other == d {
				continue
			}
			if _, err := For(d).Open("x." + other + ".sql"); err == nil {
				t.Errorf("%s opens a %s file", d, other)
			}
		}
	}
}
