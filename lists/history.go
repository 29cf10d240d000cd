package lists

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/nirnay/nirnay/store"
)

// HistoryLoadTimeout bounds reading one list's history.
const HistoryLoadTimeout = 2 * time.Minute

// History answers in_list as of any time from the lists' full history
// (it implements engine.Lists): a value is on a list at t when one of its
// entries was added at or before t and neither removed nor expired by t.
// It is what simulations and replays of logged decisions use, so a
// decision replayed today sees the lists as they were when it was made.
//
// Each list's history is read from the database the first time it is
// asked about and kept: a History is a snapshot for one replay (changes
// made after a list was read are not seen); make a new one per replay.
// Safe for concurrent use; an error reading a list is returned by every
// Contains on it (the rule errs).
type History struct {
	db *store.DB
	mu sync.Mutex
	by map[string]*listHistory
}

type span struct{ from, to int64 } // [from, to) in unix µs

type listHistory struct {
	once sync.Once
	err  error
	one  map[string]span   // values with one entry, the common case
	more map[string][]span // values with several
}

// NewHistory returns a History over db's lists; nothing is read yet.
func NewHistory(db *store.DB) *History { return &History{db: db, by: map[string]*listHistory{}} }

// Contains reports whether value was on list at time at.
func (h *History) Contains(list, value string, at time.Time) (bool, error) {
	h.mu.Lock()
	lh := h.by[list]
	if lh == nil {
		lh = &listHistory{}
		h.by[list] = lh
	}
	h.mu.Unlock()
	lh.once.Do(func() { lh.err = lh.load(h.db, list) })
	if lh.err != nil {
		return false, lh.err
	}
	t := at.UnixMicro()
	if sp, ok := lh.one[value]; ok {
		return sp.from <= t && t < sp.to, nil
	}
	for _, sp := range lh.more[value] {
		if sp.from <= t && t < sp.to {
			return true, nil
		}
	}
	return false, nil
}

func (lh *listHistory) load(db *store.DB, list string) error {
	ctx, cancel := context.WithTimeout(context.Background(), HistoryLoadTimeout)
	defer cancel()
	rows, err := db.Reader().QueryContext(ctx, `SELECT value, added_at, expires_at, removed_at FROM list_entries WHERE list_name = $1`, list)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	lh.one, lh.more = map[string]span{}, map[string][]span{}
	for rows.Next() {
		var v string
		var added time.Time
		var exp, removed *time.Time
		if err := rows.Scan(&v, store.ScanInstant(&added), store.ScanNullInstant(&exp), store.ScanNullInstant(&removed)); err != nil {
			return err
		}
		sp := span{from: added.UnixMicro(), to: math.MaxInt64}
		if exp != nil {
			sp.to = exp.UnixMicro()
		}
		if removed != nil && removed.UnixMicro() < sp.to {
			sp.to = removed.UnixMicro()
		}
		if sp.to <= sp.from {
			continue // never on the list
		}
		if ms, ok := lh.more[v]; ok {
			lh.more[v] = append(ms, sp)
		} else if first, ok := lh.one[v]; ok {
			delete(lh.one, v)
			lh.more[v] = []span{first, sp}
		} else {
			lh.one[v] = sp
		}
	}
	return store.Translate(rows.Err())
}
