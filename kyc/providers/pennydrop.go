package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nirnay/nirnay/kyc"
)

// PennyDropConfig configures a PennyDrop adapter. URL, ClientID and
// ClientSecret are required.
type PennyDropConfig struct {
	URL          string       // the sync verification endpoint, e.g. https://api.cashfree.com/verification/bank-account/sync
	ClientID     string       // the x-client-id header
	ClientSecret string       // the x-client-secret header
	Client       *http.Client // default: as ProteanConfig's
	// Attempts per call (default DefaultAttempts): transport errors, 429
	// and 5xx answers are tried again after RetryDelay (default
	// DefaultRetryDelay), doubling with jitter. A retried drop whose first
	// attempt did reach the bank may credit the account twice: a rupee,
	// not a wrong answer.
	Attempts   int
	RetryDelay time.Duration
	Logger     *slog.Logger // default slog.Default(): retries, with masked account numbers
}

// PennyDrop verifies bank accounts with Cashfree's Bank Account
// Verification V2, synchronous: POST {"bank_account", "ifsc", "name"} with
// the x-client-id and x-client-secret headers, answered on success (HTTP
// 200) by {"reference_id", "name_at_bank", "account_status",
// "account_status_code", "name_match_score", "utr", …}. The result:
//
//   - account_status VALID: the account exists; NameAtBank is name_at_bank;
//   - account_status INVALID: Exists false with a Reason from
//     account_status_code: INVALID_ACCOUNT_FAIL account_not_found,
//     ACCOUNT_BLOCKED account_blocked, INVALID_IFSC_FAIL ifsc_invalid,
//     NRE_ACCOUNT_FAIL nre_account, FRAUD_ACCOUNT account_flagged_fraud,
//     and any other code lower-cased without its _FAIL (ACCOUNT_CLOSED
//     account_closed); account_invalid when there is none;
//   - any other status (RECEIVED, IN_PROCESS, FAILED …), or a code saying
//     the drop did not complete (the bank or the rails did not answer:
//     FAILED_AT_BANK, NPCI_UNAVAILABLE, CONNECTION_TIMEOUT,
//     BENEFICIARY_BANK_OFFLINE, BENE_BANK_DECLINED, SOURCE_BANK_DECLINED,
//     IMPS_MODE_FAIL; or the merchant's side: INSUFFICIENT_BALANCE,
//     BAV_BLOCKED, VERIFICATION_ALREADY_UNDER_PROCESS): an error, not
//     retried (the check can be repeated).
//
// Ref is reference_id. Other HTTP statuses are a *BankError (400 the
// request refused, 401 bad credentials, 403 the caller's IP not allowed,
// 422 the merchant's balance too low); 429 and 5xx are tried again. It is
// safe for concurrent use.
type PennyDrop struct {
	cfg  PennyDropConfig
	post *poster
}

// NewPennyDrop returns the adapter; it fails without an https URL (plain
// http is accepted to a loopback host only) or without credentials.
func NewPennyDrop(cfg PennyDropConfig) (*PennyDrop, error) {
	if err := checkURL("URL", cfg.URL); err != nil {
		return nil, fmt.Errorf("penny drop: %w", err)
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, fmt.Errorf("penny drop: a client id and a client secret are required")
	}
	return &PennyDrop{cfg: cfg, post: newPoster("cashfree", cfg.Client, cfg.Attempts, cfg.RetryDelay, cfg.Logger)}, nil
}

// Name is "cashfree".
func (*PennyDrop) Name() string { return "cashfree" }

type bankRequest struct {
	BankAccount string `json:"bank_account"`
	IFSC        string `json:"ifsc"`
	Name        string `json:"name,omitempty"`
}

type bankResponse struct {
	ReferenceID   json.RawMessage `json:"reference_id"`
	NameAtBank    string          `json:"name_at_bank"`
	AccountStatus string          `json:"account_status"`
	StatusCode    string          `json:"account_status_code"`
}

