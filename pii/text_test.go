package pii

import (
	"testing"
)

// Numbers made for the tests: aadhaar is Verhoeff-valid, aadhaarBad is
// not; both start 2–9.
const (
	aadhaar    = "234567890124"
	aadhaar2   = "987654321012"
	aadhaarBad = "234567890123"
	pan        = "ABCDE1234F"
	mobile     = "9876543210"
)

func TestTextMasksEachKind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Aadhaar, with and without groups.
		{aadhaar, "XXXXXXXX0124"},
		{"2345 6789 0124", "XXXXXXXX0124"},
		{"2345-6789-0124", "XXXXXXXX0124"},
		{"2345 67890124", "XXXXXXXX0124"},
		{"uid:" + aadhaar2 + ".", "uid:XXXXXXXX1012."},
		{"aadhaar_" + aadhaar, "aadhaar_XXXXXXXX0124"},
		// PAN, any case.
		{pan, "XXXXXX234F"},
		{"pan abcde1234f ok", "pan XXXXXX234f ok"},
		{"(AbCdE1234F)", "(XXXXXX234F)"},
		// Mobile, with prefixes and groupings.
		{mobile, "XXXXXX3210"},
		{"+91 98765 43210", "XXXXXX3210"},
		{"+91-9876543210", "XXXXXX3210"},
		{"+919876543210", "XXXXXX3210"},
		{"919876543210", "XXXXXX3210"},
		{"09876543210", "XXXXXX3210"},
		{"987-654-3210", "XXXXXX3210"},
		{"9876 543 210", "XXXXXX3210"},
		{"6000000000", "XXXXXX0000"},
		{"call 7308080808 now", "call XXXXXX0808 now"},
		// E-mail keeps its domain.
		{"a.b+c@example.com", "XXXX@example.com"},
		{"write to Priya.Nair_1@mail.example.co.in.", "write to XXXX@mail.example.co.in."},
		{"x@y.com, z@w.org", "XXXX@y.com, XXXX@w.org"},
		{"9876543210@gmail.com", "XXXX@gmail.com"},
		// Account numbers: 11–18 digit runs.
		{"a/c 50100123456789", "a/c XXXXXXXXXX6789"},
		{"12345678901", "XXXXXXX8901"},
		{"123456789012345678", "XXXXXXXXXXXXXX5678"},
		{aadhaarBad, "XXXXXXXX0123"},
		// Free text: only the personal parts change.
		{"Dear customer, PAN " + pan + " linked to Aadhaar XXXX XXXX 0124 and mobile +91 98765 43210; mail me at ravi@example.in",
			"Dear customer, PAN XXXXXX234F linked to Aadhaar XXXX XXXX 0124 and mobile XXXXXX3210; mail me at XXXX@example.in"},
		{"Aadhaar 2345 6789 0124 verified for ABCDE1234F", "Aadhaar XXXXXXXX0124 verified for XXXXXX234F"},
		{"Rs.5000 credited to A/c XX1234 on 2026-12-04. Ref 491255112828", "Rs.5000 credited to A/c XX1234 on 2026-12-04. Ref XXXXXXXX2828"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := Text(tc.want); got != tc.want {
			t.Errorf("Text(%q) (already masked) = %q, want it unchanged", tc.want, got)
		}
	}
}

// TestTextKeeps: what looks a little like personal data but is not.
func TestTextKeeps(t *testing.T) {
	for _, s := range []string{
		"", "salaried", "100000", "150000.50", "1,50,000.00", "Rs 25,000", "C00000004", "CUST-000123",
		"dec_01kb3x9m2q8r7t6y5w4v3n2p1z", "req_01KB3X9M2Q8R7T6Y5W4V3N2P1Z", "1764131400", "1764131400.5",
		"560001", "HDFC0001234", "SBIN0001234", "2026-12-04", "2026-11-26T10:00:00Z", "04/12/2026",
		aadhaarBad[:11] + "5" + "x", // glued to a letter
		"1234567890" + aadhaar,      // 22 digits: part of a longer number
		"2345 6789 0123",            // grouped, Verhoeff-invalid
		"5876543210",                // starts 5: not a mobile
		"98765432",                  // too short
		"ABCDE12345",                // not a PAN shape
		"XABCDE1234F",               // inside a word
		"ABCDE1234FX",
		"1234567890123456789", // 19 digits
		"9876543210.55",       // an amount
		"v1.9876543210",
		"user@localhost", "a@b.c", "@example.com", "x@",
		"pan_hash", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"0x9876543210abcdef",
		"ABCDE-1234-F",
	} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
}

func TestTextOfKinds(t *testing.T) {
	in := "aadhaar " + aadhaar + " pan " + pan + " mobile " + mobile + " mail a@b.in a/c 50100123456789"
	for _, tc := range []struct {
		kinds Kind
		want  string
	}{
		{Aadhaar, "aadhaar XXXXXXXX0124 pan ABCDE1234F mobile 9876543210 mail a@b.in a/c 50100123456789"},
		{PAN, "aadhaar " + aadhaar + " pan XXXXXX234F mobile 9876543210 mail a@b.in a/c 50100123456789"},
		{Mobile, "aadhaar " + aadhaar + " pan ABCDE1234F mobile XXXXXX3210 mail a@b.in a/c 50100123456789"},
		{Email, "aadhaar " + aadhaar + " pan ABCDE1234F mobile 9876543210 mail XXXX@b.in a/c 50100123456789"},
		{Account, "aadhaar XXXXXXXX0124 pan ABCDE1234F mobile 9876543210 mail a@b.in a/c XXXXXXXXXX6789"},
	} {
		if got := TextOf(in, tc.kinds); got != tc.want {
			t.Errorf("TextOf(%q, %b) =\n %q, want\n %q", in, tc.kinds, got, tc.want)
		}
	}
}

func TestContainsAadhaar(t *testing.T) {
	for s, want := range map[string]bool{aadhaar: true, "my uid is 9876-5432-1012": true, aadhaarBad: false, "XXXXXXXX0124": false, "": false,
		"1" + aadhaar: false, aadhaar + "x": false, "2345 6789 0124 5678": true} {
		if got := ContainsAadhaar(s); got != want {
			t.Errorf("ContainsAadhaar(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestTextDoesNotAllocateWithoutPII(t *testing.T) {
	s := "salaried employee at C00000004, amount 150000.50, on 2026-12-04T10:00:00Z"
	if n := testing.AllocsPerRun(100, func() { _ = Text(s) }); n != 0 {
		t.Errorf("Text of a string without personal data allocates %v times, want 0", n)
	}
}
