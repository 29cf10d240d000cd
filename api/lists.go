package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lists"
)

// ListService is the managed lists registry; *lists.Service satisfies it.
type ListService interface {
	Put(ctx context.Context, actor lists.Actor, name, description string) (lists.List, bool, error)
	Get(ctx context.Context, name string) (lists.List, error)
	Lists(ctx context.Context, cursor string, limit int) ([]lists.List, string, error)
	Entries(ctx context.Context, name, cursor string, limit int) ([]lists.Entry, string, error)
	Add(ctx context.Context, actor lists.Actor, name string, entries []lists.NewEntry) (lists.AddResult, error)
	Remove(ctx context.Context, actor lists.Actor, name, value string) error
	Import(ctx context.Context, actor lists.Actor, name string, entries []lists.NewEntry, mode lists.Mode, dryRun bool) (lists.ImportResult, error)
}

// MaxImportBytes is the body limit of a list import (a CSV of
// lists.MaxImportRows rows), above the server's default limit.
const MaxImportBytes = 32 << 20

type listBody struct {
	Description string `json:"description"`
}

type entriesBody struct {
	Entries []lists.NewEntry `json:"entries"`
}

type listHandlers struct{ svc ListService }

// MountLists adds the managed list routes (DESIGN §14; docs/lists.md).
// analyst and ops change lists, analyst, ops and approver read them, admin
// does everything:
//
//	PUT    /v1/lists/{name}                  {"description"}: 201 created, 200 updated
//	GET    /v1/lists                         {"items": [list…], "next_cursor"} (?cursor=&limit=)
//	GET    /v1/lists/{name}                  the list with its entry count
//	GET    /v1/lists/{name}/entries          current entries, in value order (?cursor=&limit=)
//	POST   /v1/lists/{name}/entries          {"entries": [{"value", "reason", "expires_at"}]} → {"added", "updated", "unchanged"}
//	DELETE /v1/lists/{name}/entries/{value}  204; 404 when the value is not on the list
//	POST   /v1/lists/{name}/import           text/csv, ?mode=add|replace&dry_run=true|false →
//	                                         {"added", "updated", "removed", "unchanged", "dry_run", "sample"}
//
// An import body may be up to MaxImportBytes. Every change is audited
// (GET /v1/audit?subject=list/{name}).
func (s *Server) MountLists(svc ListService) {
	h := &listHandlers{svc: svc}
	writers := allow(RoleAnalyst, RoleOps)
	readers := allow(RoleAnalyst, RoleOps, RoleApprover)
	g := s.v1
	g.PUT("/lists/:name", writers, h.put)
	g.GET("/lists", readers, h.list)
	g.GET("/lists/:name", readers, h.get)
	g.GET("/lists/:name/entries", readers, h.entries)
	g.POST("/lists/:name/entries", writers, h.add)
	g.DELETE("/lists/:name/entries/*value", writers, h.remove)
	g.POST("/lists/:name/import", writers, h.importCSV)
	s.routeBodyLimit("/v1/lists/:name/import", MaxImportBytes)
}

func (h *listHandlers) put(c *gin.Context) {
	var b listBody
	if err := bindJSON(c, &b); err != nil {
		abort(c, err)
		return
	}
	l, created, err := h.svc.Put(c.Request.Context(), actorOf(c), c.Param("name"), b.Description)
	if err != nil {
		abort(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/v1/lists/"+l.Name)
	}
	c.JSON(status, l)
}

func (h *listHandlers) list(c *gin.Context) { replyPage(c, h.svc.Lists) }

func (h *listHandlers) get(c *gin.Context) {
	l, err := h.svc.Get(c.Request.Context(), c.Param("name"))
	reply(c, http.StatusOK, l, err)
}

func (h *listHandlers) entries(c *gin.Context) {
	replyPage(c, func(ctx context.Context, cursor string, limit int) ([]lists.Entry, string, error) {
		return h.svc.Entries(ctx, c.Param("name"), cursor, limit)
	})
}

func (h *listHandlers) add(c *gin.Context) {
	bindReply(c, http.StatusOK, func(b entriesBody) (any, error) {
		return h.svc.Add(c.Request.Context(), actorOf(c), c.Param("name"), b.Entries)
	})
}

func (h *listHandlers) remove(c *gin.Context) {
	value := strings.TrimPrefix(c.Param("value"), "/")
	if err := h.svc.Remove(c.Request.Context(), actorOf(c), c.Param("name"), value); err != nil {
		abort(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *listHandlers) importCSV(c *gin.Context) {
	mode := lists.Mode(c.DefaultQuery("mode", string(lists.ModeAdd)))
	if mode != lists.ModeAdd && mode != lists.ModeReplace {
		abort(c, nirnay.FieldError("mode", "must be add or replace"))
		return
	}
	var dryRun bool
	switch c.Query("dry_run") {
	case "", "false":
	case "true":
		dryRun = true
	default:
		abort(c, nirnay.FieldError("dry_run", "must be true or false"))
		return
	}
	if err := lists.CheckName(c.Param("name")); err != nil {
		abort(c, err)
		return
	}
	switch ct := c.ContentType(); ct {
	case "text/csv", "application/csv", "text/plain":
	default:
		abort(c, nirnay.Errorf(nirnay.KindInvalid, "Content-Type %q: send the entries as text/csv (value,reason,expires_at)", ct))
		return
	}
	body, err := readBody(c)
	if err != nil {
		abort(c, err)
		return
	}
	entries, err := lists.ParseCSV(bytes.NewReader(body), lists.MaxImportRows)
	if err != nil {
		abort(c, err)
		return
	}
	r, err := h.svc.Import(c.Request.Context(), actorOf(c), c.Param("name"), entries, mode, dryRun)
	reply(c, http.StatusOK, r, err)
}
