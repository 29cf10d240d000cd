// Package ids mints Nirnay's ids: a prefix naming the kind of thing, an
// underscore and a ULID, e.g. dec_01KDVDNA00H6Z0K6QS2QFY92F4. A ULID is 26
// characters of Crockford base 32 in the canonical upper case; its first
// ten carry the millisecond it was minted at on the minting component's
// clock, so ids of one kind sort in time order and Time reads that time
// back.
//
// Ids minted before this package existed were lower case in places (loans,
// credit lines, payments, simulations). They are still looked up exactly as
// they were issued; Time and Compare read either case.
package ids

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/oklog/ulid/v2"
)

// Generator mints ids on the clock it was built with. It is safe for
// concurrent use; build one per component with the clock the component
// was given.
type Generator struct {
	clock func() time.Time
	src   *source
}

// source is monotonic entropy and the lock that serialises it. It is per
// Generator: components on different clocks minting in turn would
// otherwise keep restarting each other's millisecond.
type source struct {
	mu      sync.Mutex
	entropy *ulid.MonotonicEntropy
}

// New returns a Generator on clock (time.Now when nil) with
// cryptographically random ids. The ids it mints in one millisecond sort in
// the order it minted them, and ids of a later millisecond after them.
func New(clock func() time.Time) *Generator {
	if clock == nil {
		clock = time.Now
	}
	return &Generator{clock: clock, src: &source{entropy: ulid.Monotonic(rand.Reader, 0)}}
}

// NewSeeded returns a Generator whose ids are a pure function of the clock
// readings (or times given to At) and seed, for output that must be
// reproducible. The random part of its first id is the first ten bytes of
// seed; the bytes after those, then a stream derived from seed, give the
// rest. Monotonic like New.
func NewSeeded(clock func() time.Time, seed []byte) *Generator {
	if clock == nil {
		clock = time.Now
	}
	stream := io.MultiReader(bytes.NewReader(seed), mrand.NewChaCha8(sha256.Sum256(seed)))
	return &Generator{clock: clock, src: &source{entropy: ulid.Monotonic(stream, 0)}}
}

// New mints prefix + "_" + a ULID of the generator's clock's current time.
func (g *Generator) New(prefix string) string { return g.At(prefix, g.clock()) }

// At mints prefix + "_" + a ULID of t, for a time the caller has already
// read from the generator's clock (so an id and the record it names carry
// the same instant). t is taken to the millisecond and clamped to what a
// ULID can hold (the Unix epoch to the year 10889). It panics only if the
// entropy fails, which crypto/rand does not.
func (g *Generator) At(prefix string, t time.Time) string {
	ms := uint64(0)
	if m := t.UnixMilli(); m > 0 {
		ms = min(uint64(m), ulid.MaxTime())
	}
	g.src.mu.Lock()
	u, err := ulid.New(ms, g.src.entropy)
	g.src.mu.Unlock()
	if err != nil {
		panic(fmt.Sprintf("ids: mint %s id: %v", prefix, err))
	}
	return prefix + "_" + u.String()
}

// Time returns the time an id carries, to the millisecond, in UTC: that of
// the ULID after its last underscore, in either letter case. Errors: an id
// without an underscore, or whose ULID part is not one.
func Time(id string) (time.Time, error) {
	i := strings.LastIndexByte(id, '_')
	if i < 0 {
		return time.Time{}, fmt.Errorf("id %q has no prefix", id)
	}
	u, err := ulid.ParseStrict(id[i+1:])
	if err != nil {
		return time.Time{}, fmt.Errorf("id %q: %w", id, err)
	}
	return ulid.Time(u.Time()).UTC(), nil
}

// Compare orders ids like strings.Compare but ignoring ASCII letter case,
// so ids of one prefix sort in the order of their ULIDs (time, then mint
// order) whether they were minted upper case or, before this package, lower
// case.
func Compare(a, b string) int {
	for i := range min(len(a), len(b)) {
		if x, y := upper(a[i]), upper(b[i]); x != y {
			return cmp.Compare(x, y)
		}
	}
	return cmp.Compare(len(a), len(b))
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}
