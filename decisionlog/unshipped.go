package decisionlog

import (
	"bufio"
	"errors"
	"io/fs"
	"path/filepath"

	"github.com/nirnay/nirnay"
)

// unshipped indexes the records appended and not yet shipped, so Get and
// FindByRequest find them before the database has them. Records are held
// in memory up to a byte budget; past it (a long database outage, a large
// backlog found at restart) only where each one sits in the segments is
// kept — a map entry of some 150 bytes — and reads take the record from
// there. Callers hold Log.mu.
type unshipped struct {
	byID  map[string]entry
	byReq map[string]string // reqKey(customer, request id) → decision id, acted-on records only
	held  int64             // bytes of the records held in memory
	limit int64
}

// entry is one unshipped record: held in memory, or spilled (rec nil) and
// read from the segment line at, or from the first of the lines written
// by its append starting at at.
type entry struct {
	rec *Record
	at  Position
}

// DefaultMemoryBytes is how much of the unshipped records' bodies a Log
// keeps in memory (see Options.MemoryBytes).
const DefaultMemoryBytes = 64 << 20

// spillScanLines bounds the lines read from an append's start to find one
// of its records (an append is a decision with its challengers and shadows).
const spillScanLines = 64

// newUnshipped holds up to limit bytes of records (DefaultMemoryBytes when
// limit is not positive).
func newUnshipped(limit int64) *unshipped {
	if limit <= 0 {
		limit = DefaultMemoryBytes
	}
	return &unshipped{byID: map[string]entry{}, byReq: map[string]string{}, limit: limit}
}

// heldSize is what holding r costs: its body and the record around it.
func heldSize(r *Record) int64 { return int64(len(r.Body)) + 256 }

// add indexes recs, written together from at. It holds them in memory when
// the budget allows all of them, and reports whether it did.
func (u *unshipped) add(at Position, recs ...*Record) (held bool) {
	var size int64
	for _, r := range recs {
		size += heldSize(r)
	}
	held = u.held+size <= u.limit
	for _, r := range recs {
		u.remove(r) // a record indexed twice counts once
		e := entry{at: at}
		if held {
			e.rec = r
			u.held += heldSize(r)
		}
		u.byID[r.ID] = e
		if r.RequestID != "" && r.Role != nirnay.RoleShadow {
			u.byReq[reqKey(r.CustomerID, r.RequestID)] = r.ID
		}
	}
	return held
}

// remove forgets r (shipped, or never written).
func (u *unshipped) remove(r *Record) {
	e, ok := u.byID[r.ID]
	if !ok {
		return
	}
	if e.rec != nil {
		u.held -= heldSize(e.rec)
	}
	delete(u.byID, r.ID)
	if k := reqKey(r.CustomerID, r.RequestID); u.byReq[k] == r.ID {
		delete(u.byReq, k)
	}
}

// len is the number of unshipped records.
func (u *unshipped) len() int { return len(u.byID) }

// lookup returns the unshipped record with decision id id, reading a
// spilled one from its segment. ok is false when it is not unshipped (or
// was shipped, and its segment removed, while being read).
func (l *Log) lookup(id string) (r *Record, ok bool, err error) {
	l.mu.Lock()
	e, ok := l.pending.byID[id]
	l.mu.Unlock()
	if !ok || e.rec != nil {
		return e.rec, ok, nil
	}
	path := filepath.Join(l.w.Dir(), segName(e.at.Seg))
	br := bufio.NewReaderSize(nil, 16<<10)
	n := 0
	_, err = scanFrom(path, e.at.Offset, br, func(rec *Record, _ int64) bool {
		if rec.ID == id {
			r = rec
		}
		n++
		return r == nil && n < spillScanLines
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil // shipped meanwhile: the database has it
	}
	return r, r != nil, err
}

// lookupRequest returns the unshipped acted-on record for a customer's
// request id.
func (l *Log) lookupRequest(customerID, requestID string) (*Record, bool, error) {
	l.mu.Lock()
	id, ok := l.pending.byReq[reqKey(customerID, requestID)]
	l.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	return l.lookup(id)
}
