package loans_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// TestRaceDayEndAndPayments: on each of 25 days before the first
// instalment is due, the day end runs on one instance while five payments
// arrive on both: no payment is lost from the loan's stored figures (they
// still equal the fold) and the day end's date is not lost either. Without
// the loan's lock in the day end, it writes back the loan row it read
// before a payment committed, and the stored outstanding goes stale.
func TestRaceDayEndAndPayments(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-de", rs("200000"), 24)
		start := mustDate(l.DisbursedOn)
		amount := rs("100")
		for k := 1; k <= 25; k++ {
			d := start + schedule.Date(k)
			e.clk.Set(day(d.String()))
			errs := race(svcs, 6, func(i int, s *loans.Service) error {
				if i == 0 {
					_, err := s.DayEnd(ctx, d)
					return err
				}
				_, _, err := s.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("%s-%d", d, i), Amount: amount})
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("day %s call %d: %v", d, i, err)
				}
			}
			got, err := e.svc.Get(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outstanding != got.State.Outstanding() || got.PrincipalOutstanding != got.State.PrincipalOutstanding() || got.LastDayEnd != d.String() {
				t.Fatalf("day %s: stored outstanding %s (principal %s), last day end %q; want the fold's %s (%s) and %s",
					d, got.Outstanding, got.PrincipalOutstanding, got.LastDayEnd, got.State.Outstanding(), got.State.PrincipalOutstanding(), d)
			}
			if want := amount * money.Paise(5*k); got.State.Received != want {
				t.Fatalf("day %s: received %s, want %s", d, got.State.Received, want)
			}
		}
		reconcileClean(t, e)
	})
}

