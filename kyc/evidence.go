// Package kyc is Nirnay's know-your-customer evidence (DESIGN §16): each
// check of a customer — PAN, Aadhaar offline e-KYC, CKYC, bank account,
// video KYC, sanctions screening — runs through a provider behind a small
// interface (a deterministic sandbox is the embedded default) and leaves
// one immutable Evidence record, whose result is also written as the
// customer's features (pan_status, pan_name_match_score, aadhaar_okyc_status,
// penny_drop_status, kyc_completed_at …) that the kyc step's policy
// decides on. The lending core pays out only to a bank account with
// verified evidence (VerifiedAccount).
//
// No full Aadhaar number is ever stored or logged: offline e-KYC keeps the
// UIDAI reference id and the last four digits; identifiers that must be
// found again (PAN, bank account) are kept as hashes, results masked.
package kyc

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/nirnay/nirnay/pii"
)

// Check is a kind of KYC check (the {check} of the API path).
type Check string

// The checks.
const (
	CheckPAN       Check = "pan"
	CheckAadhaar   Check = "aadhaar-offline"
	CheckCKYC      Check = "ckyc"
	CheckBank      Check = "bank-account"
	CheckVideo     Check = "video"
	CheckScreening Check = "screening"
)

// Checks lists every check, in the order a journey usually runs them.
var Checks = []Check{CheckPAN, CheckAadhaar, CheckCKYC, CheckBank, CheckVideo, CheckScreening}

// Valid reports whether c is a known check.
func (c Check) Valid() bool {
	for _, k := range Checks {
		if c == k {
			return true
		}
	}
	return false
}

// Status is the outcome of a check.
type Status string

// The statuses: verified (the provider confirmed it), failed (it did not:
// Reason says why), pending (a further step is awaited, e.g. the
// customer's OTP for a CKYC download) and error (the provider could not
// answer; the check may be tried again).
const (
	StatusVerified Status = "verified"
	StatusFailed   Status = "failed"
	StatusPending  Status = "pending"
	StatusError    Status = "error"
)

// Evidence is one check's immutable record (DESIGN §16 JSON). Result holds
// what the provider answered, masked (no full identifier, no Aadhaar
// number); Scores the match scores in [0, 1].
type Evidence struct {
	ID          string `json:"id"`
	CustomerID  string `json:"customer_id"`
	Check       Check  `json:"check"`
	Provider    string `json:"provider"`
	ProviderRef string `json:"provider_ref,omitempty"`
	Status      Status `json:"status"`
	Reason      string `json:"reason,omitempty"`
	// SubjectHash identifies what was checked when it must be found again
	// (the PAN's pan_hash, the bank account's account_hash).
	SubjectHash string             `json:"subject_hash,omitempty"`
	Result      map[string]any     `json:"result"`
	Scores      map[string]float64 `json:"scores"`
	// PayloadSHA256 is the hash of the raw provider payload (the offline
	// e-KYC XML), kept instead of the payload.
	PayloadSHA256 string `json:"payload_sha256,omitempty"`
	ConsentRef    string `json:"consent_ref,omitempty"`
	// Completes names the pending evidence this record completes.
	Completes  string     `json:"completes,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	VerifiedAt *time.Time `json:"verified_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
}

// Current reports whether e is verified and not expired at now.
func (e *Evidence) Current(now time.Time) bool {
	return e.Status == StatusVerified && (e.ExpiresAt == nil || now.Before(*e.ExpiresAt))
}

// SubjectHash is the hash by which an identifier (a PAN, "IFSC/account
// number") is found again: hex SHA-256 of the domain and the identifier
// in upper case. It is what decision inputs carry as pan_hash and
// account_hash for checked identifiers.
func SubjectHash(domain, id string) string {
	sum := sha256.Sum256([]byte("nirnay-kyc/" + domain + "/" + strings.ToUpper(strings.TrimSpace(id))))
	return hex.EncodeToString(sum[:])
}

// maskTail keeps the last n characters of s and replaces the rest by X.
func maskTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Repeat("X", len(s)-n) + s[len(s)-n:]
}

// withoutAadhaar is v with every Aadhaar number in its strings masked to
// the last four digits (pii.TextOf), however deep: what is stored never
// holds one, whatever a client or a provider put in a name or a note.
func withoutAadhaar(v any) any {
	switch x := v.(type) {
	case string:
		return pii.TextOf(x, pii.Aadhaar)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = withoutAadhaar(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutAadhaar(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withoutAadhaar(e)
		}
		return out
	}
	return v
}
