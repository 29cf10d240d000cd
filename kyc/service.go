package kyc

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/kyc/names"
	"github.com/nirnay/nirnay/kyc/okyc"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// FeatureWriter stores features (*features.Source satisfies it).
type FeatureWriter interface {
	Write(ctx context.Context, ws ...features.Write) error
}

// NameMatcher scores two renderings of a person's name in [0, 1].
type NameMatcher func(a, b string) float64

// NameScore is the default NameMatcher, package names' score; names match
// at names.DefaultThreshold or above.
func NameScore(a, b string) float64 { return names.Match(a, b).Value }

// Config configures a Service. Zero values take the defaults.
type Config struct {
	DB       *store.DB     // required
	Features FeatureWriter // required: where each result is written as features
	Match    NameMatcher   // default: kyc/names (Match(a, b).Value)
	PAN      *PANBatcher   // default: the sandbox, batched
	Bank     BankProvider  // default: SandboxBank
	CKYC     CKYCProvider  // default: SandboxCKYC
	// UIDAICerts are the certificates offline e-KYC files must be signed
	// with (NIRNAY_KYC_UIDAI_CERTS); default the sandbox's own
	// (okyc.SandboxCertificates), which only sandbox files carry.
	UIDAICerts []*x509.Certificate
	// OKYCMaxAge is how old an offline e-KYC file may be; default 72 h.
	OKYCMaxAge time.Duration
	// Screening, when set, is the sanctions lists the screening check and
	// the re-screenings use (package screening).
	Screening *screening.Service
	// OnScreeningHit raises the review case of a hit a re-screening found.
	OnScreeningHit ScreeningHit
	// ReKYC is how long after completion KYC is due again, by risk
	// category; defaults DefaultReKYC (each category missing takes its
	// default).
	ReKYC map[Risk]time.Duration
	// Validity is how long evidence of each check stays current (its
	// expires_at); defaults: PAN, CKYC, bank account and video 365 days,
	// Aadhaar offline e-KYC 365 days, screening 30 days.
	Validity map[Check]time.Duration
	Now      func() time.Time
	Logger   *slog.Logger
}

// Service runs the checks, keeps their evidence and writes their
// features. It is safe for concurrent use; every instance on one database
// sees the same evidence.
type Service struct {
	db         *store.DB
	features   FeatureWriter
	match      NameMatcher
	pan        *PANBatcher
	bank       BankProvider
	ckyc       CKYCProvider
	uidaiCerts []*x509.Certificate
	okycMaxAge time.Duration
	rekyc      map[Risk]time.Duration
	screen     *screening.Service
	onHit      ScreeningHit
	rescreenMu sync.Mutex
	wake       chan struct{} // an import asks RunRescreens to run
	validity   map[Check]time.Duration
	now        func() time.Time
	ids        *ids.Generator
	log        *slog.Logger
}

// Written lists the features each check writes, so that a catalog can be
// checked against them (CheckCatalog). kyc_completed_at is written on
// completion and is the re-KYC clock, not an expiring result.
var Written = map[Check][]string{
	CheckPAN:       {"pan_status", "pan_aadhaar_linked", "customers_per_pan", "pan_name_match_score", "pan_dob_match", "age"},
	CheckAadhaar:   {"aadhaar_okyc_status", "aadhaar_name_match_score", "age"},
	CheckCKYC:      {"ckyc_found"},
	CheckBank:      {"penny_drop_status", "penny_drop_name_match", "bank_ifsc"},
	CheckVideo:     {"video_kyc_status", "liveness_score", "face_match_score"},
	CheckScreening: {"pep_sanctions_hit"},
}

