package okyc

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// LoadCertificates reads the certificates to trust from paths, a list of
// files separated by commas or colons (the form of NIRNAY_KYC_UIDAI_CERTS;
// spaces around names are ignored, empty names skipped). Each file holds
// one or more PEM "CERTIFICATE" blocks, or is a single DER certificate
// (UIDAI publishes its signing certificate as a .cer file in either form).
// An empty list returns no certificates and no error; a file that cannot
// be read or holds no certificate is an error naming the file.
func LoadCertificates(paths string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, path := range strings.FieldsFunc(paths, func(r rune) bool { return r == ',' || r == ':' }) {
		path = strings.TrimSpace(path)
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("okyc: trusted certificates: %w", err)
		}
		got, err := parseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("okyc: trusted certificates %s: %w", path, err)
		}
		certs = append(certs, got...)
	}
	return certs, nil
}

// parseCertificates reads the PEM CERTIFICATE blocks of data (other blocks
// and text between them are skipped), or data as one DER certificate when
// it holds no PEM block.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest, sawPEM := data, false
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		sawPEM = true
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	if !sawPEM {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("neither PEM nor a DER certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return certs, nil
}

// verifySignature checks the enveloped XML signature of root, the parsed
// OfflinePaperlessKyc element, with goxmldsig, and returns the element as
// the signature covers it (canonicalized, the Signature removed): the only
// tree the caller may read data from.
//
// When the signature carries a certificate (KeyInfo/X509Data) it must be
// one of trusted, valid at now; when it carries none, as UIDAI's files may,
// each trusted certificate valid at now is tried in turn.
func verifySignature(root *etree.Element, trusted []*x509.Certificate, now time.Time) (*etree.Element, error) {
	sig := signatureElement(root)
	if sig == nil {
		return nil, fail(CodeBadSignature, "the XML is not signed")
	}
	candidates := make([]*x509.Certificate, 0, len(trusted))
	for _, c := range trusted {
		if c != nil {
			candidates = append(candidates, c)
		}
	}
	trusted = candidates
	if embedded, present, err := embeddedCertificate(sig); present {
		if err != nil {
			return nil, failWith(CodeUntrustedCertificate, "the signature's certificate cannot be read", err)
		}
		candidates = nil
		for _, c := range trusted {
			if c.Equal(embedded) {
				candidates = []*x509.Certificate{c}
				break
			}
		}
		if candidates == nil {
			return nil, fail(CodeUntrustedCertificate, "the XML is signed with a certificate that is not trusted")
		}
	}
	var current []*x509.Certificate
	for _, c := range candidates {
		if !now.Before(c.NotBefore) && !now.After(c.NotAfter) {
			current = append(current, c)
		}
	}
	if len(current) == 0 {
		return nil, fail(CodeUntrustedCertificate, "the signing certificate is not valid at this time")
	}
	var lastErr error
	for _, c := range current {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		vc.Clock = dsig.NewFakeClockAt(now)
		signed, err := vc.Validate(root)
		if err == nil {
			return signed, nil
		}
		lastErr = err
	}
	return nil, failWith(CodeBadSignature, "the signature does not match the XML", lastErr)
}

// signatureElement is the first xmldsig Signature child of root, or nil.
func signatureElement(root *etree.Element) *etree.Element {
	for _, child := range root.ChildElements() {
		if child.Tag == dsig.SignatureTag && child.NamespaceURI() == dsig.Namespace {
			return child
		}
	}
	return nil
}

// embeddedCertificate parses the first KeyInfo/X509Data/X509Certificate of
// sig; present reports whether there is one.
func embeddedCertificate(sig *etree.Element) (cert *x509.Certificate, present bool, err error) {
	var el *etree.Element
	for _, ki := range sig.ChildElements() {
		if ki.Tag != dsig.KeyInfoTag {
			continue
		}
		for _, xd := range ki.ChildElements() {
			if xd.Tag != dsig.X509DataTag {
				continue
			}
			for _, xc := range xd.ChildElements() {
				if xc.Tag == dsig.X509CertificateTag && el == nil {
					el = xc
				}
			}
		}
	}
	if el == nil {
		return nil, false, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(el.Text()), ""))
	if err != nil {
		return nil, true, err
	}
	cert, err = x509.ParseCertificate(der)
	return cert, true, err
}
