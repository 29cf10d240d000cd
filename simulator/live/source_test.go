package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/simulator/live"
)

// TestReplayOfLoggedDecisions logs decisions through the real decision
// service, reads one body back with simulator.RecordFromLog, and replays
// the whole range (hot and cold tiers) through the champion and the
// challenger: each must decide every logged customer exactly as it did
// live.
func TestReplayOfLoggedDecisions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, d0)
	ctx := context.Background()
	scores := []int64{550, 650, 750}
	live1 := map[string]nirnay.Outcome{} // customer → outcome the acting policy gave
	role := map[string]nirnay.PolicyRole{}
	const n = 30
	for i := range n {
		id := fmt.Sprintf("R-%02d", i)
		w.feats.vals[id] = map[string]any{"bureau_score": scores[i%3], "monthly_income": 30000 + int64(i)}
		if i == 4 {
			w.feats.asOf[id] = d0.Add(-40 * 24 * time.Hour) // stale: missing at decision time
		}
		res, err := w.svc.Decide(ctx, engine.Request{RequestID: "r-" + id, CustomerID: id, Step: "application",
			Input: map[string]any{"amount": int64(50000), "pan": "ABCDE1234F"}})
		if err != nil {
			t.Fatal(err)
		}
		_ = res
		rec, err := w.log.FindByRequest(ctx, id, "r-"+id)
		if err != nil {
			t.Fatal(err)
		}
		live1[id], role[id] = rec.Outcome, rec.Role
	}
	w.ship(t)

	rec, err := w.log.FindByRequest(ctx, "R-04", "r-R-04")
	if err != nil {
		t.Fatal(err)
	}
	r, err := simulator.RecordFromLog(rec.CustomerID, rec.Step, rec.DecidedAt, rec.Body)
	if err != nil {
		t.Fatalf("RecordFromLog on a body the decision service wrote: %v\n%s", err, rec.Body)
	}
	if _, ok := r.Features["bureau_score"]; ok {
		t.Errorf("stale bureau_score was taken into the record: %v", r.Features)
	}
	if _, ok := r.Features["employer_tier"]; ok {
		t.Errorf("a catalog default was taken as an observed value: %v", r.Features)
	}
	if r.Features["monthly_income"] != int64(30004) || r.Input["amount"] != int64(50000) || r.Input["pan"] != "XXXXXX234F" {
		t.Errorf("record = features %v input %v; want monthly_income 30004, amount 50000 and the masked PAN", r.Features, r.Input)
	}

	if _, err := w.log.Archive(ctx, d0.Add(n/2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	c1, _ := w.reg.Get(rules.PolicyRef{ID: "credit", Version: 1})
	c2, _ := w.reg.Get(rules.PolicyRef{ID: "credit", Version: 2})
	rep := replay(t, w.log, live.Range{Step: "application", From: d0, To: d0.Add(24 * time.Hour)}, live.SourceOptions{}, c1, c2, w.build)
	if rep.Records != n {
		t.Fatalf("replayed %d records, want %d (shadows skipped, both tiers read once)", rep.Records, n)
	}
	// What each policy would decide, given what the test fed the engine.
	wantBase, wantCand := map[nirnay.Outcome]int64{}, map[nirnay.Outcome]int64{}
	for i := range n {
		id := fmt.Sprintf("R-%02d", i)
		b, c := nirnay.Approve, nirnay.Approve
		switch {
		case i == 4:
			b, c = "review", "review" // the rule reading the missing score errors
		case scores[i%3] < 600:
			b, c = "decline", "decline"
		case scores[i%3] < 700:
			c = "decline"
		}
		wantBase[b]++
		wantCand[c]++
		acting := b
		if role[id] == nirnay.RoleChallenger {
			acting = c
		}
		if live1[id] != acting {
			t.Fatalf("%s: live decision %s as %s, test expects %s", id, live1[id], role[id], acting)
		}
	}
	for o, k := range wantBase {
		if got := rep.Outcomes["baseline"].Counts[o]; got != k {
			t.Errorf("replayed credit@1 %s = %d, want %d", o, got, k)
		}
	}
	for o, k := range wantCand {
		if got := rep.Outcomes["candidate"].Counts[o]; got != k {
			t.Errorf("replayed credit@2 %s = %d, want %d", o, got, k)
		}
	}
}
