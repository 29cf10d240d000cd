package main

import (
	"context"

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
	dec := res.Decision
	return loans.Verdict{DecisionID: dec.DecisionID, DecidedAt: dec.EvaluatedAt, Outcome: dec.Outcome, Reasons: dec.Reasons, Offer: dec.Offer}, nil
}
