package screening_test

import (
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/store"
)

// The tests score names with a matcher of their own — the words of each
// name lower-cased and sorted, then one minus the Levenshtein distance
// over the longer length — not the production one, which is injected the
// same way.
const threshold = 0.85

var (
	t0    = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// tokenSort is a name's lower-case letter words, sorted, joined by spaces.
func tokenSort(s string) []rune {
	ws := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	slices.Sort(ws)
	return []rune(strings.Join(ws, " "))
}

func testMatch(a, b string) float64 {
	x, y := tokenSort(a), tokenSort(b)
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	return 1 - float64(levenshtein(x, y))/float64(max(len(x), len(y)))
}

func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// counting wraps a matcher and counts its calls.
type counting struct {
	calls atomic.Int64
	match screening.MatchFunc
}

func (c *counting) Match(a, b string) float64 {
	c.calls.Add(1)
	return c.match(a, b)
}

func newService(t testing.TB, db *store.DB, opts ...func(*screening.Options)) *screening.Service {
	t.Helper()
	o := screening.Options{Match: testMatch, Threshold: threshold, Now: testenv.NewClock(t0, time.Millisecond).Now, Logger: quiet}
	for _, f := range opts {
		f(&o)
	}
	s, err := screening.New(db, o)
	if err != nil {
		t.Fatalf("screening.New: %v", err)
	}
	return s
}

// listed are the entries of a small list, each a fictitious person.
var listed = []screening.Entry{
	{Ref: "TSi.001", Name: "ZORAWAR BALWANT KHANDELKAR", Aliases: []string{"Zoravar Khandelkar"}, DOB: "1971-06-14"},
	{Ref: "TSi.002", Name: "MOHAMMED RAFEEQ ANSARWALA", Aliases: []string{"Muhammad Rafiq Ansarwala"}, DOB: "1965; 1967"},
	{Ref: "TSi.003", Name: "PRIYAMVADA TELANGKAR", DOB: "1980/1983"},
	{Ref: "TSe.001", Kind: screening.KindEntity, Name: "NORTHERN CRESCENT TRADING COMPANY", Aliases: []string{"Northern Crescent Traders"}},
}

// refs are the refs of hits, in order.
func refs(hits []screening.Hit) string {
	var out []string
	for _, h := range hits {
		out = append(out, h.List+"/"+h.Ref)
	}
	return strings.Join(out, " ")
}
