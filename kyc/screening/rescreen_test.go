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

func TestScreenFollowsImportsOnEveryInstance(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		ctx := context.Background()
		a, other := newService(t, db), newService(t, b.Open(t))
		screen := func(s *screening.Service, name, dob string) string {
			t.Helper()
			hits, err := s.Screen(ctx, name, dob)
			if err != nil {
				t.Fatalf("screen %q: %v", name, err)
			}
			return refs(hits)
		}
		if got := screen(other, "Mohammad Rafiq Ansarwala", ""); got != "" {
			t.Errorf("before any import: %q, want no hit", got)
		}
		mustImport(t, a, "un", listed)
		mustImport(t, a, "local", []screening.Entry{{Ref: "L-1", Name: "Mohamed Rafiq Ansarwala", DOB: "1966-03-03"}})
		if got, want := screen(other, "Mohammad Rafiq Ansarwala", "1966-01-01"), "un/TSi.002 local/L-1"; got != want {
			t.Errorf("after the imports, on the other instance: %q, want %q", got, want)
		}
		// TSi.002 leaves the UN list: it is no hit any more, anywhere.
		mustImport(t, a, "un", slices.DeleteFunc(slices.Clone(listed), func(e screening.Entry) bool { return e.Ref == "TSi.002" }))
		for _, s := range []*screening.Service{a, other} {
			if got, want := screen(s, "Mohammad Rafiq Ansarwala", "1966-01-01"), "local/L-1"; got != want {
				t.Errorf("after TSi.002 was removed: %q, want %q", got, want)
			}
		}
		ix, err := other.Index(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ix.Revision("un") != 2 || ix.Revision("local") != 1 || ix.Len() != 4 {
			t.Errorf("index at un@%d local@%d with %d entries, want un@2 local@1 with 4", ix.Revision("un"), ix.Revision("local"), ix.Len())
		}
		if again, _ := other.Index(ctx); again != ix {
			t.Errorf("the index was rebuilt though no list changed")
		}
	})
}

// customer is one synthetic customer.
type customer struct{ id, name, dob string }

func each(cs []customer) screening.Customers {
	return func(yield func(string, string, string) bool) {
		for _, c := range cs {
			if !yield(c.id, c.name, c.dob) {
				return
			}
		}
	}
}

// raised collects the hits onHit is called with, "customer:list/ref".
type raised struct {
	mu   sync.Mutex
	hits []string
	fail func(h screening.Hit) error
}

func (r *raised) onHit(_ context.Context, h screening.Hit, customerID string) error {
	if r.fail != nil {
		if err := r.fail(h); err != nil {
			return err
		}
	}
	if h.ID == "" || h.Revision < 1 || h.Score < threshold {
		return fmt.Errorf("hit %+v: no id, revision or score", h)
	}
	r.mu.Lock()
	r.hits = append(r.hits, customerID+":"+h.List+"/"+h.Ref)
	r.mu.Unlock()
	return nil
}

func (r *raised) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.hits)
	s := strings.Join(r.hits, " ")
	r.hits = nil
	return s
}

var customers = []customer{
	{"C1", "Zoravar Khandelkar", "1971-01-01"},        // an alias of TSi.001
	{"C2", "Mohammad Rafiq Ansarwala", ""},            // TSi.002, no date of birth
	{"C3", "Mohammed Rafeeq Ansarwala", "1990-05-05"}, // TSi.002 by name, born decades later
	{"C4", "Asha Rao", "1985-02-03"},
	{"C5", "Priya Telang", "1981-01-01"}, // another person of a like name
	{"C6", "Harsimran Dabholkar", "1977-01-02"},
}

func TestRescreen(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var progress []screening.RescreenProgress
		s := newService(t, db, func(o *screening.Options) {
			o.ProgressEvery = 4
			o.Progress = func(p screening.RescreenProgress) { progress = append(progress, p) }
		})
		r := &raised{}
		rev1 := mustImport(t, s, "un", listed).Revision
		res, err := s.Rescreen(ctx, "un", 0, each(customers), r.onHit)
		if err != nil {
			t.Fatalf("rescreen: %v", err)
		}
		if got, want := r.take(), "C1:un/TSi.001 C2:un/TSi.002"; got != want {
			t.Errorf("first re-screen raised %q, want %q", got, want)
		}
		if res.Revision != rev1 || res.Entries != 4 || res.Customers != 6 || res.Hits != 2 || res.Known != 0 {
			t.Errorf("first re-screen: %+v, want revision %d, 4 entries, 6 customers, 2 hits", res, rev1)
		}
		if len(progress) != 2 || progress[0].Customers != 4 || progress[1].Customers != 6 || progress[1].Hits != 2 {
			t.Errorf("progress %+v, want reports at 4 and 6 customers", progress)
		}
		// The same re-screen again raises nothing new.
		res, err = s.Rescreen(ctx, "un", 0, each(customers), r.onHit)
		if got := r.take(); err != nil || got != "" || res.Hits != 0 || res.Known != 2 {
			t.Errorf("second re-screen: %+v %v raised %q; want nothing new, 2 known", res, err, got)
		}
		// An update: TSi.005 added, TSi.001 changed (its hit is known), TSi.002 removed.
		next := slices.Clone(listed)
		next[0].Note = "amended"
		next = slices.Delete(next, 1, 2)
		next = append(next, screening.Entry{Ref: "TSi.005", Name: "HARSIMRAN DABHOLKAR", DOB: "1977"})
		rev2 := mustImport(t, s, "un", next).Revision
		res, err = s.Rescreen(ctx, "un", rev1, each(customers), r.onHit)
		if got, want := r.take(), "C6:un/TSi.005"; err != nil || got != want {
			t.Errorf("re-screen of the update raised %q (%v), want %q", got, err, want)
		}
		if res.Revision != rev2 || res.Entries != 2 || res.Hits != 1 || res.Known != 1 {
			t.Errorf("re-screen of the update: %+v, want revision %d, 2 entries (TSi.001, TSi.005), 1 hit, 1 known", res, rev2)
		}
		hits, err := s.Hits(ctx, "C6")
		if err != nil || len(hits) != 1 || hits[0].Ref != "TSi.005" || hits[0].Revision != rev2 || hits[0].EntryName != "HARSIMRAN DABHOLKAR" ||
			hits[0].Kind != screening.KindIndividual || hits[0].CreatedAt.IsZero() {
			t.Errorf("C6's hits: %+v %v, want TSi.005 at revision %d", hits, err, rev2)
		}
		ls, _ := s.Lists(ctx)
		if len(ls) != 1 || ls[0].RescreenedRevision != rev2 {
			t.Errorf("lists %+v, want un re-screened up to %d", ls, rev2)
		}
		// Nothing added since: the customers are not even read.
		read := false
		res, err = s.Rescreen(ctx, "un", rev2, func(func(string, string, string) bool) { read = true }, r.onHit)
		if err != nil || read || res.Entries != 0 || res.Customers != 0 {
			t.Errorf("re-screen with nothing new: %+v %v (customers read: %v)", res, err, read)
		}
		if _, err := s.Rescreen(ctx, "nolist", 0, each(customers), r.onHit); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("re-screen of an unknown list: %v, want not found", err)
		}
	})
}

