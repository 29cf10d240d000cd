package features

import (
	"sync"
	"time"
)

// BreakerState is the state of a circuit breaker.
type BreakerState int

// Breaker states; the numbers are what the nirnay_features_breaker_state
// gauge shows.
const (
	BreakerClosed   BreakerState = 0 // calls go through
	BreakerHalfOpen BreakerState = 1 // one probe call at a time goes through
	BreakerOpen     BreakerState = 2 // calls are refused until the cool-down ends
)

func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	}
	return "open"
}

// BreakerConfig tunes a Breaker. Zero values take the defaults.
type BreakerConfig struct {
	Failures int           // consecutive failures that open it; default 5
	Cooldown time.Duration // how long it stays open before a probe; default 1 s
	Clock    func() time.Time
	OnChange func(from, to BreakerState) // called with the breaker's lock held; keep it short
}

// Breaker stops calls to a failing dependency: after Failures consecutive
// failures it opens and refuses calls for Cooldown, then half-opens and
// lets one probe through; the probe's success closes it, its failure opens
// it again. It is safe for concurrent use.
type Breaker struct {
	cfg      BreakerConfig
	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
	probing  bool
}

// NewBreaker returns a closed breaker.
func NewBreaker(cfg BreakerConfig) *Breaker {
	if cfg.Failures <= 0 {
		cfg.Failures = 5
	}
	if cfg.Cooldown <= 0 {
		cfg.Cooldown = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Breaker{cfg: cfg}
}

// Allow reports whether a call may go ahead. When it returns true the
// caller must report the call's result with Done.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return true
	case BreakerOpen:
		if b.cfg.Clock().Sub(b.openedAt) < b.cfg.Cooldown {
			return false
		}
		b.set(BreakerHalfOpen)
	}
	if b.probing {
		return false
	}
	b.probing = true
	return true
}

// Done reports the result of an allowed call.
func (b *Breaker) Done(ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerHalfOpen {
		b.probing = false
		if ok {
			b.failures = 0
			b.set(BreakerClosed)
		} else {
			b.openedAt = b.cfg.Clock()
			b.set(BreakerOpen)
		}
		return
	}
	if ok {
		b.failures = 0
		return
	}
	b.failures++
	if b.state == BreakerClosed && b.failures >= b.cfg.Failures {
		b.openedAt = b.cfg.Clock()
		b.set(BreakerOpen)
	}
}

// Cancel reports that an allowed call ended without telling anything
// about the dependency (its caller gave up): a half-open probe slot is
// freed, nothing else changes.
func (b *Breaker) Cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerHalfOpen {
		b.probing = false
	}
}

// refusing reports whether Allow would refuse a call now (open, within
// the cool-down), without taking a probe slot.
func (b *Breaker) refusing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state == BreakerOpen && b.cfg.Clock().Sub(b.openedAt) < b.cfg.Cooldown
}

// State is the current state (an open breaker whose cool-down has passed
// still reads open until the next Allow).
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

func (b *Breaker) set(s BreakerState) {
	if s == b.state {
		return
	}
	from := b.state
	b.state = s
	if b.cfg.OnChange != nil {
		b.cfg.OnChange(from, s)
	}
}
