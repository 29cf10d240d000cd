package names

import "unicode/utf8"

// Token similarity. Two tokens are compared by their phonetic keys with an
// edit distance whose costs follow how Indian names vary in Latin letters:
//
//   - substituting one vowel for a near one (a/e, e/i, o/u, a/o) costs ½:
//     ahmed/ahmad, rehman/rahman, subrata/subroto, mohammed/muhammad;
//     but a/e and e/i as the last letters cost 1, since final vowels mark
//     gender and form there (rana/rane); any other substitution costs 1 (so
//     rajesh/rakesh, kiran/karan, asha/usha stay apart);
//   - inserting or deleting a vowel or y inside a token costs ½ (the
//     unwritten schwa: kamla/kamala, rajni/rajini, murli/murali); at either
//     end it costs 1;
//   - everything else costs 1.
//
// The similarity is 1 − distance / (length of the longer key), in [0, 1].
// Two full tokens are the same token when the similarity is at least
// tokenFloor and the cheapest edit path has no full-cost edit, or one in a
// key of longToken letters or more (subramaniam/subramanian,
// elizabeth/elisabeth): one real letter apart in a shorter name is another
// name (sasmita/susmita). The distance is computed in integers, so it is
// exact and symmetric to the last bit.
//
// Endings carry gender in Indian names, so a key that is the other plus a
// final i (kumar/kumari, ashwin/ashwini, sundar/sundari) or that ends in i
// where the other ends in a (rama/rami) is a contrast: similarity 0, and the
// match is marked down (see Match). A key that is the other plus a final a
// is a feminine form (amit/amita, kamal/kamala, manish/manisha) scored at
// feminineSim, below tokenFloor; except after -esh, -nath and -an, where the
// final a is the Kannada or Telugu spelling of the same male name
// (ramesha, manjunatha, narayana), and after a three-letter stem
// (shiv/shiva, ram/rama), where it costs ½.

const (
	// tokenFloor is the least similarity at which two full tokens count as
	// the same token.
	tokenFloor = 0.85
	// initialSim is the similarity of an initial to a token starting with
	// that letter: below a full match, by design.
	initialSim = 0.8
	// feminineSim is the similarity of a token and its feminine form.
	feminineSim = 0.6
	// longToken is the key length from which one full-cost edit is allowed.
	longToken = 8
)

// maxKeyRunes bounds the keys the edit distance reads (see maxTokenRunes).
const maxKeyRunes = 2 * maxTokenRunes

type simKind uint8

const (
	simNone     simKind = iota // not the same token
	simFull                    // same token, exactly or within tokenFloor
	simInitial                 // an initial and a token it can stand for
	simContrast                // a gender contrast (kumar/kumari)
)

// tokenSim compares two tokens. It is symmetric.
func tokenSim(a, b *token) (float64, simKind) {
	switch {
	case a.initial && b.initial:
		if a.key == b.key || a.text == b.text {
			return 1, simFull
		}
		return 0, simNone
	case a.initial || b.initial:
		ini, full := a, b
		if b.initial {
			ini, full = b, a
		}
		if firstRune(full.text) == firstRune(ini.text) || firstRune(full.key) == firstRune(ini.key) {
			return initialSim, simInitial
		}
		return 0, simNone
	}
	if a.key == b.key {
		return 1, simFull
	}
	if genderContrast(a.key, b.key) {
		return 0, simContrast
	}
	if s, ok := feminine(a.key, b.key); ok {
		if s >= tokenFloor {
			return s, simFull
		}
		return s, simNone
	}
	// Every edit costs at least ½, so a length difference alone can rule
	// out a match before the distance is computed.
	la, lb := utf8.RuneCountInString(a.key), utf8.RuneCountInString(b.key)
	if d := float64(max(la, lb) - min(la, lb)); 1-d/2/float64(max(la, lb)) < tokenFloor {
		return 0, simNone
	}
	s, full, n := keySim(a.key, b.key)
	if s >= tokenFloor && (full == 0 || full == 1 && n >= longToken) {
		return s, simFull
	}
	return s, simNone
}

// genderPairs are masculine and feminine name parts that differ by more
// than an ending, by key.
var genderPairs = map[[2]string]bool{
	{phoneticKey("singh"), phoneticKey("kaur")}: true,
	{phoneticKey("kaur"), phoneticKey("singh")}: true,
}

