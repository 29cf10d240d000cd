package okyc

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/nirnay/nirnay"
	dsig "github.com/russellhaering/goxmldsig"
)

func TestVerifySandboxRoundTrip(t *testing.T) {
	p := testParams()
	p.Photo = []byte("\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
	file := sandboxFile(t, p, sandboxSigning())
	opts := testOptions()
	opts.Mobile, opts.Email = "+91 98765-43210", "asha@example.com"
	res, err := Verify(file, testCode, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	xmlBytes, _, err := sandboxXML(p, sandboxSigning())
	if err != nil {
		t.Fatal(err)
	}
	photoSum, payloadSum := sha256.Sum256(p.Photo), sha256.Sum256(xmlBytes)
	for _, c := range []struct{ field, got, want string }{
		{"ReferenceID", res.ReferenceID, "567820260301100406789"},
		{"Last4", res.Last4, "5678"},
		{"Name", res.Name, "Asha Rao"},
		{"DOB", res.DOB, "1990-05-17"},
		{"Gender", res.Gender, "F"},
		{"Address.CareOf", res.Address.CareOf, "D/O Ravi Rao"},
		{"Address.Pincode", res.Address.Pincode, "560011"},
		{"Address.SubDistrict", res.Address.SubDistrict, "Bangalore South"},
		{"AddressLine", res.AddressLine, "D/O Ravi Rao, 42, 1st Cross, Jayanagar, Bengaluru, Jayanagar, Bangalore South, Bengaluru Urban, Karnataka, India, 560011"},
		{"PhotoSHA256", res.PhotoSHA256, hex.EncodeToString(photoSum[:])},
		{"PayloadSHA256", res.PayloadSHA256, hex.EncodeToString(payloadSum[:])},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if !res.GeneratedAt.Equal(testAt) {
		t.Errorf("GeneratedAt = %v, want %v", res.GeneratedAt, testAt)
	}
	if res.MobileVerified == nil || !*res.MobileVerified || res.EmailVerified == nil || !*res.EmailVerified {
		t.Errorf("MobileVerified %v EmailVerified %v, want both true", res.MobileVerified, res.EmailVerified)
	}

	// Not asked: nil. A wrong e-mail: false, not an error.
	opts.Mobile, opts.Email = "", "someone@example.com"
	res, err = Verify(file, testCode, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if res.MobileVerified != nil || res.EmailVerified == nil || *res.EmailVerified {
		t.Errorf("MobileVerified %v EmailVerified %v, want nil and false", res.MobileVerified, res.EmailVerified)
	}
}

func TestVerifySignatureVariants(t *testing.T) {
	other := otherSigner()
	both := []*x509.Certificate{other.cert, SandboxCertificates()[0]}
	for _, tc := range []struct {
		name    string
		sign    func(s signer) signer
		trusted []*x509.Certificate
	}{
		{"rsa-sha256 with KeyInfo", func(s signer) signer { return s }, nil},
		{"rsa-sha1 as older UIDAI files", func(s signer) signer { s.hash = crypto.SHA1; return s }, nil},
		{"no KeyInfo, one trusted", func(s signer) signer { s.keyInfo = false; return s }, nil},
		{"no KeyInfo, the second of two trusted", func(s signer) signer { s.keyInfo = false; return s }, both},
		{"KeyInfo, the second of two trusted", func(s signer) signer { return s }, both},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			if tc.trusted != nil {
				opts.Certificates = tc.trusted
			}
			res, err := Verify(sandboxFile(t, testParams(), tc.sign(sandboxSigning())), testCode, opts)
			if err != nil || res.Name != "Asha Rao" {
				t.Fatalf("Verify: %+v, %v; want Asha Rao's result", res, err)
			}
		})
	}
}

// zipOf builds an archive of the given entries, each ZipCrypto-protected
// with testCode unless plain.
func zipOf(t *testing.T, plain bool, entries ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if plain {
			w, _ := zw.Create(e[0])
			w.Write([]byte(e[1]))
			continue
		}
		if err := writeEncrypted(zw, e[0], testAt, []byte(e[1]), []byte(testCode), bytes.NewReader(make([]byte, 11))); err != nil {
			t.Fatal(err)
		}
	}
	zw.Close()
	return buf.Bytes()
}

func TestVerifyFailures(t *testing.T) {
	good := sandboxFile(t, testParams(), sandboxSigning())
	xmlBytes, _, _ := sandboxXML(testParams(), sandboxSigning())
	edited := func(edit func(*etree.Element)) []byte {
		s := sandboxSigning()
		s.edit = edit
		return sandboxFile(t, testParams(), s)
	}
	tampered := func(old, new string) []byte {
		s := sandboxSigning()
		s.tamper = func(b []byte) []byte { return bytes.Replace(b, []byte(old), []byte(new), 1) }
		return sandboxFile(t, testParams(), s)
	}
	signedBy := func(s signer) []byte { return sandboxFile(t, testParams(), s) }
	withoutKeyInfo := otherSigner()
	withoutKeyInfo.keyInfo = false
	unsigned := xmlBytes[:bytes.Index(xmlBytes, []byte("<Signature"))]
	unsigned = append(unsigned, "</OfflinePaperlessKyc>"...)
	at := func(d time.Duration) func(*Options) {
		return func(o *Options) { o.Now = func() time.Time { return testAt.Add(d) } }
	}
	mobile := func(m string) func(*Options) { return func(o *Options) { o.Mobile = m } }
	setAttr := func(path, attr, value string) func(*etree.Element) {
		return func(root *etree.Element) {
			el := root
			if path != "" {
				el = root.FindElement(path)
			}
			el.CreateAttr(attr, value)
		}
	}

	for _, tc := range []struct {
		name string
		file []byte
		code string // share code; "" means testCode
		opts func(*Options)
		want Code
	}{
		{"empty", nil, "", nil, CodeNotAZip},
		{"text", []byte("this is not a zip"), "", nil, CodeNotAZip},
		{"truncated", good[:len(good)/2], "", nil, CodeNotAZip},
		{"over 5 MiB", make([]byte, MaxZipSize+1), "", nil, CodeTooLarge},
		{"empty zip", zipOf(t, false), "", nil, CodeNoXML},
		{"a JPEG only", zipOf(t, false, [2]string{"photo.jpg", "x"}), "", nil, CodeNoXML},
		{"two files", zipOf(t, false, [2]string{"a.xml", "<a/>"}, [2]string{"b.xml", "<b/>"}), "", nil, CodeTooManyEntries},
		{"not encrypted", zipOf(t, true, [2]string{"a.xml", string(xmlBytes)}), "", nil, CodeUnsupportedZip},
		{"zip bomb", zipOf(t, false, [2]string{"a.xml", strings.Repeat("\x00", MaxXMLSize+1)}), "", nil, CodeTooLarge},
		{"share code of 3", good, "ab1", nil, CodeBadShareCode},
		{"share code of 5", good, "ab123", nil, CodeBadShareCode},
		{"wrong share code", good, "AB12", nil, CodeWrongShareCode},
		{"not XML", zipOf(t, false, [2]string{"a.xml", "<OfflinePaperlessKyc"}), "", nil, CodeMalformedXML},
		{"other root", zipOf(t, false, [2]string{"a.xml", "<Kyc/>"}), "", nil, CodeMalformedXML},
		{"nested too deep", zipOf(t, false, [2]string{"a.xml", "<OfflinePaperlessKyc>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</OfflinePaperlessKyc>"}), "", nil, CodeMalformedXML},
		{"unsigned", zipOf(t, false, [2]string{"a.xml", string(unsigned)}), "", nil, CodeBadSignature},
		{"name changed after signing", tampered(`name="Asha Rao"`, `name="Usha Rao"`), "", nil, CodeBadSignature},
		{"mobile hash changed after signing", tampered(`m="`, `m="0`), "", nil, CodeBadSignature},
		{"signature value changed", tampered(`<SignatureValue>`, `<SignatureValue>AAAA`), "", nil, CodeBadSignature},
		{"signed by another key, no KeyInfo", signedBy(withoutKeyInfo), "", nil, CodeBadSignature},
		{"signed by an untrusted certificate", signedBy(otherSigner()), "", nil, CodeUntrustedCertificate},
		{"certificate expired", good, "", at(75 * 365 * 24 * time.Hour), CodeUntrustedCertificate},
		{"referenceId with a 12-digit number", edited(setAttr("", "referenceId", "234567890124"+"20260301100406")), "", nil, CodeMalformedXML},
		{"referenceId too long", edited(setAttr("", "referenceId", "5678202603011004067890")), "", nil, CodeMalformedXML},
		{"referenceId with a bad month", edited(setAttr("", "referenceId", "567820261301100406789")), "", nil, CodeMalformedXML},
		{"no name", edited(setAttr("UidData/Poi", "name", " ")), "", nil, CodeMalformedXML},
		{"bad dob", edited(setAttr("UidData/Poi", "dob", "1990-05-17")), "", nil, CodeMalformedXML},
		{"bad gender", edited(setAttr("UidData/Poi", "gender", "X")), "", nil, CodeMalformedXML},
		{"photo not base64", edited(func(r *etree.Element) { r.FindElement("UidData/Pht").SetText("!!") }), "", nil, CodeMalformedXML},
		{"just over 72 hours old", good, "", at(72*time.Hour + time.Millisecond), CodeTooOld},
		{"6 minutes in the future", good, "", at(-6 * time.Minute), CodeInFuture},
		{"wrong mobile", good, "", mobile("9876543211"), CodeMobileMismatch},
		{"mobile when the XML has none", edited(setAttr("UidData/Poi", "m", "")), "", mobile("9876543210"), CodeMobileMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			if tc.opts != nil {
				tc.opts(&opts)
			}
			code := tc.code
			if code == "" {
				code = testCode
			}
			res, err := Verify(tc.file, code, opts)
			wantCode(t, res, err, tc.want)
			var ne *nirnay.Error
			if !errors.As(err, &ne) || ne.Kind == nirnay.KindInternal {
				t.Errorf("error %v: kind %q, want a client error kind", err, nirnay.KindOf(err))
			}
			if strings.Contains(err.Error(), "234567890124") {
				t.Errorf("error text carries the 12-digit number")
			}
		})
	}
}

