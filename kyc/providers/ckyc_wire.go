package providers

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/nirnay/nirnay/kyc"
)

// CKYCSigner signs a CKYC request document: the registry checks each
// request's enveloped XML signature against the certificate the FI
// registered with it. SignXML returns doc signed; it must be safe for
// concurrent use. XMLSigner is one; an FI whose key lives in an HSM plugs
// in its own.
type CKYCSigner interface {
	SignXML(ctx context.Context, doc []byte) ([]byte, error)
}

// CKYCSealer encrypts the PID block of a request for the registry and
// opens the PID block of its answers. CERSAI's scheme, as public
// integrations describe it: a fresh AES-256 session key per request
// encrypts PID_DATA, and the key, encrypted with the registry's RSA public
// key, travels as SESSION_KEY (both base64); an answer's SESSION_KEY is
// encrypted with the FI's public key. They disagree on the AES mode and
// padding (ECB with PKCS#7, CBC with the IV first) and on the OAEP hash
// (SHA-1, SHA-256), so Nirnay does not guess: the FI plugs in the sealer
// its registry document specifies. Must be safe for concurrent use.
type CKYCSealer interface {
	// Seal returns the texts of PID and SESSION_KEY for a PID_DATA document.
	Seal(ctx context.Context, pid []byte) (encPID, sessionKey string, err error)
	// Open returns the PID_DATA document of an answer's PID and SESSION_KEY.
	Open(ctx context.Context, encPID, sessionKey string) ([]byte, error)
}

// XMLSigner signs CKYC requests with an RSA key: an enveloped XML
// signature (W3C XML-DSig: C14N 1.0, RSA-SHA256, SHA-256 digest,
// Reference URI "", the certificate in KeyInfo, no namespace prefix) made
// with goxmldsig. It is safe for concurrent use.
type XMLSigner struct{ ctx *dsig.SigningContext }

// NewXMLSigner returns a signer with key, whose public half must be
// cert's: an RSA key (the registry's certificates are RSA).
func NewXMLSigner(key crypto.Signer, cert *x509.Certificate) (*XMLSigner, error) {
	if key == nil || cert == nil {
		return nil, errors.New("cersai: a signing key and its certificate are required")
	}
	pub, ok := key.Public().(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("cersai: the signing key must be RSA")
	}
	if certPub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !certPub.Equal(pub) {
		return nil, errors.New("cersai: the certificate is not the signing key's")
	}
	ctx, err := dsig.NewSigningContext(key, [][]byte{cert.Raw})
	if err != nil {
		return nil, fmt.Errorf("cersai: %w", err)
	}
	ctx.Hash = crypto.SHA256
	ctx.Prefix = ""
	ctx.Canonicalizer = dsig.MakeC14N10RecCanonicalizer()
	return &XMLSigner{ctx: ctx}, nil
}

// SignXML appends the Signature to doc's root element.
func (s *XMLSigner) SignXML(_ context.Context, doc []byte) ([]byte, error) {
	d := etree.NewDocument()
	if err := d.ReadFromBytes(doc); err != nil {
		return nil, fmt.Errorf("read the document: %w", err)
	}
	root := d.Root()
	if root == nil {
		return nil, errors.New("the document has no root element")
	}
	signed, err := s.ctx.SignEnveloped(root)
	if err != nil {
		return nil, err
	}
	d.SetRoot(signed)
	return d.WriteToBytes()
}

// seal is the PID of a request: the Sealer's, or base64 in the clear.
func (c *CKYC) seal(ctx context.Context, pid []byte) (string, string, error) {
	if c.cfg.Sealer != nil {
		return c.cfg.Sealer.Seal(ctx, pid)
	}
	return base64.StdEncoding.EncodeToString(pid), "", nil
}

// open is the PID_DATA of an answer's PID.
func (c *CKYC) open(ctx context.Context, encPID, sessionKey string) ([]byte, error) {
	if c.cfg.Sealer != nil {
		return c.cfg.Sealer.Open(ctx, encPID, sessionKey)
	}
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(encPID), ""))
}

