package names

import "strings"

// The phonetic key of a token: one spelling for the ways Indian names are
// written in Latin letters. It is built from the token's folded lowercase
// text by these rules, in order:
//
//   - whole-token abbreviations are expanded (md, mohd → mohammad,
//     kr → kumar, pd → prasad, sk → shaikh);
//   - a Gujarati "bhai"/"ben" suffix on a longer token is removed
//     (rameshbhai → ramesh, hansaben → hansa);
//   - aspirates lose their h (bh dh gh jh kh th rh → b d g j k t r), ph → f,
//     sh → s, chh/ch → c, a lone c → s before e/i/y and k elsewhere, ck → k,
//     q → k (with a silent u after it: rafique), x → ks (laxmi/lakshmi),
//     z → j, Tamil zh → l (azhagiri/alagiri), and v and w → b (Bengali and
//     Odia write b for v: debi/devi, binod/vinod);
//   - long vowels are short: aa → a, ee/ii → i, oo/uu → u; au, ou and o
//     before a w that is not followed by a vowel → o (gautam/goutam/gowtham);
//   - a final y is i (ajay/ajai, reddy/reddi), a final ey is e
//     (pandey/pande), a final h after a vowel goes (fatimah, abdullah);
//   - doubled letters are single (dutta/duta, bhatt/bhat), and then a final
//     e after a consonant is silent in a key of five letters or more
//     (rafique/rafiq, kuriakose/kuriakos).
//
// Letters outside a–z pass through unchanged, so a name in another script
// keys to itself. Finally, a few family names with established alternative
// spellings share one key (surnameKeys).

// abbreviations expands whole tokens written short.
var abbreviations = map[string]string{
	"md": "mohammad", "mohd": "mohammad", "mhd": "mohammad", "mohmd": "mohammad",
	"kr": "kumar", "pd": "prasad", "prsd": "prasad",
	"sk": "shaikh", "shk": "shaikh",
}

// surnameGroups are spellings of one family name that phonetics alone does
// not join (the Bengali -jee/-opadhyay pairs, the Chaudhary family).
var surnameGroups = [][]string{
	{"chaudhary", "chaudhari", "chaudhuri", "choudhary", "choudhari", "choudhury", "chowdhury", "chowdhary", "chaudhry"},
	{"banerjee", "bandyopadhyay", "bandopadhyay", "banerji"},
	{"mukherjee", "mukhopadhyay", "mukherji"},
	{"chatterjee", "chattopadhyay", "chatterji"},
	{"ganguly", "gangopadhyay", "ganguli"},
	{"bose", "basu"},
	{"siddiqui", "siddique", "siddiqi"},
}

// surnameKeys maps the key of every spelling in surnameGroups to the key of
// the group's first spelling.
var surnameKeys = func() map[string]string {
	m := make(map[string]string)
	for _, g := range surnameGroups {
		canon := rawKey(g[0])
		for _, s := range g {
			m[rawKey(s)] = canon
		}
	}
	return m
}()

// phoneticKey returns the key of a token's text (lowercase, folded).
func phoneticKey(text string) string {
	k := rawKey(text)
	if c, ok := surnameKeys[k]; ok {
		return c
	}
	return k
}

func rawKey(text string) string {
	if full, ok := abbreviations[text]; ok {
		text = full
	}
	for _, suf := range [...]string{"bhai", "ben"} {
		if len(text) >= len(suf)+4 && strings.HasSuffix(text, suf) {
			text = text[:len(text)-len(suf)]
			break
		}
	}
	r := []rune(text)
	out := make([]rune, 0, len(r)+2)
	at := func(i int) rune {
		if i >= 0 && i < len(r) {
			return r[i]
		}
		return 0
	}
	for i := 0; i < len(r); i++ {
		c, next := r[i], at(i+1)
		switch {
		case c == 'p' && next == 'h':
			out = append(out, 'f')
			i++
		case c == 'c' && next == 'h':
			out = append(out, 'c')
			i++
			if at(i+1) == 'h' {
				i++
			}
		case c == 'c' && next == 'k':
			out = append(out, 'k')
			i++
		case c == 'c':
			if next == 'e' || next == 'i' || next == 'y' {
				out = append(out, 's')
			} else {
				out = append(out, 'k')
			}
		case c == 'z' && next == 'h':
			out = append(out, 'l')
			i++
		case strings.ContainsRune("bdgjktrs", c) && next == 'h':
			out = append(out, c)
			i++
		case c == 'q':
			out = append(out, 'k')
			if next == 'u' && isVowel(at(i+2)) {
				i++ // a silent u: siddique, quadri
			}
		case c == 'x':
			out = append(out, 'k', 's')
		case c == 'z':
			out = append(out, 'j')
		case c == 'v' || c == 'w':
			out = append(out, 'b')
		case c == 'y' && i == len(r)-1 && i > 0:
			if at(i-1) == 'e' {
				break // final ey: the e already written stands
			}
			out = append(out, 'i')
		case c == 'a' && next == 'a', c == 'u' && next == 'u':
			out = append(out, c)
			i++
		case c == 'e' && next == 'e', c == 'i' && next == 'i':
			out = append(out, 'i')
			i++
		case c == 'o' && next == 'o':
			out = append(out, 'u')
			i++
		case (c == 'a' || c == 'o') && next == 'u':
			out = append(out, 'o')
			i++
		case c == 'o' && next == 'w' && !isVowel(at(i+2)):
			out = append(out, 'o')
			i++
		case c == 'h' && i == len(r)-1 && i > 0 && isVowel(at(i-1)):
			// a final h after a vowel is not pronounced
		default:
			out = append(out, c)
		}
	}
	// Doubled letters are single.
	w := 0
	for i, c := range out {
		if i > 0 && c == out[w-1] {
			continue
		}
		out[w] = c
		w++
	}
	out = out[:w]
	if n := len(out); n > 4 && out[n-1] == 'e' && isConsonant(out[n-2]) {
		out = out[:n-1]
	}
	return string(out)
}

func isVowel(c rune) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

func isConsonant(c rune) bool { return c >= 'a' && c <= 'z' && !isVowel(c) }

// folds maps Latin letters with diacritics (as in IAST transliteration:
// ā ī ū ṛ ṣ ś ṇ ṭ ḍ ṃ ḥ) to their base letter.
var folds = func() map[rune]rune {
	m := make(map[rune]rune)
	for _, g := range [...]struct {
		base rune
		with string
	}{
		{'a', "àáâãäåāăą"}, {'c', "çćĉċč"}, {'d', "ďđḍḏ"}, {'e', "èéêëēĕėęě"},
		{'g', "ĝğġģ"}, {'h', "ĥħḥ"}, {'i', "ìíîïĩīĭįı"}, {'j', "ĵ"}, {'k', "ķ"},
		{'l', "ĺļľŀłḷḻ"}, {'m', "ṁṃ"}, {'n', "ñńņňṅṇṉ"}, {'o', "òóôõöøōŏő"},
		{'r', "ŕŗřṛṝṟ"}, {'s', "śŝşšṣ"}, {'t', "ţťŧṭṯ"}, {'u', "ùúûüũūŭůűų"},
		{'w', "ŵ"}, {'y', "ýÿŷ"}, {'z', "źżžẓ"},
	} {
		for _, r := range g.with {
			m[r] = g.base
		}
	}
	return m
}()
