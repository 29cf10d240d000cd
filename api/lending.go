package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// LendingService is the lending core the lending routes need: loans,
// credit lines, the day-end run and the journey's lending actions.
// *loans.Service satisfies it.
type LendingService interface {
	LoanService
	CreditLineService
	DayEnd(ctx context.Context, d schedule.Date) (loans.DayEndReport, error)
	Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]loans.Action, error)
}

// MountLending adds the lending routes (docs/lending.md) and the lending
// journey source. Roles: service (the mobile flow, also through
// customer-scoped tokens, which reach only their own customer's loans),
// ops reads, admin everything.
//
//	POST /v1/loans/applications                  service
//	GET  /v1/loans/{id}                          service, ops
//	GET  /v1/loans/{id}/kfs                      service, ops (JSON; HTML with Accept: text/html)
//	POST /v1/loans/{id}/accept                   service (Idempotency-Key)
//	POST /v1/loans/{id}/cancel                   service
//	POST /v1/loans/{id}/disburse                 service (Idempotency-Key)
//	POST /v1/loans/{id}/payments                 service (Idempotency-Key)
//	GET  /v1/loans/{id}/payments                 service, ops
//	POST /v1/loans/{id}/payments/{pid}/bounce    service
//	GET  /v1/loans/{id}/ledger                   ops
//	GET  /v1/loans/{id}/foreclosure-quote        service, ops
//	POST /v1/loans/{id}/foreclose                service (Idempotency-Key)
//	POST /v1/loans/{id}/waive                    admin
//	POST /v1/loans/{id}/write-off                admin
//	GET  /v1/customers/{id}/loans                service, ops
//	GET  /v1/credit-lines/{id}                   service, ops
//	POST /v1/credit-lines/{id}/accept            service (Idempotency-Key)
//	GET  /v1/credit-lines/{id}/kfs               service, ops (?amount=&tenure_months=)
//	POST /v1/credit-lines/{id}/draws             service (Idempotency-Key)
//	POST /v1/credit-lines/{id}/limit-increase    service (Idempotency-Key)
//	POST /v1/day-end                             ops
//
// Accept, disburse, draws and limit increases decide once per attempt, named
// by the Idempotency-Key header or the body's request_id (bindStep): its
// retries replay the decision; a new key, or none, decides again. A
// decision that stops a step is a 422 of type .../decision-stopped with the
// decision's id, outcome and reasons.
func (s *Server) MountLending(svc LendingService) {
	h := &lendingHandlers{svc: svc}
	ln := &loanHandlers{svc: svc}
	cl := &lineHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	g := s.v1
	g.POST("/loans/applications", allow(RoleService), ln.apply)
	g.GET("/loans/:id", allow(RoleService, RoleOps), ln.get)
	g.GET("/loans/:id/kfs", allow(RoleService, RoleOps), ln.kfs)
	g.POST("/loans/:id/accept", allow(RoleService), ln.accept)
	g.POST("/loans/:id/cancel", allow(RoleService), ln.cancel)
	g.POST("/loans/:id/disburse", allow(RoleService), ln.disburse)
	g.POST("/loans/:id/payments", allow(RoleService), ln.pay)
	g.GET("/loans/:id/payments", allow(RoleService, RoleOps), ln.payments)
	g.POST("/loans/:id/payments/:pid/bounce", allow(RoleService), ln.bounce)
	g.GET("/loans/:id/ledger", allow(RoleOps), ln.ledger)
	g.GET("/loans/:id/foreclosure-quote", allow(RoleService, RoleOps), ln.quote)
	g.POST("/loans/:id/foreclose", allow(RoleService), ln.foreclose)
	g.POST("/loans/:id/waive", allow(), ln.waive)
	g.POST("/loans/:id/write-off", allow(), ln.writeOff)
	g.GET("/customers/:id/loans", allow(RoleService, RoleOps), ln.customerLoans)
	g.GET("/credit-lines/:id", allow(RoleService, RoleOps), cl.get)
	g.POST("/credit-lines/:id/accept", allow(RoleService), cl.accept)
	g.GET("/credit-lines/:id/kfs", allow(RoleService, RoleOps), cl.kfs)
	g.POST("/credit-lines/:id/draws", allow(RoleService), cl.draw)
	g.POST("/credit-lines/:id/limit-increase", allow(RoleService), cl.limitIncrease)
	g.POST("/day-end", allow(RoleOps), h.dayEnd)
}

