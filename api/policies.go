package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/rules"
)

// PolicyService is the policy version lifecycle; *governance.Service
// satisfies it.
type PolicyService interface {
	Upload(ctx context.Context, actor governance.Actor, source []byte) (governance.Version, bool, error)
	List(ctx context.Context) ([]governance.PolicySummary, error)
	Get(ctx context.Context, ref rules.PolicyRef) (governance.Version, error)
	Diff(ctx context.Context, ref rules.PolicyRef, against *rules.PolicyRef) (*rules.PolicyDiff, error)
	Test(ctx context.Context, ref rules.PolicyRef) (governance.TestReport, error)
	Submit(ctx context.Context, actor governance.Actor, ref rules.PolicyRef) (governance.Version, governance.TestReport, error)
	Approve(ctx context.Context, actor governance.Actor, ref rules.PolicyRef) (governance.Version, error)
	Reject(ctx context.Context, actor governance.Actor, ref rules.PolicyRef, reason string) (governance.Version, error)
}

// GovernanceService is what the governance routes need: policy versions,
// deployments and the audit log. *governance.Service satisfies it.
type GovernanceService interface {
	PolicyService
	DeploymentService
	AuditLog
}

type policyHandlers struct{ svc PolicyService }

// MountPolicies adds the policy governance routes (admin may call all):
//
//	POST /v1/policies                                  analyst: upload a draft (YAML, or JSON {"source"})
//	GET  /v1/policies                                  analyst, approver, ops
//	GET  /v1/policies/{id}/versions/{v}                analyst, approver, ops (Accept: application/yaml for the source alone)
//	GET  /v1/policies/{id}/versions/{v}/diff?against=  analyst, approver, ops (default: the step's champion)
//	POST /v1/policies/{id}/versions/{v}/test           analyst, approver
//	POST /v1/policies/{id}/versions/{v}/submit         analyst (the author only; tests must pass)
//	POST /v1/policies/{id}/versions/{v}/approve        approver (never the author)
//	POST /v1/policies/{id}/versions/{v}/reject         approver, {"reason"}
//	GET  /v1/deployments                               analyst, approver, ops
//	PUT  /v1/deployments/{step}                        approver, {"champion", "challengers", "shadows"}
//	POST /v1/deployments/{step}/rollback               approver, {"to": "id@v"}
//	GET  /v1/audit?subject=&cursor=&limit=             ops, analyst, approver
//
// A policy that does not compile, or whose tests fail on submit, is a 422
// problem whose "errors" lists {line, field, message}.
func (s *Server) MountPolicies(gov GovernanceService) {
	p := &policyHandlers{svc: gov}
	d := &deploymentHandlers{svc: gov}
	a := &auditHandlers{svc: gov}
	readers := allow(RoleAnalyst, RoleApprover, RoleOps)
	g := s.v1
	g.POST("/policies", allow(RoleAnalyst), p.upload)
	g.GET("/policies", readers, p.list)
	g.GET("/policies/:id/versions/:v", readers, p.get)
	g.GET("/policies/:id/versions/:v/diff", readers, p.diff)
	g.POST("/policies/:id/versions/:v/test", allow(RoleAnalyst, RoleApprover), p.test)
	g.POST("/policies/:id/versions/:v/submit", allow(RoleAnalyst), p.submit)
	g.POST("/policies/:id/versions/:v/approve", allow(RoleApprover), p.approve)
	g.POST("/policies/:id/versions/:v/reject", allow(RoleApprover), p.reject)
	g.GET("/deployments", readers, d.list)
	g.PUT("/deployments/:step", allow(RoleApprover), d.put)
	g.POST("/deployments/:step/rollback", allow(RoleApprover), d.rollback)
	g.GET("/audit", allow(RoleOps, RoleAnalyst, RoleApprover), a.list)
}

