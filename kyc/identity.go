package kyc

import (
	"context"
	"regexp"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
)

// CKYCInput is a CKYC check's body. The first call names the PAN: the
// registry is searched and, when a record is found, the OTP for its
// download sent; the evidence is pending. The second call completes that
// evidence (completes: its id) with the customer's OTP.
type CKYCInput struct {
	PAN        string `json:"pan,omitempty"`
	Completes  string `json:"completes,omitempty"`
	OTP        string `json:"otp,omitempty"`
	ConsentRef string `json:"consent_ref,omitempty"`
}

var otpPattern = regexp.MustCompile(`^[0-9]{4,8}$`)

// CheckCKYC searches the Central KYC Registry and downloads the record
// with the customer's OTP consent, in two calls (see CKYCInput). Search:
// failed evidence (reason ckyc_not_found) when there is no record, else
// pending with the masked mobile the OTP went to. Download: verified
// evidence completing the pending one (the CKYC number masked, the photo
// hash), or failed (otp_rejected; the pending evidence stays pending and
// may be completed by a later try). Features: ckyc_found.
func (s *Service) CheckCKYC(ctx context.Context, customerID string, in CKYCInput) (*Evidence, error) {
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	if in.Completes != "" {
		return s.downloadCKYC(ctx, customerID, in)
	}
	pan, err := NormalizePAN("pan", in.PAN)
	if err != nil {
		return nil, err
	}
	e := &Evidence{CustomerID: customerID, Check: CheckCKYC, Provider: s.ckyc.Name(), SubjectHash: SubjectHash("pan", pan),
		ConsentRef: in.ConsentRef, Result: map[string]any{"pan": maskTail(pan, 4), "stage": "search"}}
	rec, err := s.ckyc.Search(ctx, pan)
	if err != nil {
		e.Status, e.Reason = StatusError, "provider_unavailable"
		return s.record(ctx, e, nil)
	}
	e.ProviderRef = rec.Ref
	if !rec.Found {
		e.Status, e.Reason = StatusFailed, "ckyc_not_found"
		return s.record(ctx, e, []features.Write{customerWrite(customerID, map[string]any{"ckyc_found": false})})
	}
	e.Result["ckyc_number"] = maskTail(rec.CKYCNumber, 4)
	mobile, err := s.ckyc.RequestOTP(ctx, rec.Ref)
	if err != nil {
		e.Status, e.Reason = StatusError, "provider_unavailable"
		return s.record(ctx, e, nil)
	}
	e.Status, e.Result["otp_sent_to"] = StatusPending, mobile
	return s.record(ctx, e, nil)
}

func (s *Service) downloadCKYC(ctx context.Context, customerID string, in CKYCInput) (*Evidence, error) {
	if !otpPattern.MatchString(in.OTP) {
		return nil, nirnay.FieldError("otp", "must be the 4 to 8 digit OTP the registry sent")
	}
	pending, err := s.Get(ctx, customerID, in.Completes)
	if err != nil {
		return nil, err
	}
	if pending.Check != CheckCKYC || pending.Status != StatusPending {
		return nil, nirnay.Errorf(nirnay.KindConflict, "evidence %s is not a pending CKYC download", pending.ID)
	}
	e := &Evidence{CustomerID: customerID, Check: CheckCKYC, Provider: s.ckyc.Name(), SubjectHash: pending.SubjectHash,
		ProviderRef: pending.ProviderRef, ConsentRef: in.ConsentRef, Result: map[string]any{"stage": "download"}}
	rec, ok, err := s.ckyc.Download(ctx, pending.ProviderRef, in.OTP)
	switch {
	case err != nil:
		e.Status, e.Reason = StatusError, "provider_unavailable"
		return s.record(ctx, e, nil)
	case !ok:
		e.Status, e.Reason = StatusFailed, "otp_rejected"
		return s.record(ctx, e, nil)
	}
	e.Completes = pending.ID
	e.Status = StatusVerified
	e.Result["ckyc_number"], e.Result["photo_sha256"] = maskTail(rec.CKYCNumber, 4), rec.PhotoHash
	if rec.Name != "" {
		ref, err := s.latestVerifiedName(ctx, customerID)
		if err != nil {
			return nil, err
		}
		e.Result["name"] = rec.Name
		if ref != "" {
			e.Scores = map[string]float64{"name_match": s.match(ref, rec.Name)}
		}
	}
	return s.record(ctx, e, []features.Write{customerWrite(customerID, map[string]any{"ckyc_found": true})})
}