func TestVerifyAgeBoundaries(t *testing.T) {
	file := sandboxFile(t, testParams(), sandboxSigning())
	for _, tc := range []struct {
		name     string
		after    time.Duration
		maxAge   time.Duration
		wantCode Code
	}{
		{"exactly 72 hours", 72 * time.Hour, 0, ""},
		{"4 minutes early (skew)", -4 * time.Minute, 0, ""},
		{"25 hours with MaxAge 24h", 25 * time.Hour, 24 * time.Hour, CodeTooOld},
		{"23 hours with MaxAge 24h", 23 * time.Hour, 24 * time.Hour, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := testOptions()
			opts.Now = func() time.Time { return testAt.Add(tc.after) }
			opts.MaxAge = tc.maxAge
			_, err := Verify(file, testCode, opts)
			if got := CodeOf(err); got != tc.wantCode || (err != nil) != (tc.wantCode != "") {
				t.Fatalf("got %v, want code %q", err, tc.wantCode)
			}
		})
	}
}

func TestVerifySkipsNilCertificates(t *testing.T) {
	opts := testOptions()
	opts.Certificates = append([]*x509.Certificate{nil}, opts.Certificates...)
	if _, err := Verify(sandboxFile(t, testParams(), sandboxSigning()), testCode, opts); err != nil {
		t.Fatalf("Verify with a nil certificate in the list: %v", err)
	}
	opts.Certificates = []*x509.Certificate{nil}
	res, err := Verify(sandboxFile(t, testParams(), sandboxSigning()), testCode, opts)
	wantCode(t, res, err, CodeUntrustedCertificate)
}

