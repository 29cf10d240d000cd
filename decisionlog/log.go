package decisionlog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/backoff"
	"github.com/nirnay/nirnay/internal/tune"
	"github.com/nirnay/nirnay/store"
)

// Options configures a Log. Zero values take the defaults shown.
type Options struct {
	SegmentBytes int64 // default DefaultSegmentBytes
	BatchSize    int   // records per database transaction; default 1,000
	// Linger is how long the shipper waits after being woken so that one
	// transaction carries many records; default 200 ms. Reads of unshipped
	// records are served from memory meanwhile; List shows a decision once
	// it is shipped. A transaction of many records writes each index page
	// it touches once, which on SQLite is most of the cost of shipping.
	Linger time.Duration
	Logger *slog.Logger // default slog.Default()
	// Unpaced ships flat out even while keeping up. By default a shipper
	// writing to SQLite (in this process, on the same processors as the
	// requests) rests between small runs of rows twice as long as each run
	// took, so shipping never takes more than a third of a processor away
	// from the requests; a backlog of more than a batch ships flat out.
	Unpaced bool
	// MemoryBytes bounds the unshipped records kept in memory for reads
	// and for the shipper; default DefaultMemoryBytes. Past it (a long
	// database outage) each further record costs a small index entry and
	// is read back from its segment.
	MemoryBytes int64
}

// Log is the decision log: local segments, the shipper that moves them to
// the database, and reads across the pending, hot and cold tiers. It is safe
// for concurrent use. Run must be running for records to reach the database.
type Log struct {
	w      *Writer
	db     *store.DB
	dir    string
	batch  int
	linger time.Duration
	paced  bool
	log    *slog.Logger

	mu      sync.Mutex
	pending *unshipped // appended, not yet shipped
	ckpt    Position   // segments are shipped up to here
	// queue holds the appends held in memory, in file order, so the
	// shipper takes them from memory instead of reading and decoding the
	// segment again. Appends past the memory budget are not queued; the
	// shipper reads them from the segments.
	queue   []queued
	queued  int // records in queue
	readBuf *bufio.Reader

	// seenReq holds a 64-bit hash of every (customer, request id) in the hot tier and
	// appended since, when this process is the database's only writer (the
	// embedded SQLite): a request id not in it is new without asking the
	// database. nil with PostgreSQL, where other instances also write.
	seenReq map[uint64]struct{}

	hooks     []ShipHook    // run in each shipping transaction (OnShip)
	shipped   chan struct{} // closed and replaced after each shipped batch
	lastError error
	lag       time.Duration
}

// queued is one append not yet shipped, with where it sits in the segments.
type queued struct {
	recs       []*Record
	after, end Position
}

// Open opens the log under dir (segments in dir/segments, cold files in
// dir/cold) writing to db.
func Open(dir string, db *store.DB, opts Options) (*Log, error) {
	w, err := OpenWriter(filepath.Join(dir, "segments"), opts.SegmentBytes)
	if err != nil {
		return nil, err
	}
	l := &Log{w: w, db: db, dir: dir, batch: opts.BatchSize, log: opts.Logger, paced: !opts.Unpaced,
		pending: newUnshipped(opts.MemoryBytes), shipped: make(chan struct{}),
		readBuf: bufio.NewReaderSize(nil, readBufferBytes)}
	if l.batch <= 0 {
		l.batch = 1000
	}
	if l.linger = opts.Linger; l.linger <= 0 {
		l.linger = 200 * time.Millisecond
	}
	if l.log == nil {
		l.log = slog.Default()
	}
	if l.ckpt, err = l.readCheckpoint(); err != nil {
		w.Close()
		return nil, err
	}
	if err := l.indexUnshipped(); err != nil {
		w.Close()
		return nil, err
	}
	if db.Dialect == store.SQLite {
		if err := l.loadRequestIDs(); err != nil {
			// Without the index every request id is looked up in the database.
			l.log.Warn("decision log: request id index not loaded; idempotency checks will query the database", "err", err)
			l.seenReq = nil
		}
	}
	return l, nil
}

// loadRequestIDs fills seenReq from the hot tier and the unshipped records.
func (l *Log) loadRequestIDs() error {
	l.seenReq = map[uint64]struct{}{}
	rows, err := l.db.Reader().Query(`SELECT customer_id, request_id FROM decisions WHERE role <> 'shadow' AND request_id <> ''`)
	if err != nil {
		return fmt.Errorf("decision log: load request ids: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cust, id string
		if err := rows.Scan(&cust, &id); err != nil {
			return err
		}
		l.seenReq[reqHash(reqKey(cust, id))] = struct{}{}
	}
	for k := range l.pending.byReq {
		l.seenReq[reqHash(k)] = struct{}{}
	}
	return rows.Err()
}

// reqKey is the key of a request id, which is scoped to its customer (the
// same id for another customer is another request).
func reqKey(customerID, requestID string) string { return customerID + "\x00" + requestID }

func reqHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}

