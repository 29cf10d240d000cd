package lists_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/store"
)

var (
	t0      = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	analyst = lists.Actor{ID: "key_analyst", Name: "analyst"}
	quiet   = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// newClock is a settable test clock at t; every reading advances it by a
// millisecond, so stored times are distinct and ordered.
func newClock(t time.Time) *testenv.Clock { return testenv.NewClock(t, time.Millisecond) }

type backend = testenv.Backend

// backends runs fn against a fresh, migrated SQLite and PostgreSQL, in
// parallel with the package's other tests.
var backends = testenv.ParallelBackends

// openService opens the lists service on db and creates the lists named.
func openService(t testing.TB, db *store.DB, url string, ck *testenv.Clock, names ...string) *lists.Service {
	t.Helper()
	s, err := lists.Open(context.Background(), db, lists.Options{Clock: ck.Now, Logger: quiet, DatabaseURL: url})
	if err != nil {
		t.Fatalf("lists.Open: %v", err)
	}
	for _, name := range names {
		mustPut(t, s, name)
	}
	return s
}

func mustPut(t testing.TB, s *lists.Service, name string) {
	t.Helper()
	if _, _, err := s.Put(context.Background(), analyst, name, "test list "+name); err != nil {
		t.Fatalf("put %s: %v", name, err)
	}
}

func contains(t testing.TB, c interface {
	Contains(string, string, time.Time) (bool, error)
}, list, value string, at time.Time) bool {
	t.Helper()
	ok, err := c.Contains(list, value, at)
	if err != nil {
		t.Fatalf("Contains(%s, %s, %v): %v", list, value, at, err)
	}
	return ok
}

func entryValues(t *testing.T, s *lists.Service, name string) string {
	t.Helper()
	var vals []string
	cursor := ""
	for {
		es, next, err := s.Entries(context.Background(), name, cursor, 2)
		if err != nil {
			t.Fatalf("entries of %s: %v", name, err)
		}
		for _, e := range es {
			vals = append(vals, e.Value)
		}
		if next == "" {
			return strings.Join(vals, " ")
		}
		cursor = next
	}
}

func TestPutGetAndList(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		s := openService(t, db, b.URL, newClock(t0))
		l, created, err := s.Put(ctx, analyst, "blocked_pincodes", "Pincodes we do not serve")
		if err != nil || !created || l.Name != "blocked_pincodes" || l.Description != "Pincodes we do not serve" || l.CreatedBy != analyst.ID {
			t.Fatalf("create: got %+v created=%v err=%v; want the new list, created", l, created, err)
		}
		l, created, err = s.Put(ctx, analyst, "blocked_pincodes", "Unserviceable pincodes")
		if err != nil || created || l.Description != "Unserviceable pincodes" || !l.UpdatedAt.After(l.CreatedAt) {
			t.Fatalf("update: got %+v created=%v err=%v; want the description updated, not created", l, created, err)
		}
		mustPut(t, s, "blocked_ifsc")
		mustPut(t, s, "a_first")
		var names []string
		cursor := ""
		for {
			page, next, err := s.Lists(ctx, cursor, 2)
			if err != nil {
				t.Fatalf("lists: %v", err)
			}
			for _, l := range page {
				names = append(names, l.Name)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if got, want := strings.Join(names, " "), "a_first blocked_ifsc blocked_pincodes"; got != want {
			t.Errorf("lists by pages of 2: got %q, want %q", got, want)
		}
		if _, err := s.Get(ctx, "no_such_list"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("get of an unknown list: got %v, want not found", err)
		}
		for _, bad := range []string{"", "Blocked", "blocked-pincodes", "x/y", strings.Repeat("a", 65)} {
			_, _, err := s.Put(ctx, analyst, bad, "")
			var ne *nirnay.Error
			if !errors.As(err, &ne) || ne.Kind != nirnay.KindInvalid || ne.Field != "name" {
				t.Errorf("put %q: got %v, want invalid naming field name", bad, err)
			}
		}
	})
}

func TestAddRemoveAndCounts(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		ck := newClock(t0)
		s := openService(t, db, b.URL, ck, "blocked_pincodes")
		got, err := s.Add(ctx, analyst, "blocked_pincodes", []lists.NewEntry{
			{Value: "560001", Reason: "flood"}, {Value: " 110001 "}, {Value: "560001", Reason: "flood"}})
		if err != nil || got != (lists.AddResult{Added: 2}) {
			t.Fatalf("add: got %+v, %v; want 2 added (a repeated identical entry once, spaces trimmed)", got, err)
		}
		later := t0.Add(48 * time.Hour)
		got, err = s.Add(ctx, analyst, "blocked_pincodes", []lists.NewEntry{
			{Value: "560001", Reason: "flood"}, {Value: "110001", Reason: "fraud ring", ExpiresAt: &later}, {Value: "400001"}})
		if err != nil || got != (lists.AddResult{Added: 1, Updated: 1, Unchanged: 1}) {
			t.Fatalf("second add: got %+v, %v; want 1 added, 1 updated, 1 unchanged", got, err)
		}
		if got, want := entryValues(t, s, "blocked_pincodes"), "110001 400001 560001"; got != want {
			t.Errorf("entries: got %q, want %q", got, want)
		}
		l, _ := s.Get(ctx, "blocked_pincodes")
		if l.Entries != 3 || l.Revision != 2 {
			t.Errorf("list after two adds: entries %d revision %d, want 3 and 2", l.Entries, l.Revision)
		}
		if err := s.Remove(ctx, analyst, "blocked_pincodes", "400001"); err != nil {
			t.Fatalf("remove: %v", err)
		}
		if err := s.Remove(ctx, analyst, "blocked_pincodes", "400001"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("second remove: got %v, want not found", err)
		}
		if err := s.Remove(ctx, analyst, "nope", "400001"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("remove from an unknown list: got %v, want not found", err)
		}
		if _, err := s.Add(ctx, analyst, "nope", []lists.NewEntry{{Value: "1"}}); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("add to an unknown list: got %v, want not found", err)
		}
		c := s.Cache()
		now := ck.Now()
		for v, want := range map[string]bool{"560001": true, "110001": true, "400001": false, "999999": false} {
			if got := contains(t, c, "blocked_pincodes", v, now); got != want {
				t.Errorf("cache Contains(%s) = %v, want %v", v, got, want)
			}
		}
		if contains(t, c, "blocked_pincodes", "110001", later) {
			t.Errorf("cache: 110001 still on the list at its expiry %v", later)
		}

		// Expiry: past it the entry is off the list and uncounted; the next
		// change closes it in the history.
		ck.Set(later.Add(time.Hour))
		l, _ = s.Get(ctx, "blocked_pincodes")
		if got, want := entryValues(t, s, "blocked_pincodes"), "560001"; got != want || l.Entries != 1 {
			t.Errorf("after 110001 expired: entries %q (count %d), want %q (1)", got, l.Entries, want)
		}
		if got, err := s.Add(ctx, analyst, "blocked_pincodes", []lists.NewEntry{{Value: "110001"}}); err != nil || got.Added != 1 {
			t.Errorf("re-add after expiry: got %+v, %v; want added", got, err)
		}
	})
}

