package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
)

// FeatureStore is what the feature endpoints need; *features.Source
// satisfies it.
type FeatureStore interface {
	Observed(ctx context.Context, key features.EntityKey) (map[string]features.Observed, error)
	Check(w features.Write) error
	Write(ctx context.Context, ws ...features.Write) error
	Now() time.Time
}

// MaxFeatureBatch bounds the items of POST /v1/features:batch.
const MaxFeatureBatch = features.MaxBatchWrites

// maxAsOfSkew is how far in the future a written as_of may lie.
const maxAsOfSkew = time.Minute

type featureView struct {
	Entity   string            `json:"entity"`
	ID       string            `json:"id"`
	Features map[string]any    `json:"features"`
	AsOf     map[string]string `json:"as_of"`
}

type featureWrite struct {
	Entity   string         `json:"entity"`
	ID       string         `json:"id"`
	Features map[string]any `json:"features"`
	AsOf     *time.Time     `json:"as_of"`
}

// MountFeatures adds the feature vector routes (DESIGN §6):
//
//	GET  /v1/features/{entity}/{id}  analyst, ops, service: the entity's stored
//	                                 and aggregate values with their as-of times
//	PUT  /v1/features/{entity}/{id}  service: {"features": {name: value}, "as_of"?}
//	POST /v1/features:batch          service: {"items": [{"entity", "id",
//	                                 "features", "as_of"?}]}, at most MaxFeatureBatch
//
// Writes are validated against the catalog (an unknown feature, one of
// another entity or source, or a value of the wrong type is a 400 naming
// the feature; an unknown entity a 404); a batch is written whole or not
// at all. A customer-scoped token reads only its own customer's vector and
// writes none (403). Every write is kept in the history with its writer
// ("key:<api key id>").
func (s *Server) MountFeatures(fs FeatureStore) {
	h := &featureHandlers{fs: fs}
	s.v1.GET("/features/:entity/:id", allow(RoleAnalyst, RoleOps, RoleService), h.get)
	s.v1.PUT("/features/:entity/:id", allow(RoleService), h.put)
	s.v1.POST(`/features\:batch`, allow(RoleService), h.batch)
}

type featureHandlers struct{ fs FeatureStore }

func (h *featureHandlers) get(c *gin.Context) {
	key := features.EntityKey{Entity: c.Param("entity"), ID: c.Param("id")}
	if err := checkEntityAccess(c, key); err != nil {
		abort(c, err)
		return
	}
	obs, err := h.fs.Observed(c.Request.Context(), key)
	if err != nil {
		abort(c, err)
		return
	}
	view := featureView{Entity: key.Entity, ID: key.ID, Features: make(map[string]any, len(obs)), AsOf: make(map[string]string, len(obs))}
	for name, o := range obs {
		view.Features[name] = o.Value
		view.AsOf[name] = o.AsOf.UTC().Format(time.RFC3339Nano)
	}
	c.JSON(http.StatusOK, view)
}

func (h *featureHandlers) put(c *gin.Context) {
	var body struct {
		Features map[string]any `json:"features"`
		AsOf     *time.Time     `json:"as_of"`
	}
	if err := bindJSON(c, &body); err != nil {
		abort(c, err)
		return
	}
	w := featureWrite{Entity: c.Param("entity"), ID: c.Param("id"), Features: body.Features, AsOf: body.AsOf}
	fw, err := h.checkWrite(c, w, "")
	if err != nil {
		abort(c, err)
		return
	}
	if err := h.fs.Write(c.Request.Context(), fw); err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"entity": w.Entity, "id": w.ID, "written": sortedNames(w.Features)})
}

// batch writes every item or none.
func (h *featureHandlers) batch(c *gin.Context) {
	var body struct {
		Items []featureWrite `json:"items"`
	}
	if err := bindJSON(c, &body); err != nil {
		abort(c, err)
		return
	}
	if len(body.Items) == 0 || len(body.Items) > MaxFeatureBatch {
		abort(c, nirnay.FieldError("items", "must hold 1 to %d items", MaxFeatureBatch))
		return
	}
	ws := make([]features.Write, len(body.Items))
	for i, it := range body.Items {
		fw, err := h.checkWrite(c, it, "items["+strconv.Itoa(i)+"].")
		if err != nil {
			abort(c, err)
			return
		}
		ws[i] = fw
	}
	if err := h.fs.Write(c.Request.Context(), ws...); err != nil {
		abort(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"written": len(ws)})
}

// checkWrite validates one write; field names in errors get prefix.
func (h *featureHandlers) checkWrite(c *gin.Context, w featureWrite, prefix string) (features.Write, error) {
	if principal(c).CustomerID != "" {
		// Online features are the lender's facts about the customer (bureau,
		// income, mandate): never the customer's own to set.
		return features.Write{}, nirnay.Errorf(nirnay.KindForbidden, "a customer-scoped token may not write features; the step's request input carries what the app knows")
	}
	key := features.EntityKey{Entity: w.Entity, ID: w.ID}
	if err := checkEntityAccess(c, key); err != nil {
		return features.Write{}, err
	}
	if len(w.Features) == 0 {
		return features.Write{}, nirnay.FieldError(prefix+"features", "must name at least one feature")
	}
	fw := features.Write{Key: key, Values: w.Features, By: "key:" + principal(c).KeyID}
	if w.AsOf != nil {
		if w.AsOf.After(h.fs.Now().Add(maxAsOfSkew)) {
			return features.Write{}, nirnay.FieldError(prefix+"as_of", "must not be in the future")
		}
		fw.AsOf = *w.AsOf
	}
	if err := h.fs.Check(fw); err != nil {
		if ne, ok := err.(*nirnay.Error); ok && ne.Field != "" && prefix != "" {
			cp := *ne
			cp.Field = prefix + ne.Field
			return features.Write{}, &cp
		}
		return features.Write{}, err
	}
	return fw, nil
}

// checkEntityAccess validates the key and keeps customer-scoped tokens to
// their own customer's vector (anything else looks absent).
func checkEntityAccess(c *gin.Context, key features.EntityKey) error {
	if err := features.CheckKey(key); err != nil {
		return err
	}
	if p := principal(c); p.CustomerID != "" && key.Entity != "customer" {
		return nirnay.Errorf(nirnay.KindNotFound, "not found")
	}
	if key.Entity == "customer" {
		return checkCustomer(c, key.ID)
	}
	return nil
}

func sortedNames(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
