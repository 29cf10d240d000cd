package screening_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/nirnay/nirnay/kyc/names"
	"github.com/nirnay/nirnay/kyc/screening"
)

func listedOn(list string, rev int64, es []screening.Entry) []screening.Listed {
	out := make([]screening.Listed, len(es))
	for i, e := range es {
		out[i] = screening.Listed{List: list, Revision: rev, Entry: e}
	}
	return out
}

func TestIndexScreen(t *testing.T) {
	ix := screening.NewIndex(testMatch, threshold, listedOn("un", 3, listed))
	cases := []struct {
		name, query, dob string
		want             string // refs of the hits, best first
		matched          string // the listed name of the first hit
	}{
		{"the listed name", "Zorawar Balwant Khandelkar", "", "un/TSi.001", "ZORAWAR BALWANT KHANDELKAR"},
		{"a spelling of the alias, words reordered", "Khandelkar Zorawar", "1971-06-14", "un/TSi.001", "Zoravar Khandelkar"},
		{"a near variant", "Mohammad Rafiq Ansarwala", "", "un/TSi.002", "Muhammad Rafiq Ansarwala"},
		{"within a year of a listed year", "Mohammed Rafeeq Ansarwala", "1968-12-31", "un/TSi.002", "MOHAMMED RAFEEQ ANSARWALA"},
		{"more than a year from every listed year", "Mohammed Rafeeq Ansarwala", "1969-01-01", "", ""},
		{"inside a listed range", "Priyamvada Telangkar", "1982-07-01", "un/TSi.003", "PRIYAMVADA TELANGKAR"},
		{"years before the range", "Priyamvada Telangkar", "1975-07-01", "", ""},
		{"an unreadable date counts as unknown", "Priyamvada Telangkar", "07/1975", "un/TSi.003", "PRIYAMVADA TELANGKAR"},
		{"an entity by its alias", "Northern Crescent Traders", "", "un/TSe.001", "Northern Crescent Traders"},
		{"another person of a shared first name", "Mohammed Rafiq Qureshi", "", "", ""},
		{"another person of a shared surname", "Anita Khandelkar", "", "", ""},
		{"someone else altogether", "Asha Rao", "1990-01-01", "", ""},
		{"nothing to screen", " - ", "", "", ""},
	}
	for _, c := range cases {
		hits := ix.Screen(c.query, c.dob)
		if got := refs(hits); got != c.want {
			t.Errorf("%s: Screen(%q, %q) = %q, want %q (%+v)", c.name, c.query, c.dob, got, c.want, hits)
			continue
		}
		if len(hits) > 0 {
			h := hits[0]
			if h.Name != c.matched || h.Score < threshold || h.Score > 1 || h.Revision != 3 {
				t.Errorf("%s: hit %+v, want matched name %q, a score of %v to 1 and revision 3", c.name, h, c.matched, threshold)
			}
		}
	}
}