// indexUnshipped makes the records a previous process appended but did not
// ship readable at once (Get, FindByRequest), so a retry right after a crash
// is answered with its first decision rather than decided again. Records
// past the memory budget are indexed by where they sit.
func (l *Log) indexUnshipped() error {
	nums, err := listSegments(l.w.Dir())
	if err != nil {
		return err
	}
	started := time.Now()
	for _, n := range nums {
		if n < l.ckpt.Seg {
			continue
		}
		off := int64(0)
		if n == l.ckpt.Seg {
			off = l.ckpt.Offset
		}
		_, err := scanFrom(filepath.Join(l.w.Dir(), segName(n)), off, l.readBuf, func(r *Record, at int64) bool {
			l.pending.add(Position{n, at}, r)
			return true
		})
		if err != nil {
			return err
		}
	}
	if n := l.pending.len(); n > 0 {
		l.log.Info("decision log: unshipped records indexed", "records", n,
			"held_bytes", l.pending.held, "took", time.Since(started).Round(time.Millisecond))
	}
	return nil
}

// Append makes records durable in the local segment (see Writer.Append) and
// visible to Get until they are shipped.
func (l *Log) Append(recs ...*Record) error {
	if err := l.w.Append(func(after, start, end Position) { l.enqueue(recs, after, start, end) }, recs...); err != nil {
		return err
	}
	if l.seenReq != nil {
		l.mu.Lock()
		for _, r := range recs {
			if r.RequestID != "" && r.Role != nirnay.RoleShadow {
				l.seenReq[reqHash(reqKey(r.CustomerID, r.RequestID))] = struct{}{}
			}
		}
		l.mu.Unlock()
	}
	return nil
}

// enqueue indexes an append and, when it is held in memory, queues it for
// the shipper; it runs under the writer's lock, so the queue is in file
// order.
func (l *Log) enqueue(recs []*Record, after, start, end Position) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.pending.add(start, recs...) {
		return // past the memory budget: the shipper reads these from the segment
	}
	l.queue = append(l.queue, queued{recs: recs, after: after, end: end})
	l.queued += len(recs)
}

// fromMemory takes up to max queued records that continue exactly from the
// checkpoint, and the position just past them; ok is false when the next
// records to ship are only in the segments. Queued appends the checkpoint
// has passed are dropped.
func (l *Log) fromMemory(max int) (recs []*Record, end Position, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.ckpt
	drop := 0
	for drop < len(l.queue) && !c.Before(l.queue[drop].end) {
		l.queued -= len(l.queue[drop].recs)
		drop++
	}
	l.queue = l.queue[drop:]
	end = c
	take := 0
	for take < len(l.queue) && l.queue[take].after == end && len(recs) < max {
		recs = append(recs, l.queue[take].recs...)
		end = l.queue[take].end
		take++
	}
	if take == 0 {
		return nil, c, false
	}
	clear(l.queue[:take])
	l.queue = l.queue[take:]
	l.queued -= len(recs)
	return recs, end, true
}

// OnShip adds a hook run in every transaction that ships records (see
// ShipHook). Call it before Run.
func (l *Log) OnShip(h ShipHook) { l.hooks = append(l.hooks, h) }

// Close stops accepting appends. Call it after Run has returned.
func (l *Log) Close() error { return l.w.Close() }

func (l *Log) ckptPath() string { return filepath.Join(l.dir, "shipped.checkpoint") }

func (l *Log) readCheckpoint() (Position, error) {
	b, err := os.ReadFile(l.ckptPath())
	if errors.Is(err, os.ErrNotExist) {
		return Position{}, nil
	}
	if err != nil {
		return Position{}, err
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return Position{}, fmt.Errorf("decision log checkpoint %s: malformed", l.ckptPath())
	}
	seg, err1 := strconv.ParseUint(f[0], 10, 64)
	off, err2 := strconv.ParseInt(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return Position{}, fmt.Errorf("decision log checkpoint %s: malformed", l.ckptPath())
	}
	return Position{seg, off}, nil
}

// writeCheckpoint replaces the checkpoint atomically (write, sync, rename).
func (l *Log) writeCheckpoint(c Position) error {
	tmp := l.ckptPath() + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(f, "%d %d\n", c.Seg, c.Offset); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, l.ckptPath())
}

