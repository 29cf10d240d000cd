package testenv

import (
	"sync"
	"time"
)

// Clock is a test clock, safe for concurrent use. Every reading first
// moves it on by its step (none for a clock that stays where it is set),
// so a stepping clock gives distinct, ordered times.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewClock returns a clock at t that moves on by step at every reading.
func NewClock(t time.Time, step time.Duration) *Clock { return &Clock{t: t, step: step} }

// Now moves the clock on by its step and returns the time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
