package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/money"
)

// LoanService is what the loan routes need (mounted by MountLending);
// *loans.Service satisfies it.
type LoanService interface {
	Apply(ctx context.Context, req loans.ApplicationRequest) (*loans.Application, error)
	Get(ctx context.Context, loanID string) (*loans.Loan, error)
	Accept(ctx context.Context, loanID string, c loans.Consent) (*loans.Loan, error)
	DisburseWith(ctx context.Context, loanID string, req loans.DisburseRequest) (*loans.Loan, error)
	Pay(ctx context.Context, loanID string, req loans.PaymentRequest) (*loans.Payment, bool, error)
	Foreclose(ctx context.Context, loanID string, req loans.PaymentRequest) (*loans.Payment, bool, error)
	Cancel(ctx context.Context, loanID string, req loans.PaymentRequest) (*loans.Loan, *loans.Payment, error)
	Payments(ctx context.Context, loanID string) ([]loans.Payment, error)
	Bounce(ctx context.Context, loanID, paymentID, on string) (*loans.Loan, error)
	Journals(ctx context.Context, loanID string) ([]loans.Journal, error)
	LedgerBalances(ctx context.Context, loanID string) (map[string]money.Paise, error)
	Quote(ctx context.Context, loanID, asOf string) (loans.Quote, error)
	Waive(ctx context.Context, loanID string, amount money.Paise, on string) (*loans.Loan, error)
	WriteOff(ctx context.Context, loanID, on string, confirm money.Paise) (*loans.Loan, error)
	ListByCustomer(ctx context.Context, customerID string) ([]*loans.Loan, error)
	BorrowerStatus(ctx context.Context, customerID string) (loans.Borrower, error)
}

// loanHandlers serve /v1/loans and /v1/customers/{id}/loans. Every route
// on a loan first loads it (loanFor), so a customer-scoped token reaches
// only its own customer's loans.
type loanHandlers struct{ svc LoanService }

// loanFor loads the loan of the path and applies the customer scope of the
// caller; false once it has answered.
func (h *loanHandlers) loanFor(c *gin.Context) (*loans.Loan, bool) {
	return customerObject(c, h.svc.Get, func(l *loans.Loan) string { return l.CustomerID })
}

type applicationBody struct {
	RequestID    string         `json:"request_id"`
	CustomerID   string         `json:"customer_id"`
	ProductID    string         `json:"product_id"`
	Amount       string         `json:"amount"`
	TenureMonths int            `json:"tenure_months"`
	Input        map[string]any `json:"input"`
}

// apply answers 201 with the offered loan and its KFS, or the offered
// credit line.
func (h *loanHandlers) apply(c *gin.Context) {
	var b applicationBody
	if err := bindJSON(c, &b); err != nil {
		abort(c, err)
		return
	}
	amount, err := parseAmount("amount", b.Amount, true)
	if err == nil {
		err = checkCustomer(c, b.CustomerID)
	}
	if err != nil {
		abort(c, err)
		return
	}
	app, err := h.svc.Apply(c.Request.Context(), loans.ApplicationRequest{CustomerID: b.CustomerID, ProductID: b.ProductID,
		Amount: amount, TenureMonths: b.TenureMonths, RequestID: b.RequestID, Input: engine.PlainNumbers(b.Input)})
	if err != nil {
		abort(c, err)
		return
	}
	if app.Loan != nil {
		c.JSON(http.StatusCreated, gin.H{"loan": app.Loan, "kfs": app.Loan.KFS})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"credit_line": app.Line})
}

func (h *loanHandlers) get(c *gin.Context) {
	if l, ok := h.loanFor(c); ok {
		c.JSON(http.StatusOK, l)
	}
}

func (h *loanHandlers) kfs(c *gin.Context) {
	l, ok := h.loanFor(c)
	if !ok {
		return
	}
	if len(l.KFS) == 0 {
		abort(c, nirnay.Errorf(nirnay.KindNotFound, "loan %s has no Key Fact Statement", l.ID))
		return
	}
	writeKFS(c, l.KFS, l.KFSDigest)
}

func (h *loanHandlers) accept(c *gin.Context) { acceptOffer(c, h.loanFor, h.svc.Accept) }

type disburseBody struct {
	AccountHash string `json:"account_hash"`
	RequestID   string `json:"request_id"`
}