func TestIndexScoresOnlyTheBlockedNames(t *testing.T) {
	entries := syntheticList(rand.New(rand.NewPCG(1, 2)), 1000, "SYN")
	c := &counting{match: testMatch}
	ix := screening.NewIndex(c.Match, threshold, listedOn("un", 1, entries))
	names := 0
	for _, e := range entries {
		names += 1 + len(e.Aliases)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const screens = 2000
	for range screens {
		ix.Screen(customerName(rng), "")
	}
	perScreen := float64(c.calls.Load()) / screens
	t.Logf("%d names listed; the matcher scored %.1f of them a screen", names, perScreen)
	if perScreen > float64(names)/20 {
		t.Errorf("the matcher scored %.1f names a screen, more than a twentieth of the %d listed", perScreen, names)
	}
}

// TestBlockingKeepsTheMatchersHits screens spelling variants of listed
// names and checks that the index finds every entry that scoring every
// listed name (no blocking) finds: blocking loses no hit of this matcher.
// TestBlockingKeepsTheMatchersHits: for the tests' matcher and for the
// production one (kyc/names at its default threshold), screening through
// the index finds exactly what scoring every listed name finds.
func TestBlockingKeepsTheMatchersHits(t *testing.T) {
	t.Run("test-matcher", func(t *testing.T) { blockingKeepsHits(t, testMatch, threshold, 900) })
	t.Run("kyc-names", func(t *testing.T) {
		blockingKeepsHits(t, func(a, b string) float64 { return names.Match(a, b).Value }, names.DefaultThreshold, 500)
	})
}

func blockingKeepsHits(t *testing.T, testMatch screening.MatchFunc, threshold float64, minHits int) {
	rng := rand.New(rand.NewPCG(5, 6))
	entries := syntheticList(rng, 300, "SYN")
	ix := screening.NewIndex(testMatch, threshold, listedOn("un", 1, entries))
	everything := func(q string) string {
		var out []string
		for _, e := range entries {
			for _, n := range append([]string{e.Name}, e.Aliases...) {
				if testMatch(q, n) >= threshold {
					out = append(out, "un/"+e.Ref)
					break
				}
			}
		}
		slices.Sort(out)
		return strings.Join(out, " ")
	}
	hits, missed := 0, 0
	for i := range 1500 {
		e := entries[rng.IntN(len(entries))]
		q := variant(rng, e.Name)
		if i%3 == 0 {
			q = customerName(rng) // mostly no hit at all
		}
		want := everything(q)
		got := strings.Fields(refs(ix.Screen(q, "")))
		slices.Sort(got)
		if want != "" {
			hits++
		}
		if g := strings.Join(got, " "); g != want {
			missed++
			t.Errorf("Screen(%q) = %q; scoring every name gives %q", q, g, want)
		}
	}
	t.Logf("%d screens with a hit, %d differ from scoring every name", hits, missed)
	if hits < minHits {
		t.Errorf("only %d of the screens had a hit; the variants are too far to test blocking", hits)
	}
}

func BenchmarkIndexScreen(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	entries := syntheticList(rng, 1000, "SYN")
	c := &counting{match: testMatch}
	ix := screening.NewIndex(c.Match, threshold, listedOn("un", 1, entries))
	queries := make([]string, 1024)
	for i := range queries {
		queries[i] = customerName(rng)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ix.Screen(queries[i%len(queries)], "1984-05-06")
	}
	b.ReportMetric(float64(c.calls.Load())/float64(b.N), "scores/op")
}

// Synthetic names: Indian first names and surnames for customers; listed
// entries mix a few of those words with made-up ones, so that a customer
// meets some listed names under a blocking key and very few by score.
var (
	firstNames = strings.Fields(`Aarav Abhishek Aditi Ajay Akash Amit Anand Anil Anita Anjali Ankit Arjun Arun Asha Ashok
		Deepak Dinesh Divya Ganesh Gaurav Geeta Harish Imran Jyoti Kavita Kiran Krishna Lakshmi Mahesh Manoj Meena Mohammed
		Mohan Mukesh Nandini Naresh Neha Nikhil Pooja Pradeep Prakash Priya Rahul Rajesh Rakesh Ramesh Ravi Rekha Rohit
		Sachin Sanjay Santosh Sarita Shankar Shweta Sita Sunil Sunita Suresh Vijay Vikas Vinod Yusuf Zainab`)
	surnames = strings.Fields(`Agarwal Ahmed Bansal Banerjee Bhat Chatterjee Chaudhary Das Desai Deshmukh Dubey Gupta Iyer
		Jain Joshi Kapoor Khan Kulkarni Kumar Malhotra Mehta Menon Mishra Nair Naidu Pandey Patel Pillai Qureshi Rao Reddy
		Saxena Shah Sharma Shetty Singh Sinha Srivastava Thakur Tiwari Trivedi Varma Verma Yadav`)
	syllables = strings.Fields(`ba da fa ga ha ja ka la ma na pa ra sa ta va ya za bo do go ko lo mo no ro so to zo
		bi di ki li mi ni ri si ti zi bu du ku lu mu nu ru su tu zu`)
)

func made(rng *rand.Rand) string {
	var b strings.Builder
	for range 2 + rng.IntN(3) {
		b.WriteString(syllables[rng.IntN(len(syllables))])
	}
	return strings.ToUpper(b.String()[:1]) + b.String()[1:]
}

func customerName(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return firstNames[rng.IntN(len(firstNames))] + " " + string(rune('A'+rng.IntN(26))) + " " + surnames[rng.IntN(len(surnames))]
	}
	return firstNames[rng.IntN(len(firstNames))] + " " + surnames[rng.IntN(len(surnames))]
}

func listedName(rng *rand.Rand) string {
	ws := []string{made(rng), made(rng)}
	if rng.IntN(3) == 0 {
		ws[0] = firstNames[rng.IntN(len(firstNames))]
	}
	if rng.IntN(5) == 0 {
		ws[1] = surnames[rng.IntN(len(surnames))]
	}
	if rng.IntN(2) == 0 {
		ws = append(ws, made(rng))
	}
	return strings.Join(ws, " ")
}

func syntheticList(rng *rand.Rand, n int, prefix string) []screening.Entry {
	out := make([]screening.Entry, n)
	for i := range out {
		e := screening.Entry{Ref: fmt.Sprintf("%s.%04d", prefix, i), Kind: screening.KindIndividual, Name: listedName(rng)}
		for range rng.IntN(3) {
			e.Aliases = append(e.Aliases, variant(rng, e.Name))
		}
		if rng.IntN(3) > 0 {
			e.DOB = fmt.Sprintf("%d", 1950+rng.IntN(50))
		}
		out[i] = e
	}
	return out
}

// variant respells a name the way transliterations and typing vary: one
// change among doubling a letter, swapping a vowel, an aspirate or a
// digraph, dropping a letter, reordering the words or joining two.
func variant(rng *rand.Rand, name string) string {
	ws := strings.Fields(name)
	i := rng.IntN(len(ws))
	w := []rune(strings.ToLower(ws[i]))
	switch rng.IntN(7) {
	case 0:
		j := rng.IntN(len(w))
		w = slices.Insert(w, j, w[j])
	case 1:
		for j, r := range w {
			if strings.ContainsRune("aeiou", r) {
				w[j] = []rune("aeiou")[rng.IntN(5)]
				break
			}
		}
	case 2:
		for j, r := range w {
			if strings.ContainsRune("bdgkt", r) {
				w = slices.Insert(w, j+1, 'h')
				break
			}
		}
	case 3:
		if len(w) > 4 {
			w = slices.Delete(w, len(w)-2, len(w)-1)
		}
	case 4:
		slices.Reverse(ws)
		return strings.Join(ws, " ")
	case 5:
		if len(ws) > 1 {
			return strings.Join(ws[:len(ws)-1], " ") + strings.ToLower(ws[len(ws)-1])
		}
	case 6:
		r := strings.NewReplacer("v", "w", "w", "v", "z", "j", "q", "k", "s", "sh")
		w = []rune(r.Replace(string(w)))
	}
	ws[i] = string(w)
	return strings.Join(ws, " ")
}
