package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
)

// Appender puts messages on the stream durably; *stream.Redis and
// *stream.SQL satisfy it.
type Appender interface {
	Append(ctx context.Context, data [][]byte) ([]string, error)
}

// RefusedSink records events refused at ingest; *consume.DeadLetters
// satisfies it.
type RefusedSink interface {
	AddRefused(ctx context.Context, rs []Refused) error
}

// Ingester validates batches and puts them on the stream. Safe for
// concurrent use.
type Ingester struct {
	Stream Appender
	Dead   RefusedSink
	Clock  func() time.Time // nil: time.Now
}

// Receipt is the answer to an ingested batch.
type Receipt struct {
	Accepted []string  `json:"accepted"`      // event ids durable on the stream
	Refused  []Problem `json:"dead_lettered"` // events refused, recorded as dead letters
}

// Ingest validates events (see Check), records the refused ones in the
// dead-letter store and appends the accepted ones to the stream. It
// returns only once both are durable. Errors: KindInvalid for a batch that
// is empty, too large or repeats an id (nothing is kept then);
// KindUnavailable when the stream or the dead-letter store fails (the
// client should retry the whole batch: consumers skip ids seen before).
func (in *Ingester) Ingest(ctx context.Context, events []Event) (Receipt, error) {
	clock := in.Clock
	if clock == nil {
		clock = time.Now
	}
	b, err := Check(events, clock())
	if err != nil {
		return Receipt{}, &nirnay.Error{Kind: nirnay.KindInvalid, Message: err.Error()}
	}
	rc := Receipt{Accepted: make([]string, 0, len(b.Accepted)), Refused: make([]Problem, 0, len(b.Refused))}
	if len(b.Refused) > 0 {
		if err := in.Dead.AddRefused(ctx, b.Refused); err != nil {
			return Receipt{}, &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the dead-letter store is unavailable", Err: err}
		}
		for _, r := range b.Refused {
			rc.Refused = append(rc.Refused, r.Problem)
		}
	}
	if len(b.Accepted) > 0 {
		msgs := make([][]byte, len(b.Accepted))
		size := 0
		for i := range b.Accepted {
			size += len(b.Accepted[i].Data) + 256
		}
		buf := make([]byte, 0, size)
		for i := range b.Accepted {
			start := len(buf)
			if buf, err = Encode(buf, &b.Accepted[i]); err != nil {
				return Receipt{}, fmt.Errorf("encode event %s: %w", b.Accepted[i].ID, err)
			}
			msgs[i] = buf[start:len(buf):len(buf)]
		}
		if _, err := in.Stream.Append(ctx, msgs); err != nil {
			return Receipt{}, &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the event stream is unavailable", Err: err}
		}
		for _, ev := range b.Accepted {
			rc.Accepted = append(rc.Accepted, ev.ID)
		}
	}
	return rc, nil
}
