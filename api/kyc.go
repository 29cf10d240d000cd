package api

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/pii"
)

// KYCService runs a customer's KYC checks and lists their evidence;
// *kyc.Service satisfies it.
type KYCService interface {
	CheckPAN(ctx context.Context, customerID string, in kyc.PANInput) (*kyc.Evidence, error)
	CheckBankAccount(ctx context.Context, customerID string, in kyc.BankInput) (*kyc.Evidence, error)
	CheckCKYC(ctx context.Context, customerID string, in kyc.CKYCInput) (*kyc.Evidence, error)
	CheckVideo(ctx context.Context, customerID string, in kyc.VideoInput) (*kyc.Evidence, error)
	CheckAadhaarOffline(ctx context.Context, customerID string, in kyc.AadhaarInput) (*kyc.Evidence, error)
	List(ctx context.Context, customerID string) ([]*kyc.Evidence, error)
	Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]*kyc.Evidence, error)
	CheckScreening(ctx context.Context, customerID string, in kyc.ScreeningInput) (*kyc.Evidence, error)
	ImportScreeningList(ctx context.Context, list, format string, body io.Reader) (screening.ImportResult, error)
	ScreeningLists(ctx context.Context) ([]screening.List, error)
	SetRisk(ctx context.Context, customerID string, risk kyc.Risk) error
	Tasks(ctx context.Context, status string, limit int) ([]kyc.Task, error)
}

type kycHandlers struct{ svc KYCService }

// maxAadhaarZip is the body limit of an offline e-KYC upload (the ZIP and
// the form around it).
const maxAadhaarZip = 6 << 20

// MountKYC adds the KYC routes (DESIGN §16; docs/kyc.md) and the KYC
// journey source:
//
//	POST /v1/customers/{id}/kyc/{check}   a check's body (JSON; aadhaar-offline multipart/form-data with file and share_code) → evidence; service (its own customer), admin
//	GET  /v1/customers/{id}/kyc           {"items": [evidence]}, oldest first; ops, analyst, approver, service (its own customer), admin
//	PUT  /v1/customers/{id}/kyc/risk      {"risk_category": "low" | "medium" | "high"}: when re-KYC is due; ops, admin
//	GET  /v1/kyc/tasks?status=&limit=     re-KYC tasks the day end raised, oldest due first; ops, admin
//	PUT  /v1/kyc/screening-lists/{name}?format=un|local   the list's whole content (UN XML or CSV); every customer is re-screened against what it added; analyst, ops, admin
//	GET  /v1/kyc/screening-lists          the lists with their revisions; analyst, ops, admin
func (s *Server) MountKYC(svc KYCService) {
	h := &kycHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	g := s.v1
	g.POST("/customers/:id/kyc/:check", allow(RoleService), h.check)
	s.routeBodyLimit("/v1/customers/:id/kyc/:check", maxAadhaarZip)
	g.GET("/customers/:id/kyc", allow(RoleOps, RoleAnalyst, RoleApprover, RoleService), h.list)
	g.PUT("/customers/:id/kyc/risk", allow(RoleOps), h.setRisk)
	g.GET("/kyc/tasks", allow(RoleOps), h.tasks)
	g.PUT("/kyc/screening-lists/:name", allow(RoleAnalyst, RoleOps), h.importList)
	s.routeBodyLimit("/v1/kyc/screening-lists/:name", screening.MaxListBytes)
	g.GET("/kyc/screening-lists", allow(RoleAnalyst, RoleOps), h.lists)
}

func (h *kycHandlers) check(c *gin.Context) {
	id, ok := customerParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	switch kyc.Check(c.Param("check")) {
	case kyc.CheckPAN:
		bindReply(c, http.StatusCreated, func(in kyc.PANInput) (any, error) { return view(h.svc.CheckPAN(ctx, id, in)) })
	case kyc.CheckBank:
		bindReply(c, http.StatusCreated, func(in kyc.BankInput) (any, error) { return view(h.svc.CheckBankAccount(ctx, id, in)) })
	case kyc.CheckCKYC:
		bindReply(c, http.StatusCreated, func(in kyc.CKYCInput) (any, error) { return view(h.svc.CheckCKYC(ctx, id, in)) })
	case kyc.CheckVideo:
		bindReply(c, http.StatusCreated, func(in kyc.VideoInput) (any, error) { return view(h.svc.CheckVideo(ctx, id, in)) })
	case kyc.CheckScreening:
		bindReply(c, http.StatusCreated, func(in kyc.ScreeningInput) (any, error) { return view(h.svc.CheckScreening(ctx, id, in)) })
	case kyc.CheckAadhaar:
		in, err := aadhaarForm(c)
		if err != nil {
			abort(c, err)
			return
		}
		e, err := view(h.svc.CheckAadhaarOffline(ctx, id, in))
		reply(c, http.StatusCreated, e, err)
	default:
		abort(c, &nirnay.Error{Kind: nirnay.KindNotFound, Field: "check",
			Message: "no such KYC check: one of pan, aadhaar-offline, ckyc, bank-account, video, screening"})
	}
}

