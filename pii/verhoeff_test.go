package pii

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// d5 multiplies in the dihedral group D5 from its definition (rotations
// 0–4, reflections 5–9), an oracle independent of verhoeffD.
func d5(i, j int) int {
	switch {
	case i < 5 && j < 5:
		return (i + j) % 5
	case i < 5:
		return 5 + (i+j)%5
	case j < 5:
		return 5 + (i-j+5)%5
	}
	return (i - j + 5) % 5
}

// oracleValid checks a Verhoeff check digit with d5 and the permutation
// (0 1 5 8 9 4 2 7)(3 6) applied i times to the digit i places from the
// right.
func oracleValid(s string) bool {
	step := [10]int{1, 5, 7, 6, 2, 8, 3, 0, 9, 4}
	c := 0
	for i := 0; i < len(s); i++ {
		d := int(s[len(s)-1-i] - '0')
		for range i % 8 {
			d = step[d]
		}
		c = d5(c, d)
	}
	return c == 0
}

func TestVerhoeffKnownValues(t *testing.T) {
	// 236 → 2363 is the textbook example; the 12-digit ones were worked
	// out with the oracle above, independently of the tables.
	for _, s := range []string{"2363", "234567890124", "987654321012", "500000000006", "412345678902", "733333333332"} {
		if !verhoeffValid([]byte(s)) {
			t.Errorf("verhoeffValid(%s) = false, want true", s)
		}
		if got := verhoeffCheckDigit([]byte(s[:len(s)-1])); got != s[len(s)-1] {
			t.Errorf("verhoeffCheckDigit(%s) = %c, want %c", s[:len(s)-1], got, s[len(s)-1])
		}
	}
	for _, s := range []string{"2364", "234567890123", "987654321013", "500000000000", "123456789012"} {
		if verhoeffValid([]byte(s)) {
			t.Errorf("verhoeffValid(%s) = true, want false", s)
		}
	}
}

// TestVerhoeffAgainstOracle: the tables agree with the group's definition
// on random numbers, and every single-digit change and every swap of two
// different adjacent digits of a valid number is caught.
func TestVerhoeffAgainstOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		s := strconv.FormatInt(2e11+r.Int64N(8e11), 10)
		if got, want := verhoeffValid([]byte(s)), oracleValid(s); got != want {
			t.Fatalf("verhoeffValid(%s) = %v, oracle says %v", s, got, want)
		}
		v := []byte(s[:11])
		v = append(v, verhoeffCheckDigit(v))
		if !oracleValid(string(v)) {
			t.Fatalf("check digit of %s gives %s, which the oracle refuses", s[:11], v)
		}
		for i := range v {
			for d := byte('0'); d <= '9'; d++ {
				if d == v[i] {
					continue
				}
				w := append([]byte(nil), v...)
				w[i] = d
				if verhoeffValid(w) {
					t.Fatalf("%s → %s (one digit changed) still valid", v, w)
				}
			}
			if i+1 < len(v) && v[i] != v[i+1] {
				w := append([]byte(nil), v...)
				w[i], w[i+1] = w[i+1], w[i]
				if verhoeffValid(w) {
					t.Fatalf("%s → %s (adjacent digits swapped) still valid", v, w)
				}
			}
		}
	}
}
