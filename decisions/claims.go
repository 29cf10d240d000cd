package decisions

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// claims make a request_id idempotent across every instance that shares
// the database (DESIGN §6): before an instance decides a request with an
// id, it claims (customer, request id) with one INSERT of a unique row
// naming the decision id it will give, so exactly one instance decides;
// another that gets the same request answers the claimer's decision, from
// the claim once the claimer has stored its response there, or from the
// decision log once it has shipped, waiting up to claimWait while it is in
// flight (then 503, retry). A claim whose claimer neither answered nor
// shipped within claimTakeover (it died) is taken over with the same
// decision id, so the log still holds at most one decision for the request.
type claims struct {
	db *store.DB
}

const (
	claimWait     = 2 * time.Second
	claimPoll     = 5 * time.Millisecond
	claimTakeover = 10 * time.Second
)

// claim is a claimed request as stored.
type claim struct {
	hash       string
	decisionID string
	response   json.RawMessage // nil while the decision is in flight
	claimedAt  time.Time
}

// take claims (customer, request) for decisionID. won is true when this
// call claimed it; otherwise prev is the existing claim.
func (c *claims) take(ctx context.Context, customerID, requestID, hash, decisionID string, now time.Time) (won bool, prev claim, err error) {
	res, err := c.db.Writer().ExecContext(ctx, `INSERT INTO decision_claims (customer_id, request_id, request_hash, decision_id, claimed_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, request_id) DO NOTHING`,
		customerID, requestID, hash, decisionID, store.Instant(now))
	if err != nil {
		return false, claim{}, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, claim{}, nil
	}
	prev, err = c.get(ctx, customerID, requestID)
	return false, prev, err
}

func (c *claims) get(ctx context.Context, customerID, requestID string) (claim, error) {
	var cl claim
	var resp sql.NullString
	err := c.db.Reader().QueryRowContext(ctx, `SELECT request_hash, decision_id, response, claimed_at FROM decision_claims
		WHERE customer_id = $1 AND request_id = $2`, customerID, requestID).Scan(&cl.hash, &cl.decisionID, &resp, store.ScanInstant(&cl.claimedAt))
	if err != nil {
		return cl, store.Translate(err)
	}
	if resp.Valid {
		cl.response = json.RawMessage(resp.String)
	}
	return cl, nil
}

// complete stores the response of a claimed request, so other instances
// answer it without waiting for the log to ship.
func (c *claims) complete(ctx context.Context, customerID, requestID string, resp []byte) error {
	_, err := c.db.Writer().ExecContext(ctx, `UPDATE decision_claims SET response = $1 WHERE customer_id = $2 AND request_id = $3`,
		string(resp), customerID, requestID)
	return store.Translate(err)
}

// release drops this instance's claim of a request it could not decide.
func (c *claims) release(ctx context.Context, customerID, requestID, decisionID string) error {
	_, err := c.db.Writer().ExecContext(ctx, `DELETE FROM decision_claims WHERE customer_id = $1 AND request_id = $2 AND decision_id = $3 AND response IS NULL`,
		customerID, requestID, decisionID)
	return store.Translate(err)
}

// takeOver moves a stale claim to this instance (compare-and-set on the
// time it was claimed); false when another instance took it first.
func (c *claims) takeOver(ctx context.Context, customerID, requestID string, was, now time.Time) (bool, error) {
	res, err := c.db.Writer().ExecContext(ctx, `UPDATE decision_claims SET claimed_at = $1
		WHERE customer_id = $2 AND request_id = $3 AND claimed_at = $4 AND response IS NULL`,
		store.Instant(now), customerID, requestID, store.Instant(was))
	if err != nil {
		return false, store.Translate(err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// errInFlight means another instance is deciding the request right now:
// 503 with Retry-After, which a client retries with the same request id
// (unlike the 409 of a request id reused for another request).
var errInFlight = nirnay.Errorf(nirnay.KindUnavailable, "this request_id is being decided by another instance; retry shortly")

// await waits for another instance's claimed decision: its response from
// the claim or the log (find), until claimWait passes. It returns the
// response, or takeOver true when the claim is stale and this instance
// may decide it under the claim's decision id.
func (s *Service) await(ctx context.Context, customerID, requestID string, cl claim, find func() (json.RawMessage, error)) (json.RawMessage, bool, error) {
	deadline := time.Now().Add(claimWait)
	for {
		if cl.response != nil {
			return cl.response, false, nil
		}
		if resp, err := find(); err == nil {
			return resp, false, nil
		} else if !nirnay.IsKind(err, nirnay.KindNotFound) {
			return nil, false, err
		}
		now := time.Now()
		if now.Sub(cl.claimedAt) > claimTakeover {
			won, err := s.claims.takeOver(ctx, customerID, requestID, cl.claimedAt, now)
			if err != nil || won {
				return nil, won, err
			}
		}
		if now.After(deadline) {
			return nil, false, errInFlight
		}
		select {
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-time.After(claimPoll):
		}
		var err error
		if cl, err = s.claims.get(ctx, customerID, requestID); err != nil {
			return nil, false, err
		}
	}
}
