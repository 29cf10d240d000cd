package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/money"
)

// CreditLineService is what the credit line routes need (mounted by
// MountLending); *loans.Service satisfies it.
type CreditLineService interface {
	GetLine(ctx context.Context, lineID string) (*loans.CreditLine, error)
	AcceptLine(ctx context.Context, lineID string, c loans.Consent) (*loans.CreditLine, error)
	DrawKFS(ctx context.Context, lineID string, amount money.Paise, tenure int) (json.RawMessage, string, error)
	Draw(ctx context.Context, lineID string, req loans.DrawRequest) (*loans.Loan, error)
	LimitIncrease(ctx context.Context, lineID string, requested money.Paise, consent bool, requestID string) (*loans.CreditLine, error)
}

// lineHandlers serve /v1/credit-lines. Every route first loads the line
// (lineFor), so a customer-scoped token reaches only its own customer's
// lines.
type lineHandlers struct{ svc CreditLineService }

// lineFor loads the credit line of the path and applies the customer
// scope of the caller; false once it has answered.
func (h *lineHandlers) lineFor(c *gin.Context) (*loans.CreditLine, bool) {
	return customerObject(c, h.svc.GetLine, func(l *loans.CreditLine) string { return l.CustomerID })
}

// bindAmountStep reads the body of a decided step on the line into v (see
// bindStep, key is its request_id) and parses the required rupee amount
// *amount, a field of v named field; then it loads the line (lineFor).
// False once it has answered.
func (h *lineHandlers) bindAmountStep(c *gin.Context, v any, key *string, field string, amount *string) (money.Paise, bool) {
	if err := bindStep(c, v, key); err != nil {
		abort(c, err)
		return 0, false
	}
	p, err := parseAmount(field, *amount, true)
	if err != nil {
		abort(c, err)
		return 0, false
	}
	if _, ok := h.lineFor(c); !ok {
		return 0, false
	}
	return p, true
}

func (h *lineHandlers) get(c *gin.Context) {
	if l, ok := h.lineFor(c); ok {
		c.JSON(http.StatusOK, l)
	}
}

func (h *lineHandlers) accept(c *gin.Context) { acceptOffer(c, h.lineFor, h.svc.AcceptLine) }

// kfs answers the Key Fact Statement of a draw of ?amount= over
// ?tenure_months=, whose digest the draw must quote.
func (h *lineHandlers) kfs(c *gin.Context) {
	if _, ok := h.lineFor(c); !ok {
		return
	}
	amount, err := parseAmount("amount", c.Query("amount"), true)
	if err != nil {
		abort(c, err)
		return
	}
	tenure, err := intParam(c.Query("tenure_months"), "tenure_months")
	if err != nil {
		abort(c, err)
		return
	}
	raw, dig, err := h.svc.DrawKFS(c.Request.Context(), c.Param("id"), amount, tenure)
	if err != nil {
		abort(c, err)
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

// draw answers 201 with the loan the draw opens.
func (h *lineHandlers) draw(c *gin.Context) {
	var b drawBody
	amount, ok := h.bindAmountStep(c, &b, &b.RequestID, "amount", &b.Amount)
	if !ok {
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

func (h *lineHandlers) limitIncrease(c *gin.Context) {
	var b limitBody
	limit, ok := h.bindAmountStep(c, &b, &b.RequestID, "limit", &b.Limit)
	if !ok {
		return
	}
	l, err := h.svc.LimitIncrease(c.Request.Context(), c.Param("id"), limit, b.Consent, b.RequestID)
	reply(c, http.StatusOK, l, err)
}
