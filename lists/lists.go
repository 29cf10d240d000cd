// Package lists keeps Nirnay's managed block/allow lists (DESIGN §14): the
// lists rules read with in_list(name, value), their entries with every add,
// removal and expiry kept in the SQL database, and the in-process copy that
// decisions read.
//
// Contract:
//
//   - A list is named [a-z0-9_]+ (at most MaxNameLen bytes) and holds up to
//     MaxEntries values of 1..MaxValueBytes bytes (valid UTF-8, no control
//     characters; surrounding spaces are trimmed). Values match exactly.
//   - An entry is on its list from added_at until removed_at or expires_at,
//     whichever comes first. Rows are never deleted, so History answers
//     membership as of any time (simulations and replays).
//   - Every change runs in one transaction that also appends its audit entry
//     (governance's audit_log, subject "list/<name>") and, on PostgreSQL,
//     NOTIFYs Channel; Listen on every instance applies it to that
//     instance's Cache within milliseconds. The instance that made a change
//     applies it before the call returns (SQLite: the only instance).
//   - Cache is what decisions read: O(1) membership, safe for concurrent
//     use, never blocked by a reload (changes are built aside and swapped in
//     atomically).
//
// Errors are *nirnay.Error: KindInvalid (with Field) for bad input,
// KindNotFound for an unknown list or a value not on it, KindUnprocessable
// past MaxEntries; database errors go through store.Translate.
package lists

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/store"
)

// Channel is the PostgreSQL notification channel on which a change to a
// list's entries is announced; the payload is "<name> <revision>".
const Channel = "nirnay_lists"

// Limits.
const (
	MaxNameLen          = 64
	MaxValueBytes       = 256
	MaxReasonBytes      = 512
	MaxDescriptionBytes = 1024
	MaxEntries          = 1_000_000 // entries on one list
	MaxAddBatch         = 10_000    // entries in one Add
	MaxImportRows       = 100_000   // rows in one Import
	DefaultPageLimit    = 100
	MaxPageLimit        = 1000
	SampleSize          = 100 // values of each kind a dry run shows
)

// Actions recorded in the audit log.
const (
	ActionCreate = "list.create"
	ActionUpdate = "list.update"
	ActionAdd    = "list.add"
	ActionRemove = "list.remove"
	ActionImport = "list.import"
)

// List is a managed list.
type List struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Entries     int64     `json:"entries"`  // values on the list now (expired ones not counted)
	Revision    int64     `json:"revision"` // changes to its entries so far
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"` // actor (API key) id
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
}

// Entry is a value on a list now.
type Entry struct {
	Value     string     `json:"value"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"` // null: never
	AddedAt   time.Time  `json:"added_at"`
	AddedBy   string     `json:"added_by"` // actor (API key) id
}

// NewEntry is a value to put on a list.
type NewEntry struct {
	Value     string     `json:"value"`
	Reason    string     `json:"reason"`
	ExpiresAt *time.Time `json:"expires_at"` // null: never; else after now
	Line      int        `json:"-"`          // the CSV line it came from (errors name it); 0 otherwise
}

// AddResult counts what Add did: values put on the list, values already
// on it whose reason or expiry changed (the old entry is closed and a new
// one opened), and values already on it as given.
type AddResult struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Mode is how Import treats the entries a file does not name.
type Mode string

// Import modes.
const (
	ModeAdd     Mode = "add"     // keep them
	ModeReplace Mode = "replace" // remove them: the list becomes the file
)

// ImportResult counts what an import did, or would do in a dry run.
type ImportResult struct {
	Added     int   `json:"added"`
	Updated   int   `json:"updated"`
	Removed   int   `json:"removed"`
	Unchanged int   `json:"unchanged"`
	DryRun    bool  `json:"dry_run"`
	Sample    *Diff `json:"sample,omitempty"` // dry run only
}

// Diff is a sample of a change: up to SampleSize values of each kind, in
// file order (Remove: in value order).
type Diff struct {
	Add    []string `json:"add"`
	Update []string `json:"update"`
	Remove []string `json:"remove"`
}

// Change describes one committed change to a list's entries.
type Change struct {
	List     string
	Revision int64
	Action   string
}

// Options configures Open. Zero values take the documented defaults.
type Options struct {
	Clock  func() time.Time // default time.Now; every stored time comes from it
	Logger *slog.Logger     // default slog.Default()

	// DatabaseURL is the PostgreSQL URL Listen connects to (a dedicated
	// connection, not the pool). Ignored for SQLite.
	DatabaseURL string

	// OnChange, when set, is called after every committed change to a
	// list's entries, outside the transaction and before this instance's
	// cache is refreshed. Wire it to a bus whose subscribers call Refresh
	// where LISTEN/NOTIFY is not available.
	OnChange func(ctx context.Context, c Change)
}