type lendingHandlers struct{ svc LendingService }

type dayEndBody struct {
	Date string `json:"date"`
}

func (h *lendingHandlers) dayEnd(c *gin.Context) {
	bindReply(c, http.StatusOK, func(b dayEndBody) (any, error) {
		if b.Date == "" {
			return nil, nirnay.FieldError("date", "is required (YYYY-MM-DD)")
		}
		d, err := loans.ParseDate("date", b.Date, 0)
		if err != nil {
			return nil, err
		}
		return h.svc.DayEnd(c.Request.Context(), d)
	})
}

// journey lists a customer's lending actions as journey items.
func (h *lendingHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	acts, err := h.svc.Journey(ctx, customerID, from, to, limit)
	return journeyItems(acts, err, func(a loans.Action) JourneyItem {
		sum := a.Body
		if sum == nil {
			sum = map[string]any{}
		}
		sum["on"] = a.On
		return JourneyItem{At: a.At, Kind: "lending", Type: a.Type, ID: a.SubjectID, Summary: sum}
	})
}

// parseAmount reads a rupee amount given as a string ("1234.50"); an
// absent one is 0, or a 400 naming field when it is required.
func parseAmount(field, v string, required bool) (money.Paise, error) {
	if v == "" {
		if required {
			return 0, nirnay.FieldError(field, "is required: a rupee amount as a string such as \"1234.50\"")
		}
		return 0, nil
	}
	p, err := money.ParseRupees(v)
	if err != nil {
		return 0, nirnay.FieldError(field, "%q is not a rupee amount such as \"1234.50\"", v)
	}
	return p, nil
}

// bindStep decodes the body of a decided step into v; *key (the body's
// request_id) becomes the attempt key: the Idempotency-Key header or the
// body's request_id, which must agree when both are given.
func bindStep(c *gin.Context, v any, key *string) error {
	if err := bindJSON(c, v); err != nil {
		return err
	}
	switch h := c.GetHeader("Idempotency-Key"); {
	case h != "" && *key != "" && h != *key:
		return nirnay.FieldError("request_id", "differs from the Idempotency-Key header")
	case h != "":
		*key = h
	}
	return nil
}

// bindConsent reads the acceptance of an offer (a decided step, see
// bindStep) and records the caller's address on it.
func bindConsent(c *gin.Context) (loans.Consent, error) {
	var b loans.Consent
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		return loans.Consent{}, err
	}
	b.IP = c.ClientIP()
	return b, nil
}

// acceptOffer answers the acceptance of the path's offer (a loan or a
// credit line): it reads the consent (bindConsent), loads the offer with
// load (loanFor, lineFor: the customer scope) and answers 200 with what
// accept makes of it.
func acceptOffer[T any](c *gin.Context, load func(*gin.Context) (T, bool), accept func(ctx context.Context, id string, c loans.Consent) (T, error)) {
	consent, err := bindConsent(c)
	if err != nil {
		abort(c, err)
		return
	}
	if _, ok := load(c); !ok {
		return
	}
	v, err := accept(c.Request.Context(), c.Param("id"), consent)
	reply(c, http.StatusOK, v, err)
}

// writeKFS answers a Key Fact Statement with its digest (header
// KFS-Digest): JSON {"kfs", "kfs_digest"}, or the printable page with
// Accept: text/html.
func writeKFS(c *gin.Context, raw json.RawMessage, digest string) {
	c.Header("KFS-Digest", digest)
	if strings.Contains(c.GetHeader("Accept"), "text/html") {
		var k schedule.KFS
		if err := json.Unmarshal(raw, &k); err != nil {
			abort(c, err)
			return
		}
		c.Status(http.StatusOK)
		c.Header("Content-Type", "text/html; charset=utf-8")
		if err := schedule.WriteKFSHTML(c.Writer, k); err != nil {
			loggerFrom(c).Error("write KFS page", "err", err)
		}
		return
	}
	c.JSON(http.StatusOK, gin.H{"kfs": raw, "kfs_digest": digest})
}
