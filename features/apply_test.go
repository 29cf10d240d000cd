package features

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
)

// appsOf is customer's apps_1h as the source serves it now (L1 or store).
func appsOf(t *testing.T, s *Source, customer string, now time.Time) any {
	t.Helper()
	v, err := s.Vector(context.Background(), Request{CustomerID: customer, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	s.cache.c.Wait() // ristretto applies sets asynchronously
	got, _ := fpValue(t, v, "apps_1h", now)
	return got
}

func TestSourceApplyIsReadByTheNextDecision(t *testing.T) {
	clk := newFakeClock()
	b := fpBuilder(t)
	cs := &countingStore{Store: fpLocal(t, b, clk.Now)}
	s, err := NewSource(SourceConfig{Builder: b, Store: cs, CacheTTL: time.Hour, Clock: clk.Now, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	ctx := context.Background()
	if got := appsOf(t, s, "C1", clk.Now()); got != int64(0) {
		t.Fatalf("apps_1h before any application = %v, want 0", got)
	}
	appsOf(t, s, "C2", clk.Now())
	reads := cs.reads.Load()
	for i, id := range []string{"dec_1/loan_application", "dec_2/loan_application", "dec_2/loan_application"} {
		if err := s.Apply(ctx, ev(id, "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil)); err != nil {
			t.Fatal(err)
		}
		want := int64(min(i+1, 2)) // the third repeats the second's id
		if got := appsOf(t, s, "C1", clk.Now()); got != want {
			t.Fatalf("apps_1h right after applying %s (L1 TTL 1h) = %v, want %d", id, got, want)
		}
	}
	if got := appsOf(t, s, "C2", clk.Now()); got != int64(0) {
		t.Errorf("apps_1h of C2 = %v, want 0", got)
	}
	if n := cs.reads.Load() - reads; n != 3 {
		t.Errorf("store reads for 3 applies to C1 and one more read of C2 = %d, want 3 (C1 re-read each time, C2 still in L1)", n)
	}
	// A store without aggregates cannot apply.
	st, err := NewSource(SourceConfig{Builder: b, Store: readOnly{cs}, Clock: clk.Now, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	if err := st.Apply(ctx, ev("x", "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil)); !nirnay.IsKind(err, nirnay.KindUnavailable) {
		t.Errorf("Apply on a store without aggregates: %v, want KindUnavailable", err)
	}
	// Malformed events are reported by index; the others are applied.
	err = s.Apply(ctx, ev("m1", "emi_debit", clk.Now(), map[string]string{"customer": "C1"}, nil),
		ev("dec_3/loan_application", "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil))
	var bad EventErrors
	if !errors.As(err, &bad) || len(bad) != 1 || bad[0] == nil {
		t.Errorf("Apply with an emi_debit lacking its amount: %v, want EventErrors for index 0", err)
	}
	if got := appsOf(t, s, "C1", clk.Now()); got != int64(3) {
		t.Errorf("apps_1h after a batch with one malformed event = %v, want 3", got)
	}
}

// Apply passes events to the wrapped store's Apply.
func (c *countingStore) Apply(ctx context.Context, events ...Event) error {
	return c.Store.(aggregator).Apply(ctx, events...)
}

// readOnly hides a store's Apply.
type readOnly struct{ Store }

func TestSourceApplyRefusedWhileTheBreakerIsOpen(t *testing.T) {
	clk := newFakeClock()
	s, cs := newTestSource(t, clk, nil)
	cs.set("fail")
	for range 3 {
		s.Vector(context.Background(), Request{CustomerID: "C1", Now: clk.Now()})
	}
	if s.Breaker().State() != BreakerOpen {
		t.Fatalf("breaker %s after 3 failed reads, want open", s.Breaker().State())
	}
	err := s.Apply(context.Background(), ev("a", "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil))
	if !nirnay.IsKind(err, nirnay.KindUnavailable) {
		t.Errorf("Apply with the breaker open: %v, want KindUnavailable", err)
	}
	clk.Add(time.Second) // cool-down over: Apply tries the store again
	if err := s.Apply(context.Background(), ev("a", "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil)); err != nil {
		t.Errorf("Apply after the cool-down: %v", err)
	}
}

func TestRedisSourceApplyIsReadOnEveryInstance(t *testing.T) {
	a, b, rs, rdbA := twoRedisInstances(t)
	ctx := context.Background()
	time.Sleep(100 * time.Millisecond) // both subscriptions established
	watch := rdbA.Subscribe(ctx, rs.Channel())
	defer watch.Close()
	if _, err := watch.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	cust := map[string]string{"customer": "C-apply", "device": "d-apply"}
	for _, s := range []*Source{a, b} {
		if got := appsOf(t, s, "C-apply", time.Now()); got != int64(0) {
			t.Fatalf("apps_1h before any application = %v, want 0", got)
		}
	}
	// The consumer's bulk Apply announces nothing: B keeps its L1 (1 h).
	if err := rs.Apply(ctx, ev("bulk-1", "loan_application", time.Now(), cust, nil)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := appsOf(t, b, "C-apply", time.Now()); got != int64(0) {
		t.Fatalf("instance B after a bulk Apply reads %v from L1, want still 0 (not announced)", got)
	}
	// Source.Apply on A: A reads it at once; B once the announcement lands.
	if err := a.Apply(ctx, ev("dec_1/loan_application", "loan_application", time.Now(), cust, nil)); err != nil {
		t.Fatal(err)
	}
	if got := appsOf(t, a, "C-apply", time.Now()); got != int64(2) {
		t.Errorf("instance A right after its Apply reads %v, want 2", got)
	}
	deadline := time.Now().Add(time.Second)
	for {
		got := appsOf(t, b, "C-apply", time.Now())
		if got == int64(2) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance B still reads %v a second after A applied (L1 TTL 1h): no announcement", got)
		}
		time.Sleep(time.Millisecond)
	}
	// One announcement naming the entity whose aggregate changed (the
	// device has no aggregate of loan_application); applying the same id
	// again changes nothing and announces nothing.
	msg, err := watch.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "customer:C-apply" {
		t.Fatalf("announcement %v (%v), want customer:C-apply", msg, err)
	}
	if err := a.Apply(ctx, ev("dec_1/loan_application", "loan_application", time.Now(), cust, nil)); err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, ev("dec_2/loan_application", "loan_application", time.Now(), cust, nil)); err != nil {
		t.Fatal(err)
	}
	msg, err = watch.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "customer:C-apply" {
		t.Fatalf("next announcement %v (%v), want customer:C-apply of dec_2", msg, err)
	}
	rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if extra, err := watch.ReceiveMessage(rctx); err == nil {
		t.Errorf("a third announcement %q for two changes (the repeated dec_1 changed nothing)", extra.Payload)
	}
	if got := appsOf(t, a, "C-apply", time.Now()); got != int64(3) {
		t.Errorf("apps_1h after bulk-1, dec_1 twice and dec_2 = %v, want 3", got)
	}
}

func TestLocalApplyInChunksHonoursItsContext(t *testing.T) {
	clk := newFakeClock()
	st := fpLocal(t, fpBuilder(t), clk.Now)
	ctx := context.Background()
	// A batch of three chunks: a malformed event in the second is reported
	// by its index in the batch, every other event is applied.
	evs := make([]Event, 2*applyChunk+10)
	for i := range evs {
		evs[i] = ev("b"+fmtFloat(float64(i)), "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil)
	}
	evs[applyChunk+44] = ev("bad", "emi_debit", clk.Now(), map[string]string{"customer": "C1"}, nil)
	err := st.Apply(ctx, evs...)
	var bad EventErrors
	if !errors.As(err, &bad) || len(bad) != 1 || bad[applyChunk+44] == nil {
		t.Fatalf("Apply of %d events with a malformed one at %d: %v, want EventErrors naming index %d", len(evs), applyChunk+44, err, applyChunk+44)
	}
	if got := readAgg(t, st, EntityKey{"customer", "C1"}, clk.Now())["apps_1h"]; got != int64(len(evs)-1) {
		t.Errorf("apps_1h = %v, want %d", got, len(evs)-1)
	}
	// While another Apply holds the lock, a waiting one gives up when its
	// context ends.
	st.applying <- struct{}{}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = st.Apply(wctx, ev("w1", "loan_application", clk.Now(), map[string]string{"customer": "C1"}, nil))
	<-st.applying
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("Apply waiting for the lock with a 20 ms deadline: %v after %s, want context.DeadlineExceeded at once", err, time.Since(start))
	}
}
