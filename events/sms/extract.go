package sms

import (
	"strings"

	"github.com/nirnay/nirnay/money"
)

// maxRupees matches money.ParseRupees's bound: larger numbers are not amounts.
const maxRupees = 1_000_000_000_000

// numberAt parses a rupee amount whose first digit is s[i]: digits with
// optional grouping commas ("1,23,456") and one or two decimals. It returns
// the amount, the offset after it and whether it is one. Three or more
// decimals ("1.234") make it no amount.
func numberAt(s string, i int) (money.Paise, int, bool) {
	var rupees int64
	j := i
	for j < len(s) {
		c := s[j]
		if isDigit(c) {
			rupees = rupees*10 + int64(c-'0')
			if rupees > maxRupees {
				return 0, j, false
			}
			j++
			continue
		}
		if c == ',' && j > i && j+1 < len(s) && isDigit(s[j+1]) {
			j++
			continue
		}
		break
	}
	if j == i {
		return 0, j, false
	}
	p := rupees * 100
	if j+1 < len(s) && s[j] == '.' && isDigit(s[j+1]) {
		k, n := j+1, 0
		var frac int64
		for k < len(s) && isDigit(s[k]) {
			if n < 2 {
				frac = frac*10 + int64(s[k]-'0')
			}
			n++
			k++
		}
		if n > 2 {
			return 0, k, false
		}
		if n == 1 {
			frac *= 10
		}
		p += frac
		j = k
	}
	return money.Paise(p), j, true
}

// currencyAt reports whether a currency marker ("rs", "inr", "₹") starts at
// s[i] and, if so, the offset of the first digit after it and the separators
// senders put there ("Rs.", "Rs:", "INR ", "Rs. :").
func currencyAt(s string, i int) (int, bool) {
	if i > 0 && isLetter(s[i-1]) {
		return 0, false
	}
	var j int
	switch {
	case strings.HasPrefix(s[i:], "rs"):
		j = i + 2
	case strings.HasPrefix(s[i:], "inr"):
		j = i + 3
	case strings.HasPrefix(s[i:], "₹"):
		j = i + len("₹")
	default:
		return 0, false
	}
	for n := 0; j < len(s) && n < 4; n++ {
		switch s[j] {
		case ' ', '.', ':':
			j++
			continue
		}
		break
	}
	if j < len(s) && isDigit(s[j]) {
		return j, true
	}
	return 0, false
}

// nextAmount finds the first currency-marked amount whose marker starts in
// s[from:limit].
func nextAmount(s string, from, limit int) (start, end int, p money.Paise, ok bool) {
	for i := from; i < limit; i++ {
		c := s[i]
		if c != 'r' && c != 'i' && c != 0xE2 {
			continue
		}
		d, found := currencyAt(s, i)
		if !found {
			continue
		}
		if p, e, ok := numberAt(s, d); ok {
			return i, e, p, true
		}
	}
	return 0, 0, 0, false
}

var (
	balanceContext = prefixes("bal", "avl", "avlbl", "avail", "available", "limit", "lmt", "outstanding")
	bareVerbs      = words("debited by", "credited by", "debited for", "credited for", "debited with", "credited with", "withdrawn")
	balanceWord    = prefixes("bal")
)

// amount returns the transaction amount: the first currency-marked amount
// that is not a balance or a limit, else a bare number right after a verb
// ("debited by 500.0").
func (t text) amount() (money.Paise, bool) {
	s := t.low
	for i := 0; ; {
		start, end, p, ok := nextAmount(s, i, len(s))
		if !ok {
			break
		}
		if !t.h.anyBefore(balanceContext, start, 16) {
			return p, true
		}
		i = end
	}
	for _, id := range bareVerbs {
		if t.h.n[id] == 0 {
			continue
		}
		j := int(t.h.pos[id][0]) + len(dict.kws[id].text)
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			if p, _, ok := numberAt(s, j); ok {
				return p, true
			}
		}
	}
	return 0, false
}

var sufficientWords = words("sufficient", "insufficient", "zero", "minimum")

// balance returns the first stated balance: an amount within a few words
// after "bal"/"balance" ("Avl Bal: INR 1,234.50", "Total Bal:Rs.10.00CR",
// "balance in your Acct XX12 is Rs 500"), skipping "sufficient balance".
func (t text) balance() (money.Paise, bool) {
	s := t.low
	for _, p := range t.h.occ(balanceWord[0]) {
		i := int(p)
		end := i + 3
		if strings.HasPrefix(s[end:], "ance") {
			end += 4
		}
		if end < len(s) && isLetter(s[end]) {
			continue // "bali", "balances" and the like
		}
		if t.h.anyBefore(sufficientWords, i, 14) {
			continue
		}
		j := end
		for n := 0; j < len(s) && n < 4 && (s[j] == ' ' || s[j] == ':' || s[j] == '.' || s[j] == '-' || s[j] == '='); n++ {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			if p, _, ok := numberAt(s, j); ok {
				return p, true
			}
		}
		if _, _, p, ok := nextAmount(s, end, min(len(s), end+48)); ok {
			return p, true
		}
	}
	return 0, false
}
