package api

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/governance"
)

// AuditLog reads the audit log of every governed change (policies,
// deployments, lists); *governance.Service satisfies it.
type AuditLog interface {
	Audit(ctx context.Context, q governance.AuditQuery) ([]governance.AuditEntry, string, error)
}

// auditHandlers serve GET /v1/audit (mounted by MountPolicies).
type auditHandlers struct{ svc AuditLog }

// list answers a page of entries, oldest first (?subject=&cursor=&limit=).
func (h *auditHandlers) list(c *gin.Context) {
	cursor, limit, err := pageParams(c)
	if err != nil {
		abort(c, err)
		return
	}
	items, next, err := h.svc.Audit(c.Request.Context(), governance.AuditQuery{Subject: c.Query("subject"), Cursor: cursor, Limit: limit})
	if err != nil {
		abort(c, err)
		return
	}
	writePage(c, items, next)
}
