package screening

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Blocking: the index files every listed name under keys derived from its
// words, and a screened name is scored (by the injected matcher) only
// against the names that share a key with it. The keys are meant to keep
// every pair of spellings a name matcher would score high, for Indian
// names in Latin script, while leaving out most of the list:
//
//   - a phonetic key of each word ("p" + its consonant skeleton): the first
//     letter (any vowel as "a"), then the consonants with vowels, y and h
//     dropped and repeats collapsed, after folding the spellings that
//     transliteration varies: aspirates (bh, dh, gh, kh, th, jh) to their
//     plain consonant, ph to f, sh to s, ch, c and q to k, x to ks, z to j,
//     w to v.
//     Mohammed, Muhammad and Mohamad share "md"; Rafiq and Rafeeq "rfk";
//     Chaudhary and Choudhury "kdr"; Sharma and Shrama "srm";
//   - a prefix key of each word of four letters or more ("f" + its first
//     three letters, after the same folding), for a misspelt consonant
//     later in the word (Abdurrahman, Abdul);
//   - the phonetic key of each pair of adjacent words joined, so a name
//     written as one word or two (Abdul Rahman, Abdulrahman) meets.
//
// Latin letters are folded to lower case with their diacritics dropped (é
// to e), the letters of other scripts kept with their vowel signs;
// an apostrophe joins (D'Souza, DSouza), any other character that is not a
// letter separates. A word of another script keeps its letters as they are
// (its phonetic key is the word itself). Single letters (initials) give no
// key of their own. Honorifics and particles (Mr, Shri, Smt, Dr, al, bin,
// abu, ul …) are filed like any word but not looked up, unless a screened
// name has nothing else.

// stopWords are looked up only when a name has no other word.
var stopWords = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "shri": true, "sri": true, "smt": true,
	"late": true, "haji": true, "hajji": true, "al": true, "el": true, "bin": true, "ibn": true, "bint": true,
	"abu": true, "ul": true, "ud": true, "ur": true,
}

// special are letters that Unicode does not decompose into a base letter
// and a mark.
var special = map[rune]string{'ß': "ss", 'ø': "o", 'Ø': "o", 'ł': "l", 'Ł': "l", 'æ': "ae", 'Æ': "ae", 'đ': "d", 'Đ': "d", 'ı': "i", 'œ': "oe", 'Œ': "oe"}

// words folds a name into its words (see above).
func words(name string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	latin := false // the last rune kept was a Latin letter
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.IsMark(r) && latin:
		case unicode.IsMark(r) && b.Len() > 0:
			b.WriteRune(r) // a vowel sign of another script is part of its word
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`' || r == '‘':
		case special[r] != "":
			b.WriteString(special[r])
			latin = true
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
			latin = unicode.Is(unicode.Latin, r)
		default:
			flush()
			latin = false
		}
	}
	flush()
	return out
}

// folded is a lower-case ASCII word with the transliteration variants
// folded (see above), vowels and y as "a", h where it is not part of a
// digraph kept; a word with any other letter is returned as it is.
func folded(w string) string {
	b := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return w
		}
		if i+1 < len(w) && w[i+1] == 'h' {
			switch c {
			case 'p':
				c = 'f'
				i++
			case 'b', 'd', 'g', 'k', 't', 'j', 's', 'c':
				i++
			}
		}
		switch c {
		case 'x':
			b = append(b, 'k')
			c = 's'
		case 'c', 'q':
			c = 'k'
		case 'z':
			c = 'j'
		case 'w':
			c = 'v'
		case 'a', 'e', 'i', 'o', 'u', 'y':
			c = 'a'
		}
		b = append(b, c)
	}
	return string(b)
}

// skeleton is the phonetic key of a folded word: its first letter, then
// its consonants but h, repeats collapsed.
func skeleton(f string) string {
	if f == "" {
		return ""
	}
	if f[0] >= utf8.RuneSelf {
		return f
	}
	b := []byte{f[0]}
	for i := 1; i < len(f); i++ {
		c := f[i]
		if c == 'a' || c == 'h' || c == b[len(b)-1] {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// nameKeys returns the blocking keys of a name's words: every word's when
// all is set (filing a listed name), else those of the words that are not
// stop words, or every word's when there are no others (a screened name).
func nameKeys(ws []string, all bool) []string {
	keys := make([]string, 0, 3*len(ws))
	add := func(w string) {
		if utf8.RuneCountInString(w) < 2 {
			return
		}
		f := folded(w)
		keys = append(keys, "p"+skeleton(f))
		if utf8.RuneCountInString(f) >= 4 {
			keys = append(keys, "f"+firstRunes(f, 3))
		}
	}
	for _, w := range ws {
		if all || !stopWords[w] {
			add(w)
		}
	}
	if len(keys) == 0 {
		for _, w := range ws {
			add(w)
		}
	}
	for i := 0; i+1 < len(ws); i++ {
		a, b := ws[i], ws[i+1]
		if utf8.RuneCountInString(a) >= 2 && utf8.RuneCountInString(b) >= 2 {
			keys = append(keys, "p"+skeleton(folded(a+b)))
		}
	}
	return keys
}

// firstRunes is the first n runes of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
