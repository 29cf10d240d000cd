package screening_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/store"
)

func mustImport(t testing.TB, s *screening.Service, list string, entries []screening.Entry) screening.ImportResult {
	t.Helper()
	r, err := s.Import(context.Background(), list, entries)
	if err != nil {
		t.Fatalf("import %s: %v", list, err)
	}
	return r
}

// content is the list's entries now, one "ref=name|aliases|dob" each.
func content(t testing.TB, s *screening.Service, list string) string {
	t.Helper()
	es, err := s.Entries(context.Background(), list)
	if err != nil {
		t.Fatalf("entries of %s: %v", list, err)
	}
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s=%s|%s|%s", e.Ref, e.Name, strings.Join(e.Aliases, ";"), e.DOB))
	}
	return strings.Join(out, " ")
}

func TestImportDiffsByRef(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		if r := mustImport(t, s, "un", listed); r != (screening.ImportResult{Revision: 1, Added: 4}) {
			t.Errorf("first import: got %+v, want revision 1 with 4 added", r)
		}
		if r := mustImport(t, s, "un", listed); r != (screening.ImportResult{Revision: 1, Unchanged: 4}) {
			t.Errorf("the same again: got %+v, want revision 1 unchanged", r)
		}
		next := slices.Clone(listed)
		next[0].Aliases = []string{"Zoravar Khandelkar", "Z B Khandelkar"} // changed
		next = slices.Delete(next, 2, 3)                                   // TSi.003 removed
		next = append(next, screening.Entry{Ref: "TSi.005", Name: "  Harsimran   Dabholkar ", DOB: " 1977-01-02"})
		if r := mustImport(t, s, "un", next); r != (screening.ImportResult{Revision: 2, Added: 1, Changed: 1, Removed: 1, Unchanged: 2}) {
			t.Errorf("second import: got %+v, want revision 2: 1 added, 1 changed, 1 removed, 2 unchanged", r)
		}
		want := "TSe.001=NORTHERN CRESCENT TRADING COMPANY|Northern Crescent Traders| " +
			"TSi.001=ZORAWAR BALWANT KHANDELKAR|Zoravar Khandelkar;Z B Khandelkar|1971-06-14 " +
			"TSi.002=MOHAMMED RAFEEQ ANSARWALA|Muhammad Rafiq Ansarwala|1965; 1967 " +
			"TSi.005=Harsimran Dabholkar||1977-01-02"
		if got := content(t, s, "un"); got != want {
			t.Errorf("entries after the second import:\n got %s\nwant %s", got, want)
		}
		// Every version is kept: the rows of TSi.001 and TSi.003 closed at 2.
		rows := testenv.Strings(t, db.Reader(), `SELECT ref || ':' || added_revision || '-' || COALESCE(CAST(removed_revision AS TEXT), '')
			FROM screening_entries WHERE list_name = 'un' ORDER BY ref, added_revision`)
		if got, want := strings.Join(rows, " "), "TSe.001:1- TSi.001:1-2 TSi.001:2- TSi.002:1- TSi.003:1-2 TSi.005:2-"; got != want {
			t.Errorf("entry rows: got %s, want %s", got, want)
		}
		mustImport(t, s, "local", []screening.Entry{{Ref: "L-1", Name: "Sunaina Kapadiwala"}})
		ls, err := s.Lists(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range ls {
			got = append(got, fmt.Sprintf("%s@%d:%d/%d", l.Name, l.Revision, l.Entries, l.RescreenedRevision))
		}
		if g, w := strings.Join(got, " "), "local@1:1/0 un@2:4/0"; g != w {
			t.Errorf("lists: got %s, want %s", g, w)
		}
		if r := mustImport(t, s, "un", nil); r != (screening.ImportResult{Revision: 3, Removed: 4}) {
			t.Errorf("an empty import: got %+v, want revision 3 with 4 removed", r)
		}
		if got := content(t, s, "un"); got != "" {
			t.Errorf("entries after an empty import: %s", got)
		}
		if _, err := s.Entries(ctx, "nolist"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("entries of a list never imported: got %v, want not found", err)
		}
	})
}

