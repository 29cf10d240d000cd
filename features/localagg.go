package features

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nirnay/nirnay/store"
)

// FlushInterval is how soon after an Apply the in-process store persists
// the aggregate updates; MaxPendingRows pending rows make Apply persist at
// once instead (back-pressure).
const (
	FlushInterval  = 100 * time.Millisecond
	MaxPendingRows = 50_000
	// MaxKnownEventIDs bounds the event ids the store remembers in memory.
	// While every unexpired applied id fits, dedupe needs no database
	// lookup; past it, ids not in memory are looked up in the database.
	MaxKnownEventIDs = 500_000
)

type aggRowKey struct{ name, id, field string }

type aggRow struct {
	val float64
	exp int64
}

// writeBehind holds aggregate rows and event ids applied in memory but not
// yet in the database.
type writeBehind struct {
	mu       sync.Mutex
	rows     map[aggRowKey]aggRow
	seen     map[string]int64 // event id → expires (unix s), pending
	inflight map[string]int64 // ids being committed by a flush
	known    map[string]int64 // applied ids (pending or persisted) → expires
	complete bool             // known holds every unexpired applied id
	flushMu  sync.Mutex
	flushes  int
	once     sync.Once
	kick     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	lastErr  error
}

func (s *LocalStore) startWriteBehind() {
	wb := &s.wb
	wb.rows, wb.seen = map[aggRowKey]aggRow{}, map[string]int64{}
	wb.kick, wb.stop, wb.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(wb.done)
		for {
			select {
			case <-wb.stop:
				return
			case <-wb.kick:
			}
			select {
			case <-wb.stop:
				return
			case <-time.After(FlushInterval):
			}
			err := s.Flush(context.Background())
			wb.mu.Lock()
			wb.lastErr = err
			wb.mu.Unlock()
			if err != nil {
				s.kickFlush() // retry after another interval
			}
		}
	}()
}

// loadKnownIDs remembers the unexpired applied event ids when they fit in
// memory, so dedupe needs no database lookups.
func (s *LocalStore) loadKnownIDs(ctx context.Context) error {
	now := store.Seconds(s.clock())
	var n int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM feature_events_seen WHERE expires_at >= $1`, now).Scan(&n); err != nil {
		return fmt.Errorf("load event ids: %w", err)
	}
	if n > MaxKnownEventIDs {
		return nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, expires_at FROM feature_events_seen WHERE expires_at >= $1`, now)
	if err != nil {
		return fmt.Errorf("load event ids: %w", err)
	}
	defer rows.Close()
	known := make(map[string]int64, n)
	for rows.Next() {
		var id string
		var exp time.Time
		if err := rows.Scan(&id, store.ScanSeconds(&exp)); err != nil {
			return fmt.Errorf("load event ids: %w", err)
		}
		known[id] = exp.Unix()
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load event ids: %w", err)
	}
	s.wb.known, s.wb.complete = known, true
	return nil
}

func (s *LocalStore) kickFlush() {
	select {
	case s.wb.kick <- struct{}{}:
	default:
	}
}

// Close persists pending aggregate updates and stops the background
// flusher. The store must not be used afterwards.
func (s *LocalStore) Close(ctx context.Context) error {
	s.wb.once.Do(func() {
		close(s.wb.stop)
		<-s.wb.done
	})
	return s.Flush(ctx)
}

// EventErrors reports the events of a batch that could not be applied
// (by index in the batch); every other event was applied.
type EventErrors map[int]error

func (e EventErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d event(s) not applied", len(e))
	for i, err := range e {
		fmt.Fprintf(&b, "; [%d] %v", i, err)
		break
	}
	return b.String()
}

// applyChunk bounds the events Apply applies under one hold of its lock,
// so a small Apply (a decision's velocity count) waits behind a
// consumer's large batch for one chunk at most (about a millisecond).
const applyChunk = 256

