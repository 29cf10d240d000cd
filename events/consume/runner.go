// Package consume runs Nirnay's event consumers over the stream: the raw
// archive, the features consumer (SMS parse, installed-apps categories,
// lending events → aggregates and online features) and the journey index.
//
// Delivery is at least once (a crash between a handler's work and the
// acknowledgement redelivers the batch), so every handler is idempotent by
// event id: features.Apply skips event ids it has applied, SMS signals are
// keyed by event id, journey rows by event id, dead letters by (consumer,
// event id), and archive readers drop repeated ids. A Runner is restartable:
// a consumer that dies leaves its messages pending and a live one reclaims
// them after MinIdle (XAUTOCLAIM).
package consume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/internal/backoff"
)

// Log is what a Runner needs of the stream; *stream.Redis and *stream.SQL
// satisfy it. A Read with a negative block returns at once.
type Log interface {
	EnsureGroup(ctx context.Context, group string) error
	Read(ctx context.Context, group, consumer string, count int, block time.Duration) ([]stream.Message, error)
	Claim(ctx context.Context, group, consumer string, minIdle time.Duration, count int) ([]stream.Message, error)
	Ack(ctx context.Context, group string, ids ...string) error
}

// Handler does one consumer's work on a batch of events. It returns the
// events it refuses for good (malformed, unparseable), which go to the
// dead-letter store; an error means nothing of the batch may be counted as
// done and the whole batch is retried (handlers are idempotent).
type Handler interface {
	Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error)
}

// TypeFilter is implemented by handlers that want only some event types;
// the Runner acknowledges the others without decoding them.
type TypeFilter interface {
	Wants(eventType string) bool
}

// Refusal is an event a handler refuses, with the reason.
type Refusal struct {
	Event  ingest.Event
	Reason string
}

// DeadLetterSink records refused events; *DeadLetters satisfies it.
type DeadLetterSink interface {
	Add(ctx context.Context, consumer string, rs []Refusal) error
}

