package pii

// Kind is a kind of personal data found by value; kinds combine as a set.
type Kind uint8

// The kinds found by value.
const (
	Aadhaar Kind = 1 << iota // 12 digits, first 2–9, Verhoeff-valid, optionally 4-4-4 with spaces or hyphens
	PAN                      // AAAAA9999A, any case
	Mobile                   // an Indian mobile: 10 digits from 6–9, optionally +91 / 91 / 0 and grouped
	Email                    // local@domain.tld
	Account                  // a run of 11–18 digits

	All = Aadhaar | PAN | Mobile | Email | Account
)

// Text returns s with the personal data found in it by value masked and the
// rest unchanged (see the package comment for the rules). It returns s
// itself, without allocating, when there is nothing to mask.
func Text(s string) string { return maskText(s, All) }

// TextOf is Text for the given kinds only.
func TextOf(s string, kinds Kind) string { return maskText(s, kinds) }

// ContainsAadhaar reports whether s holds an Aadhaar number by value.
func ContainsAadhaar(s string) bool { return maskText(s, Aadhaar) != s }

func maskText(s string, kinds Kind) string {
	if out, ok := appendMaskedText(nil, s, kinds); ok {
		return string(out)
	}
	return s
}

// bytestring is the text the scanner reads: a string, or the bytes of one.
type bytestring interface{ ~string | ~[]byte }

// appendMaskedText appends s masked to out; ok false (out unchanged) when
// nothing in s is masked.
func appendMaskedText[T bytestring](out []byte, s T, kinds Kind) ([]byte, bool) {
	at, digits := hints(s)
	if !digits {
		kinds &= Email
	}
	if !at {
		kinds &^= Email
	}
	if kinds == 0 {
		return out, false
	}
	var mailed []byte
	if kinds&Email != 0 {
		if m, ok := appendMaskedEmails(nil, s); ok {
			mailed = m
		}
	}
	if mailed != nil {
		if m, ok := appendMaskedNumbers(out, mailed, kinds); ok {
			return m, true
		}
		return append(out, mailed...), true
	}
	return appendMaskedNumbers(out, s, kinds)
}

// appendMaskedNumbers masks every kind but e-mail.
func appendMaskedNumbers[T bytestring](out []byte, s T, kinds Kind) ([]byte, bool) {
	if kinds&^Email == 0 {
		return out, false
	}
	start, last, found := len(out), 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '+' || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		end, kind := match(s, i, kinds)
		if end < 0 {
			for c != '+' && i+1 < len(s) && isAlnum(s[i+1]) { // the rest of the word starts nothing
				i++
			}
			continue
		}
		if !found {
			found = true
			if cap(out)-start < len(s) {
				out = append(make([]byte, 0, start+len(s)+8), out...)
			}
		}
		out = append(out, s[last:i]...)
		out = appendMasked(out, s[i:end], kind)
		last = end
		i = end - 1
	}
	if !found {
		return out, false
	}
	return append(out, s[last:]...), true
}

// hints is the cheap test before the scans: whether s has an '@' (for
// e-mail) and a run of four digits (every other kind has one).
func hints[T bytestring](s T) (at, digits bool) {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if run++; run >= 4 {
				digits = true
			}
		case c == '@':
			at, run = true, 0
		default:
			run = 0
		}
	}
	return at, digits
}

// mayHoldNumber is the cheap test before the scan: every kind but e-mail
// holds a run of at least four digits.
func mayHoldNumber[T bytestring](s T) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			if run++; run == 4 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// match tries each kind at i, a word start; it returns the end of the match
// and its kind, or -1. An Aadhaar number only must not touch a letter or a
// digit; the other numbers must not be the fraction or a thousands group
// of a longer number either ("1.9876543210").
func match[T bytestring](s T, i int, kinds Kind) (int, Kind) {
	c := s[i]
	if isLetter(c) {
		if kinds&PAN != 0 {
			if e := matchPAN(s, i); e > 0 {
				return e, PAN
			}
		}
		return -1, 0
	}
	if kinds&Aadhaar != 0 && c >= '2' && c <= '9' {
		if e := matchAadhaar(s, i); e > 0 {
			return e, Aadhaar
		}
	}
	if !boundaryBefore(s, i) {
		return -1, 0
	}
	if kinds&Mobile != 0 {
		if e := matchMobile(s, i); e > 0 {
			return e, Mobile
		}
	}
	if kinds&Account != 0 && c != '+' {
		if e := matchAccount(s, i); e > 0 {
			return e, Account
		}
	}
	return -1, 0
}

