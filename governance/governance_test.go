package governance_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type backend = testenv.Backend

// backends runs fn against a fresh, migrated SQLite and PostgreSQL, in
// parallel with the package's other tests.
var backends = testenv.ParallelBackends

type instance struct {
	gov *governance.Service
	eng *engine.Engine
	vec *features.Vector
}

func openGov(t *testing.T, db *store.DB, url string) instance {
	t.Helper()
	ck := testenv.NewClock(t0, time.Second) // a second a reading
	gov, err := governance.Open(context.Background(), db, policies.FS, governance.Options{
		Clock: ck.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), DatabaseURL: url,
	})
	if err != nil {
		t.Fatalf("governance.Open: %v", err)
	}
	c, ok := gov.Registry().Get(rules.PolicyRef{ID: "credit-underwriting", Version: 1})
	if !ok {
		t.Fatal("credit-underwriting@1 is not in the registry after Open")
	}
	vec, err := gov.Builder().Build(c.Policy.Tests[0].Features, t0)
	if err != nil {
		t.Fatalf("build vector: %v", err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec), Clock: func() time.Time { return t0 }})
	if err := gov.Attach(context.Background(), eng); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return instance{gov: gov, eng: eng, vec: vec}
}

func decide(t *testing.T, eng *engine.Engine, customer, step string) engine.Decision {
	t.Helper()
	d, err := eng.Decide(context.Background(), engine.Request{RequestID: "r-" + customer, CustomerID: customer, Step: step,
		Input: map[string]any{}})
	if err != nil {
		t.Fatalf("decide %s for %s: %v", step, customer, err)
	}
	return d
}

func shippedCounts(t *testing.T) (versions, steps int) {
	t.Helper()
	names, _ := fs.Glob(policies.FS, "*.yaml")
	for _, n := range names {
		data, _ := fs.ReadFile(policies.FS, n)
		if k := rules.DetectKind(data); n != governance.CatalogFile && n != governance.DeploymentsFile && k != rules.KindQueues && k != rules.KindNotifications {
			versions++
		}
	}
	data, _ := fs.ReadFile(policies.FS, governance.DeploymentsFile)
	d, err := rules.ParseDeployments("deployments.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return versions, len(d.Steps)
}

func countSeeds(t *testing.T, gov *governance.Service) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		items, next, err := gov.Audit(context.Background(), governance.AuditQuery{Cursor: cursor, Limit: 7})
		if err != nil {
			t.Fatalf("audit: %v", err)
		}
		for _, e := range items {
			if e.Action == governance.ActionSeed {
				n++
			}
		}
		if next == "" {
			return n
		}
		cursor = next
	}
}

func TestOpenSeedsAndActivatesTheShippedBundle(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		start := time.Now()
		in := openGov(t, db, b.URL)
		t.Logf("Open on an empty %s database (catalog, compile the bundle, seed, resolve) and Attach: %v", b.Name(), time.Since(start))
		d := decide(t, in.eng, "C-1001", "application")
		if d.Policy.ID != "credit-underwriting" || d.Policy.Version != 1 || d.Policy.Role != nirnay.RoleChampion {
			t.Fatalf("application decided by %+v, want credit-underwriting@1 champion", d.Policy)
		}
		if len(d.Shadow) != 1 || d.Shadow[0].Policy.Version != 2 {
			t.Fatalf("shadows %+v, want credit-underwriting@2", d.Shadow)
		}
		for _, step := range rules.Steps {
			if _, err := in.eng.Decide(context.Background(), engine.Request{CustomerID: "C-1", Step: step}); errors.Is(err, engine.ErrNoDeployment) {
				t.Errorf("step %s has no deployment after seeding", step)
			}
		}
		wantVersions, wantSteps := shippedCounts(t)
		list, err := in.gov.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, p := range list {
			for _, v := range p.Versions {
				got++
				if v.Status != governance.StatusApproved || v.Author != governance.BundleActor {
					t.Errorf("%s@%d: status %s author %+v, want approved by bundle", p.ID, v.Version, v.Status, v.Author)
				}
			}
		}
		if got != wantVersions {
			t.Errorf("stored versions: got %d, want %d", got, wantVersions)
		}
		seeds := countSeeds(t, in.gov)
		if seeds != wantVersions+wantSteps {
			t.Errorf("seed audit entries: got %d, want %d", seeds, wantVersions+wantSteps)
		}

		// A second start on the same database seeds nothing again.
		start = time.Now()
		again := openGov(t, b.Open(t), b.URL)
		t.Logf("Open on a seeded %s database: %v", b.Name(), time.Since(start))
		if n := countSeeds(t, again.gov); n != seeds {
			t.Errorf("after a second Open: %d seed entries, want still %d", n, seeds)
		}
		if d := decide(t, again.eng, "C-1001", "application"); d.Policy.Version != 1 {
			t.Errorf("second instance decides with %+v, want credit-underwriting@1", d.Policy)
		}
	})
}

