package okyc

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	_ "embed" // the sandbox signer
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// sandboxPEM is the sandbox signer: a fixed RSA key and its self-signed
// certificate, generated once and committed. The key is public; it is not
// UIDAI's and no production configuration may trust its certificate.
//
//go:embed testdata/sandbox-signer.pem
var sandboxPEM []byte

var sandboxSigner = sync.OnceValues(func() (*rsa.PrivateKey, *x509.Certificate) {
	var key *rsa.PrivateKey
	var cert *x509.Certificate
	for rest := sandboxPEM; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		switch block.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				panic("okyc: sandbox key: " + err.Error())
			}
			key = k.(*rsa.PrivateKey)
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				panic("okyc: sandbox certificate: " + err.Error())
			}
			cert = c
		}
	}
	if key == nil || cert == nil {
		panic("okyc: sandbox signer incomplete")
	}
	return key, cert
})

// SandboxKey returns the sandbox's fixed signing key and its self-signed
// certificate (valid 2020–2099). SANDBOX ONLY: the key is public, so a file
// it signs proves nothing; trust SandboxCertificates only in tests and in
// demo mode, never beside UIDAI's certificates in production.
// The values are shared: do not modify them.
func SandboxKey() (*rsa.PrivateKey, *x509.Certificate) { return sandboxSigner() }

// SandboxCertificates returns the certificates that verify sandbox files:
// Options{Certificates: SandboxCertificates()}. Each call returns a new
// slice.
func SandboxCertificates() []*x509.Certificate {
	_, cert := sandboxSigner()
	return []*x509.Certificate{cert}
}

// SandboxParams describes a sandbox file. Name, DOB and ShareCode are
// required; the rest have defaults.
type SandboxParams struct {
	Name      string
	DOB       string  // "YYYY-MM-DD", UIDAI's "DD-MM-YYYY", or a year "YYYY"
	Gender    string  // "M", "F" or "T"; default "M"
	Address   Address // default sandboxAddress (a Bengaluru one); Country default "India"
	Mobile    string  // hashed into Poi's m when not empty
	Email     string  // hashed into Poi's e when not empty
	ShareCode string  // 4 characters: the ZIP's password and the hashes' salt
	// Last4 are the last four digits of the (fictitious) Aadhaar number;
	// default "1234". Its last digit sets how often the contacts are hashed.
	Last4 string
	// GeneratedAt is the file's time (in referenceId and the entry's
	// name); zero means time.Now().
	GeneratedAt time.Time
	// Photo is the JPEG to embed; default a small grey one.
	Photo []byte
}

// WriteSandbox writes to w a paperless offline e-KYC ZIP as UIDAI lays it
// out — one offlineaadhaar<time>.xml entry, ZipCrypto-protected with
// p.ShareCode (so `unzip -P <code>` opens it), holding an
// OfflinePaperlessKyc document signed (enveloped XMLDSig, RSA-SHA256,
// C14N 1.0) with the sandbox key — which Verify accepts under
// SandboxCertificates. The output is a function of p alone (given
// GeneratedAt): no randomness. Parameters it cannot write are an *Error
// with CodeBadSandboxParams (or CodeBadShareCode); a write error of w is
// returned as it is. Safe for concurrent use.
func WriteSandbox(w io.Writer, p SandboxParams) error {
	key, cert := sandboxSigner()
	return writeSigned(w, p, signer{key: key, cert: cert, hash: crypto.SHA256, keyInfo: true})
}

// signer is how a sandbox document is signed: tests use other keys and
// algorithms, and leave the certificate out as UIDAI may.
type signer struct {
	key     *rsa.PrivateKey
	cert    *x509.Certificate
	hash    crypto.Hash               // SHA256 or SHA1 (rsa-sha1, as older UIDAI files)
	keyInfo bool                      // embed the certificate in KeyInfo
	edit    func(root *etree.Element) // before signing
	reshape func(sig *etree.Element)  // the Signature, after signing
	tamper  func(xml []byte) []byte   // after serializing
}

