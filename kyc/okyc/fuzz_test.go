package okyc

import (
	"archive/zip"
	"bytes"
	"regexp"
	"testing"

	"github.com/nirnay/nirnay/pii"
)

var digits21 = regexp.MustCompile(`^\d{21}$`)

// checkOutcome holds for whatever Verify returns: an error is always a
// coded *Error (the certificates are configured), and a result carries a
// reference id of the one shape and no Aadhaar number.
func checkOutcome(t *testing.T, res *Result, err error) {
	t.Helper()
	if err != nil {
		if CodeOf(err) == "" || res != nil {
			t.Fatalf("error %v with code %q and result %v: want a coded error and no result", err, CodeOf(err), res)
		}
		return
	}
	if !digits21.MatchString(res.ReferenceID) || res.Last4 != res.ReferenceID[:4] {
		t.Fatalf("reference id %q, last4 %q: want 21 digits and their first four", res.ReferenceID, res.Last4)
	}
	for _, s := range []string{res.Name, res.AddressLine} {
		if pii.ContainsAadhaar(s) {
			t.Fatalf("result text holds an Aadhaar number")
		}
	}
}

// FuzzVerify feeds Verify arbitrary archives and share codes: it never
// panics and every failure is coded.
func FuzzVerify(f *testing.F) {
	good := sandboxFile(f, testParams(), sandboxSigning())
	f.Add(good, testCode)
	f.Add(good, "AB12")
	f.Add(good[:len(good)-30], testCode)
	f.Add([]byte("PK\x03\x04"), testCode)
	f.Add([]byte{}, "")
	opts := testOptions()
	f.Fuzz(func(t *testing.T, data []byte, code string) {
		res, err := Verify(data, code, opts)
		checkOutcome(t, res, err)
	})
}

// FuzzVerifyXML feeds Verify arbitrary XML inside a well-formed archive
// under the right share code, so that the fuzzer works on the XML and
// signature code rather than on the ZIP's CRC.
func FuzzVerifyXML(f *testing.F) {
	signed, _, _ := sandboxXML(testParams(), sandboxSigning())
	f.Add(signed)
	f.Add(bytes.Replace(signed, []byte("Asha"), []byte("Usha"), 1))
	f.Add(bytes.Replace(signed, []byte("<KeyInfo>"), []byte("<KeyInfo><X509Data><X509Certificate>AAAA</X509Certificate></X509Data>"), 1))
	f.Add([]byte(`<OfflinePaperlessKyc referenceId="123420260301100406789"><UidData><Poi name="x" dob="01-01-2000" gender="M"/></UidData></OfflinePaperlessKyc>`))
	f.Add([]byte(`<OfflinePaperlessKyc><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/><SignatureValue/></Signature></OfflinePaperlessKyc>`))
	opts := testOptions()
	f.Fuzz(func(t *testing.T, xmlBytes []byte) {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		if err := writeEncrypted(zw, "offlineaadhaar.xml", testAt, xmlBytes, []byte(testCode), bytes.NewReader(make([]byte, 11))); err != nil {
			t.Fatal(err)
		}
		zw.Close()
		res, err := Verify(buf.Bytes(), testCode, opts)
		checkOutcome(t, res, err)
		if err == nil && !bytes.Equal(xmlBytes, signed) {
			t.Logf("a changed document verified (reference id %s)", res.ReferenceID)
		}
	})
}
