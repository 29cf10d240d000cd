package backoff_test

import (
	"context"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/backoff"
)

// within reports whether d is within JitterPercent of want and at most cap.
func within(d, want, cap time.Duration) bool {
	slack := want * backoff.JitterPercent / 100
	return d >= want-slack && d <= want+slack && d <= cap
}

func TestScheduleDoublesToTheCapWithJitter(t *testing.T) {
	for run := range 50 {
		b := backoff.New(time.Second, 30*time.Second)
		want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
		for i, w := range want {
			if d := b.Next(); !within(d, w*time.Second, 30*time.Second) {
				t.Fatalf("run %d: delay %d = %v, want %v ±%d%% and at most 30s", run, i+1, d, w*time.Second, backoff.JitterPercent)
			}
		}
		b.Reset()
		if d := b.Next(); !within(d, time.Second, 30*time.Second) {
			t.Fatalf("run %d: after Reset the delay is %v, want 1s ±%d%%", run, d, backoff.JitterPercent)
		}
	}
}

func TestScheduleIsJittered(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 20 {
		seen[backoff.New(time.Second, time.Minute).Next()] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 first delays were all %v: no jitter", seen)
	}
}

func TestConstantWhenFirstIsCap(t *testing.T) {
	b := backoff.New(20*time.Millisecond, 0)
	for i := range 10 {
		if d := b.Next(); !within(d, 20*time.Millisecond, 20*time.Millisecond) {
			t.Fatalf("delay %d = %v, want at most 20ms and at least %v", i+1, d, 20*time.Millisecond*(100-backoff.JitterPercent)/100)
		}
	}
}

func TestWaitEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if backoff.New(time.Hour, time.Hour).Wait(ctx) {
		t.Error("Wait on an ended context returned true")
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("Wait on an ended context took %v", el)
	}
	if !backoff.New(time.Millisecond, time.Millisecond).Wait(context.Background()) {
		t.Error("Wait of 1ms returned false")
	}
}
