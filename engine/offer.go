package engine

import (
	"errors"

	"cel.dev/cel-go/interpreter"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
)

// ErrOfferFailed means an offer expression errored or gave a value of the
// wrong type (an integer field that is not whole, say).
var ErrOfferFailed = errors.New("the policy's offer cannot be evaluated")

// Offer evaluates only a compiled policy's offer expressions over in, as
// Evaluate does for an approve: the offer a reviewer's approval of a
// referred decision carries (DESIGN §15). It is nil when the policy makes
// no offer. Errors: ErrOfferFailed, ErrCatalogMismatch. Deterministic like
// Evaluate.
func Offer(c *rules.Compiled, in Inputs) (nirnay.Offer, error) {
	if len(c.Offer) == 0 {
		return nil, nil
	}
	if in.Vector.Catalog() != c.Env.Catalog {
		return nil, ErrCatalogMismatch
	}
	act := newActivation(in.Vector, &in)
	defer act.release()
	frame, err := interpreter.NewExecutionFrame(act)
	if err != nil {
		return nil, err
	}
	defer frame.Close()
	offer, ok := evalOffer(c, frame)
	if !ok {
		return nil, ErrOfferFailed
	}
	return offer, nil
}
