package okyc

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"sync"
	"testing"
	"time"
)

// testAt is when the test files are made; tests verify them an hour later.
var testAt = time.Date(2026, 3, 1, 10, 4, 6, 789_000_000, ist)

const testCode = "ab12"

func testParams() SandboxParams {
	return SandboxParams{
		Name: "Asha Rao", DOB: "1990-05-17", Gender: "F", ShareCode: testCode, Last4: "5678",
		Mobile: "9876543210", Email: "asha@example.com", GeneratedAt: testAt,
		Address: Address{CareOf: "D/O Ravi Rao", House: "42", Street: "1st Cross", Locality: "Jayanagar",
			VTC: "Bengaluru", PostOffice: "Jayanagar", SubDistrict: "Bangalore South", District: "Bengaluru Urban",
			State: "Karnataka", Country: "India", Pincode: "560011"},
	}
}

func testOptions() Options {
	return Options{Certificates: SandboxCertificates(), Now: func() time.Time { return testAt.Add(time.Hour) }}
}

func sandboxSigning() signer {
	key, cert := SandboxKey()
	return signer{key: key, cert: cert, hash: crypto.SHA256, keyInfo: true}
}

// sandboxFile writes a sandbox ZIP signed by s.
func sandboxFile(t testing.TB, p SandboxParams, s signer) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := writeSigned(&buf, p, s); err != nil {
		t.Fatalf("writeSigned: %v", err)
	}
	return buf.Bytes()
}

// otherSigner is a key and certificate the sandbox does not trust.
var otherSigner = sync.OnceValue(func() signer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "not trusted"},
		NotBefore: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return signer{key: key, cert: cert, hash: crypto.SHA256, keyInfo: true}
})

// wantCode fails t unless err is an *Error with code whose message is
// safe (it quotes nothing of the file) and which maps to a client error.
func wantCode(t *testing.T, res *Result, err error, code Code) {
	t.Helper()
	if got := CodeOf(err); got != code {
		t.Fatalf("got code %q (err %v), want %q", got, err, code)
	}
	if res != nil {
		t.Errorf("got a Result with error %s, want nil", code)
	}
}
