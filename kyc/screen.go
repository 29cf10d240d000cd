package kyc

import (
	"context"
	"encoding/json"
	"io"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/store"
)

// ScreeningInput is a screening check's body: the name and date of birth
// to screen, by default the PAN's holder name on record and the offline
// e-KYC's date of birth.
type ScreeningInput struct {
	Name       string `json:"name,omitempty"`
	DOB        string `json:"dob,omitempty"`
	ConsentRef string `json:"consent_ref,omitempty"`
}

// ScreeningHit is called for each new hit a re-screening found, after its
// evidence and features are recorded, to raise its review case (the
// service decides the kyc step, whose policy refers a sanctions hit);
// panHash is the customer's PAN's pan_hash ("" when unknown).
type ScreeningHit func(ctx context.Context, customerID, panHash string, h screening.Hit) error

// CheckScreening screens the customer against every screening list
// (package screening: UN consolidated list, the lender's own). The
// evidence is verified (the screening ran) with the hits in its result
// and the best score; each hit is recorded once per customer and listed
// entry. Features: pep_sanctions_hit. Errors: KindUnprocessable when
// there is no name to screen (none given and no PAN check yet),
// KindUnavailable without screening lists configured.
func (s *Service) CheckScreening(ctx context.Context, customerID string, in ScreeningInput) (*Evidence, error) {
	if s.screen == nil {
		return nil, nirnay.Errorf(nirnay.KindUnavailable, "sanctions screening is not configured")
	}
	if err := checkConsent(in.ConsentRef); err != nil {
		return nil, err
	}
	name, dob := in.Name, in.DOB
	if name == "" {
		ref, err := s.latestVerifiedName(ctx, customerID)
		if err != nil {
			return nil, err
		}
		name = ref
	} else if _, err := checkName("name", name); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, nirnay.Errorf(nirnay.KindUnprocessable, "no name to screen: give name, or verify the customer's PAN first")
	}
	if dob == "" {
		dob = s.latestDOB(ctx, customerID)
	} else if _, err := screening.ParseDOB(dob); err != nil {
		return nil, nirnay.FieldError("dob", "must be a date of birth as YYYY-MM-DD (or YYYY)")
	}
	hits, err := s.screen.Screen(ctx, name, dob)
	if err != nil {
		return nil, err
	}
	if _, err := s.screen.Record(ctx, customerID, hits); err != nil {
		return nil, err
	}
	return s.screeningEvidence(ctx, customerID, "onboarding", in.ConsentRef, hits)
}

func (s *Service) screeningEvidence(ctx context.Context, customerID, trigger, consent string, hits []screening.Hit) (*Evidence, error) {
	best := 0.0
	list := make([]map[string]any, 0, len(hits))
	for _, h := range hits {
		best = max(best, h.Score)
		list = append(list, map[string]any{"list": h.List, "ref": h.Ref, "kind": h.Kind, "listed_name": h.Name,
			"score": h.Score, "revision": h.Revision})
	}
	e := &Evidence{CustomerID: customerID, Check: CheckScreening, Provider: "lists", ConsentRef: consent, Status: StatusVerified,
		Result: map[string]any{"trigger": trigger, "hits": list}, Scores: map[string]float64{"best_match": best}}
	return s.record(ctx, e, []features.Write{customerWrite(customerID, map[string]any{"pep_sanctions_hit": len(hits) > 0})})
}

// latestDOB is the date of birth of the customer's latest verified
// offline e-KYC, or "".
func (s *Service) latestDOB(ctx context.Context, customerID string) string {
	all, err := s.List(ctx, customerID)
	if err != nil {
		return ""
	}
	for i := len(all) - 1; i >= 0; i-- {
		if e := all[i]; e.Check == CheckAadhaar && e.Status == StatusVerified {
			d, _ := e.Result["dob"].(string)
			return d
		}
	}
	return ""
}

// ImportScreeningList replaces a screening list's entries (format "un":
// the UN consolidated list XML; "local": the lender's CSV) and re-screens
// every customer with a verified PAN against what the import added, in the
// background (RunRescreens). Errors: the parsers' (400 naming the line), and
// KindUnavailable without screening configured.
func (s *Service) ImportScreeningList(ctx context.Context, list, format string, body io.Reader) (screening.ImportResult, error) {
	if s.screen == nil {
		return screening.ImportResult{}, nirnay.Errorf(nirnay.KindUnavailable, "sanctions screening is not configured")
	}
	var (
		entries []screening.Entry
		err     error
	)
	switch format {
	case "un":
		entries, err = screening.ParseUN(body)
	case "local":
		entries, err = screening.ParseLocal(body)
	default:
		return screening.ImportResult{}, nirnay.FieldError("format", "must be un (the UN consolidated list XML) or local (CSV ref,name,aliases,dob,note)")
	}
	if err != nil {
		return screening.ImportResult{}, err
	}
	res, err := s.screen.Import(ctx, list, entries)
	if err != nil {
		return res, err
	}
	select {
	case s.wake <- struct{}{}: // RunRescreens re-screens
	default: // it already will
	}
	return res, nil
}

