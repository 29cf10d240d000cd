package simulator

import (
	"fmt"
	"io"
	"iter"
	"time"
)

// RecordFromLog turns one logged decision into a record to replay. body is
// the decision JSON the decision log keeps; it is read for
//
//   - "input": the step's request payload (an object);
//   - "features": the feature values the decision used, either an object of
//     name → value or a list of {"name", "value", "state"} observations
//     (values whose state is "stale", "missing" or "default" are left out,
//     so the builder treats them as the live decision did);
//   - "labels" (optional): {"default_90d", "fraud"} joined later; without
//     them a logged decision counts as neither (outcomes are censored).
//
// Values are taken as observed at decidedAt. A candidate that reads a
// feature none of the step's live policies read finds it missing.
func RecordFromLog(customerID, step string, decidedAt time.Time, body []byte) (*Record, error) {
	r := &Record{CustomerID: customerID, Step: step, DecidedAt: decidedAt.UTC(), Features: map[string]any{}, Input: map[string]any{}}
	p := &jsonParser{b: body}
	if !p.eat('{') {
		return nil, p.errf("decision body: want a JSON object")
	}
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "input":
			v, err := p.value()
			if m, ok := v.(map[string]any); ok {
				r.Input = m
			}
			return err
		case "features":
			v, err := p.value()
			if err != nil {
				return err
			}
			switch x := v.(type) {
			case map[string]any:
				for k, val := range x {
					if val != nil {
						r.Features[k] = val
					}
				}
			case []any:
				for _, o := range x {
					obs, ok := o.(map[string]any)
					if !ok {
						return fmt.Errorf("features: want observations, got %T", o)
					}
					name, _ := obs["name"].(string)
					switch obs["state"] {
					case "stale", "missing", "default":
						continue
					}
					if name != "" && obs["value"] != nil {
						r.Features[name] = obs["value"]
					}
				}
			}
			return nil
		case "labels":
			v, err := p.value()
			if m, ok := v.(map[string]any); ok {
				r.Labels.Default90d, _ = m["default_90d"].(bool)
				r.Labels.Fraud, _ = m["fraud"].(bool)
			}
			return err
		}
		return p.skip()
	})
	if err != nil {
		return nil, fmt.Errorf("decision body: %w", err)
	}
	return r, nil
}

// SeqSource adapts a sequence of records (and a final error) to a Source.
// Call stop when done with it.
func SeqSource(seq iter.Seq2[*Record, error]) (src Source, stop func()) {
	next, stop := iter.Pull2(seq)
	return &seqSource{next: next}, stop
}

type seqSource struct {
	next func() (*Record, error, bool)
	n    int
}

func (s *seqSource) Next() (Item, error) {
	r, err, ok := s.next()
	if !ok {
		return Item{}, io.EOF
	}
	if err != nil {
		return Item{}, err
	}
	s.n++
	return Item{Record: r, Where: fmt.Sprintf("record %d (customer %s)", s.n, r.CustomerID)}, nil
}
