package names

import (
	"math"
	"testing"
	"unicode"
)

// FuzzMatch checks the contract of Match on any pair of strings: no panic,
// a score in [0, 1], symmetry, and 1 for a string against itself when it has
// a letter.
func FuzzMatch(f *testing.F) {
	seeds := [][2]string{
		{"Rajesh Kumar Sharma", "R. K. Sharma"},
		{"Ram Kumar", "Ram Kumari"},
		{"Sunita Devi W/O Ramesh Chand", "S/O"},
		{"Mr", "Mrs. Dr."},
		{"Ramkumar Yadav", "Ram Kumar Yadav"},
		{"Nizam-ud-din", "Nizamuddin"},
		{"a b c d e f g h i j", "j i h g f e d c b a"},
		{"राम कुमार", "Ram Kumar"},
		{"Ṛṣi Śarmā", "\u0301\u0301a"},
		{"s / o / d / o", "//\\\\"},
		{"", "x"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := Match(a, b), Match(b, a)
		if ab.Value < 0 || ab.Value > 1 || math.IsNaN(ab.Value) {
			t.Fatalf("Match(%q, %q) = %v, want in [0, 1]", a, b, ab.Value)
		}
		if math.Abs(ab.Value-ba.Value) > 1e-9 {
			t.Fatalf("Match(%q, %q) = %v, Match(%q, %q) = %v, want equal", a, b, ab.Value, b, a, ba.Value)
		}
		for _, s := range [...]string{a, b} {
			if hasLetter(s) {
				if got := Match(s, s).Value; got != 1 {
					t.Fatalf("Match(%q, itself) = %v, want 1", s, got)
				}
			}
		}
	})
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
