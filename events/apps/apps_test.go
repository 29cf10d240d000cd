package apps

import (
	"strings"
	"testing"
)

func TestDefaultMapping(t *testing.T) {
	m, err := ParseMapping(defaultMappingYAML)
	if err != nil {
		t.Fatalf("embedded mapping.yaml: %v", err)
	}
	if m.Len() < 150 {
		t.Errorf("mapping lists %d packages, want at least 150", m.Len())
	}
	per := map[Category]int{}
	for _, c := range m.exact {
		per[c]++
	}
	for _, c := range Categories() {
		if c != Other && per[c] == 0 {
			t.Errorf("mapping lists no %s packages", c)
		}
	}
}

func TestCategorise(t *testing.T) {
	cases := []struct {
		pkg  string
		want Category
	}{
		// exact entries
		{"com.phonepe.app", Finance},
		{"net.one97.paytm", Finance},
		{"com.kreditbee.android", Lending},
		{"com.whizdm.moneyview.loans", Lending},
		{"com.app.dream11Pro", Betting}, // case ignored
		{"com.king.candycrushsaga", Gaming},
		{"com.tinder", Dating},
		{"com.whatsapp", Social},
		{"com.flipkart.android", Shopping},
		{"com.truecaller", Utilities},
		{"  com.instagram.android  ", Social},
		// prefixes: a dotted segment boundary is required
		{"com.kreditbee.lite", Lending},
		{"com.games24x7.pokerstars", Betting},
		{"com.supercell.brawlstars", Gaming},
		{"com.sbi.newapp", Finance},
		{"com.sbicardx.mobile", Other}, // not under com.sbi
		// keyword fallbacks
		{"in.quickrupee.loanapp", Lending},
		{"com.example.instacash", Lending},
		{"com.acme.rummyking", Betting},
		{"com.acme.bet", Betting},
		{"com.alphabet.tools", Other}, // "bet" only as a whole token
		{"com.acme.teenpatti.gold", Betting},
		{"com.acme.datingapp", Dating},
		{"com.acme.puzzlegame", Gaming},
		{"com.acme.mybank", Finance},
		{"com.acme.pdf_scanner", Utilities},
		{"com.acme.notes", Other},
		{"", Other},
	}
	for _, c := range cases {
		if got := Categorise(c.pkg); got != c.want {
			t.Errorf("Categorise(%q) = %s, want %s", c.pkg, got, c.want)
		}
	}
}

func TestSummarise(t *testing.T) {
	got := Summarise([]string{
		"com.phonepe.app", "com.phonepe.app", "COM.PHONEPE.APP", // one app
		"com.kreditbee.android", "com.naviapp", "in.fastcash.loan",
		"com.mpl.androidapp", "com.tinder", "com.whatsapp", "", "com.acme.notes",
	})
	want := Counts{Total: 8, Finance: 1, Lending: 3, Betting: 1, Dating: 1, Social: 1, Other: 1}
	if got != want {
		t.Errorf("Summarise = %+v, want %+v", got, want)
	}
	if got.Of(Lending) != 3 || got.Of(Other) != 1 {
		t.Errorf("Of(lending), Of(other) = %d, %d; want 3, 1", got.Of(Lending), got.Of(Other))
	}
}

func TestParseMappingErrors(t *testing.T) {
	cases := map[string]string{
		"unknown key":       "packages: {}\nextra: 1\n",
		"unknown category":  "packages:\n  crypto: [a.b]\n",
		"duplicate package": "packages:\n  finance: [a.b]\n  lending: [A.B]\n",
		"duplicate prefix":  "prefixes:\n  finance: [a]\n  social: [a]\n",
		"empty keyword":     "keywords:\n  - category: finance\n",
		"bad keyword cat":   "keywords:\n  - {category: crypto, tokens: [x]}\n",
	}
	for name, yml := range cases {
		if _, err := ParseMapping([]byte(yml)); err == nil {
			t.Errorf("%s: ParseMapping(%q) succeeded, want an error", name, yml)
		}
	}
	m, err := ParseMapping([]byte("packages:\n  finance: [a.b]\nprefixes:\n  lending: [a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Categorise("a.b"); got != Finance {
		t.Errorf("exact entry: got %s, want finance (exact beats prefix)", got)
	}
	if got := m.Categorise("a.c"); got != Lending {
		t.Errorf("prefix: got %s, want lending", got)
	}
}

func BenchmarkSummarise(b *testing.B) {
	var pkgs []string
	for p := range Default().exact {
		pkgs = append(pkgs, p, strings.ToUpper(p)+".x.unknown")
	}
	b.ReportAllocs()
	for b.Loop() {
		Summarise(pkgs)
	}
	b.ReportMetric(float64(len(pkgs))*float64(b.N)/b.Elapsed().Seconds(), "pkgs/s")
}