func (h *loanHandlers) disburse(c *gin.Context) {
	var b disburseBody
	if err := bindStep(c, &b, &b.RequestID); err != nil {
		abort(c, err)
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

// paymentFor reads a payment body (paymentRequest; the amount is required
// when required is) and then loads the path's loan (loanFor). False once it
// has answered.
func (h *loanHandlers) paymentFor(c *gin.Context, required bool) (loans.PaymentRequest, bool) {
	req, err := paymentRequest(c, required)
	if err != nil {
		abort(c, err)
		return loans.PaymentRequest{}, false
	}
	_, ok := h.loanFor(c)
	return req, ok
}

func (h *loanHandlers) pay(c *gin.Context)       { h.payLike(c, h.svc.Pay) }
func (h *loanHandlers) foreclose(c *gin.Context) { h.payLike(c, h.svc.Foreclose) }

// payLike runs a payment-shaped operation (a payment, a foreclosure): 201
// with the payment, or 200 with Idempotent-Replayed: true for a repeat of
// its key.
func (h *loanHandlers) payLike(c *gin.Context, op func(context.Context, string, loans.PaymentRequest) (*loans.Payment, bool, error)) {
	req, ok := h.paymentFor(c, true)
	if !ok {
		return
	}
	p, replayed, err := op(c.Request.Context(), c.Param("id"), req)
	replyIdempotent(c, http.StatusCreated, p, replayed, err)
}

func (h *loanHandlers) cancel(c *gin.Context) {
	req, ok := h.paymentFor(c, false)
	if !ok {
		return
	}
	l, p, err := h.svc.Cancel(c.Request.Context(), c.Param("id"), req)
	reply(c, http.StatusOK, gin.H{"loan": l, "payment": p}, err)
}

func (h *loanHandlers) payments(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	ps, err := h.svc.Payments(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, gin.H{"items": ps}, err)
}

type dateBody struct {
	On     string `json:"on"`
	Amount string `json:"amount"`
}

// bindDateAmount reads a dateBody: when required, the body and its rupee
// amount must be given; otherwise both may be left out. False once it has
// answered a body that does not pass.
func bindDateAmount(c *gin.Context, required bool) (on string, amount money.Paise, ok bool) {
	var b dateBody
	bind := bindOptional
	if required {
		bind = bindJSON
	}
	err := bind(c, &b)
	if err == nil {
		amount, err = parseAmount("amount", b.Amount, required)
	}
	if err != nil {
		abort(c, err)
		return "", 0, false
	}
	return b.On, amount, true
}

func (h *loanHandlers) bounce(c *gin.Context) {
	var b dateBody
	if err := bindOptional(c, &b); err != nil {
		abort(c, err)
		return
	}
	if _, ok := h.loanFor(c); !ok {
		return
	}
	l, err := h.svc.Bounce(c.Request.Context(), c.Param("id"), c.Param("pid"), b.On)
	reply(c, http.StatusOK, l, err)
}

func (h *loanHandlers) ledger(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	js, err := h.svc.Journals(c.Request.Context(), c.Param("id"))
	if err != nil {
		abort(c, err)
		return
	}
	bal, err := h.svc.LedgerBalances(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, gin.H{"loan_id": c.Param("id"), "journals": js, "balances": bal}, err)
}

func (h *loanHandlers) quote(c *gin.Context) {
	if _, ok := h.loanFor(c); !ok {
		return
	}
	q, err := h.svc.Quote(c.Request.Context(), c.Param("id"), c.Query("as_of"))
	reply(c, http.StatusOK, q, err)
}

func (h *loanHandlers) waive(c *gin.Context) {
	if on, amount, ok := bindDateAmount(c, true); ok {
		l, err := h.svc.Waive(c.Request.Context(), c.Param("id"), amount, on)
		reply(c, http.StatusOK, l, err)
	}
}

// writeOff takes an optional {"on", "amount"}; the amount, when given,
// must be the outstanding balance written off.
func (h *loanHandlers) writeOff(c *gin.Context) {
	if on, amount, ok := bindDateAmount(c, false); ok {
		l, err := h.svc.WriteOff(c.Request.Context(), c.Param("id"), on, amount)
		reply(c, http.StatusOK, l, err)
	}
}

// customerLoans answers a customer's loans with their borrower status.
func (h *loanHandlers) customerLoans(c *gin.Context) {
	id, ok := customerParam(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	ls, err := h.svc.ListByCustomer(ctx, id)
	var b loans.Borrower
	if err == nil {
		b, err = h.svc.BorrowerStatus(ctx, id)
	}
	reply(c, http.StatusOK, gin.H{"customer_id": id, "borrower": b, "items": ls}, err)
}