// Run ships records to the database until ctx ends, woken by appends rather
// than by polling; failures are retried with backoff (100 ms doubling to
// 5 s, jittered, back to 100 ms after a success; the records wait safely in
// their segments). Before returning it makes a last attempt to ship.
// It runs on a low-priority thread of its own (tune.Background), so when
// the CPUs are contended requests go first.
func (l *Log) Run(ctx context.Context) {
	tune.Background()
	bo := backoff.New(100*time.Millisecond, 5*time.Second)
	for {
		more, err := l.shipOnce(ctx)
		l.mu.Lock()
		l.lastError = err
		l.mu.Unlock()
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			d := bo.Next()
			l.log.Warn("decision log shipping failed; will retry", "err", err, "retry_in", d)
			if !backoff.Sleep(ctx, d) {
				return
			}
		case more:
			bo.Reset()
		default:
			bo.Reset()
			select {
			case <-ctx.Done():
				l.drain()
				return
			case <-l.w.Notify():
				// Let more records arrive: one transaction for many.
				select {
				case <-ctx.Done():
				case <-time.After(l.linger):
				}
			}
		}
	}
}

// drain ships what it can in a few seconds at shutdown.
func (l *Log) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		more, err := l.shipOnce(ctx)
		if err != nil || !more {
			return
		}
	}
}

// shipOnce ships at most one batch. more reports whether it moved forward.
func (l *Log) shipOnce(ctx context.Context) (more bool, err error) {
	if recs, end, ok := l.fromMemory(l.batch); ok {
		if err := insertRecords(ctx, l.db, recs, l.pace(recs), l.hooks...); err != nil {
			return false, err
		}
		sealed := end.Seg > l.ckpt.Seg
		if err := l.advance(end, recs); err != nil {
			return false, err
		}
		if sealed {
			l.removeShipped(end.Seg)
		}
		return true, nil
	}
	nums, err := listSegments(l.w.Dir())
	if err != nil {
		return false, err
	}
	active := l.w.active()
	c := l.ckpt
	for _, n := range nums {
		if n < c.Seg {
			// Fully shipped before the checkpoint moved on; remove it.
			_ = os.Remove(filepath.Join(l.w.Dir(), segName(n)))
			continue
		}
		if n > c.Seg {
			c = Position{Seg: n}
		}
		recs, end, err := readFrom(filepath.Join(l.w.Dir(), segName(n)), c.Offset, l.batch, l.readBuf)
		if err != nil {
			return false, err
		}
		if len(recs) > 0 {
			if err := insertRecords(ctx, l.db, recs, l.pace(recs), l.hooks...); err != nil {
				return false, err
			}
			c.Offset = end
			return true, l.advance(c, recs)
		}
		if n == active {
			return false, nil
		}
		// A sealed segment is fully shipped: move past it and delete it.
		if err := l.advance(Position{Seg: n + 1}, nil); err != nil {
			return false, err
		}
		_ = os.Remove(filepath.Join(l.w.Dir(), segName(n)))
	}
	return false, nil
}

// pace reports whether shipping recs should rest between runs of rows: when
// it is keeping up (no more than these records are waiting).
func (l *Log) pace(recs []*Record) bool {
	if !l.paced {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending.len() <= len(recs)+l.batch
}

// removeShipped deletes the segments before seg, all shipped.
func (l *Log) removeShipped(seg uint64) {
	nums, err := listSegments(l.w.Dir())
	if err != nil {
		return
	}
	for _, n := range nums {
		if n < seg {
			_ = os.Remove(filepath.Join(l.w.Dir(), segName(n)))
		}
	}
}

func (l *Log) advance(c Position, recs []*Record) error {
	if err := l.writeCheckpoint(c); err != nil {
		return fmt.Errorf("decision log checkpoint: %w", err)
	}
	l.mu.Lock()
	l.ckpt = c
	for _, r := range recs {
		l.pending.remove(r)
	}
	if len(recs) > 0 {
		l.lag = time.Since(recs[len(recs)-1].DecidedAt)
		close(l.shipped)
		l.shipped = make(chan struct{})
	}
	l.mu.Unlock()
	return nil
}

// Stats describes the shipper's state for metrics and readiness.
type Stats struct {
	Pending   int           // records appended but not yet in the database
	HeldBytes int64         // of them, the bytes held in memory (Options.MemoryBytes)
	Lag       time.Duration // age of the newest shipped record when it was shipped
	LastError error
}

// Stats returns the current shipping state.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Stats{Pending: l.pending.len(), HeldBytes: l.pending.held, Lag: l.lag, LastError: l.lastError}
}

// WaitShipped blocks until nothing appended before the call is pending, or ctx ends.
func (l *Log) WaitShipped(ctx context.Context) error {
	for {
		l.mu.Lock()
		n, ch := l.pending.len(), l.shipped
		l.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