func TestVerifyNeedsTrustedCertificates(t *testing.T) {
	opts := testOptions()
	opts.Certificates = nil
	_, err := Verify(sandboxFile(t, testParams(), sandboxSigning()), testCode, opts)
	if err == nil || CodeOf(err) != "" || nirnay.KindOf(err) != nirnay.KindInternal {
		t.Fatalf("got %v (code %q), want a configuration error without a code", err, CodeOf(err))
	}
}

// TestVerifyMasksAadhaarInText puts an Aadhaar number into the name and an
// address field of a signed file: the Result carries only its last four.
func TestVerifyMasksAadhaarInText(t *testing.T) {
	const number = "2345 6789 0124" // Verhoeff-valid, as in package pii's tests
	p := testParams()
	p.Name = "Asha " + number
	p.Address.House = number
	res, err := Verify(sandboxFile(t, p, sandboxSigning()), testCode, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{res.Name, res.Address.House, res.AddressLine} {
		if strings.Contains(strings.NewReplacer(" ", "", "-", "").Replace(s), "23456789") {
			t.Errorf("result text %q keeps the Aadhaar number", strings.ReplaceAll(s, number, "<number>"))
		}
	}
	if !strings.HasSuffix(res.Name, "0124") {
		t.Errorf("Name = %q, want the last four digits kept", res.Name)
	}
}

func TestErrorUnwrapsToKinds(t *testing.T) {
	for _, tc := range []struct {
		code Code
		kind nirnay.Kind
	}{
		{CodeTooLarge, nirnay.KindTooLarge},
		{CodeBadShareCode, nirnay.KindInvalid},
		{CodeBadSandboxParams, nirnay.KindInvalid},
		{CodeBadSignature, nirnay.KindUnprocessable},
		{CodeMobileMismatch, nirnay.KindUnprocessable},
	} {
		err := error(fail(tc.code, "m"))
		if got := nirnay.KindOf(err); got != tc.kind {
			t.Errorf("KindOf(%s) = %q, want %q", tc.code, got, tc.kind)
		}
	}
	var ne *nirnay.Error
	if errors.As(error(fail(CodeBadShareCode, "m")), &ne); ne.Field != "share_code" {
		t.Errorf("bad_share_code field = %q, want share_code", ne.Field)
	}
	cause := errors.New("parser says 234567890124 is odd")
	err := failWith(CodeMalformedXML, "m", cause)
	if strings.Contains(err.Error(), "234567890124") || !errors.Is(err, cause) {
		t.Errorf("failWith: %q (Is cause %v), want the number masked and the cause kept", err, errors.Is(err, cause))
	}
}

// TestVerifyUIDAIShapedSignature verifies a signature laid out as UIDAI's
// files have been described: the reference's only transform the enveloped
// signature (so the document is digested in the default canonical form),
// an rsa-sha1 signature over a SHA-256 digest, and no KeyInfo. goxmldsig
// signs otherwise, so the test reshapes its signature and signs the new
// SignedInfo again itself.
func TestVerifyUIDAIShapedSignature(t *testing.T) {
	key, _ := SandboxKey()
	s := sandboxSigning()
	s.keyInfo = false
	s.reshape = func(sig *etree.Element) {
		si := sig.SelectElement("SignedInfo")
		transforms := si.FindElement("Reference/Transforms")
		for _, tr := range transforms.SelectElements("Transform") {
			if tr.SelectAttrValue("Algorithm", "") != string(dsig.EnvelopedSignatureAltorithmId) {
				transforms.RemoveChild(tr)
			}
		}
		si.SelectElement("SignatureMethod").CreateAttr("Algorithm", dsig.RSASHA1SignatureMethod)
		detached := si.Copy()
		detached.CreateAttr("xmlns", dsig.Namespace)
		canonical, err := dsig.MakeC14N10RecCanonicalizer().Canonicalize(detached)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum(canonical)
		value, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig.SelectElement("SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	}
	file := sandboxFile(t, testParams(), s)
	xmlBytes, _, _ := sandboxXML(testParams(), s)
	for _, want := range []string{
		`<Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/></Transforms>`,
		`<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>`,
		`<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>`,
	} {
		if !bytes.Contains(xmlBytes, []byte(want)) {
			t.Fatalf("reshaped XML lacks %s", want)
		}
	}
	if bytes.Contains(xmlBytes, []byte("KeyInfo")) {
		t.Fatal("reshaped XML has a KeyInfo")
	}
	res, err := Verify(file, testCode, testOptions())
	if err != nil || res.Name != "Asha Rao" {
		t.Fatalf("Verify: %+v, %v; want Asha Rao's result", res, err)
	}
	tampered := s
	tampered.tamper = func(b []byte) []byte { return bytes.Replace(b, []byte("Jayanagar"), []byte("Jayanagarr"), 1) }
	res, err = Verify(sandboxFile(t, testParams(), tampered), testCode, testOptions())
	wantCode(t, res, err, CodeBadSignature)
}