// ckycPID is a PID_DATA document: DATE_TIME (IST) and then fields, in order.
func ckycPID(now time.Time, fields ...[2]string) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8" standalone="yes"`)
	root := doc.CreateElement("PID_DATA")
	root.CreateElement("DATE_TIME").SetText(now.In(ist).Format("02-01-2006 15:04:05"))
	for _, f := range fields {
		root.CreateElement(f[0]).SetText(f[1])
	}
	return doc.WriteToBytes()
}

// ckycEnvelope is a request document, unsigned.
func ckycEnvelope(root, fiCode, rid, version, pid, sessionKey string) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	r := doc.CreateElement(root)
	h := r.CreateElement("HEADER")
	h.CreateElement("FI_CODE").SetText(fiCode)
	h.CreateElement("REQUEST_ID").SetText(rid)
	h.CreateElement("VERSION").SetText(version)
	inq := r.CreateElement("CKYC_INQ")
	inq.CreateElement("PID").SetText(pid)
	inq.CreateElement("SESSION_KEY").SetText(sessionKey)
	return doc.WriteToBytes()
}

// ckycAnswer is an answer document: any root with HEADER and CKYC_INQ,
// or a bare ERROR element.
type ckycAnswer struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
	Header  struct {
		FICode    string `xml:"FI_CODE"`
		RequestID string `xml:"REQUEST_ID"`
		Version   string `xml:"VERSION"`
	} `xml:"HEADER"`
	Inq   *ckycInq `xml:"CKYC_INQ"`
	Error string   `xml:"ERROR"`
}

type ckycInq struct {
	PID        string `xml:"PID"`
	SessionKey string `xml:"SESSION_KEY"`
	Error      string `xml:"ERROR"`
}

// errorText is the registry's message, if any.
func (a *ckycAnswer) errorText() string {
	if a.XMLName.Local == "ERROR" {
		return strings.TrimSpace(a.Text)
	}
	if a.Inq != nil {
		if s := strings.TrimSpace(a.Inq.Error); s != "" {
			return s
		}
	}
	return strings.TrimSpace(a.Error)
}

// parseCKYCAnswer reads an answer document.
func parseCKYCAnswer(data []byte) (*ckycAnswer, error) {
	var a ckycAnswer
	if err := xml.Unmarshal(data, &a); err != nil {
		return nil, err
	}
	if a.XMLName.Local != "ERROR" && a.Inq == nil && a.errorText() == "" {
		return nil, fmt.Errorf("<%s> has neither CKYC_INQ nor ERROR", redact(a.XMLName.Local))
	}
	return &a, nil
}

type ckycSearchRecord struct {
	CKYCNo  string `xml:"CKYC_NO"`
	RefID   string `xml:"CKYC_REFERENCE_ID"`
	Remarks string `xml:"REMARKS"`
}

type ckycSearchPID struct {
	XMLName xml.Name `xml:"PID_DATA"`
	ckycSearchRecord
	Records []ckycSearchRecord `xml:"SearchResponsePID"`
}

// parseCKYCSearch is the first record of a search's PID_DATA, which lists
// SearchResponsePID records or holds one flat; found is false when none
// carries a CKYC number or reference id (REMARKS says why).
func parseCKYCSearch(data []byte) (ckycSearchRecord, bool, error) {
	var p ckycSearchPID
	if err := xml.Unmarshal(data, &p); err != nil {
		return ckycSearchRecord{}, false, fmt.Errorf("the PID is not the search's PID_DATA: %w", err)
	}
	for _, r := range append(p.Records, p.ckycSearchRecord) {
		if strings.TrimSpace(r.CKYCNo) != "" || strings.TrimSpace(r.RefID) != "" {
			return r, true, nil
		}
	}
	return ckycSearchRecord{}, false, nil
}