// TestConcurrentOpenSeedsOnce starts two instances on one empty database
// at the same moment.
func TestConcurrentOpenSeedsOnce(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		dbs := []*store.DB{db, b.Open(t)}
		var wg sync.WaitGroup
		errs := make([]error, len(dbs))
		govs := make([]*governance.Service, len(dbs))
		for i := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				govs[i], errs[i] = governance.Open(context.Background(), dbs[i], policies.FS, governance.Options{
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("instance %d: Open: %v", i, err)
			}
		}
		wantVersions, wantSteps := shippedCounts(t)
		if n := countSeeds(t, govs[0]); n != wantVersions+wantSteps {
			t.Fatalf("seed audit entries after two concurrent Opens: got %d, want %d", n, wantVersions+wantSteps)
		}
	})
}

const v3Marker = "version: 1\n"

// shippedV3 is the shipped credit-underwriting@1 as version 3.
func shippedV3(t *testing.T) string {
	t.Helper()
	data, err := fs.ReadFile(policies.FS, "credit-underwriting-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), v3Marker) {
		t.Fatalf("credit-underwriting-v1.yaml has no %q line", v3Marker)
	}
	return strings.Replace(string(data), v3Marker, "version: 3\n", 1)
}

var (
	analyst  = governance.Actor{ID: "key_analyst", Name: "asha (analyst)"}
	analyst2 = governance.Actor{ID: "key_analyst2", Name: "ravi (analyst)"}
	approver = governance.Actor{ID: "key_approver", Name: "meera (approver)"}
)