func TestBadEntries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ck := newClock(t0)
	s := openService(t, testenv.SQLite(t), "", ck, "l")
	past := t0.Add(-time.Hour)
	for _, c := range []struct {
		name  string
		in    []lists.NewEntry
		field string
	}{
		{"empty value", []lists.NewEntry{{Value: "ok"}, {Value: "  "}}, "entries[1].value"},
		{"long value", []lists.NewEntry{{Value: strings.Repeat("9", 257)}}, "entries[0].value"},
		{"control character", []lists.NewEntry{{Value: "a\x00b"}}, "entries[0].value"},
		{"invalid UTF-8", []lists.NewEntry{{Value: "\xff"}}, "entries[0].value"},
		{"Aadhaar number as a value", []lists.NewEntry{{Value: "4918 2736 5013"}}, "entries[0].value"},
		{"Aadhaar number in a reason", []lists.NewEntry{{Value: "x", Reason: "holder 491827365013"}}, "entries[0].reason"},
		{"long reason", []lists.NewEntry{{Value: "x", Reason: strings.Repeat("r", 513)}}, "entries[0].reason"},
		{"expiry in the past", []lists.NewEntry{{Value: "x", ExpiresAt: &past}}, "entries[0].expires_at"},
		{"conflicting repeat", []lists.NewEntry{{Value: "x"}, {Value: "x", Reason: "other"}}, "entries[1].value"},
		{"csv row", []lists.NewEntry{{Value: "", Line: 7}}, "line 7"},
		{"no entries", nil, "entries"},
	} {
		_, err := s.Add(ctx, analyst, "l", c.in)
		var ne *nirnay.Error
		if !errors.As(err, &ne) || ne.Kind != nirnay.KindInvalid || ne.Field != c.field {
			t.Errorf("%s: got %v, want invalid naming %q", c.name, err, c.field)
		}
	}
	if got := entryValues(t, s, "l"); got != "" {
		t.Errorf("after refused adds the list holds %q, want nothing", got)
	}
	if _, err := s.Import(ctx, analyst, "l", []lists.NewEntry{{Value: "x"}}, "merge", false); !nirnay.IsKind(err, nirnay.KindInvalid) {
		t.Errorf("import mode merge: got %v, want invalid", err)
	}
}

