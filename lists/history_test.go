package lists_test

import (
	"context"
	"testing"
	"time"

	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/store"
)

// TestHistoryAnswersAsOfAnyTime: entries added, removed, re-added and
// expired are on the list exactly for the times they were, whatever
// happened to them since.
func TestHistoryAnswersAsOfAnyTime(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		ck := newClock(t0)
		s := openService(t, db, b.URL, ck, "blocked_devices")
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		op := func(h int, what string, fn func() error) time.Time {
			t.Helper()
			ck.Set(at(h))
			if err := fn(); err != nil {
				t.Fatalf("%s at +%dh: %v", what, h, err)
			}
			return at(h).Add(time.Millisecond) // the time the change took
		}
		add := func(v string, exp *time.Time) func() error {
			return func() error {
				_, err := s.Add(ctx, analyst, "blocked_devices", []lists.NewEntry{{Value: v, ExpiresAt: exp}})
				return err
			}
		}
		remove := func(v string) func() error {
			return func() error { return s.Remove(ctx, analyst, "blocked_devices", v) }
		}
		exp := at(5)
		addedA := op(1, "add d-1", add("d-1", nil))
		addedB := op(2, "add d-2 until +5h", add("d-2", &exp))
		removedA := op(3, "remove d-1", remove("d-1"))
		readdedA := op(6, "re-add d-1", add("d-1", nil)) // also closes d-2's entry, expired at +5h
		op(7, "replace with d-3", func() error {
			_, err := s.Import(ctx, analyst, "blocked_devices", []lists.NewEntry{{Value: "d-3"}}, lists.ModeReplace, false)
			return err
		})

		h := lists.NewHistory(db)
		us := time.Microsecond
		for _, c := range []struct {
			value string
			at    time.Time
			want  bool
		}{
			{"d-1", addedA.Add(-us), false},
			{"d-1", addedA, true},
			{"d-1", removedA.Add(-us), true},
			{"d-1", removedA, false},
			{"d-1", readdedA.Add(-us), false},
			{"d-1", readdedA, true},
			{"d-1", at(8), false}, // replaced
			{"d-2", addedB.Add(-us), false},
			{"d-2", addedB, true},
			{"d-2", exp.Add(-us), true},
			{"d-2", exp, false},
			{"d-2", at(6).Add(time.Hour), false},
			{"d-3", at(7), false},
			{"d-3", at(8), true},
			{"d-9", at(8), false},
		} {
			if got := contains(t, h, "blocked_devices", c.value, c.at); got != c.want {
				t.Errorf("history: %s on the list at %v: got %v, want %v", c.value, c.at.Format(time.RFC3339Nano), got, c.want)
			}
		}
		if contains(t, h, "no_such_list", "d-1", at(8)) {
			t.Errorf("history of an unknown list holds d-1; want empty")
		}
		// A History is a snapshot for one replay.
		op(9, "add d-4", add("d-4", nil))
		if contains(t, h, "blocked_devices", "d-4", at(10)) {
			t.Errorf("a History read before d-4 was added sees it; want the snapshot it read")
		}
		if !contains(t, lists.NewHistory(db), "blocked_devices", "d-4", at(10)) {
			t.Errorf("a new History does not see d-4, added at +9h, at +10h")
		}
		// The live cache answers the present.
		if got := contains(t, s.Cache(), "blocked_devices", "d-3", at(10)); !got {
			t.Errorf("cache: d-3 not on the list at +10h")
		}
		if got := contains(t, s.Cache(), "blocked_devices", "d-1", at(10)); got {
			t.Errorf("cache: d-1 on the list at +10h after the replace")
		}
	})
}