// CheckCatalog reports, for a feature catalog, every feature a check
// writes that the catalog lacks or declares under another source, and
// every one whose max_age is unset or longer than the check's validity
// (so a result never outlives its evidence: once evidence expires, the
// policy reads its features as missing). age, customers_per_pan and
// bank_ifsc are facts, not results, and may be kept longer.
func CheckCatalog(cat *rules.Catalog, validity map[Check]time.Duration) error {
	var errs []error
	for _, c := range Checks {
		v := validity[c]
		if v == 0 {
			v = DefaultValidity[c]
		}
		for _, name := range Written[c] {
			f, ok := cat.Lookup(name)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("kyc check %s writes %s, which the catalog does not have", c, name))
			case f.Source != rules.SourceOnline:
				errs = append(errs, fmt.Errorf("kyc check %s writes %s, which the catalog declares source %s, not online", c, name, f.Source))
			case name == "age" || name == "customers_per_pan" || name == "bank_ifsc":
			case f.MaxAge == 0:
				errs = append(errs, fmt.Errorf("feature %s: no max_age, so it outlives the %s evidence it comes from (current for %s); set max_age to at most that", name, c, v))
			case f.MaxAge > v:
				errs = append(errs, fmt.Errorf("feature %s: max_age %s is longer than the %s evidence it comes from stays current (%s); set max_age to at most that", name, f.MaxAge, c, v))
			}
		}
	}
	return errors.Join(errs...)
}

// DefaultValidity is how long each check's evidence stays current.
var DefaultValidity = map[Check]time.Duration{
	CheckPAN: 365 * 24 * time.Hour, CheckAadhaar: 365 * 24 * time.Hour, CheckCKYC: 365 * 24 * time.Hour,
	CheckBank: 365 * 24 * time.Hour, CheckVideo: 365 * 24 * time.Hour, CheckScreening: 30 * 24 * time.Hour,
}

// New returns a service; it fails without a database or features.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Features == nil {
		return nil, errors.New("kyc: New needs a DB and a FeatureWriter")
	}
	if cfg.Match == nil {
		cfg.Match = NameScore
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PAN == nil {
		cfg.PAN = NewPANBatcher(SandboxPAN{}, 0)
	}
	if cfg.Bank == nil {
		cfg.Bank = SandboxBank{}
	}
	if cfg.CKYC == nil {
		cfg.CKYC = SandboxCKYC{}
	}
	if len(cfg.UIDAICerts) == 0 {
		cfg.UIDAICerts = okyc.SandboxCertificates()
	}
	if cfg.OKYCMaxAge <= 0 {
		cfg.OKYCMaxAge = okyc.DefaultMaxAge
	}
	rekyc := map[Risk]time.Duration{}
	for r, d := range DefaultReKYC {
		rekyc[r] = d
	}
	for r, d := range cfg.ReKYC {
		if _, ok := rekyc[r]; !ok || d <= 0 {
			return nil, fmt.Errorf("kyc: re-KYC period %q %s: want low, medium or high and a positive period", r, d)
		}
		rekyc[r] = d
	}
	validity := map[Check]time.Duration{}
	for c, d := range DefaultValidity {
		validity[c] = d
	}
	for c, d := range cfg.Validity {
		validity[c] = d
	}
	return &Service{db: cfg.DB, features: cfg.Features, match: cfg.Match, pan: cfg.PAN, bank: cfg.Bank, ckyc: cfg.CKYC,
		uidaiCerts: cfg.UIDAICerts, okycMaxAge: cfg.OKYCMaxAge, rekyc: rekyc, screen: cfg.Screening, onHit: cfg.OnScreeningHit, wake: make(chan struct{}, 1), validity: validity, now: cfg.Now, ids: ids.New(cfg.Now), log: cfg.Logger}, nil
}

// List returns the customer's evidence, oldest first (at most 1,000).
func (s *Service) List(ctx context.Context, customerID string) ([]*Evidence, error) {
	return listEvidence(ctx, s.db, customerID, 1000)
}

// Get returns one record of the customer; KindNotFound when there is none
// (or it is another customer's).
func (s *Service) Get(ctx context.Context, customerID, id string) (*Evidence, error) {
	e, err := getEvidence(ctx, s.db, id)
	if err != nil {
		return nil, err
	}
	if e.CustomerID != customerID {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "no KYC evidence %s", id)
	}
	return e, nil
}

// VerifiedAccount reports whether the customer has current verified
// bank-account evidence for the account (its account_hash): what the
// lending core requires before paying into it.
func (s *Service) VerifiedAccount(ctx context.Context, customerID, accountHash string) (bool, error) {
	e, err := latestOfSubject(ctx, s.db, customerID, CheckBank, accountHash)
	if err != nil || e == nil {
		return false, err
	}
	return e.Current(s.now()), nil
}

