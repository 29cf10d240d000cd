package features

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// LocalStore is the in-process feature store of the embedded default: the
// latest values and their history live in the SQL database (table
// feature_values and feature_history, migration 00003), aggregates in
// memory, written behind to feature_aggregates so they survive restarts
// (see Apply for the durability contract). It works on SQLite and
// PostgreSQL alike. It is safe for concurrent use; Close flushes.
type LocalStore struct {
	db    *store.DB
	cat   *rules.Catalog
	es    entitySlots
	aggs  *aggregates
	clock func() time.Time

	mu     sync.RWMutex
	series map[seriesKey]map[string]float64 // aggregate field → value
	// latest, when set (KeepInMemory), holds every entity's current online
	// values so reads never touch the database: the embedded default.
	latest map[EntityKey]map[int]Entry

	// applying serialises the chunks of Apply (a one-slot semaphore, so a
	// waiting Apply honours its context).
	applying chan struct{}
	wb       writeBehind
}

type seriesKey struct {
	slot int
	id   string
}

// NewLocalStore opens the store on db (migrated) for cat, loading the
// aggregate state that has not expired, and starts the goroutine that
// persists aggregate updates. clock defaults to time.Now.
func NewLocalStore(ctx context.Context, db *store.DB, cat *rules.Catalog, clock func() time.Time) (*LocalStore, error) {
	aggs, err := compileAggregates(cat)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	s := &LocalStore{db: db, cat: cat, es: slotsOf(cat), aggs: aggs, clock: clock, series: map[seriesKey]map[string]float64{},
		applying: make(chan struct{}, 1)}
	if err := s.load(ctx); err != nil {
		return nil, err
	}
	s.startWriteBehind()
	if err := s.loadKnownIDs(ctx); err != nil {
		s.Close(ctx)
		return nil, err
	}
	return s, nil
}

func (s *LocalStore) load(ctx context.Context) error {
	if _, err := s.db.Writer().ExecContext(ctx, `DELETE FROM feature_aggregates WHERE expires_at < $1`, store.Seconds(s.clock())); err != nil {
		return fmt.Errorf("load feature aggregates: %w", err)
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT feature, entity_id, field, value FROM feature_aggregates`)
	if err != nil {
		return fmt.Errorf("load feature aggregates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, id, field, value string
		if err := rows.Scan(&name, &id, &field, &value); err != nil {
			return fmt.Errorf("load feature aggregates: %w", err)
		}
		f, ok := s.cat.Lookup(name)
		if !ok || s.aggs.bySlot[f.Slot] == nil {
			continue // the catalog no longer has it
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		k := seriesKey{f.Slot, id}
		if s.series[k] == nil {
			s.series[k] = map[string]float64{}
		}
		s.series[k][field] = n
	}
	return rows.Err()
}

// KeepInMemory loads every current online value into memory and serves
// reads from there from now on; writes keep both the database and memory
// current. It is for the embedded default, where this process is the only
// writer and the data fits in memory; the database remains the durable copy.
func (s *LocalStore) KeepInMemory(ctx context.Context) error {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT entity, entity_id, name, value FROM feature_values`)
	if err != nil {
		return fmt.Errorf("load feature values: %w", err)
	}
	defer rows.Close()
	latest := map[EntityKey]map[int]Entry{}
	for rows.Next() {
		var ent, id, name, value string
		if err := rows.Scan(&ent, &id, &name, &value); err != nil {
			return fmt.Errorf("load feature values: %w", err)
		}
		f, ok := s.cat.Lookup(name)
		if !ok || string(f.Entity) != ent || f.Source != rules.SourceOnline {
			continue
		}
		if e, ok := decodeEntry(f, value); ok {
			k := EntityKey{Entity: ent, ID: id}
			if latest[k] == nil {
				latest[k] = map[int]Entry{}
			}
			latest[k][e.Slot] = e
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load feature values: %w", err)
	}
	s.mu.Lock()
	s.latest = latest
	s.mu.Unlock()
	return nil
}

// Read returns the stored and aggregate values of each key, in order, as
// of now (aggregate windows end at now). An entity with nothing stored
// gives an empty slice.
func (s *LocalStore) Read(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, error) {
	out := make([][]Entry, len(keys))
	for i, k := range keys {
		entries, ok := s.readMemory(k)
		if !ok {
			var err error
			entries, err = s.readOnline(ctx, k, `SELECT name, value FROM feature_values WHERE entity = $1 AND entity_id = $2`, k.Entity, k.ID)
			if err != nil {
				return nil, err
			}
		}
		out[i] = s.readAggregates(k, now, entries)
	}
	return out, nil
}

// readMemory returns k's online values from memory; ok is false when the
// store does not keep them there.
func (s *LocalStore) readMemory(k EntityKey) ([]Entry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.latest == nil {
		return nil, false
	}
	m := s.latest[k]
	out := make([]Entry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	return out, true
}

// remember applies committed writes to the in-memory copy: a value older
// than the one held does not replace it, as in the database.
func (s *LocalStore) remember(ws []Write, encs [][]encoded) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil {
		return
	}
	for i, w := range ws {
		for _, e := range encs[i] {
			entry, ok := decodeEntry(e.f, e.enc)
			if !ok {
				continue
			}
			m := s.latest[w.Key]
			if m == nil {
				m = map[int]Entry{}
				s.latest[w.Key] = m
			}
			if old, had := m[entry.Slot]; !had || old.AsOf <= entry.AsOf {
				m[entry.Slot] = entry
			}
		}
	}
}

// ReadAsOf returns key's values as they were at t: for each stored feature
// the latest value written with an as-of time at or before t (from the
// history), and the aggregates with their windows ending at t (as far as
// their state is still retained).
func (s *LocalStore) ReadAsOf(ctx context.Context, key EntityKey, t time.Time) ([]Entry, error) {
	entries, err := s.readOnline(ctx, key,
		`SELECT name, value FROM feature_history WHERE entity = $1 AND entity_id = $2 AND as_of <= $3 ORDER BY name, as_of DESC`,
		key.Entity, key.ID, store.Instant(t))
	if err != nil {
		return nil, err
	}
	return s.readAggregates(key, t, entries), nil
}

// readOnline runs q (rows of name, value) and decodes the values of key's
// entity; for a name that appears more than once the first row wins.
func (s *LocalStore) readOnline(ctx context.Context, key EntityKey, q string, args ...any) ([]Entry, error) {
	var out []Entry
	if len(s.es.online[key.Entity]) == 0 {
		return out, nil
	}
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read features of %s: %w", key, err)
	}
	defer rows.Close()
	last := ""
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			return nil, fmt.Errorf("read features of %s: %w", key, err)
		}
		if name == last {
			continue
		}
		last = name
		f, ok := s.cat.Lookup(name)
		if !ok || f.Entity != key.Entity || f.Source != rules.SourceOnline {
			continue
		}
		if e, ok := decodeEntry(f, value); ok {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read features of %s: %w", key, err)
	}
	return out, nil
}

