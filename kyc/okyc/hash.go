package okyc

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// contactHash is UIDAI's hash of a mobile number or e-mail address in the
// offline XML: SHA-256 of value followed by the share code, then SHA-256
// of the previous hash's lowercase hex, lastDigit times in all (once when
// lastDigit is 0 or 1); the result in lowercase hex. lastDigit is the last
// digit of the Aadhaar number, the fourth character of the referenceId.
func contactHash(value, shareCode string, lastDigit int) string {
	sum := sha256.Sum256([]byte(value + shareCode))
	h := hex.EncodeToString(sum[:])
	for i := 1; i < lastDigit; i++ {
		sum = sha256.Sum256([]byte(h))
		h = hex.EncodeToString(sum[:])
	}
	return h
}

// normalizeMobile returns the ten digits of an Indian mobile number written
// with spaces or hyphens and optionally after +91, 91 or 0, as UIDAI hashes
// it; anything else is returned trimmed, to be compared as it is.
func normalizeMobile(s string) string {
	s = strings.TrimSpace(s)
	var digits []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '+' && i == 0:
		default:
			return s
		}
	}
	switch {
	case len(digits) == 12 && digits[0] == '9' && digits[1] == '1':
		digits = digits[2:]
	case len(digits) == 11 && digits[0] == '0':
		digits = digits[1:]
	}
	return string(digits)
}

// matchesHash reports whether value hashes (contactHash) to want, compared
// without regard to the case of want's hex digits. An empty want (the
// resident registered no such contact) matches nothing.
func matchesHash(value, shareCode string, lastDigit int, want string) bool {
	want = strings.TrimSpace(want)
	return want != "" && strings.EqualFold(contactHash(value, shareCode, lastDigit), want)
}