// Apply updates the aggregates from events. Reads see the updates at once;
// they reach the database within FlushInterval (or when Flush is called),
// so a crash loses at most the updates of the last interval: an event
// consumer that acknowledges events only after Flush loses nothing. An
// event whose id was applied before (while it could still count in a
// window, and across restarts once flushed) is skipped. Each event is
// applied atomically, in chunks of up to 256 events; an Apply waiting for
// another's chunk gives up when ctx ends. Malformed events are reported in
// an EventErrors and the others applied; any other error means the batch
// may be retried whole (dedupe makes that safe for events with ids).
func (s *LocalStore) Apply(ctx context.Context, events ...Event) error {
	bad := EventErrors{}
	for start := 0; start < len(events); start += applyChunk {
		if err := s.applyChunk(ctx, events[start:min(start+applyChunk, len(events))], start, bad); err != nil {
			return err
		}
	}
	s.wb.mu.Lock()
	pending := len(s.wb.rows)
	s.wb.mu.Unlock()
	if pending >= MaxPendingRows {
		if err := s.Flush(ctx); err != nil {
			return err
		}
	} else if pending > 0 {
		s.kickFlush()
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// applyChunk applies events (events[0] is the batch's event offset) under
// the store's apply lock, recording malformed ones in bad.
func (s *LocalStore) applyChunk(ctx context.Context, events []Event, offset int, bad EventErrors) error {
	select {
	case s.applying <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.applying }()
	now := s.clock().Unix()
	seen, err := s.seenIDs(ctx, events, now)
	if err != nil {
		return err
	}
	var all, us []aggUpdate
	marks := map[string]int64{}
	for i, ev := range events {
		if ev.ID != "" && seen[ev.ID] {
			continue
		}
		us, err = s.aggs.updates(ev, us[:0])
		if err != nil {
			bad[offset+i] = err
			continue
		}
		all = append(all, us...)
		if ev.ID != "" && len(us) > 0 {
			seen[ev.ID] = true
			marks[ev.ID] = now + dedupeTTL(us)
		}
	}
	rows := make(map[aggRowKey]aggRow, len(all))
	s.mu.Lock()
	for _, u := range all {
		k := seriesKey{u.spec.f.Slot, u.id}
		m := s.series[k]
		if m == nil {
			m = map[string]float64{}
			s.series[k] = m
		}
		field := u.field()
		cur, have := m[field]
		m[field] = combine(u.spec.fn, cur, have, u.num)
		rows[aggRowKey{u.spec.f.Name, u.id, field}] = aggRow{m[field], u.expiresAt()}
		if len(m) > pruneAt(u.spec) {
			prune(u.spec, m, now)
		}
	}
	s.mu.Unlock()
	wb := &s.wb
	wb.mu.Lock()
	for k, r := range rows {
		wb.rows[k] = r
	}
	for id, exp := range marks {
		wb.seen[id] = exp
		if wb.known != nil {
			wb.known[id] = exp
		}
	}
	if len(wb.known) > MaxKnownEventIDs {
		for id, exp := range wb.known {
			if exp < now {
				delete(wb.known, id)
			}
		}
		if len(wb.known) > MaxKnownEventIDs {
			wb.known, wb.complete = nil, false // fall back to database lookups
		}
	}
	wb.mu.Unlock()
	return nil
}

// Flush persists every aggregate update applied so far, in one
// transaction. On failure the updates stay pending.
func (s *LocalStore) Flush(ctx context.Context) error {
	wb := &s.wb
	wb.flushMu.Lock()
	defer wb.flushMu.Unlock()
	wb.mu.Lock()
	rows, seen := wb.rows, wb.seen
	wb.rows, wb.seen, wb.inflight = map[aggRowKey]aggRow{}, map[string]int64{}, seen
	wb.mu.Unlock()
	if len(rows) == 0 && len(seen) == 0 {
		return nil
	}
	aggRows := make([][]any, 0, len(rows))
	for k, r := range rows {
		aggRows = append(aggRows, []any{k.name, k.id, k.field, strconv.FormatFloat(r.val, 'g', -1, 64), store.Seconds(time.Unix(r.exp, 0))})
	}
	seenRows := make([][]any, 0, len(seen))
	for id, exp := range seen {
		seenRows = append(seenRows, []any{id, store.Seconds(time.Unix(exp, 0))})
	}
	wb.flushes++
	now := store.Seconds(s.clock())
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := execRows(ctx, tx, s.db.Dialect, `INSERT INTO feature_aggregates (feature, entity_id, field, value, expires_at) VALUES `,
			` ON CONFLICT (feature, entity_id, field) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`, aggRows); err != nil {
			return fmt.Errorf("persist aggregates: %w", err)
		}
		if err := execRows(ctx, tx, s.db.Dialect, `INSERT INTO feature_events_seen (id, expires_at) VALUES `, ` ON CONFLICT (id) DO NOTHING`, seenRows); err != nil {
			return fmt.Errorf("persist event ids: %w", err)
		}
		if wb.flushes%100 == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM feature_events_seen WHERE expires_at < $1`, now); err != nil {
				return fmt.Errorf("prune event ids: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM feature_aggregates WHERE expires_at < $1`, now); err != nil {
				return fmt.Errorf("prune aggregates: %w", err)
			}
		}
		return nil
	})
	wb.mu.Lock()
	defer wb.mu.Unlock()
	wb.inflight = nil
	if err != nil {
		// Put back what no newer Apply has replaced.
		for k, r := range rows {
			if _, newer := wb.rows[k]; !newer {
				wb.rows[k] = r
			}
		}
		for id, exp := range seen {
			if _, ok := wb.seen[id]; !ok {
				wb.seen[id] = exp
			}
		}
		return err
	}
	return nil
}

