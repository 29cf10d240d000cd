package sms

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

func loadCorpus(tb testing.TB) []corpusLine {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var lines []corpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l corpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("%s line %d: %v", corpusPath, n, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return lines
}

func strOrNull(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// got renders a Result as the corpus's expect fields.
func gotExpect(r Result) corpusExpect {
	e := corpusExpect{Kind: r.Kind.String()}
	if r.HasAmount {
		s := r.Amount.String()
		e.Amount = &s
	}
	if r.Institution != "" {
		s := r.Institution
		e.Institution = &s
	}
	if r.AccountSuffix != "" {
		s := r.AccountSuffix
		e.AccountSuffix = &s
	}
	if r.HasBalance {
		s := r.Balance.String()
		e.Balance = &s
	}
	return e
}

// diff lists the fields of got that differ from want.
func diff(got, want corpusExpect) []string {
	var d []string
	check := func(name, g, w string) {
		if g != w {
			d = append(d, fmt.Sprintf("%s: got %s, want %s", name, g, w))
		}
	}
	check("kind", got.Kind, want.Kind)
	check("amount", strOrNull(got.Amount), strOrNull(want.Amount))
	check("institution", strOrNull(got.Institution), strOrNull(want.Institution))
	check("account_suffix", strOrNull(got.AccountSuffix), strOrNull(want.AccountSuffix))
	check("balance", strOrNull(got.Balance), strOrNull(want.Balance))
	return d
}

// TestCorpusAccuracy parses the labelled corpus and reports accuracy per
// expected kind. A message counts as correct only when kind, amount,
// institution, account suffix and balance all match. It fails when overall
// accuracy is below 98% or any kind's is below 95%, and lists every misparse.
func TestCorpusAccuracy(t *testing.T) {
	lines := loadCorpus(t)
	if len(lines) < 320 {
		t.Errorf("corpus has %d messages, want at least 320", len(lines))
	}
	institutions := map[string]bool{}
	count := map[string]int{}
	correct := map[string]int{}
	total, ok := 0, 0
	for n, l := range lines {
		if l.Expect.Institution != nil {
			institutions[*l.Expect.Institution] = true
		}
		got := gotExpect(Parse(l.Sender, l.Body))
		count[l.Expect.Kind]++
		total++
		if d := diff(got, l.Expect); len(d) > 0 {
			t.Logf("misparse line %d (%s): %s\n    body: %q", n+1, l.Sender, strings.Join(d, "; "), l.Body)
			continue
		}
		correct[l.Expect.Kind]++
		ok++
	}
	if len(institutions) < 18 {
		t.Errorf("corpus covers %d institutions, want at least 18", len(institutions))
	}
	t.Logf("%-15s %6s %8s %9s", "kind", "count", "correct", "accuracy")
	for _, k := range Kinds() {
		name := k.String()
		c := count[name]
		if c == 0 {
			t.Errorf("corpus has no %s messages", name)
			continue
		}
		acc := float64(correct[name]) / float64(c)
		t.Logf("%-15s %6d %8d %8.1f%%", name, c, correct[name], 100*acc)
		if acc < 0.95 {
			t.Errorf("%s accuracy %.1f%% (%d/%d), want ≥ 95%%", name, 100*acc, correct[name], c)
		}
	}
	overall := float64(ok) / float64(total)
	t.Logf("%-15s %6d %8d %8.1f%%  (%d institutions)", "overall", total, ok, 100*overall, len(institutions))
	if overall < 0.98 {
		t.Errorf("overall accuracy %.1f%% (%d/%d), want ≥ 98%%", 100*overall, ok, total)
	}
}