func (s *LocalStore) readAggregates(key EntityKey, now time.Time, out []Entry) []Entry {
	specs := s.es.aggregate[key.Entity]
	if len(specs) == 0 {
		return out
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, f := range specs {
		spec := s.aggs.bySlot[f.Slot]
		fo := newFolder(spec, now)
		for field, v := range s.series[seriesKey{f.Slot, key.ID}] {
			fo.add(field, v)
		}
		if e, ok := fo.entry(now.UnixNano()); ok {
			out = append(out, e)
		}
	}
	return out
}

// Write validates every write against the catalog and stores them all in
// one transaction, keeping history. A value older than the one stored does
// not replace it (it still enters the history). Validation errors are
// *nirnay.Error naming the feature; nothing is written then.
func (s *LocalStore) Write(ctx context.Context, ws []Write, now time.Time) error {
	encs := make([][]encoded, len(ws))
	for i, w := range ws {
		e, err := validateWrite(s.cat, w, now)
		if err != nil {
			return err
		}
		encs[i] = e
	}
	// One row per (entity, feature) for the current values — the newest of
	// the batch, as a multi-row statement may not touch a row twice — and
	// one per (entity, feature, as-of) for the history; written in
	// statements of 100 rows.
	type valueKey struct{ entity, id, name string }
	type histKey struct {
		valueKey
		asOf int64
	}
	values := map[valueKey][]any{}
	newest := map[valueKey]int64{} // the as-of (µs) of values[k]
	history := map[histKey][]any{}
	var valueOrder []valueKey
	var histOrder []histKey
	for i, w := range ws {
		by := w.By
		if by == "" {
			by = "nirnay"
		}
		for _, e := range encs[i] {
			micros := e.asOf / 1000
			at := store.Instant(time.UnixMicro(micros))
			vk := valueKey{w.Key.Entity, w.Key.ID, e.f.Name}
			if prev, ok := newest[vk]; !ok || prev <= micros {
				if !ok {
					valueOrder = append(valueOrder, vk)
				}
				newest[vk] = micros
				values[vk] = []any{w.Key.Entity, w.Key.ID, e.f.Name, e.enc, at}
			}
			hk := histKey{vk, micros}
			if _, ok := history[hk]; !ok {
				histOrder = append(histOrder, hk)
			}
			history[hk] = []any{w.Key.Entity, w.Key.ID, e.f.Name, e.enc, at, by}
		}
	}
	valueRows := make([][]any, 0, len(valueOrder))
	for _, k := range valueOrder {
		valueRows = append(valueRows, values[k])
	}
	histRows := make([][]any, 0, len(histOrder))
	for _, k := range histOrder {
		histRows = append(histRows, history[k])
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := execRows(ctx, tx, s.db.Dialect, `INSERT INTO feature_values (entity, entity_id, name, value, as_of) VALUES `,
			` ON CONFLICT (entity, entity_id, name) DO UPDATE SET value = excluded.value, as_of = excluded.as_of WHERE feature_values.as_of <= excluded.as_of`,
			valueRows); err != nil {
			return fmt.Errorf("write features: %w", err)
		}
		if err := execRows(ctx, tx, s.db.Dialect, `INSERT INTO feature_history (entity, entity_id, name, value, as_of, written_by) VALUES `,
			` ON CONFLICT (entity, entity_id, name, as_of) DO UPDATE SET value = excluded.value, written_by = excluded.written_by`,
			histRows); err != nil {
			return fmt.Errorf("write feature history: %w", err)
		}
		return nil
	})
	if err == nil {
		s.remember(ws, encs)
	}
	return err
}
