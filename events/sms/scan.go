package sms

import "strings"

// Byte classes and a word search for the few places that look for a word
// outside the keyword dictionary (matcher.go).

func isAlnum(c byte) bool {
	return ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || ('A' <= c && c <= 'Z')
}

func isLetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// indexWord returns the first offset of kw in s with no alphanumeric byte
// right before or after it, or -1.
func indexWord(s, kw string) int {
	for from := 0; from <= len(s)-len(kw); {
		i := strings.Index(s[from:], kw)
		if i < 0 {
			return -1
		}
		i += from
		end := i + len(kw)
		if (i == 0 || !isAlnum(s[i-1])) && (end == len(s) || !isAlnum(s[end])) {
			return i
		}
		from = i + 1
	}
	return -1
}
