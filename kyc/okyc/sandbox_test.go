package okyc

import (
	"bytes"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
)

func TestSandboxKeyAndCertificate(t *testing.T) {
	key, cert := SandboxKey()
	if !key.PublicKey.Equal(cert.PublicKey) {
		t.Fatal("the sandbox certificate is not the sandbox key's")
	}
	if !strings.Contains(cert.Subject.CommonName, "SANDBOX") || !strings.Contains(cert.Subject.CommonName, "NOT FOR PRODUCTION") {
		t.Errorf("subject %q, want it to say SANDBOX and NOT FOR PRODUCTION", cert.Subject.CommonName)
	}
	for _, at := range []time.Time{time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 12, 31, 0, 0, 0, 0, time.UTC)} {
		if at.Before(cert.NotBefore) || at.After(cert.NotAfter) {
			t.Errorf("certificate not valid at %v (valid %v to %v)", at, cert.NotBefore, cert.NotAfter)
		}
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	a, b := SandboxCertificates(), SandboxCertificates()
	if len(a) != 1 || !a[0].Equal(cert) || &a[0] == &b[0] {
		t.Errorf("SandboxCertificates = %d certs, want a fresh slice of the sandbox certificate", len(a))
	}
}

func TestWriteSandboxIsDeterministic(t *testing.T) {
	var one, two, other bytes.Buffer
	if err := WriteSandbox(&one, testParams()); err != nil {
		t.Fatal(err)
	}
	if err := WriteSandbox(&two, testParams()); err != nil {
		t.Fatal(err)
	}
	p := testParams()
	p.ShareCode = "cd34"
	if err := WriteSandbox(&other, p); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(one.Bytes(), two.Bytes()) {
		t.Error("two writes of the same parameters differ")
	}
	if bytes.Equal(one.Bytes(), other.Bytes()) {
		t.Error("another share code wrote the same bytes")
	}
	if _, err := Verify(other.Bytes(), "cd34", testOptions()); err != nil {
		t.Errorf("Verify under the other share code: %v", err)
	}
}

func TestWriteSandboxNowByDefault(t *testing.T) {
	p := testParams()
	p.GeneratedAt = time.Time{}
	var buf bytes.Buffer
	if err := WriteSandbox(&buf, p); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.Now = nil // time.Now
	res, err := Verify(buf.Bytes(), testCode, opts)
	if err != nil {
		t.Fatalf("Verify a file made now, now: %v", err)
	}
	if d := time.Since(res.GeneratedAt); d < 0 || d > time.Minute {
		t.Errorf("GeneratedAt %v is %v ago, want within a minute", res.GeneratedAt, d)
	}
	if f := onlyEntry(t, buf.Bytes()); time.Since(f.Modified.Add(-5*time.Hour-30*time.Minute)) > 24*time.Hour {
		t.Errorf("entry modified %v, want about now in India", f.Modified)
	}
}

func TestWriteSandboxDefaults(t *testing.T) {
	xmlBytes, name, err := sandboxXML(SandboxParams{Name: "Ravi", DOB: "1985", ShareCode: "0000", GeneratedAt: testAt}, sandboxSigning())
	if err != nil {
		t.Fatal(err)
	}
	if want := "offlineaadhaar20260301100406789.xml"; name != want {
		t.Errorf("entry name %q, want %q", name, want)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xmlBytes); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	poi := root.FindElement("UidData/Poi")
	for _, c := range []struct{ what, got, want string }{
		{"referenceId", root.SelectAttrValue("referenceId", ""), "123420260301100406789"},
		{"gender", poi.SelectAttrValue("gender", ""), "M"},
		{"dob", poi.SelectAttrValue("dob", ""), "1985"},
		{"m", poi.SelectAttrValue("m", "?"), ""},
		{"e", poi.SelectAttrValue("e", "?"), ""},
		{"pc", root.FindElement("UidData/Poa").SelectAttrValue("pc", ""), sandboxAddress.Pincode},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if _, err := jpeg.Decode(bytes.NewReader(defaultPhoto())); err != nil {
		t.Errorf("the default photo is not a JPEG: %v", err)
	}
}

func TestSandboxDOB(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"1990-05-17", "17-05-1990", true},
		{"17-05-1990", "17-05-1990", true},
		{"17/05/1990", "17-05-1990", true},
		{"1990", "1990", true},
		{"1990-02-30", "", false},
		{"17.05.1990", "", false},
		{"", "", false},
	} {
		got, ok := sandboxDOB(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("sandboxDOB(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestWriteSandboxRefusesBadParams(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*SandboxParams)
		want Code
	}{
		{"no name", func(p *SandboxParams) { p.Name = " " }, CodeBadSandboxParams},
		{"no dob", func(p *SandboxParams) { p.DOB = "" }, CodeBadSandboxParams},
		{"bad gender", func(p *SandboxParams) { p.Gender = "X" }, CodeBadSandboxParams},
		{"last4 of 3", func(p *SandboxParams) { p.Last4 = "123" }, CodeBadSandboxParams},
		{"last4 not digits", func(p *SandboxParams) { p.Last4 = "12a4" }, CodeBadSandboxParams},
		{"last4 a full number", func(p *SandboxParams) { p.Last4 = "234567890124" }, CodeBadSandboxParams},
		{"share code of 6", func(p *SandboxParams) { p.ShareCode = "abcdef" }, CodeBadShareCode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testParams()
			tc.edit(&p)
			var buf bytes.Buffer
			err := WriteSandbox(&buf, p)
			if got := CodeOf(err); got != tc.want {
				t.Fatalf("got %v, want code %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("wrote %d bytes on error, want none", buf.Len())
			}
		})
	}
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteSandboxReturnsWriteErrors(t *testing.T) {
	if err := WriteSandbox(failingWriter{}, testParams()); !errors.Is(err, errDiskFull) {
		t.Fatalf("got %v, want the writer's error", err)
	}
}

// TestUnzipOpensSandboxFile opens a sandbox file with Info-ZIP's unzip and
// the share code, as a resident or an operator would.
func TestUnzipOpensSandboxFile(t *testing.T) {
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Skip("unzip is not installed (apt-get install -y unzip): `unzip -P` on a sandbox file not checked")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "aadhaar.zip")
	var buf bytes.Buffer
	if err := WriteSandbox(&buf, testParams()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(unzip, "-q", "-P", testCode, path)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("unzip -P %s: %v: %s", testCode, err, out)
	}
	entries, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(entries) != 1 || !regexp.MustCompile(`^offlineaadhaar\d{17}\.xml$`).MatchString(filepath.Base(entries[0])) {
		t.Fatalf("unzip extracted %v, want one offlineaadhaar<17 digits>.xml", entries)
	}
	xmlBytes, _ := os.ReadFile(entries[0])
	if !bytes.HasPrefix(xmlBytes, []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><OfflinePaperlessKyc referenceId="567820260301100406789">`)) {
		t.Errorf("extracted XML starts %q, want UIDAI's prolog and root", xmlBytes[:min(len(xmlBytes), 120)])
	}
}
