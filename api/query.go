package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"

	"github.com/nirnay/nirnay"
)

// queryParams maps "METHOD /gin/path" to the query parameters the OpenAPI
// document declares for that operation (its own and its path's, $refs to
// components/parameters resolved). The document is the one list of what
// each route accepts; openapi_test.go keeps it and the router in step.
var queryParams = sync.OnceValues(func() (map[string][]string, error) {
	var doc struct {
		Paths      map[string]map[string]any `yaml:"paths"`
		Components struct {
			Parameters map[string]map[string]any `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, err
	}
	names := func(list any) []string {
		var out []string
		items, _ := list.([]any)
		for _, it := range items {
			p, _ := it.(map[string]any)
			if ref, ok := p["$ref"].(string); ok {
				p = doc.Components.Parameters[strings.TrimPrefix(ref, "#/components/parameters/")]
			}
			if p["in"] == "query" {
				if n, ok := p["name"].(string); ok {
					out = append(out, n)
				}
			}
		}
		return out
	}
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		ginPath := path
		for strings.Contains(ginPath, "{") {
			i, j := strings.Index(ginPath, "{"), strings.Index(ginPath, "}")
			if j < i {
				return nil, fmt.Errorf("openapi.yaml: bad path %q", path)
			}
			ginPath = ginPath[:i] + ":" + ginPath[i+1:j] + ginPath[j+1:]
		}
		shared := names(ops["parameters"])
		for method, op := range ops {
			m, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			out[strings.ToUpper(method)+" "+ginPath] = append(names(m["parameters"]), shared...)
		}
	}
	return out, nil
})

// checkQuery refuses a query parameter the route does not take (400 naming
// it), so a typo such as ?customer= does not silently widen a search.
// Routes the document does not describe are not checked.
func checkQuery(c *gin.Context) {
	known, err := queryParams()
	if err != nil {
		abort(c, fmt.Errorf("openapi.yaml: %w", err))
		return
	}
	allowed, described := known[c.Request.Method+" "+c.FullPath()]
	if !described || c.Request.URL.RawQuery == "" {
		c.Next()
		return
	}
	for name := range c.Request.URL.Query() {
		if !slices.Contains(allowed, name) {
			msg := "unknown query parameter; this endpoint takes none"
			if len(allowed) > 0 {
				sorted := slices.Sorted(slices.Values(allowed))
				msg = "unknown query parameter; this endpoint takes " + strings.Join(sorted, ", ")
			}
			abort(c, &nirnay.Error{Kind: nirnay.KindInvalid, Field: name, Message: msg})
			return
		}
	}
	c.Next()
}

// pageParams reads the ?cursor= and ?limit= of a paged listing; the limit
// is 0 when absent (the service's default) and otherwise a positive
// integer (400 naming "limit").
func pageParams(c *gin.Context) (cursor string, limit int, err error) {
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return "", 0, nirnay.FieldError("limit", "must be a positive integer")
		}
		limit = n
	}
	return c.Query("cursor"), limit, nil
}

// replyPage answers a paged listing: it reads ?cursor= and ?limit=
// (pageParams), lists that page and answers it (writePage); either error
// is answered as a problem.
func replyPage[T any](c *gin.Context, list func(ctx context.Context, cursor string, limit int) ([]T, string, error)) {
	cursor, limit, err := pageParams(c)
	if err != nil {
		abort(c, err)
		return
	}
	items, next, err := list(c.Request.Context(), cursor, limit)
	if err != nil {
		abort(c, err)
		return
	}
	writePage(c, items, next)
}

// writePage answers one page of a listing: {"items": items, "next_cursor":
// next}, where next_cursor is null after the last page (next == "").
func writePage(c *gin.Context, items any, next string) {
	var nc any
	if next != "" {
		nc = next
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": nc})
}

// orEmpty is s, or an empty slice for nil: a list in an answer is [] when
// there is nothing in it, never null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// intParam reads a non-negative integer parameter (0 when absent).
func intParam(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, nirnay.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

// timeParam reads an RFC 3339 time parameter (the zero time when absent).
func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, nirnay.FieldError(name, "must be an RFC 3339 time such as 2026-11-26T10:00:00Z")
	}
	return t, nil
}
