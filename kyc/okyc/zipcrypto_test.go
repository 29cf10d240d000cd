package okyc

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// encryptedZip writes one ZipCrypto entry with writeEncrypted.
func encryptedZip(t *testing.T, name string, data []byte, password string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	header := bytes.NewReader([]byte("eleven-byte"))
	at := time.Date(2026, 3, 1, 10, 4, 6, 0, ist)
	if err := writeEncrypted(zw, name, at, data, []byte(password), header); err != nil {
		t.Fatalf("writeEncrypted: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func onlyEntry(t *testing.T, archive []byte) *zip.File {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatalf("zip.NewReader: %v", err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("got %d entries, want 1", len(zr.File))
	}
	return zr.File[0]
}

func TestZipCipherRoundTrip(t *testing.T) {
	plain := []byte("the quick brown fox jumps over the lazy dog, twice over")
	buf := append([]byte(nil), plain...)
	newZipCipher([]byte("ab12")).encrypt(buf)
	if bytes.Equal(buf, plain) {
		t.Fatal("encrypt left the plaintext as it was")
	}
	other := append([]byte(nil), buf...)
	newZipCipher([]byte("ab13")).decrypt(other)
	if bytes.Equal(other, plain) {
		t.Fatal("a different password decrypted the text")
	}
	newZipCipher([]byte("ab12")).decrypt(buf)
	if !bytes.Equal(buf, plain) {
		t.Fatalf("decrypt(encrypt(p)) = %q, want %q", buf, plain)
	}
}

func TestOpenEncrypted(t *testing.T) {
	data := bytes.Repeat([]byte("<Poi name=\"Asha Rao\"/>\n"), 200)
	archive := encryptedZip(t, "a.xml", data, "ab12")
	f := onlyEntry(t, archive)
	if f.Flags&zipFlagEncrypted == 0 || f.Method != zip.Deflate {
		t.Fatalf("flags %#x method %d, want the encrypted flag and deflate", f.Flags, f.Method)
	}
	if got := f.Modified.Format("2006-01-02 15:04:05"); got != "2026-03-01 10:04:06" {
		t.Errorf("modified %s, want 2026-03-01 10:04:06 (the MS-DOS time as written)", got)
	}
	got, err := openEncrypted(f, []byte("ab12"), MaxXMLSize)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("openEncrypted with the password: %d bytes, %v; want %d bytes", len(got), err, len(data))
	}
	if _, err := openEncrypted(f, []byte("AB12"), MaxXMLSize); !errors.Is(err, errWrongPassword) {
		t.Errorf("wrong password: got %v, want errWrongPassword", err)
	}
	if _, err := openEncrypted(f, []byte("ab12"), int64(len(data)-1)); !errors.Is(err, errEntryTooLarge) {
		t.Errorf("limit one byte short: got %v, want errEntryTooLarge", err)
	}
}

// TestOpenEncryptedWrongPasswordsNeverSucceed tries many wrong passwords:
// about one in 256 passes the header's check byte, and must then fail on
// the CRC-32.
func TestOpenEncryptedWrongPasswordsNeverSucceed(t *testing.T) {
	archive := encryptedZip(t, "a.xml", []byte(strings.Repeat("offline e-KYC ", 50)), "Zq9!")
	f := onlyEntry(t, archive)
	passedCheckByte := 0
	for i := range 3000 {
		pw := []byte{byte('a' + i%26), byte('a' + i/26%26), byte('0' + i/676%10), '#'}
		c := newZipCipher(pw)
		raw, _ := f.OpenRaw()
		var header [zipCryptoHeaderLen]byte
		if _, err := raw.Read(header[:]); err != nil {
			t.Fatal(err)
		}
		c.decrypt(header[:])
		if header[11] == checkByte(&f.FileHeader) {
			passedCheckByte++
		}
		if _, err := openEncrypted(f, pw, MaxXMLSize); !errors.Is(err, errWrongPassword) {
			t.Fatalf("password %q: got %v, want errWrongPassword", pw, err)
		}
	}
	if passedCheckByte == 0 {
		t.Errorf("no wrong password passed the check byte in 3000: the CRC-32 fallback went untested")
	}
}

func TestOpenEncryptedRefusesPlainAndOtherMethods(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("plain.xml")
	w.Write([]byte("<x/>"))
	zw.Close()
	f := onlyEntry(t, buf.Bytes())
	if _, err := openEncrypted(f, []byte("ab12"), MaxXMLSize); !errors.Is(err, errNotEncrypted) {
		t.Errorf("unencrypted entry: got %v, want errNotEncrypted", err)
	}
	f.Flags |= zipFlagEncrypted
	f.Method = 99 // WinZip AES
	if _, err := openEncrypted(f, []byte("ab12"), MaxXMLSize); !errors.Is(err, errUnsupported) {
		t.Errorf("AES entry: got %v, want errUnsupported", err)
	}
}

// TestUnzipOpensWhatWeWrite checks the output against Info-ZIP's unzip.
func TestUnzipOpensWhatWeWrite(t *testing.T) {
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Skip("unzip is not installed (apt-get install -y unzip): interoperability with Info-ZIP not checked")
	}
	data := []byte(strings.Repeat("<OfflinePaperlessKyc/>\n", 40))
	dir := t.TempDir()
	path := filepath.Join(dir, "file.zip")
	if err := os.WriteFile(path, encryptedZip(t, "offlineaadhaar20260301100406000.xml", data, "ab12"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(unzip, "-p", "-P", "ab12", path).Output()
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("unzip -P ab12: %d bytes, %v; want %d bytes as written", len(out), err, len(data))
	}
	if out, err := exec.Command(unzip, "-p", "-P", "zz99", path).CombinedOutput(); err == nil {
		t.Fatalf("unzip -P with the wrong password succeeded: %q", out)
	}
}

// TestOpenWhatZipWrites reads entries Info-ZIP's zip encrypts, from a file
// and from standard input; both are written in one pass, with a data
// descriptor, so their check byte is the modification time's.
func TestOpenWhatZipWrites(t *testing.T) {
	zipCmd, err := exec.LookPath("zip")
	if err != nil {
		t.Skip("zip is not installed (apt-get install -y zip): reading Info-ZIP's encryption not checked")
	}
	data := []byte(strings.Repeat("paperless offline e-KYC\n", 64))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "doc.xml"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		stdout bool
	}{
		{"file", []string{"-q", "-P", "k7#x", "out.zip", "doc.xml"}, false},
		{"stdin", []string{"-q", "-P", "k7#x", "-", "-"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(zipCmd, tc.args...)
			cmd.Dir = dir
			cmd.Stdin = bytes.NewReader(data)
			var stdout bytes.Buffer
			cmd.Stdout = &stdout
			if err := cmd.Run(); err != nil {
				t.Fatalf("zip %v: %v", tc.args, err)
			}
			archive := stdout.Bytes()
			if !tc.stdout {
				archive, _ = os.ReadFile(filepath.Join(dir, "out.zip"))
			}
			f := onlyEntry(t, archive)
			if f.Flags&zipFlagDataDescriptor == 0 {
				t.Logf("no data descriptor: the CRC check byte was used")
			}
			got, err := openEncrypted(f, []byte("k7#x"), MaxXMLSize)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("openEncrypted: %d bytes, %v; want %d bytes", len(got), err, len(data))
			}
			if _, err := openEncrypted(f, []byte("k7#y"), MaxXMLSize); !errors.Is(err, errWrongPassword) {
				t.Errorf("wrong password: got %v, want errWrongPassword", err)
			}
		})
	}
}
