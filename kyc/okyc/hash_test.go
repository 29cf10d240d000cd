package okyc

import (
	"strconv"
	"testing"
)

// The vectors were computed apart from this package (Python's hashlib:
// sha256 of mobile+code, then of the hex digest, N times in all).
func TestContactHashVectors(t *testing.T) {
	want := []string{
		"3bcd824a9510df5cc53d6812079d5e071d894b75d67ecbd97993be7656665332", // 0: once
		"3bcd824a9510df5cc53d6812079d5e071d894b75d67ecbd97993be7656665332", // 1: once
		"3d9ade865d34458cfdd96037f698a95c5cf6e57997ceece24019f1155045fedf",
		"b55ce3234f9af130060ae9642b72c17892364266befdfcc72851af2e9526f3cb",
		"18f10c4f4890801e7f9516b7c014aa850c8be275244a575f4f95d49c57709038",
		"e379da8479e85d00866ac8164d3f543c46da150bbf358fcd4f1da053bcec741c",
		"8808f43c749879cdf6f8c8fa60126f1f4e4b8fae8a0fd05b732fce84d0d2b1f6",
		"6e80158551a6fee0dba768127ff2419434a8065ab628271136591e1c9d8038b0",
		"5e321acc3b5f0ec8a0e6e3724392ebedf88d2539499bb84ece15d6357d82ba62",
		"6ab8d39a584ebe2c1cf5b3879cb560eadac7a4c717614ccf51ff6c8ea8e88202",
	}
	for d, w := range want {
		if got := contactHash("9876543210", "ab12", d); got != w {
			t.Errorf("contactHash(9876543210, ab12, %d) = %s, want %s", d, got, w)
		}
	}
	if got, w := contactHash("asha@example.com", "ab12", 7), "5eb98e7dbd1f962b744f9729cefa7ccfed940e03080ec20e15e8684cc4e7c057"; got != w {
		t.Errorf("e-mail hash = %s, want %s", got, w)
	}
}

// TestVerifyMobileForEachLastDigit round-trips the mobile hash through a
// signed file for Aadhaar numbers ending in each digit: the right number
// matches, a number one digit off does not, and the hash in the file is
// the vector of that digit.
func TestVerifyMobileForEachLastDigit(t *testing.T) {
	for d := range 10 {
		t.Run(strconv.Itoa(d), func(t *testing.T) {
			p := testParams()
			p.Last4 = "123" + strconv.Itoa(d)
			file := sandboxFile(t, p, sandboxSigning())
			opts := testOptions()
			opts.Mobile = "09876543210"
			res, err := Verify(file, testCode, opts)
			if err != nil || res.MobileVerified == nil || !*res.MobileVerified || res.Last4 != p.Last4 {
				t.Fatalf("Verify with the mobile: %+v, %v; want verified, last4 %s", res, err, p.Last4)
			}
			opts.Mobile = "9876543219"
			res, err = Verify(file, testCode, opts)
			wantCode(t, res, err, CodeMobileMismatch)
		})
	}
}

func TestNormalizeMobile(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"9876543210", "9876543210"},
		{" +91 98765 43210 ", "9876543210"},
		{"91-98765-43210", "9876543210"},
		{"098765 43210", "9876543210"},
		{"+91-987-654-3210", "9876543210"},
		{"98765x43210", "98765x43210"},
		{"98+76543210", "98+76543210"},
		{"919876543210", "9876543210"},
	} {
		if got := normalizeMobile(tc.in); got != tc.want {
			t.Errorf("normalizeMobile(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMatchesHash(t *testing.T) {
	h := contactHash("9876543210", "ab12", 4)
	for _, tc := range []struct {
		value, want string
		ok          bool
	}{
		{"9876543210", h, true},
		{"9876543210", " " + upper(h) + " ", true},
		{"9876543211", h, false},
		{"9876543210", "", false},
		{"", contactHash("", "ab12", 4), true},
	} {
		if got := matchesHash(tc.value, "ab12", 4, tc.want); got != tc.ok {
			t.Errorf("matchesHash(%q, %q) = %v, want %v", tc.value, tc.want, got, tc.ok)
		}
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