// RunRescreens re-screens at once (finishing any re-screening a restart
// cut short) and then after every import through this instance, until ctx
// ends. The service runs it in the background.
func (s *Service) RunRescreens(ctx context.Context) {
	for {
		s.Rescreens(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
	}
}

// Rescreens re-screens the customers against every list whose last
// re-screening is behind its revision: after an import, and at start (a
// re-screening cut short by a restart is finished). Each new hit is
// recorded as screening evidence (trigger rescreening), written as
// pep_sanctions_hit and handed to the ScreeningHit callback for its case.
// Instances re-screening at once raise each hit once. Failures are logged.
func (s *Service) Rescreens(ctx context.Context) {
	if s.screen == nil {
		return
	}
	s.rescreenMu.Lock()
	defer s.rescreenMu.Unlock()
	lists, err := s.screen.Lists(ctx)
	if err != nil {
		s.log.Warn("kyc: re-screening: lists unreadable", "err", err)
		return
	}
	for _, l := range lists {
		if l.RescreenedRevision >= l.Revision {
			continue
		}
		start := time.Now()
		res, err := s.screen.Rescreen(ctx, l.Name, l.RescreenedRevision, s.screenedCustomers(ctx), func(ctx context.Context, h screening.Hit, customerID string) error {
			if _, err := s.screeningEvidence(ctx, customerID, "rescreening", "", []screening.Hit{h}); err != nil {
				return err
			}
			if s.onHit == nil {
				return nil
			}
			return s.onHit(ctx, customerID, s.panHashOf(ctx, customerID), h)
		})
		if err != nil {
			s.log.Warn("kyc: re-screening failed; it runs again at the next import or start", "list", l.Name, "err", err)
			continue
		}
		s.log.Info("kyc: re-screened", "list", l.Name, "revision", res.Revision, "entries", res.Entries, "customers", res.Customers,
			"hits", res.Hits, "elapsed", time.Since(start).Round(time.Millisecond).String())
	}
}

// screenedCustomers yields every customer with verified PAN evidence, with
// the holder's name on record (the latest).
func (s *Service) screenedCustomers(ctx context.Context) screening.Customers {
	return func(yield func(customerID, name, dob string) bool) {
		rows, err := s.db.Reader().QueryContext(ctx, `SELECT customer_id, result FROM kyc_evidence
WHERE check_type = 'pan' AND status = 'verified' ORDER BY customer_id, created_at, id`)
		if err != nil {
			s.log.Warn("kyc: re-screening: customers unreadable", "err", store.Translate(err))
			return
		}
		defer rows.Close()
		var cur, name string
		flush := func() bool { return cur == "" || name == "" || yield(cur, name, "") }
		for rows.Next() {
			var id, result string
			if err := rows.Scan(&id, &result); err != nil {
				s.log.Warn("kyc: re-screening: customers unreadable", "err", err)
				return
			}
			if id != cur {
				if !flush() {
					return
				}
				cur, name = id, ""
			}
			var r struct {
				Holder string `json:"holder_name"`
			}
			if json.Unmarshal([]byte(result), &r) == nil && r.Holder != "" {
				name = r.Holder
			}
		}
		flush()
	}
}

// panHashOf is the pan_hash of the customer's latest verified PAN, or "".
func (s *Service) panHashOf(ctx context.Context, customerID string) string {
	all, err := s.List(ctx, customerID)
	if err != nil {
		return ""
	}
	for i := len(all) - 1; i >= 0; i-- {
		if e := all[i]; e.Check == CheckPAN && e.Status == StatusVerified {
			return e.SubjectHash
		}
	}
	return ""
}

// ScreeningLists are the screening lists with their revisions; none
// without screening configured.
func (s *Service) ScreeningLists(ctx context.Context) ([]screening.List, error) {
	if s.screen == nil {
		return nil, nil
	}
	return s.screen.Lists(ctx)
}
