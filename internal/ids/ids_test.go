package ids_test

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/nirnay/nirnay/internal/ids"
)

var shape = regexp.MustCompile(`^dec_[0-9A-HJKMNP-TV-Z]{26}$`)

func fixed(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestNewIsPrefixedUpperCaseOnTheClock(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 123_456_789, time.UTC)
	g := ids.New(fixed(at))
	id := g.New("dec")
	if !shape.MatchString(id) {
		t.Fatalf("New(%q) = %q, want dec_ and 26 upper-case Crockford characters", "dec", id)
	}
	got, err := ids.Time(id)
	if want := at.Truncate(time.Millisecond); err != nil || !got.Equal(want) {
		t.Errorf("Time(%q) = %v, %v; want %v", id, got, err, want)
	}
	if got, _ := ids.Time(g.At("aud", at.Add(time.Hour))); !got.Equal(at.Add(time.Hour).Truncate(time.Millisecond)) {
		t.Errorf("At an hour later carries %v", got)
	}
}

// TestMonotonic: ids of one millisecond, minted from several goroutines,
// are distinct and sort in the order they were minted, also while another
// generator on another clock mints in between.
func TestMonotonic(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	g, wall := ids.New(fixed(at)), ids.New(time.Now)
	var mu sync.Mutex
	var minted []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				mu.Lock()
				minted = append(minted, g.New("x"))
				mu.Unlock()
				wall.New("req")
			}
		})
	}
	wg.Wait()
	if !slices.IsSorted(minted) {
		t.Errorf("ids of one millisecond are not in mint order")
	}
	if c := slices.Compact(slices.Clone(minted)); len(c) != len(minted) {
		t.Errorf("%d of %d ids are duplicates", len(minted)-len(c), len(minted))
	}
}

// TestConcurrent is for the race detector: one generator from many
// goroutines, and every id is unique.
func TestConcurrent(t *testing.T) {
	g := ids.New(nil)
	seen := sync.Map{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				if id := g.New("req"); !strings.HasPrefix(id, "req_") {
					t.Errorf("New(req) = %q", id)
				} else if _, dup := seen.LoadOrStore(id, true); dup {
					t.Errorf("duplicate id %q", id)
				}
			}
		})
	}
	wg.Wait()
}

func TestSeededIsReproducible(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	seed := bytes.Repeat([]byte{7, 1, 3}, 11)
	a, b := ids.NewSeeded(fixed(at), seed), ids.NewSeeded(fixed(at), seed)
	for i := range 20 {
		if x, y := a.New("dec"), b.New("dec"); x != y {
			t.Fatalf("id %d: %q and %q from the same seed and clock", i, x, y)
		}
	}
	// The first id is the ULID of the time with the seed's first bytes as
	// its random part, as policy eval has always made it.
	want := "dec_" + ulid.MustNew(ulid.Timestamp(at), bytes.NewReader(seed)).String()
	if got := ids.NewSeeded(fixed(at), seed).New("dec"); got != want {
		t.Errorf("first seeded id = %q, want %q", got, want)
	}
	if x, y := ids.NewSeeded(fixed(at), []byte("a")).New("dec"), ids.NewSeeded(fixed(at), []byte("b")).New("dec"); x == y {
		t.Errorf("different seeds gave the same id %q", x)
	}
}

func TestAtClampsToTheULIDRange(t *testing.T) {
	g := ids.New(nil)
	for _, at := range []time.Time{{}, time.Unix(-5, 0)} {
		id := g.At("x", at)
		if got, err := ids.Time(id); err != nil || !got.Equal(time.UnixMilli(0).UTC()) {
			t.Errorf("At(%v) = %q carrying %v, %v; want the epoch", at, id, got, err)
		}
	}
}

func TestTimeReadsEitherCase(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 30, 0, 0, time.UTC)
	id := ids.New(fixed(at)).New("ln")
	for _, in := range []string{id, strings.ToLower(id)} {
		if got, err := ids.Time(in); err != nil || !got.Equal(at) {
			t.Errorf("Time(%q) = %v, %v; want %v", in, got, err, at)
		}
	}
	for _, bad := range []string{"", "01KDVDNA00H6Z0K6QS2QFY92F4", "dec_", "dec_01KDVDNA00", "dec_01KDVDNA00H6Z0K6QS2QFY92FU", "dec_81KDVDNA00H6Z0K6QS2QFY92F4"} {
		if got, err := ids.Time(bad); err == nil {
			t.Errorf("Time(%q) = %v, want an error", bad, got)
		}
	}
}

func TestCompareIgnoresCase(t *testing.T) {
	g := ids.New(nil)
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	older := strings.ToLower(g.At("sim", at)) // as minted before ids
	newer := g.At("sim", at.Add(time.Millisecond))
	if strings.Compare(older, newer) < 0 {
		t.Fatalf("test needs a lower-case id that sorts after the newer one bytewise: %q, %q", older, newer)
	}
	tests := []struct {
		a, b string
		want int
	}{
		{older, newer, -1},
		{newer, older, 1},
		{older, strings.ToUpper(older[:4]) + older[4:], 0},
		{"sim_A", "sim_AB", -1},
	}
	for _, tt := range tests {
		if got := ids.Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzTime(f *testing.F) {
	f.Add("dec_01KDVDNA00H6Z0K6QS2QFY92F4")
	f.Add("ln_01m8c072khqvfwxcqv5aaadcjt")
	f.Add("x_")
	f.Fuzz(func(t *testing.T, id string) {
		got, err := ids.Time(id)
		if err != nil {
			return
		}
		// A time read back mints an id that carries it again.
		again, err := ids.Time(ids.New(nil).At("x", got))
		if err != nil || !again.Equal(got) {
			t.Errorf("Time(%q) = %v; an id minted at it carries %v, %v", id, got, again, err)
		}
	})
}