type ckycDownloadPID struct {
	XMLName  xml.Name `xml:"PID_DATA"`
	Personal *struct {
		CKYCNo   string `xml:"CKYC_NO"`
		FullName string `xml:"FULLNAME"`
		FName    string `xml:"FNAME"`
		MName    string `xml:"MNAME"`
		LName    string `xml:"LNAME"`
		DOB      string `xml:"DOB"`
	} `xml:"PERSONAL_DETAILS"`
	Images []struct {
		Code string `xml:"IMAGE_CODE"`
		Data string `xml:"IMAGE_DATA"`
	} `xml:"IMAGE_DETAILS>IMAGE"`
	Remarks string `xml:"REMARKS"`
	MobNum  string `xml:"MOB_NUM"`
}

var errNoPersonalDetails = errors.New("the PID_DATA has no PERSONAL_DETAILS")

// parseCKYCDownload reads a validated download's PID_DATA; remarks is its
// REMARKS, for an answer without PERSONAL_DETAILS (errNoPersonalDetails).
func parseCKYCDownload(data []byte, photoCode string) (rec kyc.CKYCRecord, remarks string, err error) {
	var p ckycDownloadPID
	if err := xml.Unmarshal(data, &p); err != nil {
		return kyc.CKYCRecord{}, "", fmt.Errorf("the PID is not the download's PID_DATA: %w", err)
	}
	if p.Personal == nil {
		return kyc.CKYCRecord{}, strings.TrimSpace(p.Remarks), errNoPersonalDetails
	}
	pd := p.Personal
	name := strings.Join(strings.Fields(pd.FullName), " ")
	if name == "" {
		name = strings.Join(strings.Fields(pd.FName+" "+pd.MName+" "+pd.LName), " ")
	}
	rec = kyc.CKYCRecord{Found: true, CKYCNumber: strings.TrimSpace(pd.CKYCNo), Name: name, DOB: ckycDate(pd.DOB)}
	for _, img := range p.Images {
		if strings.TrimSpace(img.Code) != photoCode {
			continue
		}
		if photo, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(img.Data), "")); err == nil && len(photo) > 0 {
			sum := sha256.Sum256(photo)
			rec.PhotoHash = hex.EncodeToString(sum[:])
		}
		break
	}
	return rec, "", nil
}

// ckycDate turns the registry's dd-MM-yyyy (or dd/MM/yyyy, dd-Mon-yyyy,
// yyyy-MM-dd) into YYYY-MM-DD; anything else is "".
func ckycDate(s string) string {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"02-01-2006", "02/01/2006", "02-Jan-2006", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(time.DateOnly)
		}
	}
	return ""
}

// mobileRun is a run that may be a mobile number, whole or masked.
var mobileRun = regexp.MustCompile(`\+?[0-9Xx*]+`)

// parseCKYCOTPSent is the mobile a download answer says the OTP went to,
// from MOB_NUM or else REMARKS, masked to its last four characters: a run
// of ten digits (some masked by X or *) ending in a digit, after 91 or
// +91 or nothing. "" when it names none (or carries no PID).
func parseCKYCOTPSent(data []byte) (string, error) {
	if data == nil {
		return "", nil
	}
	var p ckycDownloadPID
	if err := xml.Unmarshal(data, &p); err != nil {
		return "", fmt.Errorf("cersai: download: the PID is not PID_DATA: %w", err)
	}
	remarks := p.Remarks
	if len(remarks) > 1024 { // a message, not a document
		remarks = remarks[:1024]
	}
	candidates := append([]string{strings.TrimSpace(p.MobNum)}, mobileRun.FindAllString(remarks, 32)...)
	for _, m := range candidates {
		switch {
		case len(m) == 13 && strings.HasPrefix(m, "+91"):
			m = m[3:]
		case len(m) == 12 && strings.HasPrefix(m, "91"):
			m = m[2:]
		}
		m = strings.NewReplacer("x", "X", "*", "X").Replace(m)
		if len(m) == 10 && m[9] >= '0' && m[9] <= '9' && strings.Trim(m, "0123456789X") == "" {
			return mask(m), nil
		}
	}
	return "", nil
}