// VideoInput is the record of a video KYC (V-CIP) session, as the
// video-KYC system reports it when the agent closes the session: the
// agent, where the customer was (the geo-tag must be inside India), when
// the session ran, the recording's hash, the liveness score, the match of
// the PAN card shown against the PAN record and the agent's verdict.
type VideoInput struct {
	SessionID       string    `json:"session_id"`
	AgentID         string    `json:"agent_id"`
	Latitude        float64   `json:"latitude"`
	Longitude       float64   `json:"longitude"`
	StartedAt       time.Time `json:"started_at"`
	EndedAt         time.Time `json:"ended_at"`
	RecordingSHA256 string    `json:"recording_sha256"`
	LivenessScore   float64   `json:"liveness_score"`
	PANImageMatch   float64   `json:"pan_image_match"`
	AgentVerdict    string    `json:"agent_verdict"` // approved | rejected
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// insideIndia is a bounding box of India's territory (mainland and
// islands): a V-CIP geo-tag outside it fails the session.
func insideIndia(lat, lon float64) bool {
	return lat >= 6.4 && lat <= 37.1 && lon >= 68.0 && lon <= 97.5
}

// CheckVideo records a V-CIP session. Verified when the agent approved,
// the customer was inside India, liveness is at least 0.8 and the PAN
// image matches at least 0.8; failed otherwise with the first reason
// (agent_rejected, outside_india, liveness_low, pan_image_mismatch).
// Features: video_kyc_status (approved | rejected), liveness_score,
// face_match_score (the PAN image match). Errors: KindInvalid for a
// record missing a field or out of range (a session longer than two
// hours, ending before it started, or in the future).
func (s *Service) CheckVideo(ctx context.Context, customerID string, in VideoInput) (*Evidence, error) {
	now := s.now()
	switch {
	case in.SessionID == "" || len(in.SessionID) > 128:
		return nil, nirnay.FieldError("session_id", "is required (at most 128 characters)")
	case in.AgentID == "" || len(in.AgentID) > 128:
		return nil, nirnay.FieldError("agent_id", "is required (at most 128 characters)")
	case in.Latitude < -90 || in.Latitude > 90:
		return nil, nirnay.FieldError("latitude", "must be between -90 and 90")
	case in.Longitude < -180 || in.Longitude > 180:
		return nil, nirnay.FieldError("longitude", "must be between -180 and 180")
	case in.StartedAt.IsZero() || in.EndedAt.IsZero() || !in.EndedAt.After(in.StartedAt):
		return nil, nirnay.FieldError("ended_at", "must be after started_at (both RFC 3339 times)")
	case in.EndedAt.Sub(in.StartedAt) > 2*time.Hour:
		return nil, nirnay.FieldError("ended_at", "a session lasts at most two hours")
	case in.EndedAt.After(now.Add(time.Minute)):
		return nil, nirnay.FieldError("ended_at", "is in the future")
	case !sha256Pattern.MatchString(in.RecordingSHA256):
		return nil, nirnay.FieldError("recording_sha256", "must be the recording's SHA-256, 64 lower-case hex digits")
	case in.LivenessScore < 0 || in.LivenessScore > 1:
		return nil, nirnay.FieldError("liveness_score", "must be between 0 and 1")
	case in.PANImageMatch < 0 || in.PANImageMatch > 1:
		return nil, nirnay.FieldError("pan_image_match", "must be between 0 and 1")
	case in.AgentVerdict != "approved" && in.AgentVerdict != "rejected":
		return nil, nirnay.FieldError("agent_verdict", "must be approved or rejected")
	}
	e := &Evidence{CustomerID: customerID, Check: CheckVideo, Provider: "vcip", ProviderRef: in.SessionID,
		PayloadSHA256: in.RecordingSHA256,
		Result: map[string]any{"agent_id": in.AgentID, "latitude": in.Latitude, "longitude": in.Longitude,
			"started_at": in.StartedAt.UTC(), "ended_at": in.EndedAt.UTC(), "agent_verdict": in.AgentVerdict},
		Scores: map[string]float64{"liveness": in.LivenessScore, "pan_image_match": in.PANImageMatch}}
	e.Status = StatusVerified
	switch {
	case in.AgentVerdict != "approved":
		e.Status, e.Reason = StatusFailed, "agent_rejected"
	case !insideIndia(in.Latitude, in.Longitude):
		e.Status, e.Reason = StatusFailed, "outside_india"
	case in.LivenessScore < 0.8:
		e.Status, e.Reason = StatusFailed, "liveness_low"
	case in.PANImageMatch < 0.8:
		e.Status, e.Reason = StatusFailed, "pan_image_mismatch"
	}
	status := "approved"
	if e.Status != StatusVerified {
		status = "rejected"
	}
	return s.record(ctx, e, []features.Write{customerWrite(customerID, map[string]any{
		"video_kyc_status": status, "liveness_score": in.LivenessScore, "face_match_score": in.PANImageMatch})})
}