// seenIDs returns which of the events' ids were applied before: pending in
// memory, being flushed, or in the database.
func (s *LocalStore) seenIDs(ctx context.Context, events []Event, now int64) (map[string]bool, error) {
	seen := map[string]bool{}
	var ids []any
	s.wb.mu.Lock()
	for _, ev := range events {
		if ev.ID == "" {
			continue
		}
		if exp, ok := s.wb.known[ev.ID]; ok && exp >= now {
			seen[ev.ID] = true
			continue
		}
		if exp, ok := s.wb.seen[ev.ID]; ok && exp >= now {
			seen[ev.ID] = true
			continue
		}
		if exp, ok := s.wb.inflight[ev.ID]; ok && exp >= now {
			seen[ev.ID] = true
			continue
		}
		if !s.wb.complete {
			ids = append(ids, ev.ID)
		}
	}
	s.wb.mu.Unlock()
	const chunk = 500
	for len(ids) > 0 {
		n := min(chunk, len(ids))
		ph := make([]string, n)
		for i := range ph {
			ph[i] = "$" + strconv.Itoa(i+2)
		}
		args := append([]any{store.Seconds(time.Unix(now, 0))}, ids[:n]...)
		rows, err := s.db.Reader().QueryContext(ctx, `SELECT id FROM feature_events_seen WHERE expires_at >= $1 AND id IN (`+strings.Join(ph, ",")+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("check event ids: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("check event ids: %w", err)
			}
			seen[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("check event ids: %w", err)
		}
		ids = ids[n:]
	}
	return seen, nil
}

// pruneAt is the number of fields a series may hold before expired ones
// are dropped: twice the buckets of its window, or 4096 distinct members.
func pruneAt(s *aggSpec) int {
	if s.fn == FnDistinct {
		return 4096
	}
	return int(2*s.window/s.res) + 8
}

// prune drops a series' fields that left the window as of now (seconds).
func prune(s *aggSpec, m map[string]float64, now int64) {
	for field, v := range m {
		if s.fn == FnDistinct {
			if int64(v)+s.window+s.res < now {
				delete(m, field)
			}
			continue
		}
		b, err := strconv.ParseInt(field[1:], 10, 64)
		if err == nil && (b+1)*s.res+s.window < now {
			delete(m, field)
		}
	}
}

// execRows runs head + store.Values + tail for rows, 100 rows a
// statement, preparing the full-size statement once. Rows must have
// distinct keys (one statement may not touch a row twice).
func execRows(ctx context.Context, tx *sql.Tx, d store.Dialect, head, tail string, rows [][]any) error {
	const per = 100
	if len(rows) == 0 {
		return nil
	}
	cols := len(rows[0])
	query := func(n int) string { return head + store.Values(d, n, cols) + tail }
	args := make([]any, 0, per*cols)
	if len(rows) >= per {
		stmt, err := tx.PrepareContext(ctx, query(per))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for len(rows) >= per {
			args = args[:0]
			for _, r := range rows[:per] {
				args = append(args, r...)
			}
			if _, err := stmt.ExecContext(ctx, args...); err != nil {
				return err
			}
			rows = rows[per:]
		}
	}
	if len(rows) == 0 {
		return nil
	}
	args = args[:0]
	for _, r := range rows {
		args = append(args, r...)
	}
	_, err := tx.ExecContext(ctx, query(len(rows)), args...)
	return err
}
