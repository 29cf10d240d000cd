package stream

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nirnay/nirnay/store"
)

// SQL is the embedded stream: messages are rows of event_stream in the
// SQL database (the embedded SQLite file by default), so an Append that
// returned survives a kill -9 of the process. Acknowledgements are rows of
// event_stream_acks folded into a per-group watermark (event_stream_groups);
// fully acknowledged messages are deleted.
//
// Pending state (which consumer holds which message since when) lives in
// memory: after a restart every unacknowledged message is delivered again.
// One process owns an SQL stream; several nodes share a Redis stream
// instead. Safe for concurrent use.
type SQL struct {
	db    *store.DB
	clock func() time.Time

	mu     sync.Mutex
	next   int64         // the next sequence number to assign
	wake   chan struct{} // closed and replaced on every append
	groups map[string]*sqlGroup
}

type sqlGroup struct {
	floor   int64              // every seq ≤ floor is acknowledged (persisted)
	cursor  int64              // the last seq delivered as new
	acked   map[int64]bool     // acknowledged above floor
	pending map[int64]*pending // delivered, not acknowledged
}

type pending struct {
	consumer  string
	delivered time.Time
	data      []byte
}

// OpenSQL opens the embedded stream in db (migrated). clock nil is time.Now.
func OpenSQL(ctx context.Context, db *store.DB, clock func() time.Time) (*SQL, error) {
	if clock == nil {
		clock = time.Now
	}
	s := &SQL{db: db, clock: clock, wake: make(chan struct{}), groups: map[string]*sqlGroup{}}
	var maxSeq sql.NullInt64
	if err := db.Reader().QueryRowContext(ctx, `SELECT MAX(seq) FROM event_stream`).Scan(&maxSeq); err != nil {
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	var maxFloor sql.NullInt64
	if err := db.Reader().QueryRowContext(ctx, `SELECT MAX(acked_to) FROM event_stream_groups`).Scan(&maxFloor); err != nil {
		return nil, fmt.Errorf("open event stream: %w", err)
	}
	s.next = max(maxSeq.Int64, maxFloor.Int64) + 1
	return s, nil
}

// EnsureGroup loads (or creates, at the start of the stream) a consumer
// group with its acknowledgements.
func (s *SQL) EnsureGroup(ctx context.Context, group string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loadGroup(ctx, group)
}

func (s *SQL) loadGroup(ctx context.Context, group string) error {
	if s.groups[group] != nil {
		return nil
	}
	if _, err := s.db.Writer().ExecContext(ctx, `INSERT INTO event_stream_groups (grp, acked_to) VALUES ($1, 0) ON CONFLICT (grp) DO NOTHING`, group); err != nil {
		return fmt.Errorf("create stream group %s: %w", group, err)
	}
	g := &sqlGroup{acked: map[int64]bool{}, pending: map[int64]*pending{}}
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT acked_to FROM event_stream_groups WHERE grp = $1`, group).Scan(&g.floor); err != nil {
		return fmt.Errorf("load stream group %s: %w", group, err)
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT seq FROM event_stream_acks WHERE grp = $1`, group)
	if err != nil {
		return fmt.Errorf("load stream group %s: %w", group, err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return err
		}
		g.acked[seq] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	g.cursor = g.floor
	s.groups[group] = g
	return nil
}

// Append stores the messages in one transaction and returns their ids.
func (s *SQL) Append(ctx context.Context, data [][]byte) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := store.Instant(s.clock())
	ids := make([]string, len(data))
	first := s.next
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		for i, d := range data {
			seq := first + int64(i)
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_stream (seq, body, created_at) VALUES ($1, $2, $3)`, seq, string(d), now); err != nil {
				return err
			}
			ids[i] = strconv.FormatInt(seq, 10)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("append to event stream: %w", err)
	}
	s.next = first + int64(len(data))
	close(s.wake)
	s.wake = make(chan struct{})
	return ids, nil
}

// Read returns up to count messages new to group, waiting up to block for
// the first one (an Append wakes the wait at once).
func (s *SQL) Read(ctx context.Context, group, consumer string, count int, block time.Duration) ([]Message, error) {
	deadline := time.NewTimer(block)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if err := s.loadGroup(ctx, group); err != nil {
			s.mu.Unlock()
			return nil, err
		}
		g := s.groups[group]
		msgs, err := s.readNew(ctx, g, consumer, count)
		wake := s.wake
		s.mu.Unlock()
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		select {
		case <-wake:
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *SQL) readNew(ctx context.Context, g *sqlGroup, consumer string, count int) ([]Message, error) {
	if g.cursor >= s.next-1 {
		return nil, nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT seq, body FROM event_stream WHERE seq > $1 ORDER BY seq LIMIT $2`, g.cursor, count)
	if err != nil {
		return nil, fmt.Errorf("read event stream: %w", err)
	}
	defer rows.Close()
	now := s.clock()
	var out []Message
	for rows.Next() {
		var seq int64
		var body string
		if err := rows.Scan(&seq, &body); err != nil {
			return nil, err
		}
		g.cursor = seq
		if g.acked[seq] || g.pending[seq] != nil {
			continue
		}
		g.pending[seq] = &pending{consumer: consumer, delivered: now, data: []byte(body)}
		out = append(out, Message{ID: strconv.FormatInt(seq, 10), Data: []byte(body)})
	}
	return out, rows.Err()
}