// aadhaarForm reads the offline e-KYC upload: the ZIP as the form's file,
// its share_code, and optionally the mobile and email to check against
// the XML's hashes and a consent_ref.
func aadhaarForm(c *gin.Context) (kyc.AadhaarInput, error) {
	var in kyc.AadhaarInput
	if err := c.Request.ParseMultipartForm(maxAadhaarZip); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return in, nirnay.Errorf(nirnay.KindTooLarge, "request body is larger than %d bytes", mbe.Limit)
		}
		return in, nirnay.FieldError("file", "send multipart/form-data with the offline e-KYC ZIP as file and its share_code")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return in, nirnay.FieldError("file", "is required: the offline e-KYC ZIP")
	}
	f, err := fh.Open()
	if err != nil {
		return in, nirnay.FieldError("file", "could not be read")
	}
	defer f.Close()
	if in.ZIP, err = io.ReadAll(io.LimitReader(f, maxAadhaarZip)); err != nil {
		return in, nirnay.FieldError("file", "could not be read")
	}
	in.ShareCode = c.Request.FormValue("share_code")
	in.Mobile = c.Request.FormValue("mobile")
	in.Email = c.Request.FormValue("email")
	in.ConsentRef = c.Request.FormValue("consent_ref")
	return in, nil
}

// view is the evidence as every reader sees it: its result masked by
// key and by value (names, dates of birth, addresses, numbers), as the
// decision log shows inputs. The database keeps the KYC record as the
// provider answered it, masked identifiers aside.
func view(e *kyc.Evidence, err error) (*kyc.Evidence, error) {
	if e == nil {
		return nil, err
	}
	v := *e
	v.Result = pii.Map(e.Result)
	return &v, err
}

func (h *kycHandlers) list(c *gin.Context) {
	if err := checkCustomerToken(c, "KYC evidence"); err != nil {
		abort(c, err)
		return
	}
	id, ok := customerParam(c)
	if !ok {
		return
	}
	items, err := h.svc.List(c.Request.Context(), id)
	for i, e := range items {
		items[i], _ = view(e, nil)
	}
	reply(c, http.StatusOK, gin.H{"customer_id": id, "items": orEmpty(items)}, err)
}

// journey shows each check as it was recorded: kind kyc, the check as
// type, its status, reason and scores as the summary.
func (h *kycHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	es, err := h.svc.Journey(ctx, customerID, from, to, limit)
	return journeyItems(es, err, func(e *kyc.Evidence) JourneyItem {
		sum := map[string]any{"status": e.Status, "provider": e.Provider, "scores": e.Scores}
		if e.Reason != "" {
			sum["reason"] = e.Reason
		}
		return JourneyItem{At: e.CreatedAt, Kind: "kyc", Type: string(e.Check), ID: e.ID, Summary: sum}
	})
}

func (h *kycHandlers) setRisk(c *gin.Context) {
	id, ok := customerParam(c)
	if !ok {
		return
	}
	bindReply(c, http.StatusOK, func(b struct {
		RiskCategory kyc.Risk `json:"risk_category"`
	}) (any, error) {
		return gin.H{"customer_id": id, "risk_category": b.RiskCategory}, h.svc.SetRisk(c.Request.Context(), id, b.RiskCategory)
	})
}

func (h *kycHandlers) tasks(c *gin.Context) {
	q := c.Request.URL.Query()
	status := q.Get("status")
	if status != "" && status != "open" && status != "done" {
		abort(c, nirnay.FieldError("status", "must be open or done"))
		return
	}
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		abort(c, err)
		return
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	items, err := h.svc.Tasks(c.Request.Context(), status, limit)
	reply(c, http.StatusOK, gin.H{"items": orEmpty(items)}, err)
}

func (h *kycHandlers) importList(c *gin.Context) {
	body, err := readBody(c)
	if err != nil {
		abort(c, err)
		return
	}
	res, err := h.svc.ImportScreeningList(c.Request.Context(), c.Param("name"), c.Query("format"), bytes.NewReader(body))
	reply(c, http.StatusOK, gin.H{"list": c.Param("name"), "revision": res.Revision, "added": res.Added, "changed": res.Changed,
		"removed": res.Removed, "unchanged": res.Unchanged}, err)
}

func (h *kycHandlers) lists(c *gin.Context) {
	ls, err := h.svc.ScreeningLists(c.Request.Context())
	items := make([]gin.H, 0, len(ls))
	for _, l := range ls {
		items = append(items, gin.H{"name": l.Name, "revision": l.Revision, "entries": l.Entries, "rescreened_revision": l.RescreenedRevision})
	}
	reply(c, http.StatusOK, gin.H{"items": items}, err)
}
