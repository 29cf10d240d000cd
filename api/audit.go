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
	replyPage(c, func(ctx context.Context, cursor string, limit int) ([]governance.AuditEntry, string, error) {
		return h.svc.Audit(ctx, governance.AuditQuery{Subject: c.Query("subject"), Cursor: cursor, Limit: limit})
	})
}