func TestRescreenWithdrawsAHitItCouldNotRaise(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		mustImport(t, s, "un", listed)
		boom := errors.New("cases unavailable")
		r := &raised{fail: func(h screening.Hit) error {
			if h.Ref == "TSi.002" {
				return boom
			}
			return nil
		}}
		if _, err := s.Rescreen(ctx, "un", 0, each(customers), r.onHit); !errors.Is(err, boom) {
			t.Fatalf("rescreen: got %v, want the onHit error", err)
		}
		if hits, _ := s.Hits(ctx, "C2"); len(hits) != 0 {
			t.Errorf("the hit whose case failed stayed recorded: %+v", hits)
		}
		if ls, _ := s.Lists(ctx); ls[0].RescreenedRevision != 0 {
			t.Errorf("a failed re-screen advanced the list to %d", ls[0].RescreenedRevision)
		}
		r.take()
		r.fail = nil
		if _, err := s.Rescreen(ctx, "un", 0, each(customers), r.onHit); err != nil {
			t.Fatal(err)
		}
		if got, want := r.take(), "C2:un/TSi.002"; got != want {
			t.Errorf("the next re-screen raised %q, want %q (C1's hit was raised before)", got, want)
		}
	})
}

// TestRescreenOnTwoInstancesRaisesEachHitOnce re-screens the same
// customers on two instances at once: every hit is raised, by one of them.
func TestRescreenOnTwoInstancesRaisesEachHitOnce(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		ctx := context.Background()
		a, other := newService(t, db), newService(t, b.Open(t))
		var entries []screening.Entry
		var cs []customer
		for i := range 40 {
			name := fmt.Sprintf("%s %s", firstNames[i], surnames[i])
			entries = append(entries, screening.Entry{Ref: fmt.Sprintf("X.%02d", i), Name: name})
			for j := range 5 {
				cs = append(cs, customer{fmt.Sprintf("C%02d-%d", i, j), name, ""})
			}
		}
		mustImport(t, a, "un", entries)
		r := &raised{}
		var wg sync.WaitGroup
		var res [2]screening.RescreenResult
		var errs [2]error
		for i, s := range []*screening.Service{a, other} {
			wg.Go(func() { res[i], errs[i] = s.Rescreen(ctx, "un", 0, each(cs), r.onHit) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("rescreens: %v, %v", errs[0], errs[1])
		}
		got := strings.Fields(r.take())
		if len(got) != len(cs) || len(slices.Compact(got)) != len(cs) {
			t.Errorf("%d hits raised (%d distinct), want each of the %d once", len(got), len(slices.Compact(got)), len(cs))
		}
		if res[0].Hits+res[1].Hits != len(cs) || res[0].Known+res[1].Known != len(cs) {
			t.Errorf("results %+v and %+v: want %d hits raised and %d found known between them", res[0], res[1], len(cs), len(cs))
		}
	})
}

// TestRecord records hits of Screen: only those not recorded before come
// back.
func TestRecord(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		mustImport(t, s, "un", listed)
		hits, err := s.Screen(ctx, "Zorawar Khandelkar", "")
		if err != nil || len(hits) != 1 {
			t.Fatalf("screen: %+v %v", hits, err)
		}
		got, err := s.Record(ctx, "C9", hits)
		if err != nil || len(got) != 1 || !strings.HasPrefix(got[0].ID, "scr_") {
			t.Fatalf("record: %+v %v, want the hit with an id", got, err)
		}
		if again, err := s.Record(ctx, "C9", hits); err != nil || len(again) != 0 {
			t.Errorf("recording it again: %+v %v, want nothing new", again, err)
		}
		if _, err := s.Record(ctx, "", hits); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("record for no customer: %v, want invalid", err)
		}
		h := hits[0]
		h.List = "nolist"
		if _, err := s.Record(ctx, "C9", []screening.Hit{h}); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a hit on a list never imported: %v, want conflict", err)
		}
	})
}
