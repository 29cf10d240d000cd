package features

import (
	"testing"
	"time"
)

func TestBreakerOpensHalfOpensAndCloses(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	var changes []string
	b := NewBreaker(BreakerConfig{Failures: 3, Cooldown: time.Second, Clock: clk.Now,
		OnChange: func(from, to BreakerState) { changes = append(changes, from.String()+">"+to.String()) }})
	fail := func() {
		t.Helper()
		if !b.Allow() {
			t.Fatalf("Allow = false in state %s, want true", b.State())
		}
		b.Done(false)
	}
	fail()
	fail()
	if b.State() != BreakerClosed {
		t.Fatalf("after 2 failures state %s, want closed", b.State())
	}
	// A success resets the count.
	b.Allow()
	b.Done(true)
	fail()
	fail()
	fail()
	if b.State() != BreakerOpen || b.Allow() {
		t.Fatalf("after 3 consecutive failures: state %s, Allow true; want open and refusing", b.State())
	}
	clk.Add(999 * time.Millisecond)
	if b.Allow() {
		t.Fatalf("Allow before the cool-down ended; want false")
	}
	clk.Add(time.Millisecond)
	if !b.Allow() {
		t.Fatalf("Allow after the cool-down = false; want one probe")
	}
	if b.State() != BreakerHalfOpen || b.Allow() {
		t.Fatalf("during the probe: state %s and a second call allowed; want half-open, one probe only", b.State())
	}
	b.Done(false) // probe fails: open again for another cool-down
	if b.State() != BreakerOpen || b.Allow() {
		t.Fatalf("after a failed probe state %s; want open and refusing", b.State())
	}
	clk.Add(time.Second)
	if !b.Allow() {
		t.Fatalf("second probe refused")
	}
	b.Done(true)
	if b.State() != BreakerClosed || !b.Allow() {
		t.Fatalf("after a good probe state %s; want closed", b.State())
	}
	want := []string{"closed>open", "open>half-open", "half-open>open", "open>half-open", "half-open>closed"}
	if len(changes) != len(want) {
		t.Fatalf("transitions %v, want %v", changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf("transitions %v, want %v", changes, want)
		}
	}
}

func TestBreakerCancelFreesTheProbe(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	b := NewBreaker(BreakerConfig{Failures: 1, Cooldown: time.Second, Clock: clk.Now})
	b.Allow()
	b.Done(false)
	clk.Add(time.Second)
	if !b.Allow() {
		t.Fatal("probe refused after the cool-down")
	}
	b.Cancel()
	if b.State() != BreakerHalfOpen || !b.Allow() {
		t.Fatalf("after a cancelled probe: state %s and no new probe; want half-open with the probe slot free", b.State())
	}
}