// Runner defaults.
const (
	DefaultBatch          = 2000
	DefaultGatherMessages = 10_000
	DefaultGatherBytes    = 4 << 20
	DefaultBlock          = 2 * time.Second
	DefaultMinIdle        = 30 * time.Second
	// A failing group creation, read or batch waits firstBackoff, doubling
	// to maxBackoff (jittered), until a batch succeeds.
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// Runner feeds one consumer group's messages to a handler.
type Runner struct {
	Group    string // consumer group, e.g. "archive"
	Consumer string // this consumer's name, unique among live consumers
	Log      Log
	Handler  Handler
	Dead     DeadLetterSink
	Logger   *slog.Logger
	// Batch is the most messages one read takes (default 2,000). While
	// reads come back full (a backlog), the runner reads on and handles
	// what it gathered as one batch, until it holds GatherMessages messages
	// (10,000) or GatherBytes bytes (4 MiB): handlers then do their per-batch
	// work (a customer's features, a write, an acknowledgement) once for
	// many messages, and memory stays bounded by GatherBytes plus one read.
	// Block is how long a read waits for new messages (2 s); MinIdle how
	// long a message must sit pending before another consumer claims it
	// (30 s).
	Batch          int
	GatherMessages int
	GatherBytes    int
	Block          time.Duration
	MinIdle        time.Duration
	// OnBatch, if set, is called after a batch is acknowledged with its
	// size (for tests and metrics).
	OnBatch func(n int)
}

// Run consumes until ctx ends; it returns ctx's error. Failures of the
// stream or of the handler are logged and retried with backoff (100 ms
// doubling to 5 s, jittered; back to 100 ms once a batch succeeds); a
// batch is acknowledged only after the handler succeeded and its refusals
// are in the dead-letter store.
func (r *Runner) Run(ctx context.Context) error {
	if r.Batch <= 0 {
		r.Batch = DefaultBatch
	}
	if r.GatherMessages <= 0 {
		r.GatherMessages = max(DefaultGatherMessages, r.Batch)
	}
	if r.GatherBytes <= 0 {
		r.GatherBytes = DefaultGatherBytes
	}
	if r.Block <= 0 {
		r.Block = DefaultBlock
	}
	if r.MinIdle <= 0 {
		r.MinIdle = DefaultMinIdle
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	log := r.Logger.With("group", r.Group, "consumer", r.Consumer)
	bo := backoff.New(firstBackoff, maxBackoff)
	for {
		if err := r.Log.EnsureGroup(ctx, r.Group); err == nil {
			break
		} else if ctx.Err() != nil {
			return ctx.Err()
		} else {
			log.Warn("event consumer cannot create its group; retrying", "err", err)
		}
		if !bo.Wait(ctx) {
			return ctx.Err()
		}
	}
	lastClaim := time.Time{}
	for ctx.Err() == nil {
		var msgs []stream.Message
		var err error
		if time.Since(lastClaim) >= r.MinIdle/2 {
			msgs, err = r.Log.Claim(ctx, r.Group, r.Consumer, r.MinIdle, r.Batch)
			lastClaim = time.Now()
		}
		if err == nil && len(msgs) == 0 {
			msgs, err = r.Log.Read(ctx, r.Group, r.Consumer, r.Batch, r.Block)
			if err == nil {
				msgs = r.gather(ctx, msgs)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.Warn("event consumer cannot read the stream; retrying", "err", err)
			bo.Wait(ctx)
			continue
		}
		if len(msgs) == 0 {
			continue
		}
		for {
			err = r.process(ctx, msgs)
			if err == nil || ctx.Err() != nil {
				break
			}
			log.Warn("event consumer batch failed; retrying", "messages", len(msgs), "err", err)
			bo.Wait(ctx)
		}
		if err == nil {
			bo.Reset()
			if r.OnBatch != nil {
				r.OnBatch(len(msgs))
			}
		}
	}
	return ctx.Err()
}

// gather reads on at once while the last read came back full, up to
// GatherMessages messages or GatherBytes bytes. A failed read ends the
// gathering: what it may have delivered stays pending and is claimed
// later.
func (r *Runner) gather(ctx context.Context, msgs []stream.Message) []stream.Message {
	size := 0
	for _, m := range msgs {
		size += len(m.Data)
	}
	for last := len(msgs); last == r.Batch && len(msgs) < r.GatherMessages && size < r.GatherBytes; {
		more, err := r.Log.Read(ctx, r.Group, r.Consumer, min(r.Batch, r.GatherMessages-len(msgs)), -1)
		if err != nil {
			break
		}
		for _, m := range more {
			size += len(m.Data)
		}
		msgs, last = append(msgs, more...), len(more)
	}
	return msgs
}

// process handles and acknowledges one batch.
func (r *Runner) process(ctx context.Context, msgs []stream.Message) error {
	events := make([]ingest.Event, 0, len(msgs))
	var refused []Refusal
	filter, _ := r.Handler.(TypeFilter)
	for _, m := range msgs {
		if filter != nil {
			if t := ingest.PeekType(m.Data); t != "" && !filter.Wants(t) {
				continue
			}
		}
		var ev ingest.Event
		if err := ingest.Decode(m.Data, &ev); err != nil || ev.ID == "" {
			refused = append(refused, Refusal{Event: ingest.Event{ID: "stream:" + m.ID, Data: json.RawMessage(quoteRaw(m.Data))}, Reason: "stream message is not an event envelope"})
			continue
		}
		now := ev.ReceivedAt
		if now.IsZero() {
			now = time.Now()
		}
		// Events from the API were validated whole there; the envelope is
		// checked again (cheap), and lending events, which come from the
		// outbox without the API's check, whole. Handlers refuse data they
		// cannot read.
		reason := ingest.ValidateEnvelope(&ev, now)
		if reason == "" && ingest.IsLending(ev.Type) {
			reason = ingest.Validate(&ev, now)
		}
		if reason != "" {
			refused = append(refused, Refusal{Event: ev, Reason: reason})
			continue
		}
		ev.Raw = m.Data
		events = append(events, ev)
	}
	if len(events) > 0 {
		more, err := r.Handler.Handle(ctx, events)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Group, err)
		}
		refused = append(refused, more...)
	}
	if len(refused) > 0 {
		if r.Dead == nil {
			return errors.New("events refused but no dead-letter store is configured")
		}
		if err := r.Dead.Add(ctx, r.Group, refused); err != nil {
			return fmt.Errorf("%s: dead letters: %w", r.Group, err)
		}
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return r.Log.Ack(ctx, r.Group, ids...)
}

// quoteRaw keeps undecodable bytes as a JSON string.
func quoteRaw(b []byte) []byte {
	q, _ := json.Marshal(string(b))
	return q
}