// genderContrast reports whether one key is the other's masculine or
// feminine counterpart: by a final i, or as a pair in genderPairs.
func genderContrast(x, y string) bool {
	if genderPairs[[2]string{x, y}] {
		return true
	}
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < 3 || len(y) != len(x)+1 && len(y) != len(x) {
		return false
	}
	if len(y) == len(x)+1 {
		return y[len(y)-1] == 'i' && y[:len(x)] == x && isConsonant(rune(x[len(x)-1]))
	}
	// Same length: stem+a against stem+i.
	n := len(x)
	if x[:n-1] != y[:n-1] {
		return false
	}
	l, r := x[n-1], y[n-1]
	return l == 'a' && r == 'i' || l == 'i' && r == 'a'
}

// feminine scores a key against the same key plus a final a.
func feminine(x, y string) (float64, bool) {
	if len(x) > len(y) {
		x, y = y, x
	}
	if len(x) < 3 || len(y) != len(x)+1 || y[len(x)] != 'a' || y[:len(x)] != x || !isConsonant(rune(x[len(x)-1])) {
		return 0, false
	}
	soft := len(x) == 3 // shiv/shiva, ram/rama, dev/deva
	for _, suf := range [...]string{"es", "nat", "an"} {
		soft = soft || len(x) > len(suf)+1 && x[len(x)-len(suf):] == suf
	}
	if soft {
		return 1 - 0.5/float64(len(y)), true
	}
	return feminineSim, true
}

// keySim returns 1 − weighted edit distance / longer length, the number of
// full-cost edits on the cheapest path (the fewest, among equally cheap
// ones) and the longer length.
func keySim(x, y string) (sim float64, full, n int) {
	var bx, by [maxKeyRunes]rune
	a, b := toRunes(bx[:0], x), toRunes(by[:0], y)
	n = max(len(a), len(b))
	if n == 0 {
		return 1, 0, 0
	}
	d := editDistance(a, b)
	halves := (d + costUnit - 1) / costUnit
	full = halves*costUnit - d
	return 1 - float64(halves)/2/float64(n), full, n
}

func toRunes(dst []rune, s string) []rune {
	for _, r := range s {
		if len(dst) == cap(dst) {
			break
		}
		dst = append(dst, r)
	}
	return dst
}

// Edit costs as integers: a half-cost edit is costUnit, a full-cost one
// 2·costUnit−1. A sum d then holds the weighted distance in halves
// (⌈d / costUnit⌉) and the number of full-cost edits (the rest, as there are
// fewer than costUnit edits), and the least d is the cheapest path with the
// most full-cost edits: a vowel deleted and another inserted in its place
// (sasmita/susmita) is read as the substitution it is.
const (
	costUnit = 2*maxKeyRunes + 1
	halfCost = costUnit
	fullCost = 2*costUnit - 1
)

// editDistance is the weighted Levenshtein distance described above, in
// the integer costs.
func editDistance(a, b []rune) int {
	var rows [2][maxKeyRunes + 1]int
	prev, cur := rows[0][:len(b)+1], rows[1][:len(b)+1]
	prev[0] = 0
	for j := 1; j <= len(b); j++ {
		prev[j] = prev[j-1] + indelCost(b, j-1)
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = prev[0] + indelCost(a, i-1)
		del := indelCost(a, i-1)
		for j := 1; j <= len(b); j++ {
			best := prev[j-1] + subCost(a[i-1], b[j-1], i == len(a) && j == len(b))
			if d := prev[j] + del; d < best {
				best = d
			}
			if d := cur[j-1] + indelCost(b, j-1); d < best {
				best = d
			}
			cur[j] = best
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// indelCost is the cost of inserting or deleting s[i].
func indelCost(s []rune, i int) int {
	if i > 0 && i < len(s)-1 && (isVowel(s[i]) || s[i] == 'y') {
		return halfCost
	}
	return fullCost
}

// subCost is the cost of substituting y for x; final when both are the
// last letters of their keys.
func subCost(x, y rune, final bool) int {
	if x == y {
		return 0
	}
	if x > y {
		x, y = y, x
	}
	switch [2]rune{x, y} {
	case [2]rune{'o', 'u'}, [2]rune{'a', 'o'}:
		return halfCost
	case [2]rune{'a', 'e'}, [2]rune{'e', 'i'}:
		if !final {
			return halfCost
		}
	}
	return fullCost
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}
