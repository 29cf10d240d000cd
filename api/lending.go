package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

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
// retries replay the decision; a new key, or none, decides again.
func (s *Server) MountLending(svc *loans.Service) {
	h := &lendingHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	g := s.v1
	g.POST("/loans/applications", allow(RoleService), h.apply)
	g.GET("/loans/:id", allow(RoleService, RoleOps), h.get)
	g.GET("/loans/:id/kfs", allow(RoleService, RoleOps), h.kfs)
	g.POST("/loans/:id/accept", allow(RoleService), h.accept)
	g.POST("/loans/:id/cancel", allow(RoleService), h.cancel)
	g.POST("/loans/:id/disburse", allow(RoleService), h.disburse)
	g.POST("/loans/:id/payments", allow(RoleService), h.pay)
	g.GET("/loans/:id/payments", allow(RoleService, RoleOps), h.payments)
	g.POST("/loans/:id/payments/:pid/bounce", allow(RoleService), h.bounce)
	g.GET("/loans/:id/ledger", allow(RoleOps), h.ledger)
	g.GET("/loans/:id/foreclosure-quote", allow(RoleService, RoleOps), h.quote)
	g.POST("/loans/:id/foreclose", allow(RoleService), h.foreclose)
	g.POST("/loans/:id/waive", allow(), h.waive)
	g.POST("/loans/:id/write-off", allow(), h.writeOff)
	g.GET("/customers/:id/loans", allow(RoleService, RoleOps), h.customerLoans)
	g.GET("/credit-lines/:id", allow(RoleService, RoleOps), h.getLine)
	g.POST("/credit-lines/:id/accept", allow(RoleService), h.acceptLine)
	g.GET("/credit-lines/:id/kfs", allow(RoleService, RoleOps), h.drawKFS)
	g.POST("/credit-lines/:id/draws", allow(RoleService), h.draw)
	g.POST("/credit-lines/:id/limit-increase", allow(RoleService), h.limitIncrease)
	g.POST("/day-end", allow(RoleOps), h.dayEnd)
}

type lendingHandlers struct{ svc *loans.Service }

// stoppedProblem is the 422 answer when a decision stops a journey step:
// the problem fields plus the decision and its reasons.
type stoppedProblem struct {
	Problem
	Step       string         `json:"step"`
	Outcome    nirnay.Outcome `json:"outcome"`
	DecisionID string         `json:"decision_id"`
	Reasons    []string       `json:"reasons"`
	SubjectID  string         `json:"subject_id,omitempty"`
}

// reply writes v as JSON with status, or err (see fail) when it is not nil.
func reply(c *gin.Context, status int, v any, err error) {
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(status, v)
}

// fail writes err; a stopped decision gets type .../decision-stopped with
// its reasons.
func fail(c *gin.Context, err error) {
	var stop *loans.StoppedError
	if !errors.As(err, &stop) {
		abort(c, err)
		return
	}
	p := ProblemFor(err)
	p.Type, p.Instance, p.RequestID = ProblemTypeBase+"decision-stopped", c.Request.URL.Path, c.GetString(ctxRequestID)
	reasons := stop.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	body, _ := json.Marshal(stoppedProblem{Problem: p, Step: stop.Step, Outcome: stop.Outcome, DecisionID: stop.DecisionID,
		Reasons: reasons, SubjectID: stop.SubjectID})
	c.Abort()
	c.Data(http.StatusUnprocessableEntity, "application/problem+json", body)
}

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

// bindOptional decodes a body when there is one.
func bindOptional(c *gin.Context, v any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return bindJSON(c, v)
}

// loanFor loads a loan and applies the customer scope of the caller.
func (h *lendingHandlers) loanFor(c *gin.Context) (*loans.Loan, bool) {
	l, err := h.svc.Get(c.Request.Context(), c.Param("id"))
	if err == nil {
		err = checkCustomer(c, l.CustomerID)
	}
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return l, true
}

func (h *lendingHandlers) lineFor(c *gin.Context) (*loans.CreditLine, bool) {
	l, err := h.svc.GetLine(c.Request.Context(), c.Param("id"))
	if err == nil {
		err = checkCustomer(c, l.CustomerID)
	}
	if err != nil {
		fail(c, err)
		return nil, false
	}
	return l, true
}

type applicationBody struct {
	RequestID    string         `json:"request_id"`
	CustomerID   string         `json:"customer_id"`
	ProductID    string         `json:"product_id"`
	Amount       string         `json:"amount"`
	TenureMonths int            `json:"tenure_months"`
	Input        map[string]any `json:"input"`
}

func (h *lendingHandlers) apply(c *gin.Context) {
	var b applicationBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	amount, err := parseAmount("amount", b.Amount, true)
	if err == nil {
		err = checkCustomer(c, b.CustomerID)
	}
	if err != nil {
		fail(c, err)
		return
	}
	app, err := h.svc.Apply(c.Request.Context(), loans.ApplicationRequest{CustomerID: b.CustomerID, ProductID: b.ProductID,
		Amount: amount, TenureMonths: b.TenureMonths, RequestID: b.RequestID, Input: normaliseNumbers(b.Input)})
	if err != nil {
		fail(c, err)
		return
	}
	if app.Loan != nil {
		c.JSON(http.StatusCreated, gin.H{"loan": app.Loan, "kfs": app.Loan.KFS})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"credit_line": app.Line})
}

