package kyc

import (
	"context"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/kyc/names"
)

// PANInput is a PAN check's body: the PAN, and the holder's name and date
// of birth (YYYY-MM-DD) as the customer declared them.
type PANInput struct {
	PAN        string `json:"pan"`
	Name       string `json:"name"`
	DOB        string `json:"dob"`
	FatherName string `json:"father_name,omitempty"`
	ConsentRef string `json:"consent_ref,omitempty"`
}

func checkName(field, name string) (string, error) {
	n := strings.Join(strings.Fields(name), " ")
	if n == "" || len(n) > 200 {
		return "", nirnay.FieldError(field, "must be the holder's name, 1 to 200 characters")
	}
	return n, nil
}

func checkDOB(field, dob string) error {
	if _, err := time.Parse(time.DateOnly, dob); err != nil {
		return nirnay.FieldError(field, "must be a date of birth as YYYY-MM-DD")
	}
	return nil
}

// ageOn is the age in completed years on now (India's date) of a date
// of birth YYYY-MM-DD; -1 when it does not parse.
func ageOn(dob string, now time.Time) int64 {
	d, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		return -1
	}
	y, m, day := now.In(india.Zone).Date()
	age := y - d.Year()
	if m < d.Month() || (m == d.Month() && day < d.Day()) {
		age--
	}
	return int64(age)
}

func checkConsent(ref string) error {
	if len(ref) > 128 {
		return nirnay.FieldError("consent_ref", "at most 128 characters")
	}
	return nil
}

// CheckPAN verifies the customer's PAN (batched with concurrent
// verifications). The evidence's subject is the PAN's pan_hash; its
// result keeps the PAN masked, the status, the seeding and the holder's
// name on record; its scores the name match. Features: pan_status and
// pan_aadhaar_linked of the PAN, customers_per_pan (customers with PAN
// evidence for it), and the customer's pan_name_match_score (0–100) and
// pan_dob_match. Errors: KindInvalid for a malformed input; a provider
// that does not answer is recorded as error evidence (returned, no
// error).
func (s *Service) CheckPAN(ctx context.Context, customerID string, in PANInput) (*Evidence, error) {
	pan, err := NormalizePAN("pan", in.PAN)
	if err != nil {
		return nil, err
	}
	name, err := checkName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkDOB("dob", in.DOB); err != nil {
		return nil, err
	}
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	hash := SubjectHash("pan", pan)
	e := &Evidence{CustomerID: customerID, Check: CheckPAN, Provider: s.pan.Name(), SubjectHash: hash, ConsentRef: in.ConsentRef,
		Result: map[string]any{"pan": maskTail(pan, 4), "pan_hash": hash}}
	res, err := s.pan.Verify(ctx, PANRequest{PAN: pan, Name: name, FatherName: in.FatherName, DOB: in.DOB})
	if err != nil {
		e.Status, e.Reason = StatusError, "provider_unavailable"
		s.log.Warn("kyc: PAN provider failed", "provider", s.pan.Name(), "err", err)
		return s.record(ctx, e, nil)
	}
	e.ProviderRef = res.Ref
	score := 0.0
	switch {
	case res.NameOnRecord != "":
		score = s.match(name, res.NameOnRecord)
	case res.NameMatch == "Y":
		score = 1
	}
	linked := res.Seeding == SeedingLinked || res.Seeding == SeedingNA
	e.Result["status_code"], e.Result["pan_status"] = string(res.Status), res.Status.Feature()
	e.Result["seeding_status"], e.Result["dob_match"] = string(res.Seeding), res.DOBMatch == "Y"
	if res.NameOnRecord != "" {
		e.Result["holder_name"] = res.NameOnRecord
	}
	e.Scores = map[string]float64{"name_match": score}
	e.Status = StatusVerified
	if res.Status.Feature() != "valid" {
		e.Status, e.Reason = StatusFailed, "pan_"+res.Status.Feature()
	}
	customers, err := customersOfSubject(ctx, s.db, CheckPAN, hash, customerID)
	if err != nil {
		return nil, err
	}
	panKey := features.EntityKey{Entity: "pan", ID: hash}
	cust := map[string]any{"pan_name_match_score": percent(score), "pan_dob_match": res.DOBMatch == "Y"}
	if res.DOBMatch == "Y" {
		cust["age"] = ageOn(in.DOB, s.now())
	}
	return s.record(ctx, e, []features.Write{
		{Key: panKey, Values: map[string]any{"pan_status": res.Status.Feature(), "pan_aadhaar_linked": linked, "customers_per_pan": customers}},
		customerWrite(customerID, cust),
	})
}

// BankInput is a bank-account check's body: the account number and IFSC
// and the holder's name as the customer declared it (a penny drop). A
// reverse penny drop (mode "reverse") takes two calls: the first, without
// an account, answers pending evidence with the UPI intent the customer
// pays one rupee through; the second (completes: its id) relays the
// payment provider's report of the account that paid: its number, IFSC and
// the payer's name at the bank.
type BankInput struct {
	Mode          string `json:"mode,omitempty"` // penny_drop (default) | reverse
	Completes     string `json:"completes,omitempty"`
	AccountNumber string `json:"account_number"`
	IFSC          string `json:"ifsc"`
	Name          string `json:"name"`
	ConsentRef    string `json:"consent_ref,omitempty"`
}

