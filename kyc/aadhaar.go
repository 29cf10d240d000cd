package kyc

import (
	"context"
	"errors"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/kyc/okyc"
)

// AadhaarInput is an offline e-KYC upload: the ZIP UIDAI issued, its share
// code, and optionally the mobile (checked against the file's hash: a
// mismatch fails the check) and e-mail (its match is recorded).
type AadhaarInput struct {
	ZIP        []byte
	ShareCode  string
	Mobile     string
	Email      string
	ConsentRef string
}

// CheckAadhaarOffline verifies a paperless offline e-KYC file (package
// okyc: the share code opens it, the XML signature verifies against the
// trusted certificates, it is at most the configured age, the mobile
// hash matches). Verified evidence keeps the reference id and last four
// digits (never an Aadhaar number), the name, date of birth, gender,
// address, the photo's hash and the XML's hash (ProviderRef is the
// reference id), scored against the PAN's name on record. A file at fault
// (not a ZIP, a wrong share code, a bad signature, too old…) is failed
// evidence with the okyc code as its reason and nothing from the file; a
// share code that is not four characters is a 400 and a file over the
// limit a 413, with nothing stored. Features: aadhaar_okyc_status
// (success | failed) and aadhaar_name_match_score (0–100; 0 without a PAN
// name to compare with).
func (s *Service) CheckAadhaarOffline(ctx context.Context, customerID string, in AadhaarInput) (*Evidence, error) {
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	e := &Evidence{CustomerID: customerID, Check: CheckAadhaar, Provider: "uidai-offline", ConsentRef: in.ConsentRef}
	res, err := okyc.Verify(in.ZIP, in.ShareCode, okyc.Options{Certificates: s.uidaiCerts, Now: s.now, MaxAge: s.okycMaxAge,
		Mobile: in.Mobile, Email: in.Email})
	if err != nil {
		var fe *okyc.Error
		if !errors.As(err, &fe) {
			return nil, err
		}
		if fe.Code == okyc.CodeBadShareCode || fe.Code == okyc.CodeTooLarge {
			return nil, err
		}
		e.Status, e.Reason = StatusFailed, string(fe.Code)
		return s.record(ctx, e, []features.Write{customerWrite(customerID, map[string]any{"aadhaar_okyc_status": "failed", "aadhaar_name_match_score": int64(0)})})
	}
	e.ProviderRef, e.PayloadSHA256 = res.ReferenceID, res.PayloadSHA256
	e.Result = map[string]any{"reference_id": res.ReferenceID, "last4": res.Last4, "name": res.Name, "dob": res.DOB,
		"gender": res.Gender, "address": res.AddressLine, "pincode": res.Address.Pincode, "state": res.Address.State,
		"photo_sha256": res.PhotoSHA256, "generated_at": res.GeneratedAt}
	if res.MobileVerified != nil {
		e.Result["mobile_verified"] = *res.MobileVerified
	}
	if res.EmailVerified != nil {
		e.Result["email_verified"] = *res.EmailVerified
	}
	ref, err := s.latestVerifiedName(ctx, customerID)
	if err != nil {
		return nil, err
	}
	score := 0.0
	if ref != "" {
		score = s.match(ref, res.Name)
	}
	e.Scores = map[string]float64{"name_match": score}
	e.Status = StatusVerified
	cust := map[string]any{"aadhaar_okyc_status": "success", "aadhaar_name_match_score": percent(score)}
	if age := ageOn(res.DOB, s.now()); age >= 0 {
		cust["age"] = age
	}
	return s.record(ctx, e, []features.Write{customerWrite(customerID, cust)})
}
