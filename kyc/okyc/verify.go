package okyc

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Limits on what Verify reads. UIDAI's files are a few tens of KiB.
const (
	MaxZipSize = 5 << 20 // bytes of the uploaded ZIP
	MaxXMLSize = 4 << 20 // bytes of the decompressed XML (a zip-bomb guard)
	maxDepth   = 32      // element nesting of the XML (UIDAI's is 6)
)

// Defaults of Options.
const (
	DefaultMaxAge  = 72 * time.Hour
	DefaultMaxSkew = 5 * time.Minute
)

// Options configures Verify. The zero value trusts nothing: Certificates
// must be set (LoadCertificates, or SandboxCertificates in tests and demos).
type Options struct {
	// Certificates are the signing certificates trusted (UIDAI's, from
	// NIRNAY_KYC_UIDAI_CERTS). Each is trusted only within its validity
	// period, read on Now.
	Certificates []*x509.Certificate
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxAge is how old the XML may be, from the time in its referenceId;
	// zero means DefaultMaxAge.
	MaxAge time.Duration
	// MaxSkew is how far in the future the XML's time may be (clocks
	// disagree); zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// Mobile, when not empty, is checked against the document's mobile
	// hash (spaces, hyphens and a +91, 91 or 0 prefix are dropped first);
	// a mismatch fails Verify with CodeMobileMismatch.
	Mobile string
	// Email, when not empty, is checked (trimmed, otherwise as given)
	// against the document's e-mail hash; the outcome is
	// Result.EmailVerified, never an error (UIDAI's e-mail is often stale).
	Email string
}

// Address is the resident's address as the document's Poa element gives
// it, every field as written (empty when absent).
type Address struct {
	CareOf      string `json:"careof,omitempty"`
	House       string `json:"house,omitempty"`
	Street      string `json:"street,omitempty"`
	Landmark    string `json:"landmark,omitempty"`
	Locality    string `json:"loc,omitempty"`
	VTC         string `json:"vtc,omitempty"` // village, town or city
	PostOffice  string `json:"po,omitempty"`
	SubDistrict string `json:"subdist,omitempty"`
	District    string `json:"dist,omitempty"`
	State       string `json:"state,omitempty"`
	Country     string `json:"country,omitempty"`
	Pincode     string `json:"pc,omitempty"`
}

