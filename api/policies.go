package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/rules"
)

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
func (s *Server) MountPolicies(gov *governance.Service) {
	readers := []string{RoleAnalyst, RoleApprover, RoleOps}
	s.v1.POST("/policies", allow(RoleAnalyst), func(c *gin.Context) {
		src, err := policySource(c)
		if err != nil {
			abort(c, err)
			return
		}
		v, created, err := gov.Upload(c.Request.Context(), actorOf(c), src)
		if err != nil {
			abortPolicy(c, err, nil)
			return
		}
		v.Source = ""
		status := http.StatusOK
		if created {
			status = http.StatusCreated
		}
		c.Header("Location", "/v1/policies/"+v.ID+"/versions/"+strconv.Itoa(v.Version))
		c.JSON(status, v)
	})
	s.v1.GET("/policies", allow(readers...), func(c *gin.Context) {
		items, err := gov.List(c.Request.Context())
		if err != nil {
			abort(c, err)
			return
		}
		if items == nil {
			items = []governance.PolicySummary{}
		}
		c.JSON(http.StatusOK, gin.H{"items": items})
	})
	version := s.v1.Group("/policies/:id/versions/:v")
	version.GET("", allow(readers...), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
			return
		}
		v, err := gov.Get(c.Request.Context(), ref)
		if err != nil {
			abort(c, err)
			return
		}
		if f := c.NegotiateFormat(gin.MIMEJSON, "application/yaml", "application/x-yaml", "text/yaml"); f != gin.MIMEJSON && f != "" {
			c.Data(http.StatusOK, "application/yaml", []byte(v.Source))
			return
		}
		c.JSON(http.StatusOK, v)
	})
	version.GET("/diff", allow(readers...), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
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
		d, err := gov.Diff(c.Request.Context(), ref, against)
		if err != nil {
			abortPolicy(c, err, nil)
			return
		}
		c.JSON(http.StatusOK, d)
	})
	version.POST("/test", allow(RoleAnalyst, RoleApprover), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
			return
		}
		report, err := gov.Test(c.Request.Context(), ref)
		if err != nil {
			abortPolicy(c, err, nil)
			return
		}
		c.JSON(http.StatusOK, report)
	})
	version.POST("/submit", allow(RoleAnalyst), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
			return
		}
		v, report, err := gov.Submit(c.Request.Context(), actorOf(c), ref)
		if err != nil {
			if report.Results != nil {
				abortPolicy(c, err, &report)
			} else {
				abortPolicy(c, err, nil)
			}
			return
		}
		c.JSON(http.StatusOK, struct {
			governance.Version
			Tests governance.TestReport `json:"tests"`
		}{v, report})
	})
	version.POST("/approve", allow(RoleApprover), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
			return
		}
		v, err := gov.Approve(c.Request.Context(), actorOf(c), ref)
		if err != nil {
			abortPolicy(c, err, nil)
			return
		}
		c.JSON(http.StatusOK, v)
	})
	version.POST("/reject", allow(RoleApprover), func(c *gin.Context) {
		ref, err := refParam(c)
		if err != nil {
			abort(c, err)
			return
		}
		var req struct {
			Reason string `json:"reason"`
		}
		if err := bindJSON(c, &req); err != nil {
			abort(c, err)
			return
		}
		v, err := gov.Reject(c.Request.Context(), actorOf(c), ref, req.Reason)
		if err != nil {
			abort(c, err)
			return
		}
		c.JSON(http.StatusOK, v)
	})

	s.v1.GET("/deployments", allow(readers...), func(c *gin.Context) {
		items, err := gov.Deployments(c.Request.Context())
		if err != nil {
			abort(c, err)
			return
		}
		if items == nil {
			items = []governance.Deployment{}
		}
		c.JSON(http.StatusOK, gin.H{"items": items})
	})
	s.v1.PUT("/deployments/:step", allow(RoleApprover), func(c *gin.Context) {
		var spec governance.DeploymentSpec
		if err := bindJSON(c, &spec); err != nil {
			abort(c, err)
			return
		}
		d, err := gov.Deploy(c.Request.Context(), actorOf(c), c.Param("step"), spec)
		if err != nil {
			abort(c, err)
			return
		}
		c.JSON(http.StatusOK, d)
	})
	s.v1.POST("/deployments/:step/rollback", allow(RoleApprover), func(c *gin.Context) {
		var req struct {
			To string `json:"to"`
		}
		if err := bindJSON(c, &req); err != nil {
			abort(c, err)
			return
		}
		d, err := gov.Rollback(c.Request.Context(), actorOf(c), c.Param("step"), req.To)
		if err != nil {
			abort(c, err)
			return
		}
		c.JSON(http.StatusOK, d)
	})

	s.v1.GET("/audit", allow(RoleOps, RoleAnalyst, RoleApprover), func(c *gin.Context) {
		q := governance.AuditQuery{Subject: c.Query("subject"), Cursor: c.Query("cursor")}
		if l := c.Query("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				abort(c, nirnay.FieldError("limit", "must be a positive integer"))
				return
			}
			q.Limit = n
		}
		items, next, err := gov.Audit(c.Request.Context(), q)
		if err != nil {
			abort(c, err)
			return
		}
		var nc any
		if next != "" {
			nc = next
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": nc})
	})
}

func actorOf(c *gin.Context) governance.Actor {
	p := principal(c)
	return governance.Actor{ID: p.KeyID, Name: p.Name}
}

// refParam reads {id} and {v} of the path.
func refParam(c *gin.Context) (rules.PolicyRef, error) {
	ref, err := rules.ParsePolicyRef(c.Param("id") + "@" + c.Param("v"))
	if err != nil {
		return rules.PolicyRef{}, nirnay.Errorf(nirnay.KindInvalid, "the path must name a policy version: /v1/policies/{id}/versions/{version}, e.g. credit-underwriting/versions/3")
	}
	return ref, nil
}

// policySource reads an upload: the YAML itself (application/yaml,
// text/yaml) or JSON {"source": "<yaml>"}.
func policySource(c *gin.Context) ([]byte, error) {
	switch ct := c.ContentType(); ct {
	case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml":
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, nirnay.Errorf(nirnay.KindTooLarge, "request body is larger than %d bytes", mbe.Limit)
			}
			return nil, nirnay.Errorf(nirnay.KindInvalid, "could not read the request body")
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

// policyProblem is a problem with the policy's issues and, for a failed
// submit, its test report.
type policyProblem struct {
	Problem
	Errors []governance.Issue     `json:"errors"`
	Tests  *governance.TestReport `json:"tests,omitempty"`
}

// abortPolicy writes err like abort, adding the issue list of an
// *governance.InvalidError.
func abortPolicy(c *gin.Context, err error, report *governance.TestReport) {
	var inv *governance.InvalidError
	if !errors.As(err, &inv) {
		abort(c, err)
		return
	}
	p := ProblemFor(err)
	p.Instance = c.Request.URL.Path
	p.RequestID = c.GetString(ctxRequestID)
	issues := inv.Issues
	if issues == nil {
		issues = []governance.Issue{}
	}
	body, _ := json.Marshal(policyProblem{Problem: p, Errors: issues, Tests: report})
	c.Abort()
	c.Data(p.Status, "application/problem+json", body)
}
