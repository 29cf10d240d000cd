package api

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/governance"
)

// DeploymentService puts approved policy versions live per journey step;
// *governance.Service satisfies it.
type DeploymentService interface {
	Deployments(ctx context.Context) ([]governance.Deployment, error)
	Deploy(ctx context.Context, actor governance.Actor, step string, spec governance.DeploymentSpec) (governance.Deployment, error)
	Rollback(ctx context.Context, actor governance.Actor, step, to string) (governance.Deployment, error)
}

// deploymentHandlers serve /v1/deployments (mounted by MountPolicies).
type deploymentHandlers struct{ svc DeploymentService }

func (h *deploymentHandlers) list(c *gin.Context) {
	items, err := h.svc.Deployments(c.Request.Context())
	reply(c, http.StatusOK, gin.H{"items": orEmpty(items)}, err)
}

func (h *deploymentHandlers) put(c *gin.Context) {
	var spec governance.DeploymentSpec
	if err := bindJSON(c, &spec); err != nil {
		abort(c, err)
		return
	}
	d, err := h.svc.Deploy(c.Request.Context(), actorOf(c), c.Param("step"), spec)
	reply(c, http.StatusOK, d, err)
}

func (h *deploymentHandlers) rollback(c *gin.Context) {
	var req struct {
		To string `json:"to"`
	}
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	d, err := h.svc.Rollback(c.Request.Context(), actorOf(c), c.Param("step"), req.To)
	reply(c, http.StatusOK, d, err)
}
