package screening

import (
	"math"
	"slices"
	"strings"
)

// MatchFunc scores two renderings of a name in [0, 1], 1 for the same
// name. It must be deterministic and safe for concurrent use. A score
// outside [0, 1] is clamped into it (NaN counts as 0).
type MatchFunc func(a, b string) float64

// Listed is an entry as the index holds it: of a list, added at a revision.
type Listed struct {
	List     string
	Revision int64 // the list revision the entry was added in
	Entry
}

// Index screens names against listed entries: every name and alias of
// every entry, filed under blocking keys (keys.go) so that a screened name
// is scored by the matcher only against the listed names that share a key
// with it. It is immutable once built and safe for concurrent use.
type Index struct {
	match     MatchFunc
	threshold float64
	revisions map[string]int64 // the list revisions it was built at
	entries   []indexed
	names     []listedName
	postings  map[string][]int32 // key → ids of names, ascending
}

type indexed struct {
	list, ref, name string
	kind            Kind
	dob             []dobSpan // widened by a year each side
}

type listedName struct {
	entry int32
	text  string
}

// NewIndex builds an index of entries scored by match, a hit being a score
// of threshold or more. An entry's date of birth that does not parse
// counts as unknown (Import keeps only ones that do). The index holds each
// list at the highest Revision among its entries (Service.Index sets the
// lists' own revisions).
func NewIndex(match MatchFunc, threshold float64, entries []Listed) *Index {
	ix := &Index{match: match, threshold: threshold, revisions: map[string]int64{},
		entries: make([]indexed, 0, len(entries)), postings: map[string][]int32{}}
	for _, e := range entries {
		spans, _ := parseDOB(e.DOB)
		for i := range spans {
			spans[i] = spans[i].widened()
		}
		id := int32(len(ix.entries))
		ix.entries = append(ix.entries, indexed{list: e.List, ref: e.Ref, name: e.Name, kind: e.Kind, dob: spans})
		ix.revisions[e.List] = max(ix.revisions[e.List], e.Revision)
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			nid := int32(len(ix.names))
			ix.names = append(ix.names, listedName{entry: id, text: n})
			for _, k := range nameKeys(words(n), true) {
				if p := ix.postings[k]; len(p) == 0 || p[len(p)-1] != nid {
					ix.postings[k] = append(p, nid)
				}
			}
		}
	}
	return ix
}

// Len is the number of entries in the index.
func (ix *Index) Len() int { return len(ix.entries) }

// Revision is the revision of list the index holds (0 for a list it does
// not hold).
func (ix *Index) Revision(list string) int64 { return ix.revisions[list] }

// Screen returns the entries whose name or an alias scores threshold or
// more against name, best first (score descending, then list and ref),
// each with the listed name that scored best. dob is the customer's date
// of birth in the grammar of ParseDOB ("" or one that does not parse:
// unknown); an entry whose date of birth is known and more than a year
// from the customer's is no hit (dob.go). Only the listed names sharing a
// blocking key with name are scored.
func (ix *Index) Screen(name, dob string) []Hit {
	ws := words(name)
	if len(ws) == 0 || len(ix.names) == 0 {
		return nil
	}
	var cand []int32
	for _, k := range nameKeys(ws, false) {
		cand = append(cand, ix.postings[k]...)
	}
	if len(cand) == 0 {
		return nil
	}
	slices.Sort(cand)
	cand = slices.Compact(cand)
	customer, _ := parseDOB(dob)
	var (
		hits     []Hit
		cur      = int32(-1)
		conflict bool
		best     float64
		bestName string
	)
	flush := func() {
		if cur >= 0 && !conflict && best >= ix.threshold {
			e := ix.entries[cur]
			hits = append(hits, Hit{List: e.list, Ref: e.ref, Kind: e.kind, Name: bestName, EntryName: e.name,
				Score: best, Revision: ix.revisions[e.list]})
		}
	}
	for _, id := range cand {
		n := ix.names[id]
		if n.entry != cur {
			flush()
			cur, best, bestName = n.entry, -1, ""
			conflict = dobConflict(customer, ix.entries[cur].dob)
		}
		if conflict {
			continue
		}
		if s := clamp(ix.match(name, n.text)); s > best {
			best, bestName = s, n.text
		}
	}
	flush()
	slices.SortFunc(hits, func(a, b Hit) int {
		switch {
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		case a.List != b.List:
			return strings.Compare(a.List, b.List)
		}
		return strings.Compare(a.Ref, b.Ref)
	})
	return hits
}

// clamp puts a matcher's score into [0, 1].
func clamp(s float64) float64 {
	switch {
	case math.IsNaN(s) || s < 0:
		return 0
	case s > 1:
		return 1
	}
	return s
}
