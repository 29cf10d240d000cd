package sms

import "strings"

var (
	// accountAnchors introduce an account, card or loan number. "a/c" is a
	// prefix match so that "A/cX1234" is found.
	accountAnchors = append(prefixes("a/c"), words("acct", "account", "ac", "card", "loan")...)
	// anchorFillers may stand between an anchor and the number.
	anchorFillers = []string{"no", "number", "num", "ending", "ending with", "ending in", "with", "in", "is", "a/c", "acct", "account", "ac"}
)

const bullet = "•"

// accountSuffix returns the digits that end the first masked account, card
// or loan number: first after an anchor word ("A/c XX1234", "Card ending
// 4321", "Loan A/c 4XXXXX5678"), else the first mask run followed by digits
// anywhere ("XXXXXX9012"). Unmasked numbers count only after an anchor and
// only when 3 to 6 digits long, so references and phone numbers never do.
//
// It returns the span of the digits in the body (offsets, not a string, so
// that nothing derived from the lowered copy escapes).
func (t text) accountSuffix() (int, int, bool) {
	s := t.low
	best, bs, be := len(s)+1, 0, 0
	for _, id := range accountAnchors {
		for _, p := range t.h.occ(id) {
			i := int(p)
			if i >= best {
				break
			}
			if ds, de, ok := tokenAfter(s, i+len(dict.kws[id].text)); ok {
				best, bs, be = i, ds, de
				break
			}
		}
	}
	if best <= len(s) {
		return bs, be, true
	}
	return firstMaskedRun(s)
}

// tokenAfter skips separators and filler words after an anchor ending at j
// and reads the number token there, returning the span of its final digits.
func tokenAfter(s string, j int) (int, int, bool) {
	for steps := 0; steps < 6 && j < len(s); steps++ {
		for j < len(s) && (s[j] == ' ' || s[j] == '.' || s[j] == ':' || s[j] == '#' || s[j] == '-' || s[j] == '(') {
			if s[j] == '.' && j+1 < len(s) && s[j+1] == '.' {
				break // "...1234" is a mask, not a separator
			}
			j++
		}
		advanced := false
		for _, f := range anchorFillers {
			if strings.HasPrefix(s[j:], f) && (j+len(f) == len(s) || !isLetter(s[j+len(f)]) || s[j+len(f)] == 'x' && f == "a/c") {
				j += len(f)
				advanced = true
				break
			}
		}
		if !advanced {
			break
		}
	}
	return readToken(s, j)
}

// readToken reads a run of digits and mask characters (x, *, ., •) starting
// at j and returns the span of its trailing digits when the token is a
// masked number ending in 3–6 digits, or a bare number of 3–6 digits.
func readToken(s string, j int) (int, int, bool) {
	k, masks := j, 0
	for k < len(s) {
		c := s[k]
		switch {
		case isDigit(c):
			k++
		case c == 'x' || c == '*' || c == '.':
			masks++
			k++
		case strings.HasPrefix(s[k:], bullet):
			masks++
			k += len(bullet)
		default:
			goto done
		}
	}
done:
	for k > j && s[k-1] == '.' { // a sentence's full stop
		k--
		masks--
	}
	if k < len(s) && isLetter(s[k]) {
		return 0, 0, false // part of a word ("xmas", "x1234abc")
	}
	de := k
	ds := de
	for ds > j && isDigit(s[ds-1]) {
		ds--
	}
	n := de - ds
	if n < 3 || n > 6 {
		return 0, 0, false
	}
	if masks == 0 && ds != j {
		return 0, 0, false
	}
	return ds, de, true
}

// firstMaskedRun finds the first "xx1234"/"**1234" (two or more mask
// characters then digits) that starts a word.
func firstMaskedRun(s string) (int, int, bool) {
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if c != 'x' && c != '*' {
			continue
		}
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		m := i
		for m < len(s) && (s[m] == 'x' || s[m] == '*') {
			m++
		}
		if m-i < 2 {
			continue
		}
		if ds, de, ok := readToken(s, i); ok && ds == m {
			return ds, de, true
		}
		i = m
	}
	return 0, 0, false
}
