package screening_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/kyc/screening"
)

func TestParseUNSample(t *testing.T) {
	f, err := os.Open("testdata/un_sample.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := screening.ParseUN(f)
	if err != nil {
		t.Fatalf("ParseUN: %v", err)
	}
	want := []screening.Entry{
		{Ref: "TSi.001", Kind: screening.KindIndividual, Name: "ZORAWAR BALWANT KHANDELKAR",
			Aliases: []string{"Zoravar Khandelkar", "Balwant Khandel"}, DOB: "1971-06-14",
			Note: "UN Testland; listed 2019-04-11; nationality Testland"},
		{Ref: "TSi.002", Kind: screening.KindIndividual, Name: "MOHAMMED RAFEEQ ANSARWALA",
			Aliases: []string{"Muhammad Rafiq Ansarwala"}, DOB: "1965; 1967",
			Note: "UN Testland; listed 2020-09-30; nationality Testland, Otherland"},
		{Ref: "TSi.003", Kind: screening.KindIndividual, Name: "PRIYAMVADA TELANGKAR", Aliases: []string{}, DOB: "1980/1983",
			Note: "UN Testland; listed 2022-01-05"},
		// One of its dates of birth cannot be read: it matches on its name alone.
		{Ref: "TSi.004", Kind: screening.KindIndividual, Name: "Anaïs Quellard-Moreau", Aliases: []string{},
			Note: "UN Otherland; listed 2023-07-19"},
		{Ref: "TSe.001", Kind: screening.KindEntity, Name: "NORTHERN CRESCENT TRADING COMPANY",
			Aliases: []string{"Northern Crescent Traders", "NCTC"}, Note: "UN Testland; listed 2018-03-02"},
		{Ref: "dataid:9900102", Kind: screening.KindEntity, Name: "SUNRISE RELIEF FOUNDATION", Aliases: []string{},
			Note: "UN Testland; listed 2018-03-02"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseUNErrors(t *testing.T) {
	const head = `<?xml version="1.0" encoding="UTF-8"?>` + "\n<CONSOLIDATED_LIST>\n<INDIVIDUALS>\n"
	const tail = "</INDIVIDUALS>\n</CONSOLIDATED_LIST>\n"
	person := func(ref, first string) string {
		return "<INDIVIDUAL><REFERENCE_NUMBER>" + ref + "</REFERENCE_NUMBER><FIRST_NAME>" + first + "</FIRST_NAME></INDIVIDUAL>\n"
	}
	cases := []struct {
		name, doc string
		kind      nirnay.Kind
		field     string // the error's Field
		msg       string // part of its message
	}{
		{"not XML", "ref,name\n", nirnay.KindInvalid, "line 2 (byte 9)", "ends before"},
		{"another document", `<sdnList><sdnEntry/></sdnList>`, nirnay.KindInvalid, "line 1, column 10", "not the UN consolidated list"},
		{"unclosed element", head + "<INDIVIDUAL><FIRST_NAME>A</INDIVIDUAL>", nirnay.KindInvalid, "line 4 (byte 111)", "closed by </INDIVIDUAL>"},
		{"truncated", head + person("TSi.1", "ASHA"), nirnay.KindInvalid, "line 5 (byte 170)", "unexpected EOF"},
		{"no records", head + tail, nirnay.KindInvalid, "body", "no INDIVIDUAL or ENTITY"},
		{"no name", head + person("TSi.1", " ") + tail, nirnay.KindInvalid, "line 4", "no name"},
		{"no reference", head + "<INDIVIDUAL><FIRST_NAME>A</FIRST_NAME></INDIVIDUAL>" + tail, nirnay.KindInvalid, "line 4", "neither a REFERENCE_NUMBER nor a DATAID"},
		{"reference twice", head + person("TSi.1", "ASHA") + person("TSi.1", "USHA") + tail, nirnay.KindInvalid, "line 5", "also the reference of the entry at line 4"},
		{"nested too deep", head + "<INDIVIDUAL>" + strings.Repeat("<X>", 40) + strings.Repeat("</X>", 40) + "</INDIVIDUAL>" + tail,
			nirnay.KindInvalid, "line 4, column 103", "nested more than 32 deep"},
		{"text too long", head + person("TSi.1", strings.Repeat("A", 70<<10)) + tail, nirnay.KindInvalid, "line 4, column 71747", "more than 65536 bytes of text"},
		{"too many aliases", head + "<INDIVIDUAL><REFERENCE_NUMBER>TSi.1</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME>" +
			strings.Repeat("<INDIVIDUAL_ALIAS><ALIAS_NAME>B C</ALIAS_NAME></INDIVIDUAL_ALIAS>", 201) + "</INDIVIDUAL>" + tail,
			nirnay.KindInvalid, "line 4, column 13099", "more than 200 aliases"},
		{"name too long", head + person("TSi.1", strings.Repeat("A", 600)) + tail, nirnay.KindInvalid, "line 4 (TSi.1).name", "at most 512"},
		{"a second root", head + person("TSi.1", "ASHA") + tail + "<CONSOLIDATED_LIST/>", nirnay.KindInvalid, "line 7, column 21", "a second element"},
		{"undeclared entity", head + person("TSi.1", "A&nbsp;B") + tail, nirnay.KindInvalid, "line 4 (byte 146)", "invalid character entity &nbsp;"},
	}
	for _, c := range cases {
		_, err := screening.ParseUN(strings.NewReader(c.doc))
		var ne *nirnay.Error
		switch {
		case !errors.As(err, &ne):
			t.Errorf("%s: got %v, want a *nirnay.Error", c.name, err)
		case ne.Kind != c.kind || ne.Field != c.field || !strings.Contains(ne.Message, c.msg):
			t.Errorf("%s: got %s %q %q, want %s %q containing %q", c.name, ne.Kind, ne.Field, ne.Message, c.kind, c.field, c.msg)
		}
	}
}

func TestParseLocal(t *testing.T) {
	f, err := os.Open("testdata/local_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := screening.ParseLocal(f)
	if err != nil {
		t.Fatalf("ParseLocal: %v", err)
	}
	want := []screening.Entry{
		{Ref: "L-001", Kind: screening.KindIndividual, Name: "Harvinder Pal Jhunjhunwala",
			Aliases: []string{"H P Jhunjhunwala", "Harvinder Jhunjunwala"}, DOB: "1979-02-28", Note: "Fraud ring (fictitious)"},
		{Ref: "L-002", Kind: screening.KindIndividual, Name: "Sunaina Kapadiwala", Aliases: []string{}, DOB: "1990"},
		{Ref: "L-003", Kind: screening.KindIndividual, Name: "Rehmat Ali Bakshiwala", Aliases: []string{"Rahmat Ali", "Rehmat Bakshi"},
			DOB: "1958/1960", Note: "Note with, a comma"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseLocalErrors(t *testing.T) {
	cases := []struct{ name, doc, field, msg string }{
		{"bad date", "ref,name,aliases,dob\nL1,Asha Rao,,14/06/1971\n", "line 2, column 4 (dob)", "is not a date"},
		{"no name", "L1\nL2,Asha\n", "line 1, column 2 (name)", "is empty"},
		{"empty ref", "L1,Asha\n,Usha\n", "line 2, column 1 (ref)", "is empty"},
		{"ref twice", "L1,Asha\nL1,Usha\n", "line 2, column 1 (ref)", "also the ref at line 1"},
		{"too many fields", "L1,Asha,,,,extra\n", "line 1", "6 fields; at most 5"},
		{"long alias", "L1,Asha," + strings.Repeat("b", 600) + "\n", "line 1, column 3 (aliases)", "at most 512"},
		{"control character", "L1,\"As\x01ha\"\n", "line 1, column 2 (name)", "without control characters"},
		{"bare quote", "L1,As\"ha\n", "line 1, column 6", "malformed CSV"},
		{"nothing", "ref,name\n\n", "body", "no entries"},
	}
	for _, c := range cases {
		_, err := screening.ParseLocal(strings.NewReader(c.doc))
		var ne *nirnay.Error
		switch {
		case !errors.As(err, &ne):
			t.Errorf("%s: got %v, want a *nirnay.Error", c.name, err)
		case ne.Kind != nirnay.KindInvalid || ne.Field != c.field || !strings.Contains(ne.Message, c.msg):
			t.Errorf("%s: got %s %q %q, want invalid %q containing %q", c.name, ne.Kind, ne.Field, ne.Message, c.field, c.msg)
		}
	}
}

// checkParsed holds for whatever a parser accepts: entries with a ref and
// a name, refs unique, and each entry already in canonical form (Import
// stores it unchanged).
func checkParsed(t *testing.T, entries []screening.Entry, err error) {
	t.Helper()
	if err != nil {
		if k := nirnay.KindOf(err); k != nirnay.KindInvalid && k != nirnay.KindTooLarge {
			t.Fatalf("error of kind %s: %v", k, err)
		}
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.Ref == "" || e.Name == "" || seen[e.Ref] {
			t.Fatalf("entry %+v: empty or repeated ref, or no name", e)
		}
		seen[e.Ref] = true
		if _, err := screening.ParseDOB(e.DOB); err != nil {
			t.Fatalf("entry %+v: date of birth: %v", e, err)
		}
	}
}

func FuzzParseUN(f *testing.F) {
	sample, err := os.ReadFile("testdata/un_sample.xml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte(`<CONSOLIDATED_LIST><ENTITIES><ENTITY><DATAID>1</DATAID><FIRST_NAME>X Y</FIRST_NAME></ENTITY></ENTITIES></CONSOLIDATED_LIST>`))
	f.Add([]byte(`<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><REFERENCE_NUMBER>a</REFERENCE_NUMBER><FIRST_NAME>A</FIRST_NAME>` +
		`<INDIVIDUAL_DATE_OF_BIRTH><FROM_YEAR>1990</FROM_YEAR><TO_YEAR>1980</TO_YEAR></INDIVIDUAL_DATE_OF_BIRTH></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		entries, err := screening.ParseUN(bytes.NewReader(doc))
		checkParsed(t, entries, err)
	})
}

func FuzzParseLocal(f *testing.F) {
	sample, err := os.ReadFile("testdata/local_sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("\xef\xbb\xbfL1,\"A\nB\",x;;y,1990/1991,n\n"))
	f.Fuzz(func(t *testing.T, doc []byte) {
		entries, err := screening.ParseLocal(bytes.NewReader(doc))
		checkParsed(t, entries, err)
	})
}
