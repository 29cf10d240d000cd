package decisions_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// stepUpCatalog is the part of the catalog step-ups write.
func stepUpCatalog(t *testing.T) *features.Builder {
	t.Helper()
	cat, err := rules.NewCatalog([]rules.Feature{
		{Name: "step_up_passed", Type: rules.TypeStringList, PerStep: true, MaxAge: 15 * time.Minute, Default: []string{}},
		{Name: "step_up_failures_1h", Type: rules.TypeInt, Source: rules.SourceAggregate, Default: int64(0),
			Aggregate: &rules.Aggregate{Event: "step_up_failed", Fn: "count", Window: time.Hour, Entity: "customer"}},
		{Name: "login_failures_1h", Type: rules.TypeInt, Source: rules.SourceAggregate, Default: int64(0),
			Aggregate: &rules.Aggregate{Event: "login_failed", Fn: "count", Window: time.Hour, Entity: "customer"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stepUpDecision logs an acted-on decision of step with outcome and actions.
func stepUpDecision(t *testing.T, l *decisionlog.Log, id, customer, step string, outcome nirnay.Outcome, actions ...string) {
	t.Helper()
	resp, _ := json.Marshal(map[string]any{"decision_id": id, "outcome": outcome, "actions": actions})
	body, _ := json.Marshal(map[string]any{"response": json.RawMessage(resp)})
	if err := l.Append(&decisionlog.Record{ID: id, CustomerID: customer, Step: step, Outcome: outcome, PolicyID: "p",
		PolicyVersion: 1, Role: "champion", DecidedAt: time.Now().UTC(), Rules: []string{}, Body: body}); err != nil {
		t.Fatal(err)
	}
}

// stepUpInstance is one service instance's view: its decision log, feature
// source and step-up recorder.
type stepUpInstance struct {
	src *features.Source
	ups *decisions.StepUps
}

func observe(t *testing.T, src *features.Source, customer, step, name string) any {
	t.Helper()
	v, err := src.Vector(context.Background(), features.Request{CustomerID: customer, Step: step})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := v.Catalog().Lookup(name)
	return v.Observe(f.Slot, time.Now()).Value
}

// TestStepUpsAcrossInstances reports challenges on one instance and reads
// their effect on another: embedded (one process: both views share the
// store) and PostgreSQL with Redis (two sources, each with its own L1).
func TestStepUpsAcrossInstances(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres+redis"} {
		t.Run(backend, func(t *testing.T) {
			ctx := context.Background()
			b := stepUpCatalog(t)
			var db *store.DB
			var a, other stepUpInstance
			newSource := func(st features.Store) *features.Source {
				src, err := features.NewSource(features.SourceConfig{Builder: b, Store: st, CacheTTL: time.Minute})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(src.Close)
				return src
			}
			var agg decisions.Aggregator
			if backend == "sqlite" {
				db = testenv.SQLite(t)
				local, err := features.NewLocalStore(ctx, db, b.Catalog(), nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := local.KeepInMemory(ctx); err != nil {
					t.Fatal(err)
				}
				a.src, agg = newSource(local), local
				other.src = a.src
			} else {
				url := testenv.Postgres(t)
				rurl, prefix := testenv.Redis(t)
				db = testenv.Backend{URL: url}.Migrated(t)
				opts, _ := redis.ParseURL(rurl)
				rdb := redis.NewClient(opts)
				t.Cleanup(func() { rdb.Close() })
				stores := [2]*features.RedisStore{}
				for i := range stores {
					var err error
					if stores[i], err = features.NewRedisStore(rdb, prefix, b.Catalog(), time.Now); err != nil {
						t.Fatal(err)
					}
				}
				a.src, other.src, agg = newSource(stores[0]), newSource(stores[1]), stores[0]
			}
			l := decisionstest.Log(t, db, decisionlog.Options{})
			v, err := decisions.NewVelocity(b.Catalog(), agg, decisions.VelocityOptions{Logger: slog.New(slog.DiscardHandler),
				Rules: []decisions.VelocityRule{{Event: "step_up_failed", Entities: []string{"customer"}}, {Event: "login_failed", Entities: []string{"customer"}}}})
			if err != nil {
				t.Fatal(err)
			}
			if a.ups, err = decisions.NewStepUps(db, l, a.src, v, nil, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}

			stepUpDecision(t, l, "dec_login1", "C-1", "login", "step_up", "otp", "selfie")
			stepUpDecision(t, l, "dec_approve", "C-1", "login", "approve")
			// Warm the other stepUpInstance's L1 before the report.
			if got := observe(t, other.src, "C-1", "login", "step_up_passed"); len(got.([]string)) != 0 {
				t.Fatalf("before any report: step_up_passed %v", got)
			}
			rep, replayed, err := a.ups.Report(ctx, decisions.StepUpRequest{DecisionID: "dec_login1", Action: "otp", Result: "passed", By: "key_1"})
			if err != nil || replayed || rep.Step != "login" || rep.CustomerID != "C-1" {
				t.Fatalf("report: %+v replayed %v err %v", rep, replayed, err)
			}
			deadline := time.Now().Add(time.Second)
			for {
				got := observe(t, other.src, "C-1", "login", "step_up_passed").([]string)
				if slices.Equal(got, []string{"otp"}) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("other stepUpInstance reads step_up_passed %v a second after the report, want [otp]", got)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if got := observe(t, other.src, "C-1", "disbursal", "step_up_passed").([]string); len(got) != 0 {
				t.Errorf("a login otp reads as passed at disbursal: %v", got)
			}
			again, replayed, err := a.ups.Report(ctx, decisions.StepUpRequest{DecisionID: "dec_login1", Action: "otp", Result: "passed", By: "key_2"})
			if err != nil || !replayed || !again.ReportedAt.Equal(rep.ReportedAt) || again.ReportedBy != "key_1" {
				t.Errorf("the same report again: %+v replayed %v err %v; want the first one", again, replayed, err)
			}
			for _, tt := range []struct {
				req  decisions.StepUpRequest
				kind nirnay.Kind
			}{
				{decisions.StepUpRequest{DecisionID: "dec_login1", Action: "otp", Result: "failed"}, nirnay.KindConflict},
				{decisions.StepUpRequest{DecisionID: "dec_login1", Action: "video_kyc", Result: "passed"}, nirnay.KindConflict},
				{decisions.StepUpRequest{DecisionID: "dec_approve", Action: "otp", Result: "passed"}, nirnay.KindConflict},
				{decisions.StepUpRequest{DecisionID: "dec_login1", Action: "otp", Result: "passed", Customer: "C-2"}, nirnay.KindNotFound},
				{decisions.StepUpRequest{DecisionID: "dec_none", Action: "otp", Result: "passed"}, nirnay.KindNotFound},
				{decisions.StepUpRequest{DecisionID: "dec_login1", Action: "", Result: "passed"}, nirnay.KindInvalid},
				{decisions.StepUpRequest{DecisionID: "dec_login1", Action: "selfie", Result: "yes"}, nirnay.KindInvalid},
			} {
				if _, _, err := a.ups.Report(ctx, tt.req); nirnay.KindOf(err) != tt.kind {
					t.Errorf("report %+v: %v, want %s", tt.req, err, tt.kind)
				}
			}
			// A failed selfie counts as a failed challenge and, at login, a
			// failed login.
			if _, _, err := a.ups.Report(ctx, decisions.StepUpRequest{DecisionID: "dec_login1", Action: "selfie", Result: "failed"}); err != nil {
				t.Fatal(err)
			}
			if _, _, err := a.ups.Report(ctx, decisions.StepUpRequest{DecisionID: "dec_login1", Action: "selfie", Result: "failed"}); err != nil {
				t.Fatalf("a repeated failure: %v", err)
			}
			fresh := newSource(agg.(features.Store)) // no warm cache
			for _, name := range []string{"step_up_failures_1h", "login_failures_1h"} {
				if got := observe(t, fresh, "C-1", "login", name); got != int64(1) {
					t.Errorf("%s after one failed challenge reported twice: %v, want 1", name, got)
				}
			}
			list, err := a.ups.List(ctx, "C-1", time.Time{}, time.Time{}, 10)
			if err != nil || len(list) != 2 || list[0].Action != "otp" || list[1].Result != "failed" {
				t.Errorf("journey list: %+v %v", list, err)
			}
		})
	}
}

// TestStepUpsNeedTheirVelocityEvents: step-ups count failures through the
// velocity table, so a table without step_up_failed stops the start.
func TestStepUpsNeedTheirVelocityEvents(t *testing.T) {
	b := stepUpCatalog(t)
	v, err := decisions.NewVelocity(b.Catalog(), noAggregates{}, decisions.VelocityOptions{
		Rules: []decisions.VelocityRule{{Event: "login_failed", Entities: []string{"customer"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decisions.NewStepUps(nil, nil, nil, v, nil, nil); err == nil || !strings.Contains(err.Error(), "step_up_failed") {
		t.Errorf("a velocity table without step_up_failed: %v; want an error naming it", err)
	}
}

// noAggregates takes no events (the test never counts).
type noAggregates struct{}

func (noAggregates) Apply(context.Context, ...features.Event) error { return nil }