// ReverseVPA is the UPI address a sandbox reverse penny drop collects to.
const ReverseVPA = "verify@nirnay.sandbox"

// CheckBankAccount verifies the account by penny drop. The evidence's
// subject is the account's account_hash (AccountHash; the result carries
// it too, for the app to send as account_hash when accepting and
// disbursing); the result keeps the number masked, the IFSC and the name
// at the bank; its scores the match of that name against the PAN's name
// on record (or the declared one before a PAN check). Verified when the
// account exists and the name matches (score at least
// names.DefaultThreshold, 0.85). Features of
// the bank_account: penny_drop_status (success | failed),
// penny_drop_name_match (0–100), bank_ifsc.
func (s *Service) CheckBankAccount(ctx context.Context, customerID string, in BankInput) (*Evidence, error) {
	switch in.Mode {
	case "", "penny_drop":
	case "reverse":
		return s.reversePennyDrop(ctx, customerID, in)
	default:
		return nil, nirnay.FieldError("mode", "must be penny_drop or reverse")
	}
	if in.Completes != "" {
		return nil, nirnay.FieldError("completes", "only a reverse penny drop completes an earlier check")
	}
	number, ifsc, err := normalizeAccount(in.AccountNumber, in.IFSC)
	if err != nil {
		return nil, err
	}
	name, err := checkName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	hash := AccountHash(number, ifsc)
	e := &Evidence{CustomerID: customerID, Check: CheckBank, Provider: s.bank.Name(), SubjectHash: hash, ConsentRef: in.ConsentRef,
		Result: map[string]any{"account_number": maskTail(number, 4), "ifsc": ifsc, "account_hash": hash, "method": "penny_drop"}}
	res, err := s.bank.PennyDrop(ctx, BankRequest{AccountNumber: number, IFSC: ifsc, Name: name})
	if err != nil {
		e.Status, e.Reason = StatusError, "provider_unavailable"
		s.log.Warn("kyc: penny drop failed", "provider", s.bank.Name(), "err", err)
		return s.record(ctx, e, nil)
	}
	e.ProviderRef = res.Ref
	return s.accountVerdict(ctx, e, name, res.Exists, res.Reason, res.NameAtBank, ifsc)
}

// accountVerdict scores the name at the bank against the PAN's name on
// record (declared before a PAN check), decides the account evidence e
// and records it with the bank_account's features.
func (s *Service) accountVerdict(ctx context.Context, e *Evidence, declared string, exists bool, reason, atBank, ifsc string) (*Evidence, error) {
	ref, err := s.latestVerifiedName(ctx, e.CustomerID)
	if err != nil {
		return nil, err
	}
	if ref == "" {
		ref = declared
	}
	score := 0.0
	if exists {
		score = s.match(ref, atBank)
		e.Result["account_holder_name"] = atBank
	}
	e.Scores = map[string]float64{"name_match": score}
	status := "success"
	switch {
	case !exists:
		e.Status, e.Reason, status = StatusFailed, reason, "failed"
	case score < names.DefaultThreshold:
		e.Status, e.Reason, status = StatusFailed, "name_mismatch", "failed"
	default:
		e.Status = StatusVerified
	}
	return s.record(ctx, e, []features.Write{{Key: features.EntityKey{Entity: "bank_account", ID: e.SubjectHash},
		Values: map[string]any{"penny_drop_status": status, "penny_drop_name_match": percent(score), "bank_ifsc": ifsc}}})
}

// reversePennyDrop is the two calls of a reverse penny drop (BankInput).
func (s *Service) reversePennyDrop(ctx context.Context, customerID string, in BankInput) (*Evidence, error) {
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	if in.Completes == "" {
		if in.AccountNumber != "" || in.IFSC != "" {
			return nil, nirnay.FieldError("account_number", "a reverse penny drop learns the account from the payment: start it without one")
		}
		ref := s.ids.New("rpd")
		intent := "upi://pay?pa=" + ReverseVPA + "&pn=Nirnay&am=1.00&cu=INR&tr=" + ref + "&tn=Account%20verification"
		return s.record(ctx, &Evidence{CustomerID: customerID, Check: CheckBank, Provider: "upi-collect", ProviderRef: ref,
			Status: StatusPending, ConsentRef: in.ConsentRef, Result: map[string]any{"method": "reverse_penny_drop", "upi_intent": intent}}, nil)
	}
	pending, err := s.Get(ctx, customerID, in.Completes)
	if err != nil {
		return nil, err
	}
	if pending.Check != CheckBank || pending.Status != StatusPending {
		return nil, nirnay.Errorf(nirnay.KindConflict, "evidence %s is not a pending reverse penny drop", pending.ID)
	}
	number, ifsc, err := normalizeAccount(in.AccountNumber, in.IFSC)
	if err != nil {
		return nil, err
	}
	atBank, err := checkName("name", in.Name)
	if err != nil {
		return nil, err
	}
	hash := AccountHash(number, ifsc)
	e := &Evidence{CustomerID: customerID, Check: CheckBank, Provider: pending.Provider, ProviderRef: pending.ProviderRef,
		SubjectHash: hash, Completes: pending.ID, ConsentRef: in.ConsentRef,
		Result: map[string]any{"account_number": maskTail(number, 4), "ifsc": ifsc, "account_hash": hash, "method": "reverse_penny_drop"}}
	return s.accountVerdict(ctx, e, atBank, true, "", atBank, ifsc)
}