type bankErrorBody struct {
	Code    string `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// BankError is an answer other than HTTP 200 (or 429 and 5xx after the
// retries), with the provider's error code and message (digits that could
// be an account number masked).
type BankError struct {
	Status  int
	Code    string
	Message string
}

func (e *BankError) Error() string {
	what := map[int]string{400: "request refused", 401: "authentication failure", 403: "forbidden (IP not allowed?)",
		404: "no such endpoint", 422: "unprocessable (balance too low?)"}[e.Status]
	if what == "" {
		what = "unexpected answer"
	}
	s := fmt.Sprintf("cashfree: HTTP %d %s", e.Status, what)
	if e.Code != "" {
		s += ": " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// invalidReasons are the Reasons of the INVALID codes named in the doc.
var invalidReasons = map[string]string{
	"INVALID_ACCOUNT_FAIL": "account_not_found", "ACCOUNT_BLOCKED": "account_blocked", "INVALID_IFSC_FAIL": "ifsc_invalid",
	"NRE_ACCOUNT_FAIL": "nre_account", "FRAUD_ACCOUNT": "account_flagged_fraud",
}

// unanswered are codes for a drop that did not reach an answer.
var unanswered = map[string]bool{
	"FAILED_AT_BANK": true, "NPCI_UNAVAILABLE": true, "CONNECTION_TIMEOUT": true, "SOURCE_BANK_DECLINED": true,
	"BENE_BANK_DECLINED": true, "BENEFICIARY_BANK_OFFLINE": true, "IMPS_MODE_FAIL": true, "INSUFFICIENT_BALANCE": true,
	"BAV_BLOCKED": true, "VERIFICATION_ALREADY_UNDER_PROCESS": true,
}

// PennyDrop verifies the account per the type's doc. Errors: a *BankError,
// an error for an answer that is not final or not the JSON above, the
// transport's or ctx's error after the retries.
func (p *PennyDrop) PennyDrop(ctx context.Context, r kyc.BankRequest) (kyc.BankResult, error) {
	number, ifsc := strings.TrimSpace(r.AccountNumber), strings.ToUpper(strings.TrimSpace(r.IFSC))
	body, err := json.Marshal(bankRequest{BankAccount: number, IFSC: ifsc, Name: r.Name})
	if err != nil {
		return kyc.BankResult{}, err
	}
	hdr := http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}
	hdr.Set("X-Client-Id", p.cfg.ClientID)
	hdr.Set("X-Client-Secret", p.cfg.ClientSecret)
	var res kyc.BankResult
	err = p.post.post(ctx, p.cfg.URL, hdr, body, mask(number), func(status int, data []byte) error {
		if status != http.StatusOK {
			var eb bankErrorBody
			_ = json.Unmarshal(data, &eb) // an error body that is not JSON still gives the status
			code := eb.Code
			if code == "" {
				code = eb.Type
			}
			return &BankError{Status: status, Code: redact(code), Message: redact(eb.Message)}
		}
		var resp bankResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return fmt.Errorf("cashfree: answer is not the verification JSON: %w", err)
		}
		var err error
		res, err = bankResult(resp)
		return err
	})
	if err != nil {
		return kyc.BankResult{}, err
	}
	return res, nil
}

// bankResult maps a 200 answer.
func bankResult(resp bankResponse) (kyc.BankResult, error) {
	ref := string(bytes.Trim(bytes.TrimSpace(resp.ReferenceID), `"`))
	if ref == "null" {
		ref = ""
	}
	status := strings.ToUpper(strings.TrimSpace(resp.AccountStatus))
	code := strings.ToUpper(strings.TrimSpace(resp.StatusCode))
	switch {
	case unanswered[code]:
		return kyc.BankResult{}, fmt.Errorf("cashfree: verification did not complete: %s (reference %s)", redact(code), redact(ref))
	case status == "VALID":
		return kyc.BankResult{Exists: true, NameAtBank: strings.TrimSpace(resp.NameAtBank), Ref: ref}, nil
	case status == "INVALID":
		reason := invalidReasons[code]
		if reason == "" {
			reason = strings.ToLower(strings.TrimSuffix(code, "_FAIL"))
		}
		if reason == "" {
			reason = "account_invalid"
		}
		return kyc.BankResult{Reason: redact(reason), Ref: ref}, nil
	}
	return kyc.BankResult{}, fmt.Errorf("cashfree: verification not final: account_status %q, account_status_code %q (reference %s)",
		redact(status), redact(code), redact(ref))
}
