package okyc

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCertificates(t *testing.T) {
	dir := t.TempDir()
	sandbox := SandboxCertificates()[0]
	other := otherSigner().cert
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	sandboxPEMFile := write("sandbox.pem", pemOf(sandbox.Raw))
	bundle := write("bundle.pem", append(append([]byte("UIDAI certificates\n"), pemOf(other.Raw)...), pemOf(sandbox.Raw)...))
	der := write("uidai.cer", other.Raw)
	keyAndCert := write("signer.pem", sandboxPEM) // a PRIVATE KEY block is skipped
	noCert := write("empty.pem", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"))
	garbage := write("garbage.cer", []byte("not a certificate"))

	for _, tc := range []struct {
		name    string
		paths   string
		want    int
		wantErr string
	}{
		{"none", "", 0, ""},
		{"spaces only", " , ", 0, ""},
		{"one PEM", sandboxPEMFile, 1, ""},
		{"a bundle", bundle, 2, ""},
		{"DER", der, 1, ""},
		{"key and certificate", keyAndCert, 1, ""},
		{"comma list", sandboxPEMFile + ", " + der, 2, ""},
		{"colon list", sandboxPEMFile + ":" + bundle + ":" + der, 4, ""},
		{"missing file", filepath.Join(dir, "absent.pem"), 0, "absent.pem"},
		{"no certificate", noCert, 0, "no CERTIFICATE block"},
		{"garbage", garbage, 0, "neither PEM nor a DER certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			certs, err := LoadCertificates(tc.paths)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(certs) != tc.want {
				t.Fatalf("got %d certificates, %v; want %d", len(certs), err, tc.want)
			}
		})
	}
	certs, _ := LoadCertificates(sandboxPEMFile)
	if _, err := Verify(sandboxFile(t, testParams(), sandboxSigning()), testCode, Options{Certificates: certs, Now: testOptions().Now}); err != nil {
		t.Errorf("Verify with the loaded sandbox certificate: %v", err)
	}
}

func TestAddressLine(t *testing.T) {
	for _, tc := range []struct {
		a    Address
		want string
	}{
		{Address{}, ""},
		{Address{VTC: "Pune", District: "Pune", State: "Maharashtra", Pincode: "411001"}, "Pune, Maharashtra, 411001"},
		{Address{House: " 7 ", Street: "", Locality: "Camp", VTC: "camp"}, "7, Camp"},
	} {
		if got := tc.a.Line(); got != tc.want {
			t.Errorf("%+v.Line() = %q, want %q", tc.a, got, tc.want)
		}
	}
}

func TestParseReferenceID(t *testing.T) {
	for _, tc := range []struct {
		ref, last4, at string
		ok             bool
	}{
		{"567820260301100406789", "5678", "2026-03-01T10:04:06.789+05:30", true},
		{"000019991231235959000", "0000", "1999-12-31T23:59:59+05:30", true},
		{"56782026030110040678", "", "", false},   // 20 digits
		{"5678202603011004067890", "", "", false}, // 22 digits
		{"567820260230100406789", "", "", false},  // 30 February
		{"5678202603011004067a9", "", "", false},
		{"５678202603011004067", "", "", false}, // a full-width digit
		{"", "", "", false},
	} {
		last4, at, ok := parseReferenceID(tc.ref)
		got := ""
		if ok {
			got = at.Format("2006-01-02T15:04:05.999Z07:00")
		}
		if ok != tc.ok || last4 != tc.last4 || got != tc.at {
			t.Errorf("parseReferenceID(%q) = %q, %s, %v; want %q, %s, %v", tc.ref, last4, got, ok, tc.last4, tc.at, tc.ok)
		}
		if ok && formatReferenceID(last4, at) != tc.ref {
			t.Errorf("formatReferenceID(%q, %v) = %q, want %q", last4, at, formatReferenceID(last4, at), tc.ref)
		}
	}
}