// Service is the lists registry of record and this instance's cache of
// it. Build it with Open; it is safe for concurrent use.
type Service struct {
	db    *store.DB
	opts  Options
	log   *slog.Logger
	clock func() time.Time
	cache *Cache

	syncMu sync.Mutex     // serialises Refresh
	ids    *ids.Generator // on clock
}

// Open returns the service on a migrated database with its cache loaded:
// every list's current entries are in memory when it returns, so decisions
// may be served at once. Errors: database errors.
func Open(ctx context.Context, db *store.DB, opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{db: db, opts: opts, log: opts.Logger, clock: opts.Clock, cache: NewCache(),
		ids: ids.New(opts.Clock)}
	if err := s.Refresh(ctx); err != nil {
		return nil, fmt.Errorf("load lists: %w", err)
	}
	return s, nil
}

// Cache is this instance's in-memory copy, for engine.Config.Lists.
func (s *Service) Cache() *Cache { return s.cache }

// CheckName reports whether name is a valid list name (KindInvalid naming
// field "name" if not).
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return nirnay.FieldError("name", "must be 1 to %d characters of a-z, 0-9 and _", MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return nirnay.FieldError("name", "must be 1 to %d characters of a-z, 0-9 and _; %q is not", MaxNameLen, name)
		}
	}
	return nil
}

// CheckValue returns value without surrounding spaces, or a message saying
// why it cannot be on a list.
func CheckValue(value string) (string, string) {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return "", "value is empty"
	case len(v) > MaxValueBytes:
		return "", fmt.Sprintf("value is %d bytes; at most %d", len(v), MaxValueBytes)
	}
	if msg := checkText(v); msg != "" {
		return "", "value " + msg
	}
	return v, ""
}

// checkText refuses what a database TEXT column or a log line should not
// hold: invalid UTF-8, control characters and a full Aadhaar number
// (DESIGN §16: never stored).
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "holds a control character"
		}
	}
	if pii.ContainsAadhaar(s) {
		return "holds an Aadhaar number, which Nirnay never stores"
	}
	return ""
}

// checkEntries returns entries validated and normalised (a new slice):
// values trimmed and checked, reasons checked, expiries after now. A value
// given twice with the same reason and expiry is kept once; with different
// ones it is an error. Errors name "line N" for CSV rows and
// "entries[i].field" otherwise.
func checkEntries(entries []NewEntry, now time.Time) ([]NewEntry, error) {
	fail := func(i int, field, format string, args ...any) error {
		if l := entries[i].Line; l > 0 {
			return nirnay.FieldError(fmt.Sprintf("line %d", l), format, args...)
		}
		return nirnay.FieldError(fmt.Sprintf("entries[%d].%s", i, field), format, args...)
	}
	seen := make(map[string]int, len(entries))
	out := make([]NewEntry, 0, len(entries))
	for i := range entries {
		e := entries[i]
		v, msg := CheckValue(e.Value)
		if msg != "" {
			return nil, fail(i, "value", "%s", msg)
		}
		e.Value = v
		if len(e.Reason) > MaxReasonBytes {
			return nil, fail(i, "reason", "reason is %d bytes; at most %d", len(e.Reason), MaxReasonBytes)
		}
		if msg := checkText(e.Reason); msg != "" {
			return nil, fail(i, "reason", "reason %s", msg)
		}
		if e.ExpiresAt != nil {
			t := e.ExpiresAt.UTC().Truncate(time.Microsecond)
			if !t.After(now) {
				return nil, fail(i, "expires_at", "expires_at %s is not in the future", t.Format(time.RFC3339))
			}
			e.ExpiresAt = &t
		}
		if j, dup := seen[v]; dup {
			if sameTerms(out[j], e) {
				continue
			}
			return nil, fail(i, "value", "value %q is given again with another reason or expiry", v)
		}
		seen[v] = len(out)
		out = append(out, e)
	}
	return out, nil
}

func sameTerms(a, b NewEntry) bool {
	return a.Reason == b.Reason && micros(a.ExpiresAt) == micros(b.ExpiresAt)
}

// micros is an expiry in unix microseconds; never is 0.
func micros(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func notFound(name string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "list %q not found; create it with PUT /v1/lists/%s", name, name)
}

// Actor is who makes a change: an API key's id and name, as the audit log
// records it.
type Actor = governance.Actor