func (h *lendingHandlers) get(c *gin.Context) {
	if l, ok := h.loanFor(c); ok {
		c.JSON(http.StatusOK, l)
	}
}

func (h *lendingHandlers) kfs(c *gin.Context) {
	l, ok := h.loanFor(c)
	if !ok {
		return
	}
	if len(l.KFS) == 0 {
		fail(c, nirnay.Errorf(nirnay.KindNotFound, "loan %s has no Key Fact Statement", l.ID))
		return
	}
	writeKFS(c, l.KFS, l.KFSDigest)
}

func writeKFS(c *gin.Context, raw json.RawMessage, digest string) {
	c.Header("KFS-Digest", digest)
	if strings.Contains(c.GetHeader("Accept"), "text/html") {
		var k schedule.KFS
		if err := json.Unmarshal(raw, &k); err != nil {
			fail(c, err)
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

func (h *lendingHandlers) accept(c *gin.Context) {
	var b loans.Consent
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	b.IP = c.ClientIP()
	l, err := h.svc.Accept(c.Request.Context(), c.Param("id"), b)
	reply(c, http.StatusOK, l, err)
}

type disburseBody struct {
	AccountHash string `json:"account_hash"`
	RequestID   string `json:"request_id"`
}

func (h *lendingHandlers) disburse(c *gin.Context) {
	var b disburseBody
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	l, err := h.svc.DisburseWith(c.Request.Context(), c.Param("id"), loans.DisburseRequest{AccountHash: b.AccountHash, RequestID: b.RequestID})
	reply(c, http.StatusOK, l, err)
}

type paymentBody struct {
	Amount         string `json:"amount"`
	PaidOn         string `json:"paid_on"`
	IdempotencyKey string `json:"idempotency_key"`
	PaymentMode    string `json:"payment_mode"`
}

// paymentRequest reads a payment body; the key comes from the
// Idempotency-Key header or the body (they must agree when both are given).
func paymentRequest(c *gin.Context, required bool) (loans.PaymentRequest, error) {
	var b paymentBody
	if err := bindOptional(c, &b); err != nil {
		return loans.PaymentRequest{}, err
	}
	key := c.GetHeader("Idempotency-Key")
	if key != "" && b.IdempotencyKey != "" && key != b.IdempotencyKey {
		return loans.PaymentRequest{}, nirnay.FieldError("idempotency_key", "differs from the Idempotency-Key header")
	}
	if key == "" {
		key = b.IdempotencyKey
	}
	amount, err := parseAmount("amount", b.Amount, required)
	if err != nil {
		return loans.PaymentRequest{}, err
	}
	return loans.PaymentRequest{Key: key, Amount: amount, On: b.PaidOn, Mode: b.PaymentMode}, nil
}

func answerPayment(c *gin.Context, p *loans.Payment, replayed bool) {
	if replayed {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, p)
		return
	}
	c.JSON(http.StatusCreated, p)
}

func (h *lendingHandlers) pay(c *gin.Context)       { h.payLike(c, h.svc.Pay) }
func (h *lendingHandlers) foreclose(c *gin.Context) { h.payLike(c, h.svc.Foreclose) }

// payLike runs a payment-shaped operation (a payment, a foreclosure).
func (h *lendingHandlers) payLike(c *gin.Context, op func(context.Context, string, loans.PaymentRequest) (*loans.Payment, bool, error)) {
	req, err := paymentRequest(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	p, replayed, err := op(c.Request.Context(), c.Param("id"), req)
	if err != nil {
		fail(c, err)
		return
	}
	answerPayment(c, p, replayed)
}

func (h *lendingHandlers) cancel(c *gin.Context) {
	req, err := paymentRequest(c, false)
	if err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	l, p, err := h.svc.Cancel(c.Request.Context(), c.Param("id"), req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"loan": l, "payment": p})
}

func (h *lendingHandlers) payments(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	ps, err := h.svc.Payments(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": ps})
}

type dateBody struct {
	On     string `json:"on"`
	Amount string `json:"amount"`
}

func (h *lendingHandlers) bounce(c *gin.Context) {
	var b dateBody
	if err := bindOptional(c, &b); err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	l, err := h.svc.Bounce(c.Request.Context(), c.Param("id"), c.Param("pid"), b.On)
	reply(c, http.StatusOK, l, err)
}

func (h *lendingHandlers) ledger(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	js, err := h.svc.Journals(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	bal, err := h.svc.LedgerBalances(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"loan_id": c.Param("id"), "journals": js, "balances": bal})
}

func (h *lendingHandlers) quote(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	q, err := h.svc.Quote(c.Request.Context(), c.Param("id"), c.Query("as_of"))
	reply(c, http.StatusOK, q, err)
}

func (h *lendingHandlers) waive(c *gin.Context) {
	var b dateBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	amount, err := parseAmount("amount", b.Amount, true)
	if err != nil {
		fail(c, err)
		return
	}
	l, err := h.svc.Waive(c.Request.Context(), c.Param("id"), amount, b.On)
	reply(c, http.StatusOK, l, err)
}

func (h *lendingHandlers) writeOff(c *gin.Context) {
	var b dateBody
	if err := bindOptional(c, &b); err != nil {
		fail(c, err)
		return
	}
	amount, err := parseAmount("amount", b.Amount, false)
	if err != nil {
		fail(c, err)
		return
	}
	l, err := h.svc.WriteOff(c.Request.Context(), c.Param("id"), b.On, amount)
	reply(c, http.StatusOK, l, err)
}

func (h *lendingHandlers) customerLoans(c *gin.Context) {
	id := c.Param("id")
	if err := checkCustomer(c, id); err != nil {
		fail(c, err)
		return
	}
	ls, err := h.svc.ListByCustomer(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	b, err := h.svc.BorrowerStatus(c.Request.Context(), id)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"customer_id": id, "borrower": b, "items": ls})
}

func (h *lendingHandlers) getLine(c *gin.Context) {
	if l, ok := h.lineFor(c); ok {
		c.JSON(http.StatusOK, l)
	}
}

func (h *lendingHandlers) acceptLine(c *gin.Context) {
	var b loans.Consent
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.lineFor(c); !ok {
		return
	}
	b.IP = c.ClientIP()
	l, err := h.svc.AcceptLine(c.Request.Context(), c.Param("id"), b)
	reply(c, http.StatusOK, l, err)
}

func (h *lendingHandlers) drawKFS(c *gin.Context) {
	if _, ok := h.lineFor(c); !ok {
		return
	}
	amount, err := parseAmount("amount", c.Query("amount"), true)
	if err != nil {
		fail(c, err)
		return
	}
	tenure, err := intParam(c.Query("tenure_months"), "tenure_months")
	if err != nil {
		fail(c, err)
		return
	}
	raw, dig, err := h.svc.DrawKFS(c.Request.Context(), c.Param("id"), amount, tenure)
	if err != nil {
		fail(c, err)
		return
	}
	writeKFS(c, raw, dig)
}

type drawBody struct {
	Amount       string `json:"amount"`
	TenureMonths int    `json:"tenure_months"`
	AccountHash  string `json:"account_hash"`
	KFSDigest    string `json:"kfs_digest"`
	Agreed       bool   `json:"agreed"`
	RequestID    string `json:"request_id"`
}

func (h *lendingHandlers) draw(c *gin.Context) {
	var b drawBody
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		fail(c, err)
		return
	}
	amount, err := parseAmount("amount", b.Amount, true)
	if err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.lineFor(c); !ok {
		return
	}
	l, err := h.svc.Draw(c.Request.Context(), c.Param("id"), loans.DrawRequest{Amount: amount, TenureMonths: b.TenureMonths,
		AccountHash: b.AccountHash, KFSDigest: b.KFSDigest, Agreed: b.Agreed, RequestID: b.RequestID})
	reply(c, http.StatusCreated, l, err)
}

type limitBody struct {
	Limit     string `json:"limit"`
	Consent   bool   `json:"consent"`
	RequestID string `json:"request_id"`
}

func (h *lendingHandlers) limitIncrease(c *gin.Context) {
	var b limitBody
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		fail(c, err)
		return
	}
	limit, err := parseAmount("limit", b.Limit, true)
	if err != nil {
		fail(c, err)
		return
	}
	if _, ok := h.lineFor(c); !ok {
		return
	}
	l, err := h.svc.LimitIncrease(c.Request.Context(), c.Param("id"), limit, b.Consent, b.RequestID)
	reply(c, http.StatusOK, l, err)
}

type dayEndBody struct {
	Date string `json:"date"`
}

func (h *lendingHandlers) dayEnd(c *gin.Context) {
	var b dayEndBody
	if err := bindJSON(c, &b); err != nil {
		fail(c, err)
		return
	}
	if b.Date == "" {
		fail(c, nirnay.FieldError("date", "is required (YYYY-MM-DD)"))
		return
	}
	d, err := loans.ParseDate("date", b.Date, 0)
	if err != nil {
		fail(c, err)
		return
	}
	rep, err := h.svc.DayEnd(c.Request.Context(), d)
	reply(c, http.StatusOK, rep, err)
}

// journey lists a customer's lending actions as journey items.
func (h *lendingHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	acts, err := h.svc.Journey(ctx, customerID, from, to, limit)
	if err != nil {
		return nil, err
	}
	items := make([]JourneyItem, 0, len(acts))
	for _, a := range acts {
		sum := a.Body
		if sum == nil {
			sum = map[string]any{}
		}
		sum["on"] = a.On
		items = append(items, JourneyItem{At: a.At, Kind: "lending", Type: a.Type, ID: a.SubjectID, Summary: sum})
	}
	return items, nil
}
