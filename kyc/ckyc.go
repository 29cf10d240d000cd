package kyc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// CKYCRecord is what a CKYC search or download returns: the 14-digit KYC
// identifier (masked to its last four digits before it is stored), and on
// download the holder's particulars.
type CKYCRecord struct {
	Found      bool
	CKYCNumber string
	Name       string
	DOB        string // YYYY-MM-DD
	PhotoHash  string // hex SHA-256 of the photo
	Ref        string
}

// CKYCProvider searches the Central KYC Registry by PAN and downloads a
// record once the customer has consented with the OTP the registry sent
// to the mobile on record. Errors mean the registry did not answer.
type CKYCProvider interface {
	Name() string
	// Search looks the PAN up; a found record carries its number and
	// Ref, which Download takes.
	Search(ctx context.Context, pan string) (CKYCRecord, error)
	// RequestOTP asks the registry to send the download OTP; it returns
	// the masked mobile it went to.
	RequestOTP(ctx context.Context, ref string) (string, error)
	// Download fetches the record with the customer's OTP; ok is false
	// when the OTP is wrong or expired.
	Download(ctx context.Context, ref, otp string) (rec CKYCRecord, ok bool, err error)
}

// SandboxCKYC is the deterministic registry of the embedded default: a PAN
// whose digits end in 5 has no CKYC record; any other well-formed PAN has
// one (its download carries a photo hash but no name or date of birth);
// the OTP is always 123456, sent to XXXXXX1234.
type SandboxCKYC struct{}

// Name is "sandbox".
func (SandboxCKYC) Name() string { return "sandbox" }

// Search finds every PAN whose digits do not end in 5.
func (SandboxCKYC) Search(_ context.Context, pan string) (CKYCRecord, error) {
	if len(pan) != 10 || pan[8] == '5' {
		return CKYCRecord{Ref: "sandbox-ckyc-none"}, nil
	}
	ref := "sandbox-ckyc-" + SubjectHash("pan", pan)[:20]
	return CKYCRecord{Found: true, CKYCNumber: sandboxCKYCNumber(ref), Ref: ref}, nil
}

// sandboxCKYCNumber is the 14-digit CKYC number of a sandbox record.
func sandboxCKYCNumber(ref string) string {
	sum := sha256.Sum256([]byte("ckyc/" + ref))
	num := ""
	for _, b := range sum[:7] {
		num += string(rune('0'+b%10)) + string(rune('0'+(b/10)%10))
	}
	return num
}

// RequestOTP always "sends" the OTP to XXXXXX1234.
func (SandboxCKYC) RequestOTP(context.Context, string) (string, error) { return "XXXXXX1234", nil }

// Download accepts the OTP 123456.
func (SandboxCKYC) Download(_ context.Context, ref, otp string) (CKYCRecord, bool, error) {
	if otp != "123456" {
		return CKYCRecord{}, false, nil
	}
	if !strings.HasPrefix(ref, "sandbox-ckyc-") {
		return CKYCRecord{}, false, nil
	}
	photo := sha256.Sum256([]byte("ckyc-photo/" + ref))
	return CKYCRecord{Found: true, CKYCNumber: sandboxCKYCNumber(ref), Ref: ref, PhotoHash: hex.EncodeToString(photo[:])}, true, nil
}
