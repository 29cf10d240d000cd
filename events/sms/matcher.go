package sms

import "strings"

// All keyword lists are registered in one dictionary at package init; Parse
// scans the lowered body once, recording where each keyword occurs, and the
// rules then ask the record instead of searching the text again.

// maxKeywords bounds the dictionary (checked at init); maxHits bounds the
// occurrences kept per keyword (later ones are not needed by any rule).
const (
	maxKeywords = 320
	maxHits     = 6
)

type keyword struct {
	text    string
	wordEnd bool // the byte after the match must not be alphanumeric
}

type dictionary struct {
	kws   []keyword
	index map[keyword]uint16
	// Keyword ids bucketed by their first two bytes (see bucketOf): the ids
	// of bucket b are ids[start[b]:start[b+1]]. Built by init, after every
	// list is registered.
	start [numBuckets + 1]uint16
	ids   []uint16
	first [256]bool // some keyword starts with this byte
}

const numBuckets = 256 * 64

func bucketOf(c0, c1 byte) int { return int(c0)<<6 | int(c1&63) }

func init() { dict.build() }

func (d *dictionary) build() {
	var count [numBuckets]uint16
	for _, k := range d.kws {
		count[bucketOf(k.text[0], k.text[1])]++
		d.first[k.text[0]] = true
	}
	for b := 0; b < numBuckets; b++ {
		d.start[b+1] = d.start[b] + count[b]
	}
	d.ids = make([]uint16, len(d.kws))
	next := d.start
	for id, k := range d.kws {
		b := bucketOf(k.text[0], k.text[1])
		d.ids[next[b]] = uint16(id)
		next[b]++
	}
}

var dict dictionary

// kwList is a registered list of keywords.
type kwList []uint16

func register(wordEnd bool, words ...string) kwList {
	if dict.index == nil {
		dict.index = map[keyword]uint16{}
	}
	l := make(kwList, 0, len(words))
	for _, w := range words {
		if len(w) < 2 {
			panic("sms: keyword shorter than two bytes: " + w)
		}
		k := keyword{w, wordEnd}
		id, ok := dict.index[k]
		if !ok {
			if len(dict.kws) == maxKeywords {
				panic("sms: more than maxKeywords keywords")
			}
			id = uint16(len(dict.kws))
			dict.kws = append(dict.kws, k)
			dict.index[k] = id
		}
		l = append(l, id)
	}
	return l
}

func words(ws ...string) kwList    { return register(true, ws...) }
func prefixes(ws ...string) kwList { return register(false, ws...) }

// hits records where keywords occur in one body.
type hits struct {
	n   [maxKeywords]uint8
	pos [maxKeywords][maxHits]uint16
}

// scan records every keyword occurrence in s (at most MaxBody bytes). A
// keyword that starts with a letter or digit must start a word.
func (h *hits) scan(s string) {
	for i := 0; i+1 < len(s); i++ {
		c := s[i]
		if !dict.first[c] || (i > 0 && isAlnum(c) && isAlnum(s[i-1])) {
			continue
		}
		b := bucketOf(c, s[i+1])
		rest := s[i:]
		for _, id := range dict.ids[dict.start[b]:dict.start[b+1]] {
			k := &dict.kws[id]
			if len(k.text) > len(rest) || !strings.HasPrefix(rest, k.text) {
				continue
			}
			end := i + len(k.text)
			if k.wordEnd && end < len(s) && isAlnum(s[end]) && isAlnum(k.text[len(k.text)-1]) {
				continue
			}
			if n := h.n[id]; n < maxHits {
				h.pos[id][n] = uint16(i)
				h.n[id] = n + 1
			}
		}
	}
}

// any reports whether any keyword of l occurs.
func (h *hits) any(l kwList) bool {
	for _, id := range l {
		if h.n[id] > 0 {
			return true
		}
	}
	return false
}

// anyIn reports whether a keyword of l occurs wholly inside s[lo:hi].
func (h *hits) anyIn(l kwList, lo, hi int) bool {
	for _, id := range l {
		kl := len(dict.kws[id].text)
		for j := 0; j < int(h.n[id]); j++ {
			p := int(h.pos[id][j])
			if p >= lo && p+kl <= hi {
				return true
			}
		}
	}
	return false
}

// anyBefore reports whether a keyword of l ends within n bytes before i.
func (h *hits) anyBefore(l kwList, i, n int) bool { return h.anyIn(l, i-n, i) }

// first returns the earliest occurrence of a keyword of l for which keep
// returns true, with its keyword id, or -1.
func (h *hits) first(l kwList, keep func(pos int) bool) (int, uint16) {
	best, bestID := -1, uint16(0)
	for _, id := range l {
		for j := 0; j < int(h.n[id]); j++ {
			p := int(h.pos[id][j])
			if best >= 0 && p >= best {
				break
			}
			if keep == nil || keep(p) {
				best, bestID = p, id
				break
			}
		}
	}
	return best, bestID
}

// occ returns the recorded offsets of keyword id, in order.
func (h *hits) occ(id uint16) []uint16 { return h.pos[id][:h.n[id]] }
