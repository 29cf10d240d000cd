package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// KeyAdmin creates, lists and revokes API keys. *store.DB satisfies it.
type KeyAdmin interface {
	KeyLookup
	CreateAPIKey(ctx context.Context, k store.APIKey, secret string) error
	ListAPIKeys(ctx context.Context) ([]store.APIKey, error)
	RevokeAPIKey(ctx context.Context, id string, at time.Time) error
}

type keyView struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	CustomerID string     `json:"customer_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Key        string     `json:"key,omitempty"` // the secret, shown once at creation
}

func viewKey(k store.APIKey) keyView {
	return keyView{ID: k.ID, Name: k.Name, Role: k.Role, CustomerID: k.CustomerID, CreatedAt: k.CreatedAt, RevokedAt: k.RevokedAt}
}

// MountKeys adds the key management routes:
//
//	POST   /v1/keys       admin: any key; service: a customer-scoped service token
//	GET    /v1/keys       admin
//	DELETE /v1/keys/{id}  admin
func (s *Server) MountKeys(ka KeyAdmin) {
	h := &keyHandlers{ka: ka, cache: s.keyCache}
	s.v1.POST("/keys", allow(RoleService), h.create)
	s.v1.GET("/keys", allow(), h.list)
	s.v1.DELETE("/keys/:id", allow(), h.revoke)
}

type keyHandlers struct {
	ka    KeyAdmin
	cache *keyCache
}

// create answers the new key with its secret, shown only this once.
func (h *keyHandlers) create(c *gin.Context) {
	var req struct {
		Name       string `json:"name"`
		Role       string `json:"role"`
		CustomerID string `json:"customer_id"`
	}
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	p := principal(c)
	if p.Role != RoleAdmin {
		// A service may only mint tokens for one customer, with its own role.
		if req.CustomerID == "" || (req.Role != "" && req.Role != RoleService) || p.CustomerID != "" {
			abort(c, nirnay.Errorf(nirnay.KindForbidden, "a service key may only create customer-scoped service tokens"))
			return
		}
		req.Role = RoleService
	}
	if !ValidRole(req.Role) {
		abort(c, nirnay.FieldError("role", "must be one of service, analyst, approver, ops, admin"))
		return
	}
	if req.Name == "" {
		req.Name = req.Role
	}
	secret := newSecret()
	k := store.APIKey{ID: wallIDs.New("key"), Name: req.Name, Role: req.Role, CustomerID: req.CustomerID, CreatedAt: time.Now().UTC()}
	if err := h.ka.CreateAPIKey(c.Request.Context(), k, secret); err != nil {
		abort(c, err)
		return
	}
	v := viewKey(k)
	v.Key = secret
	c.JSON(http.StatusCreated, v)
}

func (h *keyHandlers) list(c *gin.Context) {
	keys, err := h.ka.ListAPIKeys(c.Request.Context())
	if err != nil {
		abort(c, err)
		return
	}
	items := make([]keyView, 0, len(keys))
	for _, k := range keys {
		items = append(items, viewKey(k))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// revoke takes effect on this instance at once, on others within the key
// cache's lifetime.
func (h *keyHandlers) revoke(c *gin.Context) {
	if err := h.ka.RevokeAPIKey(c.Request.Context(), c.Param("id"), time.Now().UTC()); err != nil {
		abort(c, err)
		return
	}
	h.cache.forget()
	c.Status(http.StatusNoContent)
}

func newSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "nk_" + base64.RawURLEncoding.EncodeToString(b)
}
