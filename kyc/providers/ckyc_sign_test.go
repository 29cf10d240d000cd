package providers_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/kyc/providers"
)

// gcmSealer is a stand-in for the FI's sealer, shared by the fake: AES-GCM
// under one key, the nonce as SESSION_KEY.
type gcmSealer struct{ aead cipher.AEAD }

func newGCMSealer() gcmSealer {
	block, _ := aes.NewCipher(bytes.Repeat([]byte{7}, 32))
	aead, _ := cipher.NewGCM(block)
	return gcmSealer{aead}
}

func (s gcmSealer) Seal(_ context.Context, pid []byte) (string, string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nil, nonce, pid, nil)), base64.StdEncoding.EncodeToString(nonce), nil
}

func (s gcmSealer) Open(_ context.Context, pid, sk string) ([]byte, error) {
	ct, err1 := base64.StdEncoding.DecodeString(pid)
	nonce, err2 := base64.StdEncoding.DecodeString(sk)
	if err := errors.Join(err1, err2); err != nil || len(nonce) != s.aead.NonceSize() {
		return nil, fmt.Errorf("bad PID or session key: %v", err)
	}
	return s.aead.Open(nil, nonce, ct, nil)
}

// testCert is a self-signed RSA certificate valid around t0.
func testCert(t *testing.T) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "IN1234"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return key, cert
}

func TestCKYCSignedAndSealed(t *testing.T) {
	key, cert := testCert(t)
	signer, err := providers.NewXMLSigner(key, cert)
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeCKYC(t)
	f.cert, f.sealer = cert, newGCMSealer()
	c := cersai(t, f, func(c *providers.CKYCConfig) { c.Signer, c.Sealer = signer, newGCMSealer() })
	if _, _, rec, ok, err := download(t, c, ckycPAN, "123456"); err != nil || !ok || rec.CKYCNumber != ckycNumber(ckycPAN) {
		t.Fatalf("signed and sealed: %+v %v %v, want the record", rec, ok, err)
	}
	for i, body := range f.bodies {
		if !strings.Contains(body, `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`) || !strings.Contains(body, "rsa-sha256") {
			t.Errorf("request %d is not signed with RSA-SHA256: %s", i+1, body)
		}
		if strings.Contains(body, ckycPAN) || strings.Contains(body, base64.StdEncoding.EncodeToString([]byte(f.pids[i]))) {
			t.Errorf("request %d carries its PID in the clear", i+1)
		}
	}
	// Unsigned, or signed with another key: the registry refuses.
	otherKey, otherCert := testCert(t)
	otherSigner, err := providers.NewXMLSigner(otherKey, otherCert)
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]providers.CKYCSigner{"unsigned": nil, "another key": otherSigner} {
		_, err := cersai(t, f, func(c *providers.CKYCConfig) { c.Signer, c.Sealer = s, newGCMSealer() }).Search(context.Background(), ckycPAN)
		var ce *providers.CKYCError
		if !errors.As(err, &ce) || !strings.Contains(ce.Message, "Digital signature cannot be verified") {
			t.Errorf("%s: %v, want the registry's signature refusal", name, err)
		}
	}
}

func TestNewCKYCAndXMLSigner(t *testing.T) {
	key, cert := testCert(t)
	signer, _ := providers.NewXMLSigner(key, cert)
	for _, c := range []struct {
		name string
		cfg  providers.CKYCConfig
		says string // "" accepted
	}{
		{"gateway", providers.CKYCConfig{URL: "https://gw.example/ckyc", FICode: "IN1234", APIKey: "k"}, ""},
		{"no FI code", providers.CKYCConfig{URL: "https://gw.example/ckyc"}, "FI code"},
		{"no URL", providers.CKYCConfig{FICode: "IN1234"}, "URL"},
		{"plain http", providers.CKYCConfig{URL: "http://gw.example", FICode: "IN1234"}, "https"},
		{"one endpoint plain http", providers.CKYCConfig{URL: "https://gw.example", FICode: "IN1234", ValidateOTPURL: "http://gw.example/v"}, "ValidateOTPURL"},
		{"the registry without a sealer", providers.CKYCConfig{URL: "https://testbed.ckycindia.in", FICode: "IN1234", Signer: signer}, "Sealer"},
		{"the registry", providers.CKYCConfig{URL: "https://www.ckycindia.in", FICode: "IN1234", Signer: signer, Sealer: newGCMSealer()}, ""},
	} {
		_, err := providers.NewCKYC(c.cfg)
		if (c.says == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.says)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.says)
		}
	}
	other, _ := testCert(t)
	if _, err := providers.NewXMLSigner(other, cert); err == nil {
		t.Errorf("NewXMLSigner took a certificate that is not the key's")
	}
	if _, err := providers.NewXMLSigner(nil, cert); err == nil {
		t.Errorf("NewXMLSigner took no key")
	}
}

// TestCKYCLogsAndErrorsHoldNoIdentifier runs calls that retry and fail
// with a log at debug level: neither the log nor any error shows the PAN,
// the CKYC number or the reference id.
func TestCKYCLogsAndErrorsHoldNoIdentifier(t *testing.T) {
	var log bytes.Buffer
	f := newFakeCKYC(t)
	c := cersai(t, f, func(c *providers.CKYCConfig) {
		c.Logger = slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	var errs []error
	f.failHTTP = []int{503, 0}
	found, err := c.Search(context.Background(), ckycPAN)
	errs = append(errs, err)
	f.failHTTP = []int{503}
	_, err = c.RequestOTP(context.Background(), found.Ref)
	errs = append(errs, err)
	f.failHTTP = []int{0}
	_, _, err = c.Download(context.Background(), found.Ref, "123456")
	errs = append(errs, err)
	if errors.Join(errs...) != nil || f.calls.Load() != 7 {
		t.Fatalf("%v after %d calls, want the flow through after 7", errs, f.calls.Load())
	}
	num := ckycNumber(ckycPAN)
	f.raw = []string{`<REQ_ROOT><CKYC_INQ><ERROR>No such record ` + ckycPAN + ` ` + num + ` ` + ckycRefID(ckycPAN) + `</ERROR></CKYC_INQ></REQ_ROOT>`}
	_, err = c.Search(context.Background(), ckycPAN)
	errs = append(errs, err)
	if !strings.Contains(log.String(), "XXXXXX234F") || !strings.Contains(log.String(), "retrying") {
		t.Errorf("the log %q, want retries naming the masked PAN XXXXXX234F", log.String())
	}
	for _, e := range errs {
		log.WriteString(fmt.Sprint(e) + "\n")
	}
	for _, id := range []string{ckycPAN, num, ckycRefID(ckycPAN)} {
		if strings.Contains(log.String(), id) {
			t.Errorf("the log or an error shows %s:\n%s", id, log.String())
		}
	}
	if !regexp.MustCompile(`No such record XXXXXX234F`).MatchString(fmt.Sprint(errs[3])) {
		t.Errorf("the registry's message %v, want it kept, redacted", errs[3])
	}
}
