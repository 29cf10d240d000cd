package loans_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nirnay/nirnay/lending/loans"
)

// TestDrawRetriedIsPaidOnce: a draw retried with its request id — after it
// succeeded, or at the same moment as the first call — is answered with the
// one draw made, and the line is drawn by its amount once.
func TestDrawRetriedIsPaidOnce(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := activeLine(t, e, "C-D", rs("50000"))
		dig := drawDigest(t, e, id, rs("10000"), 3)
		req := loans.DrawRequest{Amount: rs("10000"), TenureMonths: 3, AccountHash: "acct", KFSDigest: dig, Agreed: true, RequestID: "draw-1"}
		first, err := e.svc.Draw(ctx, id, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := e.svc.Draw(ctx, id, req)
		if err != nil {
			t.Fatalf("retry of a draw made: %v", err)
		}
		if again.ID != first.ID {
			t.Fatalf("retry answered draw %s, want the first %s", again.ID, first.ID)
		}

		req.RequestID = "draw-2"
		ids := make([]string, 4)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if l, err := e.svc.Draw(ctx, id, req); err != nil {
					t.Errorf("concurrent call %d of one draw: %v", i, err)
				} else {
					ids[i] = l.ID
				}
			}()
		}
		wg.Wait()
		for _, got := range ids[1:] {
			if got != ids[0] {
				t.Fatalf("concurrent calls of one draw answered %v, want one draw", ids)
			}
		}
		line, err := e.svc.GetLine(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if line.Available != rs("30000") || len(line.Draws) != 2 {
			t.Errorf("line of 50,000 after two draws of 10,000 (one retried, one called four times at once): %s available, %d draws; want 30000.00 and 2",
				line.Available, len(line.Draws))
		}
	})
}
