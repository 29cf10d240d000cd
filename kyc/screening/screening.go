// Package screening screens customers' names against sanctions lists —
// the UN Security Council consolidated list (ParseUN) and the lender's own
// (ParseLocal) — and re-screens every existing customer against what a
// list update added (Rescreen), each new hit recorded once.
//
// A list is stored whole at a revision (Import): every import that changes
// it bumps its revision and stamps the entries it added or removed, so the
// entries added after any revision can be read back (kyc.screening_lists,
// screening_entries and screening_hits on PostgreSQL, migration 21). Names
// are compared by an injected matcher (MatchFunc) above a threshold; an
// Index files every listed name under blocking keys so that screening one
// name scores only the few listed names that could match it (keys.go), and
// a date of birth known on both sides and more than a year apart lowers a
// hit away (dob.go).
package screening

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// Kind is what a listed entry is.
type Kind string

// The kinds of entry.
const (
	KindIndividual Kind = "individual"
	KindEntity     Kind = "entity"
)

// Entry is one listed person or entity.
type Entry struct {
	// Ref identifies the entry within its list, across updates: the UN
	// list's REFERENCE_NUMBER (QDi.001), the local list's ref column.
	Ref     string
	Kind    Kind // default KindIndividual
	Name    string
	Aliases []string
	// DOB is the date of birth in the grammar of ParseDOB ("" unknown).
	DOB string
	// Note is free text for a reviewer (the UN list's regime, listing date
	// and nationality; the local list's note).
	Note string
}

// Hit is a listed entry a name matched.
type Hit struct {
	ID        string // the recorded hit's id (scr_…); "" until recorded
	List      string
	Ref       string
	Kind      Kind
	Name      string  // the listed name or alias that scored best
	EntryName string  // the entry's name
	Score     float64 // the matcher's score of Name, in [0, 1]
	Revision  int64   // the list's revision the hit was found at
}

// Limits on lists and entries.
const (
	MaxListBytes = 64 << 20 // a list file (the UN list is about 2 MB)
	MaxEntries   = 50_000   // entries of one list
	MaxAliases   = 200      // aliases of one entry
	MaxNameBytes = 512      // a name or alias
	MaxRefBytes  = 64
	MaxNoteBytes = 1024
)

// listName is the form of a list's name.
var listName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Options configure a Service. Match and Threshold are required.
type Options struct {
	Match     MatchFunc
	Threshold float64 // a score of Threshold or more is a hit; in (0, 1]
	Now       func() time.Time
	Logger    *slog.Logger
	// ProgressEvery is how many customers Rescreen screens between progress
	// reports (default 10,000).
	ProgressEvery int
	// Progress, when set, is called with each progress report (on
	// Rescreen's goroutine); reports are logged at Info either way.
	Progress func(RescreenProgress)
}

// Service keeps the lists in the database and screens against them. It is
// safe for concurrent use; any number of instances may share a database.
type Service struct {
	db   *store.DB
	opts Options
	ids  *ids.Generator

	buildMu sync.Mutex // serialises index rebuilds
	index   atomic.Pointer[Index]
}

// New returns a service on db. It fails without a matcher or with a
// threshold outside (0, 1].
func New(db *store.DB, opts Options) (*Service, error) {
	if db == nil || opts.Match == nil {
		return nil, errors.New("screening: New needs a database and a MatchFunc")
	}
	if !(opts.Threshold > 0 && opts.Threshold <= 1) {
		return nil, fmt.Errorf("screening: threshold %v is not in (0, 1]", opts.Threshold)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 10_000
	}
	return &Service{db: db, opts: opts, ids: ids.New(opts.Now)}, nil
}

// CheckListName checks a list's name: a lower-case letter, then up to 31
// lower-case letters, digits or underscores ("un", "local").
func CheckListName(name string) error {
	if !listName.MatchString(name) {
		return nirnay.FieldError("list", "%q is not a list name: a lower-case letter, then up to 31 lower-case letters, digits or underscores", clip(name))
	}
	return nil
}

// canonical checks an entry and returns it in the form stored: text
// trimmed, kind defaulted, aliases without blanks, repeats or the name
// itself, the date of birth canonical. where names it in errors.
func canonical(e Entry, where string) (Entry, error) {
	e.Ref = strings.TrimSpace(e.Ref)
	e.Name = squash(e.Name)
	e.Note = squash(e.Note)
	switch {
	case e.Ref == "":
		return e, nirnay.FieldError(where+".ref", "is empty")
	case len(e.Ref) > MaxRefBytes:
		return e, nirnay.FieldError(where+".ref", "is %d bytes; at most %d", len(e.Ref), MaxRefBytes)
	case !plain(e.Ref):
		return e, nirnay.FieldError(where+".ref", "must be UTF-8 text without control characters")
	case e.Name == "":
		return e, nirnay.FieldError(where+".name", "is empty")
	case len(e.Name) > MaxNameBytes:
		return e, nirnay.FieldError(where+".name", "is %d bytes; at most %d", len(e.Name), MaxNameBytes)
	case !plain(e.Name):
		return e, nirnay.FieldError(where+".name", "must be UTF-8 text without control characters")
	case len(e.Note) > MaxNoteBytes:
		return e, nirnay.FieldError(where+".note", "is %d bytes; at most %d", len(e.Note), MaxNoteBytes)
	case !plain(e.Note):
		return e, nirnay.FieldError(where+".note", "must be UTF-8 text without control characters")
	case len(e.Aliases) > MaxAliases:
		return e, nirnay.FieldError(where+".aliases", "%d aliases; at most %d", len(e.Aliases), MaxAliases)
	}
	switch e.Kind {
	case "":
		e.Kind = KindIndividual
	case KindIndividual, KindEntity:
	default:
		return e, nirnay.FieldError(where+".kind", "must be individual or entity, got %q", clip(string(e.Kind)))
	}
	seen := map[string]bool{strings.ToLower(e.Name): true}
	aliases := make([]string, 0, len(e.Aliases))
	for i, a := range e.Aliases {
		a = squash(a)
		switch {
		case len(a) > MaxNameBytes:
			return e, nirnay.FieldError(fmt.Sprintf("%s.aliases[%d]", where, i), "is %d bytes; at most %d", len(a), MaxNameBytes)
		case !plain(a):
			return e, nirnay.FieldError(fmt.Sprintf("%s.aliases[%d]", where, i), "must be UTF-8 text without control characters")
		case a == "" || seen[strings.ToLower(a)]:
			continue
		}
		seen[strings.ToLower(a)] = true
		aliases = append(aliases, a)
	}
	e.Aliases = aliases
	dob, err := ParseDOB(e.DOB)
	if err != nil {
		return e, nirnay.FieldError(where+".dob", "%v", err)
	}
	e.DOB = dob
	return e, nil
}

// squash trims s and turns each run of white space in it into one space.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// plain reports whether s is valid UTF-8 without control characters.
func plain(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
