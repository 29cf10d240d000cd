package cases

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
)

// GroupLending is the consumer group in which the lending core resumes on
// verdicts.
const GroupLending = "lending"

// Resumer carries out a verdict where a journey waits on it (the lending
// core's Resume). It must be idempotent: an event may come again.
type Resumer func(ctx context.Context, d Decided) error

// Follower is the consumer of case_decided events (consume.Handler): for
// each it reads the case itself and, once it is decided, hands its
// verdict to the resumer. The event's data is only a pointer — an event
// posted from outside that names no decided case is refused (dead
// letter) and moves nothing. Safe for concurrent use.
type Follower struct {
	cases  *Service
	resume Resumer
}

// NewFollower returns the follower resuming through resume.
func NewFollower(s *Service, resume Resumer) *Follower { return &Follower{cases: s, resume: resume} }

// Wants reports whether the follower handles events of type t.
func (f *Follower) Wants(t string) bool { return t == ingest.TypeCaseDecided }

// Handle resumes every decided case of the batch, in order. A failure of
// the database or the resumer fails the batch (it is retried); an event
// whose case is unknown or undecided, or whose verdict the resumer finds
// invalid or unprocessable, is refused.
func (f *Follower) Handle(ctx context.Context, events []ingest.Event) ([]consume.Refusal, error) {
	var refused []consume.Refusal
	for _, ev := range events {
		if ev.Type != ingest.TypeCaseDecided {
			continue
		}
		var ref struct {
			CaseID string `json:"case_id"`
		}
		if err := json.Unmarshal(ev.Data, &ref); err != nil || ref.CaseID == "" {
			refused = append(refused, consume.Refusal{Event: ev, Reason: "data.case_id is required"})
			continue
		}
		c, err := f.cases.Get(ctx, ref.CaseID)
		switch {
		case nirnay.IsKind(err, nirnay.KindNotFound):
			refused = append(refused, consume.Refusal{Event: ev, Reason: "no case " + ref.CaseID})
			continue
		case err != nil:
			return nil, err
		case c.Resolution == nil:
			refused = append(refused, consume.Refusal{Event: ev, Reason: "case " + ref.CaseID + " is not decided"})
			continue
		}
		err = f.resume(ctx, decidedOf(c))
		switch k := nirnay.KindOf(err); {
		case err == nil:
		case k == nirnay.KindInternal || k == nirnay.KindUnavailable:
			return nil, fmt.Errorf("resume on case %s: %w", c.ID, err)
		default:
			refused = append(refused, consume.Refusal{Event: ev, Reason: fmt.Sprintf("case %s: %v", c.ID, err)})
		}
	}
	return refused, nil
}