// record completes e (id, times, expiry), stores it and writes the
// features it yields. The evidence is stored first: when the feature
// store then fails, the error is KindUnavailable and the evidence stays
// (a repeat of the check records a new one).
func (s *Service) record(ctx context.Context, e *Evidence, feats []features.Write) (*Evidence, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	e.ID, e.CreatedAt = s.ids.New("kyc"), now
	if e.Status == StatusVerified {
		e.VerifiedAt = &now
		if d := s.validity[e.Check]; d > 0 {
			exp := now.Add(d)
			e.ExpiresAt = &exp
		}
	}
	if e.Result == nil {
		e.Result = map[string]any{}
	}
	e.Result, _ = withoutAadhaar(e.Result).(map[string]any)
	e.ProviderRef, e.Reason = pii.TextOf(e.ProviderRef, pii.Aadhaar), pii.TextOf(e.Reason, pii.Aadhaar)
	e.ConsentRef = pii.TextOf(e.ConsentRef, pii.Aadhaar)
	if err := insertEvidence(ctx, s.db, e); err != nil {
		return nil, err
	}
	if e.Status == StatusVerified && e.Check != CheckBank && e.Check != CheckScreening {
		// A PAN or a proof of identity may complete (or renew) the KYC.
		done, err := s.completion(ctx, e.CustomerID, now)
		if err != nil {
			return nil, err
		}
		if len(done) > 0 {
			if err := s.completed(ctx, e.CustomerID, now); err != nil {
				return nil, err
			}
		}
		feats = append(feats, done...)
	}
	for i := range feats {
		feats[i].AsOf, feats[i].By = now, "kyc"
	}
	if len(feats) > 0 {
		if err := s.features.Write(ctx, feats...); err != nil {
			return e, &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the evidence " + e.ID + " is recorded but its features could not be written; repeat the check", Err: err}
		}
	}
	s.log.Info("kyc check", "customer_id", e.CustomerID, "check", e.Check, "status", e.Status, "evidence_id", e.ID)
	return e, nil
}

// completion is the kyc_completed_at write once the customer's current
// evidence holds a verified PAN and a verified proof of identity
// (Aadhaar offline e-KYC, CKYC or video KYC); none otherwise.
func (s *Service) completion(ctx context.Context, customerID string, now time.Time) ([]features.Write, error) {
	all, err := s.List(ctx, customerID)
	if err != nil {
		return nil, err
	}
	var pan, identity bool
	for _, e := range all {
		if !e.Current(now) {
			continue
		}
		switch e.Check {
		case CheckPAN:
			pan = true
		case CheckAadhaar, CheckCKYC, CheckVideo:
			identity = true
		}
	}
	if !pan || !identity {
		return nil, nil
	}
	return []features.Write{customerWrite(customerID, map[string]any{"kyc_completed_at": now})}, nil
}

// latestVerifiedName is the holder's name on the customer's latest
// current PAN evidence, the name later checks are matched against; "" when
// there is none.
func (s *Service) latestVerifiedName(ctx context.Context, customerID string) (string, error) {
	all, err := s.List(ctx, customerID)
	if err != nil {
		return "", err
	}
	now := s.now()
	for i := len(all) - 1; i >= 0; i-- {
		if e := all[i]; e.Check == CheckPAN && e.Current(now) {
			if n, _ := e.Result["holder_name"].(string); n != "" {
				return n, nil
			}
		}
	}
	return "", nil
}

func customerWrite(id string, vals map[string]any) features.Write {
	return features.Write{Key: features.EntityKey{Entity: "customer", ID: id}, Values: vals}
}

// percent is a [0, 1] score as the 0–100 integer the catalog's
// *_name_match features hold.
func percent(score float64) int64 { return int64(math.Round(score * 100)) }

// Journey returns the customer's evidence recorded in [from, to) (zero
// times leave that end open), the most recent limit of them, oldest first.
func (s *Service) Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]*Evidence, error) {
	return journeyEvidence(ctx, s.db, customerID, from, to, limit)
}