func TestImportRefusesBadInput(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		s := newService(t, db)
		cases := []struct {
			name, list string
			entries    []screening.Entry
			field      string
		}{
			{"bad list name", "UN list", listed, "list"},
			{"empty ref", "un", []screening.Entry{{Name: "A"}}, "entries[0].ref"},
			{"no name", "un", []screening.Entry{{Ref: "a", Name: " "}}, "entries[0].name"},
			{"ref twice", "un", []screening.Entry{{Ref: "a", Name: "A"}, {Ref: "a", Name: "B"}}, "entries[1].ref"},
			{"bad date", "un", []screening.Entry{{Ref: "a", Name: "A", DOB: "31/12/1970"}}, "entries[0].dob"},
			{"bad kind", "un", []screening.Entry{{Ref: "a", Name: "A", Kind: "vessel"}}, "entries[0].kind"},
			{"control character", "un", []screening.Entry{{Ref: "a", Name: "A", Aliases: []string{"B\x00"}}}, "entries[0].aliases[0]"},
		}
		for _, c := range cases {
			_, err := s.Import(context.Background(), c.list, c.entries)
			var ne *nirnay.Error
			if !nirnay.IsKind(err, nirnay.KindInvalid) || !errors.As(err, &ne) || ne.Field != c.field {
				t.Errorf("%s: got %v, want invalid naming %s", c.name, err, c.field)
			}
		}
		if ls, _ := s.Lists(context.Background()); len(ls) != 0 {
			t.Errorf("refused imports left lists %+v", ls)
		}
	})
}

// TestConcurrentImports runs imports of one list on two instances (two
// database handles) at once: they take turns, each diffing against what
// the other committed.
func TestConcurrentImports(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		a, other := newService(t, db), newService(t, b.Open(t))
		contents := [2][]screening.Entry{listed, listed[1:3]}
		for round := range 5 {
			list := fmt.Sprintf("l%d", round)
			var wg sync.WaitGroup
			var res [2]screening.ImportResult
			var errs [2]error
			for i, s := range []*screening.Service{a, other} {
				wg.Go(func() { res[i], errs[i] = s.Import(context.Background(), list, contents[i]) })
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatalf("round %d: %v, %v", round, errs[0], errs[1])
			}
			revs := []int64{res[0].Revision, res[1].Revision}
			slices.Sort(revs)
			if !slices.Equal(revs, []int64{1, 2}) {
				t.Fatalf("round %d: revisions %v, want 1 and 2", round, revs)
			}
			first, second := 0, 1
			if res[0].Revision == 2 {
				first, second = 1, 0
			}
			// The second saw the first's entries: what it kept of them
			// is unchanged, the rest removed or added.
			if res[first].Added != len(contents[first]) || res[second].Unchanged != 2 ||
				res[second].Added+res[second].Unchanged != len(contents[second]) ||
				res[second].Removed != len(contents[first])-2 {
				t.Errorf("round %d: first %+v of %d entries, second %+v of %d: the second did not diff against the first",
					round, res[first], len(contents[first]), res[second], len(contents[second]))
			}
			if got, want := len(strings.Fields(refsOf(t, a, list))), len(contents[second]); got != want {
				t.Errorf("round %d: %d entries listed, want the second import's %d", round, got, want)
			}
		}
		// The same content from both at once: one adds, the other finds it all there.
		var wg sync.WaitGroup
		var res [2]screening.ImportResult
		for i, s := range []*screening.Service{a, other} {
			wg.Go(func() { res[i], _ = s.Import(context.Background(), "same", listed) })
		}
		wg.Wait()
		if res[0].Revision != 1 || res[1].Revision != 1 || res[0].Added+res[1].Added != 4 || res[0].Unchanged+res[1].Unchanged != 4 {
			t.Errorf("the same import twice at once: %+v and %+v, want one adding 4 at revision 1, the other unchanged", res[0], res[1])
		}
	})
}

func refsOf(t testing.TB, s *screening.Service, list string) string {
	t.Helper()
	es, err := s.Entries(context.Background(), list)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Ref)
	}
	return strings.Join(out, " ")
}