// Line is the address on one line: the non-empty fields from house to
// pincode joined by ", " (C/O first when given), a field equal to the one
// before it written once.
func (a Address) Line() string {
	parts := make([]string, 0, 12)
	for _, p := range []string{a.CareOf, a.House, a.Street, a.Landmark, a.Locality, a.VTC, a.PostOffice,
		a.SubDistrict, a.District, a.State, a.Country, a.Pincode} {
		p = strings.TrimSpace(p)
		if p != "" && (len(parts) == 0 || !strings.EqualFold(parts[len(parts)-1], p)) {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// Result is what a verified file says. It holds no Aadhaar number: the XML
// has only the last four digits (in ReferenceID), and any Aadhaar number
// written into a text field is masked to its last four digits.
type Result struct {
	ReferenceID   string    `json:"reference_id"` // 4 digits then YYYYMMDDHHMMSSsss, as in the XML
	Last4         string    `json:"last4"`        // the last four digits of the Aadhaar number
	GeneratedAt   time.Time `json:"generated_at"` // from ReferenceID, in Asia/Kolkata (+05:30)
	Name          string    `json:"name"`
	DOB           string    `json:"dob"`    // "YYYY-MM-DD", or "YYYY" when UIDAI knows only the year
	Gender        string    `json:"gender"` // "M", "F" or "T"
	Address       Address   `json:"address"`
	AddressLine   string    `json:"address_line"` // Address.Line()
	PhotoSHA256   string    `json:"photo_sha256,omitempty"`
	PayloadSHA256 string    `json:"payload_sha256"` // of the XML as it was in the ZIP
	// MobileVerified is nil when Options.Mobile was empty and true when it
	// matched (a mismatch is CodeMobileMismatch).
	MobileVerified *bool `json:"mobile_verified,omitempty"`
	// EmailVerified is nil when Options.Email was empty, else whether it
	// matched.
	EmailVerified *bool `json:"email_verified,omitempty"`
}

// Verify checks a paperless offline e-KYC ZIP as UIDAI issues it and
// returns what it says. In order: the ZIP (at most MaxZipSize, exactly one
// file, an .xml entry protected with ZipCrypto under shareCode, at most
// MaxXMLSize decompressed), the XML (root OfflinePaperlessKyc), its
// enveloped signature against opts.Certificates, the document's fields,
// its age (the referenceId's time, Asia/Kolkata, within opts.MaxAge of now
// and not after now plus opts.MaxSkew) and, when asked, the mobile and
// e-mail hashes.
//
// A file, share code or contact at fault returns an *Error (CodeOf gives
// its Code) and a nil Result; Verify never panics on any input. Only a
// configuration fault is another error: no trusted certificates. Safe for
// concurrent use; Verify keeps nothing after it returns.
func Verify(zipBytes []byte, shareCode string, opts Options) (*Result, error) {
	if len(opts.Certificates) == 0 {
		return nil, errors.New("okyc: no trusted certificates configured")
	}
	if err := checkShareCode(shareCode); err != nil {
		return nil, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	xmlBytes, err := openArchive(zipBytes, shareCode)
	if err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.ReadSettings.MaxDepth = maxDepth
	if err := doc.ReadFromBytes(xmlBytes); err != nil {
		return nil, failWith(CodeMalformedXML, "the file is not well-formed XML", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "OfflinePaperlessKyc" || root.Space != "" {
		return nil, fail(CodeMalformedXML, "the root element is not OfflinePaperlessKyc")
	}
	t := now()
	signed, err := verifySignature(root, opts.Certificates, t)
	if err != nil {
		return nil, err
	}
	res, poi, err := readDocument(signed)
	if err != nil {
		return nil, err
	}
	if err := checkAge(res.GeneratedAt, t, opts.MaxAge, opts.MaxSkew); err != nil {
		return nil, err
	}
	lastDigit := int(res.Last4[3] - '0')
	if opts.Mobile != "" {
		if !matchesHash(normalizeMobile(opts.Mobile), shareCode, lastDigit, poi.SelectAttrValue("m", "")) {
			return nil, fail(CodeMobileMismatch, "the mobile number does not match the one in the XML")
		}
		ok := true
		res.MobileVerified = &ok
	}
	if opts.Email != "" {
		ok := matchesHash(strings.TrimSpace(opts.Email), shareCode, lastDigit, poi.SelectAttrValue("e", ""))
		res.EmailVerified = &ok
	}
	sum := sha256.Sum256(xmlBytes)
	res.PayloadSHA256 = hex.EncodeToString(sum[:])
	return res, nil
}

// checkShareCode requires the 4 characters UIDAI asks the resident for.
func checkShareCode(code string) error {
	if !utf8.ValidString(code) || utf8.RuneCountInString(code) != 4 {
		return fail(CodeBadShareCode, "the share code must be 4 characters")
	}
	return nil
}

// openArchive returns the decrypted XML of the ZIP's only entry.
func openArchive(zipBytes []byte, shareCode string) ([]byte, error) {
	if len(zipBytes) > MaxZipSize {
		return nil, fail(CodeTooLarge, "the ZIP is over 5 MiB")
	}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return nil, failWith(CodeNotAZip, "the file is not a ZIP archive", err)
	}
	var entry *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if entry != nil {
			return nil, fail(CodeTooManyEntries, "the ZIP holds more than one file")
		}
		entry = f
	}
	if entry == nil || !strings.HasSuffix(strings.ToLower(entry.Name), ".xml") {
		return nil, fail(CodeNoXML, "the ZIP holds no XML file")
	}
	data, err := openEncrypted(entry, []byte(shareCode), MaxXMLSize)
	switch {
	case errors.Is(err, errNotEncrypted):
		return nil, fail(CodeUnsupportedZip, "the XML in the ZIP is not protected with a share code")
	case errors.Is(err, errUnsupported):
		return nil, fail(CodeUnsupportedZip, "the ZIP uses an encryption or compression UIDAI does not")
	case errors.Is(err, errEntryTooLarge):
		return nil, fail(CodeTooLarge, "the XML is over 4 MiB")
	case errors.Is(err, errWrongPassword):
		return nil, fail(CodeWrongShareCode, "the share code does not open the file")
	case err != nil:
		return nil, failWith(CodeNotAZip, "the ZIP cannot be read", err)
	}
	return data, nil
}

// checkAge applies MaxAge and MaxSkew (zero: the defaults).
func checkAge(generated, now time.Time, maxAge, maxSkew time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultMaxAge
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	switch {
	case generated.After(now.Add(maxSkew)):
		return fail(CodeInFuture, "the XML is dated in the future")
	case now.Sub(generated) > maxAge:
		return fail(CodeTooOld, fmt.Sprintf("the XML is older than %g hours; download a new one", maxAge.Hours()))
	}
	return nil
}