// Claim hands up to count of group's messages pending for at least minIdle
// to consumer.
func (s *SQL) Claim(ctx context.Context, group, consumer string, minIdle time.Duration, count int) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadGroup(ctx, group); err != nil {
		return nil, err
	}
	g := s.groups[group]
	now := s.clock()
	seqs := make([]int64, 0, len(g.pending))
	for seq, p := range g.pending {
		if now.Sub(p.delivered) >= minIdle {
			seqs = append(seqs, seq)
		}
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	if len(seqs) > count {
		seqs = seqs[:count]
	}
	out := make([]Message, 0, len(seqs))
	for _, seq := range seqs {
		p := g.pending[seq]
		p.consumer, p.delivered = consumer, now
		out = append(out, Message{ID: strconv.FormatInt(seq, 10), Data: p.data})
	}
	return out, nil
}

// Ack acknowledges messages of group durably, advances the group's
// watermark over contiguous acknowledgements and deletes messages every
// group has acknowledged.
func (s *SQL) Ack(ctx context.Context, group string, ids ...string) error {
	if len(ids) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadGroup(ctx, group); err != nil {
		return err
	}
	g := s.groups[group]
	seqs := make([]int64, 0, len(ids))
	for _, id := range ids {
		seq, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return fmt.Errorf("ack group %s: bad id %q", group, id)
		}
		if seq > g.floor && !g.acked[seq] {
			seqs = append(seqs, seq)
		}
	}
	floor := g.floor
	newAcked := make(map[int64]bool, len(seqs))
	for _, q := range seqs {
		newAcked[q] = true
	}
	for g.acked[floor+1] || newAcked[floor+1] {
		floor++
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, q := range seqs {
			if q <= floor {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_stream_acks (grp, seq) VALUES ($1, $2) ON CONFLICT (grp, seq) DO NOTHING`, group, q); err != nil {
				return err
			}
		}
		if floor == g.floor {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE event_stream_groups SET acked_to = $1 WHERE grp = $2`, floor, group); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM event_stream_acks WHERE grp = $1 AND seq <= $2`, group, floor); err != nil {
			return err
		}
		// Messages every group has acknowledged are no longer needed.
		_, err := tx.ExecContext(ctx, `DELETE FROM event_stream WHERE seq <= (SELECT MIN(acked_to) FROM event_stream_groups)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("ack group %s: %w", group, err)
	}
	for _, q := range seqs {
		delete(g.pending, q)
		if q > floor {
			g.acked[q] = true
		}
	}
	for q := range g.acked {
		if q <= floor {
			delete(g.acked, q)
		}
	}
	g.floor = floor
	return nil
}

// Pending returns how many of group's messages are delivered but not
// acknowledged, and how many are not yet delivered.
func (s *SQL) Pending(ctx context.Context, group string) (pending, lag int64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadGroup(ctx, group); err != nil {
		return 0, 0, err
	}
	g := s.groups[group]
	return int64(len(g.pending)), s.next - 1 - g.cursor, nil
}