func writeSigned(w io.Writer, p SandboxParams, s signer) error {
	if p.GeneratedAt.IsZero() {
		p.GeneratedAt = time.Now()
	}
	xmlBytes, name, err := sandboxXML(p, s)
	if err != nil {
		return err
	}
	if s.tamper != nil {
		xmlBytes = s.tamper(xmlBytes)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	// The encryption header's random bytes, derived from the content so the
	// file is reproducible.
	seed := sha256.Sum256(append([]byte(p.ShareCode), xmlBytes...))
	generated := p.GeneratedAt.In(ist)
	if err := writeEncrypted(zw, name, generated, xmlBytes, []byte(p.ShareCode), bytes.NewReader(seed[:])); err != nil {
		return fmt.Errorf("okyc: sandbox zip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("okyc: sandbox zip: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// sandboxXML builds and signs the document; it returns its bytes and the
// entry name.
func sandboxXML(p SandboxParams, s signer) ([]byte, string, error) {
	if strings.TrimSpace(p.Name) == "" {
		return nil, "", fail(CodeBadSandboxParams, "name is required")
	}
	if err := checkShareCode(p.ShareCode); err != nil {
		return nil, "", err
	}
	dob, ok := sandboxDOB(p.DOB)
	if !ok {
		return nil, "", fail(CodeBadSandboxParams, "dob must be YYYY-MM-DD, DD-MM-YYYY or YYYY")
	}
	gender := strings.ToUpper(strings.TrimSpace(p.Gender))
	switch gender {
	case "":
		gender = "M"
	case "M", "F", "T":
	default:
		return nil, "", fail(CodeBadSandboxParams, "gender must be M, F or T")
	}
	last4 := p.Last4
	if last4 == "" {
		last4 = "1234"
	}
	if len(last4) != 4 || strings.Trim(last4, "0123456789") != "" {
		return nil, "", fail(CodeBadSandboxParams, "last4 must be four digits")
	}
	if p.GeneratedAt.IsZero() {
		return nil, "", fail(CodeBadSandboxParams, "the time is required")
	}
	ref := formatReferenceID(last4, p.GeneratedAt)
	lastDigit := int(last4[3] - '0')
	hashOf := func(v string) string {
		if v == "" {
			return ""
		}
		return contactHash(v, p.ShareCode, lastDigit)
	}
	photo := p.Photo
	if photo == nil {
		photo = defaultPhoto()
	}

	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8" standalone="yes"`)
	root := doc.CreateElement("OfflinePaperlessKyc")
	root.CreateAttr("referenceId", ref)
	uid := root.CreateElement("UidData")
	poi := uid.CreateElement("Poi")
	poi.CreateAttr("dob", dob)
	poi.CreateAttr("e", hashOf(strings.TrimSpace(p.Email)))
	poi.CreateAttr("gender", gender)
	poi.CreateAttr("m", hashOf(normalizeMobile(p.Mobile)))
	poi.CreateAttr("name", strings.TrimSpace(p.Name))
	a := p.Address
	if a == (Address{}) {
		a = sandboxAddress
	}
	if a.Country == "" {
		a.Country = "India"
	}
	poa := uid.CreateElement("Poa")
	for _, kv := range [][2]string{{"careof", a.CareOf}, {"country", a.Country}, {"dist", a.District},
		{"house", a.House}, {"landmark", a.Landmark}, {"loc", a.Locality}, {"pc", a.Pincode},
		{"po", a.PostOffice}, {"state", a.State}, {"street", a.Street}, {"subdist", a.SubDistrict},
		{"vtc", a.VTC}} {
		poa.CreateAttr(kv[0], kv[1])
	}
	uid.CreateElement("Pht").SetText(base64.StdEncoding.EncodeToString(photo))

	if s.edit != nil {
		s.edit(root)
	}
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		return nil, "", fmt.Errorf("okyc: sandbox signing: %w", err)
	}
	ctx.Hash = s.hash
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	signed, err := ctx.SignEnveloped(root)
	if err != nil {
		return nil, "", fmt.Errorf("okyc: sandbox signing: %w", err)
	}
	if !s.keyInfo {
		if sig := signatureElement(signed); sig != nil {
			if ki := sig.SelectElement(dsig.KeyInfoTag); ki != nil {
				sig.RemoveChild(ki)
			}
		}
	}
	if s.reshape != nil {
		s.reshape(signatureElement(signed))
	}
	doc.SetRoot(signed)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, "", fmt.Errorf("okyc: sandbox xml: %w", err)
	}
	return out, "offlineaadhaar" + ref[4:] + ".xml", nil
}

// sandboxAddress is the address of a sandbox file made without one.
var sandboxAddress = Address{
	House: "12", Street: "MG Road", Locality: "Shivajinagar", VTC: "Bengaluru", PostOffice: "Bangalore GPO",
	SubDistrict: "Bangalore North", District: "Bengaluru Urban", State: "Karnataka", Country: "India", Pincode: "560001",
}

// sandboxDOB turns a date of birth given as YYYY-MM-DD, DD-MM-YYYY or
// DD/MM/YYYY into UIDAI's DD-MM-YYYY; a year alone stays as it is.
func sandboxDOB(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t.Format("02-01-2006"), true
	}
	if iso, ok := parseDOB(s); ok {
		if len(iso) == 4 {
			return iso, true
		}
		t, _ := time.Parse(time.DateOnly, iso)
		return t.Format("02-01-2006"), true
	}
	return "", false
}

// defaultPhoto is a 16×16 grey JPEG, encoded once (image/jpeg's output is
// deterministic).
var defaultPhoto = sync.OnceValue(func() []byte {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			img.SetGray(x, y, color.Gray{Y: uint8(96 + 4*x + 2*y)})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		panic("okyc: default photo: " + err.Error())
	}
	return buf.Bytes()
})
