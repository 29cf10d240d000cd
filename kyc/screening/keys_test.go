package screening

import (
	"slices"
	"strings"
	"testing"
)

// shareKey reports whether a screened name a meets a listed name b under
// the blocking keys.
func shareKey(a, b string) bool {
	listed := nameKeys(words(b), true)
	for _, k := range nameKeys(words(a), false) {
		if slices.Contains(listed, k) {
			return true
		}
	}
	return false
}

func TestWords(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Mohammed  RAFEEQ", "mohammed rafeeq"},
		{"Anaïs Quellard-Moreau", "anais quellard moreau"},
		{"D'Souza, Cyril", "dsouza cyril"},
		{"R.K. Sharma", "r k sharma"},
		{"Straße Ølberg", "strasse olberg"},
		{"राजेश कुमार", "राजेश कुमार"}, // vowel signs of another script stay
		{"  ", ""},
	}
	for _, c := range cases {
		if got := strings.Join(words(c.in), " "); got != c.want {
			t.Errorf("words(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	cases := []struct{ in, want string }{
		{"mohammed", "md"}, {"muhammad", "md"}, {"mohamad", "md"},
		{"rafiq", "rfk"}, {"rafeeq", "rfk"}, {"rafik", "rfk"},
		{"chaudhary", "kdr"}, {"choudhury", "kdr"}, {"chowdhury", "kvdr"},
		{"sharma", "srm"}, {"shrama", "srm"}, {"sarma", "srm"},
		{"lakshmi", "lksm"}, {"laxmi", "lksm"},
		{"gupta", "gpt"}, {"guptha", "gpt"},
		{"imran", "amrn"}, {"emran", "amrn"},
		{"venkatesh", "vnkts"}, {"wenkatesh", "vnkts"},
		{"jaiswal", "jsvl"}, {"jayaswal", "jsvl"},
		{"kumar", "kmr"}, {"coomar", "kmr"},
	}
	for _, c := range cases {
		if got := skeleton(folded(c.in)); got != c.want {
			t.Errorf("skeleton(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBlockingKeys(t *testing.T) {
	cases := []struct {
		screened, listed string
		want             bool
	}{
		{"Mohammad Rafiq", "MOHAMMED RAFEEQ ANSARWALA", true},
		{"Abdulrahman Khalid", "Abdul Rahman", true},
		{"Abdur Rahman", "Abdulrahman", true},
		{"Cyril DSouza", "Cyril D'Souza", true},
		{"Chowdhury Anil", "Anil Choudhury", true},
		{"Bhattacharjee", "Bhattacharya", true},
		{"Zoravar Khandelkar", "ZORAWAR BALWANT KHANDELKAR", true},
		{"Rajesh Sharma", "Anita Desai", false},
		{"Mr Rajesh", "Mr Anil Desai", false}, // an honorific is not looked up
		{"Mr", "Mr Anil Desai", true},         // unless the name has nothing else
		{"R K", "Anil Desai", false},          // initials give no key
	}
	for _, c := range cases {
		if got := shareKey(c.screened, c.listed); got != c.want {
			t.Errorf("screening %q against %q shares a key: %v, want %v (keys %v / %v)",
				c.screened, c.listed, got, c.want, nameKeys(words(c.screened), false), nameKeys(words(c.listed), true))
		}
	}
}
