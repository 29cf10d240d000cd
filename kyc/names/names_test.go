package names

import (
	"slices"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"RAJESH  KUMAR   SHARMA", "rajesh kumar sharma"},
		{"R.K.Sharma", "r k sharma"},
		{"RK Sharma", "r k sharma"},
		{"Mr. Rajesh Kumar", "rajesh kumar"},
		{"Prof. (Dr.) Suresh Chandra Mishra", "suresh chandra mishra"},
		{"Late Shri Mohan Lal", "shri mohan lal"}, // Shri is kept, optional
		{"Kumari Pooja Verma", "kumari pooja verma"},
		{"Ram Kumari", "ram kumari"},
		{"Rajesh Kumar S/O Mohan Lal", "rajesh kumar"},
		{"Rakesh Singh s / o Bhupinder Singh", "rakesh singh"},
		{"SURESH BABU S/O: RAMAIAH", "suresh babu"},
		{"Ramesh Yadav son of Shyam Yadav", "ramesh yadav"},
		{"Kavita Patil WIFE OF Suresh Patil", "kavita patil"},
		{"S/O Ramesh", "ramesh"},
		{"Mr", "mr"},   // nothing but a title: kept as written
		{"S/O", "s o"}, // nothing but a marker: kept as written
		{"Anthony D'Souza", "anthony dsouza"},
		{"Jignesh Bhai Desai", "jignesh desai"},
		{"Rahul Mehta Jr.", "rahul mehta"},
		{"Rāmānujan Śrīnivāsa", "ramanujan srinivasa"},
		{"Ramesh/Suresh", "ramesh suresh"},
		{"  123 -- !!", ""},
		{"राम कुमार", "राम कुमार"},
		{"a b c d e f g h i j k", "a b c d e f g h"}, // maxTokens
	}
	for _, tt := range tests {
		if got := Normalize(tt.in).String(); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeLimits(t *testing.T) {
	long := strings.Repeat("a", 100)
	n := Normalize(long + " sharma")
	if got := len([]rune(n.tokens[0].text)); got != maxTokenRunes {
		t.Errorf("token of 100 letters kept %d, want %d", got, maxTokenRunes)
	}
	many := strings.Repeat("x ", 40) + "sharma"
	if got := Normalize(many).String(); strings.Contains(got, "sharma") {
		t.Errorf("Normalize read past %d words: %q", maxWords, got)
	}
	if !Normalize("").IsZero() || Normalize("Rajesh").IsZero() {
		t.Error("IsZero: want true for \"\" and false for \"Rajesh\"")
	}
}

// TestPhoneticKey checks that each group of spellings shares one key and
// that the pairs kept apart do not.
func TestPhoneticKey(t *testing.T) {
	same := [][]string{
		{"lakshmi", "laxmi"},
		{"devi", "debi"},
		{"vinod", "binod", "winod"},
		{"gautam", "goutam", "gowtham", "gautham"},
		{"sourav", "saurabh", "sourabh"},
		{"deepak", "dipak"},
		{"pooja", "puja"},
		{"pandey", "pande"},
		{"ajay", "ajai"},
		{"reddy", "reddi"},
		{"bhattacharya", "bhatacharya"},
		{"philip", "filip"},
		{"qureshi", "kureshi"},
		{"rafique", "rafiq"},
		{"azhagiri", "alagiri"},
		{"rameshbhai", "ramesh"},
		{"hansaben", "hansa"},
		{"md", "mohd", "mohammad"},
		{"kr", "kumar"},
		{"chowdhury", "choudhary", "chaudhary"},
		{"mukherjee", "mukhopadhyay"},
		{"fatimah", "fatima"},
	}
	for _, g := range same {
		for _, w := range g[1:] {
			if a, b := phoneticKey(g[0]), phoneticKey(w); a != b {
				t.Errorf("key(%q) = %q, key(%q) = %q, want equal", g[0], a, w, b)
			}
		}
	}
	apart := [][2]string{{"rajesh", "rakesh"}, {"kumar", "kumari"}, {"amit", "amita"}, {"singh", "sinha"}, {"asha", "usha"}}
	for _, p := range apart {
		if a, b := phoneticKey(p[0]), phoneticKey(p[1]); a == b {
			t.Errorf("key(%q) = key(%q) = %q, want different", p[0], p[1], a)
		}
	}
}

func TestMatchRules(t *testing.T) {
	tests := []struct {
		a, b     string
		min, max float64 // the score must be in [min, max]
	}{
		{"Rajesh Kumar Sharma", "rajesh kumar sharma", 1, 1},
		{"Sharma Rajesh Kumar", "Rajesh Kumar Sharma", 1, 1},
		{"Mr. Rajesh Kumar", "Rajesh Kumar", 1, 1},
		{"Sunita Devi W/O Ramesh Chand", "Sunita Devi", 1, 1},
		{"Ramkumar Yadav", "Ram Kumar Yadav", 1, 1},
		{"Mohammed Irfan", "Muhammad Irfan", DefaultThreshold, 0.99},
		{"Md Irfan", "Mohammad Irfan", 1, 1},
		{"Rajesh Kumar Sharma", "Rajesh Sharma", DefaultThreshold, 0.99},
		{"R. K. Sharma", "Rajesh Kumar Sharma", DefaultThreshold, 0.95},
		{"K. Venkatesh", "Kandasamy Venkatesh", DefaultThreshold, 0.95},
		{"Rajesh Sharma", "Suresh Sharma", 0, 0.6},
		{"Rajesh Sharma", "Rakesh Sharma", 0, 0.6},
		{"Ram Kumar", "Ram Kumari", 0, 0.5},
		{"Harpreet Singh", "Harpreet Kaur", 0, 0.5},
		{"Amit Sharma", "Amita Sharma", 0, 0.6},
		{"Sachin Ramesh Deshmukh", "Ramesh Deshmukh", 0, 0.81},
		{"R. K.", "Rajesh Kumar", 0, noFullCap},
		{"Rajesh Kumar", "Sunita Devi", 0, 0},
		{"", "Rajesh", 0, 0},
		{"!!", "!!", 0, 0},
	}
	for _, tt := range tests {
		s := Match(tt.a, tt.b)
		if s.Value < tt.min || s.Value > tt.max {
			t.Errorf("Match(%q, %q) = %.3f (%s), want in [%.2f, %.2f]", tt.a, tt.b, s.Value, s.Reason, tt.min, tt.max)
		}
	}
}

// TestInitialBelowFull checks that an initial scores below the full token.
func TestInitialBelowFull(t *testing.T) {
	full := Match("Rajesh Sharma", "Rajesh Sharma").Value
	ini := Match("R Sharma", "Rajesh Sharma").Value
	if !(ini < full) || !(ini >= DefaultThreshold) {
		t.Errorf("got initial %.3f, full %.3f; want threshold ≤ initial < full", ini, full)
	}
}

func TestReason(t *testing.T) {
	s := Match("R. Kumar Sharma", "Rajesh Sharma Verma")
	for _, want := range []string{"r~rajesh (initial)", "sharma=sharma", "unpaired: kumar, verma"} {
		if !strings.Contains(s.Reason, want) {
			t.Errorf("Reason %q does not contain %q", s.Reason, want)
		}
	}
	if s := Match("Ram Kumar", "Ram Kumari"); !strings.Contains(s.Reason, "gender contrast kumar/kumari") {
		t.Errorf("Reason %q does not name the gender contrast", s.Reason)
	}
}

func TestMatchNamesReuse(t *testing.T) {
	entry := Normalize("Mohammad Yusuf Khan")
	for _, c := range []string{"Md Yusuf Khan", "Mohd. Yousuf Khan"} {
		if got, want := MatchNames(Normalize(c), entry), Match(c, "Mohammad Yusuf Khan"); got != want {
			t.Errorf("MatchNames(%q) = %v, Match = %v, want equal", c, got, want)
		}
	}
	if got, want := entry.Keys(), []string{"mohamad", "yusuf", "kan"}; !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
}