func (h *policyHandlers) upload(c *gin.Context) {
	src, err := policySource(c)
	if err != nil {
		abort(c, err)
		return
	}
	v, created, err := h.svc.Upload(c.Request.Context(), actorOf(c), src)
	if err != nil {
		abort(c, err)
		return
	}
	v.Source = ""
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.Header("Location", "/v1/policies/"+v.ID+"/versions/"+strconv.Itoa(v.Version))
	c.JSON(status, v)
}

func (h *policyHandlers) list(c *gin.Context) {
	items, err := h.svc.List(c.Request.Context())
	reply(c, http.StatusOK, gin.H{"items": orEmpty(items)}, err)
}

func (h *policyHandlers) get(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	v, err := h.svc.Get(c.Request.Context(), ref)
	if err != nil {
		abort(c, err)
		return
	}
	if f := c.NegotiateFormat(gin.MIMEJSON, "application/yaml", "application/x-yaml", "text/yaml"); f != gin.MIMEJSON && f != "" {
		c.Data(http.StatusOK, "application/yaml", []byte(v.Source))
		return
	}
	c.JSON(http.StatusOK, v)
}

func (h *policyHandlers) diff(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	var against *rules.PolicyRef
	if a := c.Query("against"); a != "" {
		n, err := strconv.Atoi(a)
		if err != nil || n < 1 {
			abort(c, nirnay.FieldError("against", "must be a version number of the same policy"))
			return
		}
		against = &rules.PolicyRef{ID: ref.ID, Version: n}
	}
	d, err := h.svc.Diff(c.Request.Context(), ref, against)
	reply(c, http.StatusOK, d, err)
}

func (h *policyHandlers) test(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	report, err := h.svc.Test(c.Request.Context(), ref)
	reply(c, http.StatusOK, report, err)
}

// submit answers the submitted version with its test report; when the
// tests ran and refused it, the problem carries the report.
func (h *policyHandlers) submit(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	v, report, err := h.svc.Submit(c.Request.Context(), actorOf(c), ref)
	if err != nil {
		if report.Results != nil {
			err = &testReportError{err: err, report: report}
		}
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, struct {
		governance.Version
		Tests governance.TestReport `json:"tests"`
	}{v, report})
}

func (h *policyHandlers) approve(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	v, err := h.svc.Approve(c.Request.Context(), actorOf(c), ref)
	reply(c, http.StatusOK, v, err)
}

func (h *policyHandlers) reject(c *gin.Context) {
	ref, ok := versionRef(c)
	if !ok {
		return
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	v, err := h.svc.Reject(c.Request.Context(), actorOf(c), ref, req.Reason)
	reply(c, http.StatusOK, v, err)
}

// versionRef reads the policy version {id} and {v} of the path; false once
// it has answered (400).
func versionRef(c *gin.Context) (rules.PolicyRef, bool) {
	ref, err := rules.ParsePolicyRef(c.Param("id") + "@" + c.Param("v"))
	if err != nil {
		abort(c, nirnay.Errorf(nirnay.KindInvalid, "the path must name a policy version: /v1/policies/{id}/versions/{version}, e.g. credit-underwriting/versions/3"))
		return rules.PolicyRef{}, false
	}
	return ref, true
}

// policySource reads an upload: the YAML itself (application/yaml,
// text/yaml) or JSON {"source": "<yaml>"}.
func policySource(c *gin.Context) ([]byte, error) {
	switch ct := c.ContentType(); ct {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		body, err := readBody(c)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(string(body)) == "" {
			return nil, nirnay.Errorf(nirnay.KindInvalid, "request body is empty; send the policy YAML")
		}
		return body, nil
	case "application/json":
		var req struct {
			Source string `json:"source"`
		}
		if err := bindJSON(c, &req); err != nil {
			return nil, err
		}
		if strings.TrimSpace(req.Source) == "" {
			return nil, nirnay.FieldError("source", "must hold the policy YAML")
		}
		return []byte(req.Source), nil
	default:
		return nil, nirnay.Errorf(nirnay.KindInvalid, "Content-Type %q: send the policy as application/yaml (or text/yaml), or as application/json {\"source\": \"<yaml>\"}", ct)
	}
}