// TestRaceDayEndTwice: on each of the three days after the first
// instalment fell due unpaid, two instances run the same day end at once
// over ten borrowers: every loan is closed for the day exactly once (one
// run does it, the other skips it), so each gets one penal charge in all
// and one dpd_changed event a day. Without the loan's lock in the day end,
// both runs fold the same state: one fails on the event sequence, or both
// announce the change.
func TestRaceDayEndTwice(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		var ids []string
		for i := range 10 {
			ids = append(ids, activeLoan(t, e, fmt.Sprintf("C-twice-%d", i), rs("50000"), 6).ID)
		}
		first, err := e.svc.Get(ctx, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= 3; k++ {
			d := first.State.Rows[0].Due + schedule.Date(k)
			e.clk.Set(day(d.String()))
			reps := make([]loans.DayEndReport, 2)
			errs := race(svcs, 2, func(i int, s *loans.Service) error {
				var err error
				reps[i], err = s.DayEnd(ctx, d)
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Fatalf("day end %s on instance %d: %v", d, i, err)
				}
			}
			if done, skipped := reps[0].Loans+reps[1].Loans, reps[0].Skipped+reps[1].Skipped; done != len(ids) || skipped != len(ids) {
				t.Errorf("day end %s twice at once: %d loans closed for the day and %d skipped (%+v, %+v); want %d each",
					d, done, skipped, reps[0], reps[1], len(ids))
			}
			for _, id := range ids {
				l, err := e.svc.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				late, events := 0, 0
				for _, c := range l.State.Charges {
					if c.Kind == "late" {
						late++
					}
				}
				if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = 'loan.dpd_changed' AND key = $1`, id).Scan(&events); err != nil {
					t.Fatal(err)
				}
				if late != 1 || events != k || l.DPD != k || l.LastDayEnd != d.String() {
					t.Fatalf("loan %s after two day ends of %s at once: %d late charges, %d dpd_changed events, dpd %d, last day end %q; want 1, %d, %d, %s",
						id, d, late, events, l.DPD, l.LastDayEnd, k, k, d)
				}
			}
		}
		reconcileClean(t, e)
	})
}

// TestRaceLimitIncreases: ten increases of one line's limit at once, to
// 60,000 … 150,000, from two instances: the line ends at the highest, and
// the recorded increases chain, each from the limit the one before set and
// upwards. Without the line's lock two increases read the same limit and
// the later commit overwrites the other; without the check of the limit
// under the lock, an increase decided against the old limit commits after
// a higher one and lowers it.
func TestRaceLimitIncreases(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		id := activeLine(t, e, "C-limit", rs("50000"))
		const n = 10
		errs := race(svcs, n, func(i int, s *loans.Service) error {
			_, err := s.LimitIncrease(ctx, id, rs("50000")+rs("10000")*money.Paise(i+1), true, fmt.Sprintf("li-%d", i))
			return err
		})
		refused(t, errs, nirnay.KindUnprocessable, "is not above the current limit")
		line, err := e.svc.GetLine(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := rs("150000"); line.Limit != want {
			t.Errorf("limit after %d increases at once: %s, want the highest asked, %s", n, line.Limit, want)
		}
		rows, err := e.db.Reader().Query(`SELECT body FROM lending_events WHERE subject_id = $1 AND type = 'limit_increased' ORDER BY seq`, id)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		prev := rs("50000") // each increase starts from the limit the one before it set
		for rows.Next() {
			var body string
			var b struct{ From, To string }
			if err := rows.Scan(&body); err != nil || json.Unmarshal([]byte(body), &b) != nil {
				t.Fatalf("limit_increased event %q: %v", body, err)
			}
			from, _ := money.ParseRupees(b.From)
			to, _ := money.ParseRupees(b.To)
			if to <= from || from != prev {
				t.Errorf("a limit increase recorded from %s to %s after the limit was %s: want it from %s and upwards", b.From, b.To, prev, prev)
			}
			prev = to
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if prev != line.Limit {
			t.Errorf("the last increase recorded set %s; the line's limit is %s", prev, line.Limit)
		}
	})
}

// TestReconcileWhilePaymentsArrive: Reconcile runs again and again while
// payments are committed on two instances, and never reports a difference:
// each loan is read in one snapshot. Read statement by statement, it sees
// a loan row from before a payment and events or ledger lines from after.
func TestReconcileWhilePaymentsArrive(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-rec", rs("200000"), 24)
		var (
			done   atomic.Bool
			wg     sync.WaitGroup
			checks atomic.Int64
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				_, diffs, err := svcs[1].Reconcile(ctx)
				if err != nil {
					t.Errorf("reconcile: %v", err)
					return
				}
				for _, d := range diffs {
					t.Errorf("reconcile during payments: %s", d)
				}
				if len(diffs) > 0 {
					return
				}
				checks.Add(1)
			}
		}()
		errs := race(svcs, 60, func(i int, s *loans.Service) error {
			_, _, err := s.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("r-%d", i), Amount: rs("10")})
			return err
		})
		done.Store(true)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("payment %d: %v", i, err)
			}
		}
		t.Logf("%d reconciliations ran during the payments", checks.Load())
	})
}

// TestDayEndSkipsALoanSettledWhileItWaited (PostgreSQL): a day end that
// listed a loan as active and then waited for its lock behind the
// foreclosure that settles it does not close the settled loan for the day
// — as if it had listed the loans after the foreclosure — instead of
// folding a day end into a foreclosed loan and announcing it.
func TestDayEndSkipsALoanSettledWhileItWaited(t *testing.T) {
	e := newEnv(t, testenv.Backend{URL: testenv.Postgres(t)}.Migrated(t))
	ctx := context.Background()
	l := activeLoan(t, e, "C-wait", rs("50000"), 6)
	d := mustDate(l.DisbursedOn) + 5
	e.clk.Set(day(d.String()))
	q, err := e.svc.Quote(ctx, l.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	// Hold the loan's row so the foreclosure, then the day end, queue for it.
	hold, err := e.db.Writer().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	var id string
	if err := hold.QueryRowContext(ctx, `SELECT id FROM loans WHERE id = $1`+store.ForUpdate(e.db.Dialect), l.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var holder int
	if err := hold.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	// waiting returns once n backends wait for the held row: blocked by the
	// holder, directly or behind one that is (asked on another connection,
	// as a transaction sees one snapshot of pg_stat_activity).
	waiting := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var got int
			if err := e.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity a WHERE $1 = ANY(pg_blocking_pids(a.pid))
OR EXISTS (SELECT 1 FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(a.pid)) AND $1 = ANY(pg_blocking_pids(b.pid)))`, holder).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d transactions wait for the held loan, want %d", got, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	foreclosed, ended := make(chan error, 1), make(chan error, 1)
	var rep loans.DayEndReport
	go func() {
		_, _, err := e.svc.Foreclose(ctx, l.ID, loans.PaymentRequest{Key: "fc", Amount: q.Total})
		foreclosed <- err
	}()
	waiting(1)
	go func() {
		var err error
		rep, err = e.svc.DayEnd(ctx, d)
		ended <- err
	}()
	waiting(2)
	if err := hold.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-foreclosed; err != nil {
		t.Fatalf("foreclose: %v", err)
	}
	if err := <-ended; err != nil {
		t.Fatalf("day end: %v", err)
	}
	got, err := e.svc.Get(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	var announced int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = 'loan.dpd_changed' AND key = $1`, l.ID).Scan(&announced); err != nil {
		t.Fatal(err)
	}
	if got.Status != loans.StatusForeclosed || got.LastDayEnd != "" || rep.Loans != 0 || announced != 0 {
		t.Fatalf("loan %s, last day end %q, day end report %+v, %d dpd_changed events; want foreclosed, untouched by the day end (0 loans, no event)",
			got.Status, got.LastDayEnd, rep, announced)
	}
	reconcileClean(t, e)
}
