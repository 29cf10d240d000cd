package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/lending/loans"
)

// lendingDecider lets the lending core decide through the decision service,
// so every lending step's decision is logged like any other.
type lendingDecider struct{ svc *decisions.Service }

func (d lendingDecider) Decide(ctx context.Context, step, customerID, requestID string, input map[string]any) (loans.Verdict, error) {
	res, err := d.svc.Decide(ctx, engine.Request{RequestID: requestID, CustomerID: customerID, Step: step, Input: input})
	if err != nil {
		return loans.Verdict{}, err
	}
	var body struct {
		DecisionID  string         `json:"decision_id"`
		EvaluatedAt time.Time      `json:"evaluated_at"`
		Outcome     string         `json:"outcome"`
		Reasons     []string       `json:"reasons"`
		Offer       map[string]any `json:"offer"`
	}
	if err := json.Unmarshal(res.Response, &body); err != nil {
		return loans.Verdict{}, fmt.Errorf("%s decision: %w", step, err)
	}
	return loans.Verdict{DecisionID: body.DecisionID, DecidedAt: body.EvaluatedAt, Outcome: body.Outcome, Reasons: body.Reasons, Offer: body.Offer}, nil
}