// appendMasked appends the mask of m, a match of kind: PAN keeps its last
// four characters (XXXXXX234F), Aadhaar and mobile numbers their last four
// digits (XXXXXXXX1234, XXXXXX3210, whatever their prefix and grouping), an
// account number its last four digits with an X for each other digit.
func appendMasked[T bytestring](out []byte, m T, kind Kind) []byte {
	var xs int
	switch kind {
	case PAN, Mobile:
		xs = 6
	case Aadhaar:
		xs = 8
	default:
		xs = len(m) - 4
	}
	for range xs {
		out = append(out, 'X')
	}
	return appendLastDigits(out, m, kind)
}

// appendLastDigits appends the last four characters of a PAN, or the last
// four digits of a number written with separators.
func appendLastDigits[T bytestring](out []byte, m T, kind Kind) []byte {
	if kind == PAN {
		return append(out, m[len(m)-4:]...)
	}
	var tail [4]byte
	n := 0
	for j := len(m) - 1; j >= 0 && n < 4; j-- {
		if isDigit(m[j]) {
			n++
			tail[4-n] = m[j]
		}
	}
	return append(out, tail[4-n:]...)
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { c |= 0x20; return c >= 'a' && c <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// boundaryBefore reports whether something may start at i: not inside a
// word, nor right after a number's decimal point or thousands comma.
func boundaryBefore[T bytestring](s T, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i-1]
	if isAlnum(c) {
		return false
	}
	return !((c == '.' || c == ',') && i >= 2 && isDigit(s[i-2]))
}

// boundaryAfter reports whether something may end at j: not followed by a
// letter or digit, nor by a decimal point or comma and more digits.
func boundaryAfter[T bytestring](s T, j int) bool {
	if j == len(s) {
		return true
	}
	c := s[j]
	if isAlnum(c) {
		return false
	}
	return !((c == '.' || c == ',') && j+1 < len(s) && isDigit(s[j+1]))
}

// matchPAN matches five letters, four digits and a letter at i.
func matchPAN[T bytestring](s T, i int) int {
	if len(s)-i < 10 {
		return -1
	}
	for k := range 10 {
		c := s[i+k]
		if k >= 5 && k < 9 {
			if !isDigit(c) {
				return -1
			}
		} else if !isLetter(c) {
			return -1
		}
	}
	if !boundaryAfter(s, i+10) {
		return -1
	}
	return i + 10
}

// isSep is a separator allowed between the groups of a number.
func isSep(c byte) bool { return c == ' ' || c == '-' }

// matchAadhaar matches twelve digits at i in groups of four, each group
// optionally set off by one space or hyphen, first digit 2–9, whose
// Verhoeff check digit is right.
func matchAadhaar[T bytestring](s T, i int) int {
	var d [12]byte
	j, n := i, 0
	for g := range 3 {
		if g > 0 && j+1 < len(s) && isSep(s[j]) && isDigit(s[j+1]) {
			j++
		}
		for range 4 {
			if j >= len(s) || !isDigit(s[j]) {
				return -1
			}
			d[n] = s[j]
			n++
			j++
		}
	}
	if d[0] < '2' || j < len(s) && isAlnum(s[j]) || !verhoeffValid(d[:]) {
		return -1
	}
	return j
}

// mobileGroupings are the ways a mobile number's ten digits are grouped:
// 9876543210, 98765 43210, 987 654 3210, 9876 543 210 (with spaces or
// hyphens).
var mobileGroupings = [][]int{{10}, {5, 5}, {3, 3, 4}, {4, 3, 3}}

// matchMobile matches an Indian mobile number at i: +91, 91 or 0 (each
// optionally followed by a space or hyphen) or nothing, then ten digits
// starting 6–9 grouped as mobileGroupings says.
func matchMobile[T bytestring](s T, i int) int {
	switch {
	case s[i] == '+':
		if !has91(s, i+1) {
			return -1
		}
		return nationalMobile(s, skipSep(s, i+3))
	case has91(s, i):
		if e := nationalMobile(s, skipSep(s, i+2)); e > 0 {
			return e
		}
	case s[i] == '0':
		if e := nationalMobile(s, skipSep(s, i+1)); e > 0 {
			return e
		}
	}
	return nationalMobile(s, i)
}

func has91[T bytestring](s T, i int) bool { return i+1 < len(s) && s[i] == '9' && s[i+1] == '1' }

func skipSep[T bytestring](s T, j int) int {
	if j < len(s) && isSep(s[j]) {
		return j + 1
	}
	return j
}

func nationalMobile[T bytestring](s T, j int) int {
	if j >= len(s) || s[j] < '6' || s[j] > '9' {
		return -1
	}
next:
	for _, g := range mobileGroupings {
		k := j
		for n, size := range g {
			if n > 0 {
				if k >= len(s) || !isSep(s[k]) {
					continue next
				}
				k++
			}
			for range size {
				if k >= len(s) || !isDigit(s[k]) {
					continue next
				}
				k++
			}
		}
		if boundaryAfter(s, k) {
			return k
		}
	}
	return -1
}

// matchAccount matches a run of 11 to 18 digits at i.
func matchAccount[T bytestring](s T, i int) int {
	k := i
	for k < len(s) && isDigit(s[k]) {
		k++
	}
	if n := k - i; n < 11 || n > 18 || !boundaryAfter(s, k) {
		return -1
	}
	return k
}

// appendMaskedEmails appends s with the local part of every e-mail
// address replaced by XXXX, keeping the domain; ok false (out unchanged)
// when there is none to mask.
func appendMaskedEmails[T bytestring](out []byte, s T) ([]byte, bool) {
	at := indexAt(s, 0)
	if at < 0 {
		return out, false
	}
	found, last := false, 0
	for at >= 0 {
		ls := at
		for ls > last && isLocal(s[ls-1]) {
			ls--
		}
		next := at + 1
		if de := domainEnd(s, at+1); ls < at && de > 0 {
			if !isXXXX(s[ls:at]) {
				if !found {
					found = true
					out = append(make([]byte, 0, len(out)+len(s)), out...)
				}
				out = append(out, s[last:ls]...)
				out = append(out, "XXXX"...)
				last = at
			}
			next = de
		}
		at = indexAt(s, next)
	}
	if !found {
		return out, false
	}
	return append(out, s[last:]...), true
}

// indexAt is the index of the first '@' of s at or after from, or -1.
func indexAt[T bytestring](s T, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == '@' {
			return i
		}
	}
	return -1
}

func isXXXX[T bytestring](s T) bool {
	return len(s) == 4 && s[0] == 'X' && s[1] == 'X' && s[2] == 'X' && s[3] == 'X'
}

// isLocal is a character of an e-mail address's local part.
func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// domainEnd returns the end of the e-mail domain starting at j — labels of
// letters, digits and hyphens joined by dots, at least two, the last of
// two or more letters — or -1.
func domainEnd[T bytestring](s T, j int) int {
	end, labels := -1, 0
	for k := j; k < len(s); {
		start, letters := k, true
		for k < len(s) && (isAlnum(s[k]) || s[k] == '-') {
			if !isLetter(s[k]) {
				letters = false
			}
			k++
		}
		if k == start {
			break
		}
		if labels++; labels >= 2 && letters && k-start >= 2 {
			end = k
		}
		if k+1 < len(s) && s[k] == '.' && isAlnum(s[k+1]) {
			k++
			continue
		}
		break
	}
	return end
}
