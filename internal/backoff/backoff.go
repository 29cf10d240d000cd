// Package backoff is Nirnay's one way to wait between attempts at something
// that keeps failing (a lost connection, an unreachable store): exponential
// delays from a first delay, doubling to a cap, each jittered so instances
// that failed together do not retry together. It wraps
// github.com/sethvargo/go-retry.
package backoff

import (
	"context"
	"time"

	"github.com/sethvargo/go-retry"
)

// JitterPercent is how far each delay may stray from its exponential value,
// either way (the cap still holds).
const JitterPercent = 20

// Backoff is the delay schedule of one retry loop: first, then doubling up
// to cap, each within ±JitterPercent of that and never above cap, until
// Reset starts it again from first. It is not safe for concurrent use: each
// loop owns its own.
type Backoff struct {
	first, cap time.Duration
	next       retry.Backoff // nil until the first Next after New or Reset
}

// New returns a Backoff from first to cap (cap is raised to first when
// smaller). It panics when first is not positive.
func New(first, cap time.Duration) *Backoff {
	if first <= 0 {
		panic("backoff: the first delay must be positive")
	}
	return &Backoff{first: first, cap: max(cap, first)}
}

// Next returns the delay before the next attempt and advances the schedule.
func (b *Backoff) Next() time.Duration {
	if b.next == nil {
		b.next = retry.WithCappedDuration(b.cap, retry.WithJitterPercent(JitterPercent, retry.NewExponential(b.first)))
	}
	d, _ := b.next.Next() // neither middleware ever stops
	return d
}

// Reset starts the schedule again from the first delay, after a success
// (or a healthy spell). It is cheap when nothing has failed since.
func (b *Backoff) Reset() { b.next = nil }

// Wait sleeps for Next. It returns false, at once, when ctx ends first.
func (b *Backoff) Wait(ctx context.Context) bool { return Sleep(ctx, b.Next()) }

// Sleep sleeps for d. It returns false, at once, when ctx ends first.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