func TestImportAddReplaceAndDryRun(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		s := openService(t, db, b.URL, newClock(t0), "blocked_ifsc")
		file := func(src string) []lists.NewEntry {
			es, err := lists.ParseCSV(strings.NewReader(src), lists.MaxImportRows)
			if err != nil {
				t.Fatalf("parse %q: %v", src, err)
			}
			return es
		}
		r, err := s.Import(ctx, analyst, "blocked_ifsc", file("value,reason\nAAAA0000001,mule\nAAAA0000002,mule\nAAAA0000003,\n"), lists.ModeAdd, false)
		if err != nil || r.Added != 3 || r.Removed != 0 {
			t.Fatalf("import add: got %+v, %v; want 3 added", r, err)
		}
		next := file("AAAA0000002,mule\nAAAA0000003,closed branch\nAAAA0000004\n")
		dry, err := s.Import(ctx, analyst, "blocked_ifsc", next, lists.ModeReplace, true)
		if err != nil || dry.Added != 1 || dry.Updated != 1 || dry.Removed != 1 || dry.Unchanged != 1 || !dry.DryRun || dry.Sample == nil {
			t.Fatalf("dry-run replace: got %+v, %v; want 1 added, 1 updated, 1 removed, 1 unchanged with a sample", dry, err)
		}
		if got, want := strings.Join(dry.Sample.Add, ",")+"|"+strings.Join(dry.Sample.Update, ",")+"|"+strings.Join(dry.Sample.Remove, ","),
			"AAAA0000004|AAAA0000003|AAAA0000001"; got != want {
			t.Errorf("dry-run sample add|update|remove: got %q, want %q", got, want)
		}
		if got, want := entryValues(t, s, "blocked_ifsc"), "AAAA0000001 AAAA0000002 AAAA0000003"; got != want {
			t.Fatalf("after the dry run: entries %q, want unchanged %q", got, want)
		}
		r, err = s.Import(ctx, analyst, "blocked_ifsc", next, lists.ModeReplace, false)
		if err != nil || r.Added != 1 || r.Updated != 1 || r.Removed != 1 || r.Unchanged != 1 || r.DryRun || r.Sample != nil {
			t.Fatalf("replace: got %+v, %v; want what the dry run said, without a sample", r, err)
		}
		if got, want := entryValues(t, s, "blocked_ifsc"), "AAAA0000002 AAAA0000003 AAAA0000004"; got != want {
			t.Errorf("after the replace: entries %q, want %q", got, want)
		}
		rev := s.Cache().Revision("blocked_ifsc")
		r, err = s.Import(ctx, analyst, "blocked_ifsc", next, lists.ModeReplace, false)
		if err != nil || r.Unchanged != 3 || r.Added+r.Updated+r.Removed != 0 {
			t.Errorf("the same replace again: got %+v, %v; want 3 unchanged", r, err)
		}
		if l, _ := s.Get(ctx, "blocked_ifsc"); l.Revision != rev {
			t.Errorf("a change that changed nothing took revision %d (was %d); want none", l.Revision, rev)
		}
	})
}

// TestChangesAreAudited reads the audit log through governance, as GET
// /v1/audit?subject=list/<name> does.
func TestChangesAreAudited(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.SQLite(t)
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	s := openService(t, db, "", newClock(t0), "blocked_pincodes")
	if _, _, err := s.Put(ctx, analyst, "blocked_pincodes", "new words"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, analyst, "blocked_pincodes", []lists.NewEntry{{Value: "560001"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, analyst, "blocked_pincodes", []lists.NewEntry{{Value: "560001"}}); err != nil {
		t.Fatal(err) // unchanged: not a change, not audited
	}
	if _, err := s.Import(ctx, analyst, "blocked_pincodes", []lists.NewEntry{{Value: "110001"}}, lists.ModeReplace, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, analyst, "blocked_pincodes", []lists.NewEntry{{Value: "400001"}}, lists.ModeReplace, true); err != nil {
		t.Fatal(err) // dry run: nothing applied, nothing audited
	}
	if err := s.Remove(ctx, analyst, "blocked_pincodes", "110001"); err != nil {
		t.Fatal(err)
	}
	items, _, err := gov.Audit(ctx, governance.AuditQuery{Subject: "list/blocked_pincodes"})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range items {
		if e.Actor != analyst || e.Subject != "list/blocked_pincodes" {
			t.Errorf("audit entry %+v: want actor %v and subject list/blocked_pincodes", e, analyst)
		}
		acts = append(acts, e.Action)
	}
	if got, want := strings.Join(acts, " "), "list.create list.update list.add list.import list.remove"; got != want {
		t.Errorf("audit actions: got %q, want %q", got, want)
	}
}

// Both answer in_list for the engine.
var (
	_ engine.Lists = (*lists.Cache)(nil)
	_ engine.Lists = (*lists.History)(nil)
)
