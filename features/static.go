package features

import (
	"context"
	"time"
)

// Request is what a feature source is asked for: the entity keys of one
// decision and its input.
type Request struct {
	CustomerID string
	Step       string
	Input      map[string]any // the step's request payload; may hold device_id, pan, …
	Now        time.Time      // the decision time
}

// Static serves one fixed vector to every request (policy eval, tests,
// benchmarks), adding the request's request-source features.
type Static struct {
	vec *Vector
}

// NewStatic returns a source that always answers vec.
func NewStatic(vec *Vector) *Static { return &Static{vec: vec} }

// Vector returns the fixed vector with the request features of req.Input.
func (s *Static) Vector(_ context.Context, req Request) (*Vector, error) {
	return s.vec.WithInput(req.Input, req.Now)
}
