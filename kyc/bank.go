package kyc

import (
	"context"
	"regexp"
	"strings"

	"github.com/nirnay/nirnay"
)

// BankRequest is a bank account to verify by penny drop.
type BankRequest struct {
	AccountNumber string
	IFSC          string
	Name          string // the name the customer declared, for the provider's own match
}

// BankResult is a penny drop's answer: whether the account exists and can
// be credited (Exists; Reason otherwise, e.g. account_not_found,
// account_closed), the beneficiary name the bank returned, and the
// provider's transaction reference.
type BankResult struct {
	Exists     bool
	Reason     string
	NameAtBank string
	Ref        string
}

// BankProvider verifies a bank account by crediting it a rupee (penny
// drop) and reading the beneficiary name back. An error means the
// provider did not answer (error evidence).
type BankProvider interface {
	Name() string
	PennyDrop(ctx context.Context, r BankRequest) (BankResult, error)
}

var (
	ifscPattern    = regexp.MustCompile(`^[A-Z]{4}0[A-Z0-9]{6}$`)
	accountPattern = regexp.MustCompile(`^[0-9]{9,18}$`)
)

// normalizeAccount checks an account number (9 to 18 digits) and IFSC
// (four letters, a zero, six letters or digits), upper-casing the IFSC.
func normalizeAccount(number, ifsc string) (string, string, error) {
	n := strings.TrimSpace(number)
	code := strings.ToUpper(strings.TrimSpace(ifsc))
	if !accountPattern.MatchString(n) {
		return "", "", nirnay.FieldError("account_number", "must be 9 to 18 digits")
	}
	if !ifscPattern.MatchString(code) {
		return "", "", nirnay.FieldError("ifsc", "must be an IFSC: four letters, a zero and six letters or digits, e.g. HDFC0001234")
	}
	return n, code, nil
}

// AccountHash is the account_hash of an account: what decision inputs and
// the lending core name it by.
func AccountHash(number, ifsc string) string {
	return SubjectHash("bank-account", strings.ToUpper(ifsc)+"/"+number)
}

// SandboxBank is the deterministic penny-drop provider of the embedded
// default: a well-formed account exists unless its number ends in 000
// (account_not_found) or 111 (account_closed); the name at the bank is the
// declared name, unless the number ends in 7 (then "Ramesh Gupta").
type SandboxBank struct{}

// Name is "sandbox".
func (SandboxBank) Name() string { return "sandbox" }

// PennyDrop answers per the rules above.
func (SandboxBank) PennyDrop(_ context.Context, r BankRequest) (BankResult, error) {
	res := BankResult{Exists: true, NameAtBank: r.Name, Ref: "sandbox-pd-" + maskTail(r.AccountNumber, 4)}
	switch {
	case strings.HasSuffix(r.AccountNumber, "000"):
		res = BankResult{Reason: "account_not_found", Ref: res.Ref}
	case strings.HasSuffix(r.AccountNumber, "111"):
		res = BankResult{Reason: "account_closed", Ref: res.Ref}
	case strings.HasSuffix(r.AccountNumber, "7"):
		res.NameAtBank = "Ramesh Gupta"
	}
	return res, nil
}