func TestLifecycleAndDeployments(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		in := openGov(t, db, b.URL)
		gov := in.gov
		ref := rules.PolicyRef{ID: "credit-underwriting", Version: 3}

		if _, _, err := gov.Upload(ctx, analyst, []byte(shippedV3(t))); err != nil {
			t.Fatalf("upload: %v", err)
		}
		if _, _, err := gov.Upload(ctx, analyst2, []byte(shippedV3(t))); !nirnay.IsKind(err, nirnay.KindForbidden) {
			t.Fatalf("another analyst replacing the draft: got %v, want forbidden", err)
		}
		if _, err := gov.Deploy(ctx, approver, "application", governance.DeploymentSpec{Champion: ref.String()}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("deploying a draft: got %v, want unprocessable", err)
		}
		if _, _, err := gov.Submit(ctx, analyst, ref); err != nil {
			t.Fatalf("submit: %v", err)
		}
		if _, err := gov.Approve(ctx, analyst, ref); !nirnay.IsKind(err, nirnay.KindForbidden) {
			t.Fatalf("author approving: got %v, want forbidden", err)
		}
		if _, err := gov.Approve(ctx, approver, ref); err != nil {
			t.Fatalf("approve: %v", err)
		}
		if _, _, err := gov.Upload(ctx, analyst, []byte(shippedV3(t))); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("re-upload of an approved version: got %v, want conflict", err)
		}

		bad := []governance.DeploymentSpec{
			{Champion: "credit-underwriting@1", Challengers: []governance.Challenger{{Policy: "credit-underwriting@3", Percent: 0}}},
			{Champion: "credit-underwriting@1", Challengers: []governance.Challenger{{Policy: "credit-underwriting@3", Percent: 60}, {Policy: "credit-underwriting@2", Percent: 50}}},
			{Champion: "credit-underwriting@1", Shadows: []string{"credit-underwriting@1"}},
			{Champion: "signup-fraud@1"},
			{Champion: "nope"},
		}
		for _, spec := range bad {
			if _, err := gov.Deploy(ctx, approver, "application", spec); err == nil {
				t.Errorf("deploy %+v: got nil error, want a rejection", spec)
			}
		}
		if d := decide(t, in.eng, "C-1", "application"); d.Policy.Version != 1 {
			t.Fatalf("a rejected deploy changed the engine: decided by %+v", d.Policy)
		}

		dep, err := gov.Deploy(ctx, approver, "application", governance.DeploymentSpec{Champion: "credit-underwriting@1",
			Challengers: []governance.Challenger{{Policy: "credit-underwriting@3", Percent: 100}}, Shadows: []string{"credit-underwriting@2"}})
		if err != nil {
			t.Fatalf("deploy challenger: %v", err)
		}
		if dep.Revision != 2 {
			t.Errorf("revision after the first change: got %d, want 2", dep.Revision)
		}
		if d := decide(t, in.eng, "C-1", "application"); d.Policy.Version != 3 || d.Policy.Role != nirnay.RoleChallenger {
			t.Fatalf("with a 100%% challenger: decided by %+v, want credit-underwriting@3 challenger", d.Policy)
		}
		if _, err := gov.Deploy(ctx, approver, "application", governance.DeploymentSpec{Champion: "credit-underwriting@3"}); err != nil {
			t.Fatalf("promote: %v", err)
		}
		if _, err := gov.Rollback(ctx, approver, "application", "credit-underwriting@3"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("rollback to the champion itself: got %v, want conflict", err)
		}
		if _, err := gov.Rollback(ctx, approver, "application", "credit-underwriting@1"); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if d := decide(t, in.eng, "C-1", "application"); d.Policy.Version != 1 || d.Policy.Role != nirnay.RoleChampion {
			t.Fatalf("after rollback: decided by %+v, want credit-underwriting@1 champion", d.Policy)
		}

		// The audit trail of the version and of the deployment, in order.
		items, _, err := gov.Audit(ctx, governance.AuditQuery{Subject: "policy/credit-underwriting"})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range items {
			if e.Subject == "policy/credit-underwriting@3" {
				acts = append(acts, e.Action)
			}
		}
		if want := "upload submit approve"; strings.Join(acts, " ") != want {
			t.Errorf("audit of credit-underwriting@3: got %q, want %q", strings.Join(acts, " "), want)
		}
		items, _, err = gov.Audit(ctx, governance.AuditQuery{Subject: "deployment/application"})
		if err != nil {
			t.Fatal(err)
		}
		acts = acts[:0]
		for _, e := range items {
			acts = append(acts, e.Action)
		}
		if want := "seed deploy deploy rollback"; strings.Join(acts, " ") != want {
			t.Errorf("audit of deployment/application: got %q, want %q", strings.Join(acts, " "), want)
		}
	})
}

// TestOtherInstancePicksUpDeployments checks the multi-instance path:
// Reload everywhere, and PostgreSQL LISTEN/NOTIFY without polling.
func TestOtherInstancePicksUpDeployments(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		a := openGov(t, db, b.URL)
		other := openGov(t, b.Open(t), b.URL)
		lctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- other.gov.Listen(lctx) }()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Listen: %v", err)
			}
		}()
		if _, err := a.gov.Deploy(ctx, approver, "application", governance.DeploymentSpec{Champion: "credit-underwriting@2"}); err != nil {
			t.Fatalf("deploy: %v", err)
		}
		if b.URL == "" {
			if err := other.gov.Reload(ctx); err != nil {
				t.Fatalf("reload: %v", err)
			}
		} else {
			deadline := time.Now().Add(10 * time.Second)
			for decide(t, other.eng, "C-1", "application").Policy.Version != 2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if d := decide(t, other.eng, "C-1", "application"); d.Policy.Version != 2 {
			t.Fatalf("other instance decides with %+v, want credit-underwriting@2 after the change", d.Policy)
		}
		if b.URL == "" {
			return
		}
		// The listener is connected now (it reloads only after LISTEN), so
		// this change can only arrive as a notification.
		start := time.Now()
		if _, err := a.gov.Rollback(ctx, approver, "application", "credit-underwriting@1"); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for decide(t, other.eng, "C-1", "application").Policy.Version != 1 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if d := decide(t, other.eng, "C-1", "application"); d.Policy.Version != 1 {
			t.Fatalf("other instance decides with %+v, want credit-underwriting@1 after the notified rollback", d.Policy)
		}
		t.Logf("rollback on one instance reached the other through NOTIFY in %v", time.Since(start))
	})
}

func TestUploadReportsLines(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		gov := openGov(t, db, b.URL).gov
		src := "id: quick-check\nversion: 1\nstep: signup\nrules:\n  - id: bad\n    when: f.no_such_feature > 3\n    outcome: decline\n"
		_, _, err := gov.Upload(context.Background(), analyst, []byte(src))
		var inv *governance.InvalidError
		if !errors.As(err, &inv) || !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("upload of an unknown feature: got %v, want an unprocessable InvalidError", err)
		}
		if len(inv.Issues) == 0 || inv.Issues[0].Line != 6 || inv.Issues[0].Field != "rules[bad].when" {
			t.Fatalf("issues %+v, want the first at line 6, field rules[bad].when", inv.Issues)
		}
		big := strings.Repeat("#", governance.DefaultMaxSourceBytes+1)
		if _, _, err := gov.Upload(context.Background(), analyst, []byte(big)); !nirnay.IsKind(err, nirnay.KindTooLarge) {
			t.Fatalf("oversized upload: got %v, want too large", err)
		}
	})
}

// BenchmarkOpenSeeded measures a restart: catalog, compile of every shipped
// policy, registry sync and activation on an already seeded database.
func BenchmarkOpenSeeded(b *testing.B) {
	ctx := context.Background()
	db := testenv.SQLite(b)
	quiet := governance.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := governance.Open(ctx, db, policies.FS, quiet); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := governance.Open(ctx, db, policies.FS, quiet); err != nil {
			b.Fatal(err)
		}
	}
}

// bundleWithExtraFeature is the shipped bundle with one more catalog
// feature, test_only_flag.
func bundleWithExtraFeature(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	names, _ := fs.Glob(policies.FS, "*.yaml")
	for _, n := range names {
		data, err := fs.ReadFile(policies.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		m[n] = &fstest.MapFile{Data: data}
	}
	m[governance.CatalogFile].Data = append(append([]byte{}, m[governance.CatalogFile].Data...),
		"  - name: test_only_flag\n    type: bool\n    description: Only in this test.\n"...)
	return m
}

// TestCatalogChangeBreakingADeployedVersion: a start whose catalog no
// longer compiles a deployed approved version fails with a clear message;
// an undeployed one does not block the start.
func TestCatalogChangeBreakingADeployedVersion(t *testing.T) {
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		quiet := governance.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		gov, err := governance.Open(ctx, db, bundleWithExtraFeature(t), quiet)
		if err != nil {
			t.Fatalf("Open with the extra feature: %v", err)
		}
		src := "id: flag-check\nversion: 1\nstep: signup\nrules:\n  - id: flagged\n    when: f.test_only_flag\n    outcome: decline\n" +
			"tests:\n  - name: flagged is declined\n    features: {test_only_flag: true}\n    expect: {outcome: decline}\n"
		ref := rules.PolicyRef{ID: "flag-check", Version: 1}
		if _, _, err := gov.Upload(ctx, analyst, []byte(src)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := gov.Submit(ctx, analyst, ref); err != nil {
			t.Fatal(err)
		}
		if _, err := gov.Approve(ctx, approver, ref); err != nil {
			t.Fatal(err)
		}
		if _, err := governance.Open(ctx, db, policies.FS, quiet); err != nil {
			t.Fatalf("Open with the shipped catalog while flag-check@1 is not deployed: %v", err)
		}
		if _, err := gov.Deploy(ctx, approver, "signup", governance.DeploymentSpec{Champion: "signup-fraud@1", Shadows: []string{"flag-check@1"}}); err != nil {
			t.Fatal(err)
		}
		_, err = governance.Open(ctx, db, policies.FS, quiet)
		if !nirnay.IsKind(err, nirnay.KindUnprocessable) || !strings.Contains(err.Error(), "flag-check@1 no longer compiles") {
			t.Fatalf("Open with flag-check@1 deployed and its feature gone: got %v, want unprocessable naming flag-check@1", err)
		}
	})
}
