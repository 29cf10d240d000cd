package api

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// Roles. admin may call every endpoint; the others only what their work needs.
const (
	RoleService  = "service"  // the mobile flow's backend: decisions, features, events
	RoleAnalyst  = "analyst"  // writes policies and runs simulations
	RoleApprover = "approver" // approves and activates policy versions it did not write
	RoleOps      = "ops"      // reads decisions, journeys, loans
	RoleAdmin    = "admin"
)

// ValidRole reports whether r is one of the roles above.
func ValidRole(r string) bool {
	switch r {
	case RoleService, RoleAnalyst, RoleApprover, RoleOps, RoleAdmin:
		return true
	}
	return false
}

// Principal is the authenticated caller of a request.
type Principal struct {
	KeyID      string
	Name       string
	Role       string
	CustomerID string // set for customer-scoped tokens
}

// KeyLookup finds an unrevoked API key by its presented secret (KindNotFound
// when there is none). *store.DB satisfies it.
type KeyLookup interface {
	APIKeyBySecret(ctx context.Context, secret string) (store.APIKey, error)
}

const ctxPrincipal = "nirnay.principal"

// keyCache remembers recent successful lookups for a short time, so a
// decision does not cost a database read for its key. Revocation takes
// effect within keyCacheTTL.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]cachedKey
	limits  map[string]*rate.Limiter
	rps     rate.Limit
	burst   int
}

type cachedKey struct {
	p       Principal
	expires time.Time
}

const (
	keyCacheTTL  = 30 * time.Second
	keyCacheSize = 10000
)

func newKeyCache(rps float64, burst int) *keyCache {
	return &keyCache{entries: map[string]cachedKey{}, limits: map[string]*rate.Limiter{}, rps: rate.Limit(rps), burst: burst}
}

func (kc *keyCache) get(hash string, now time.Time) (Principal, bool) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	e, ok := kc.entries[hash]
	if !ok || now.After(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (kc *keyCache) put(hash string, p Principal, now time.Time) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if len(kc.entries) >= keyCacheSize {
		clear(kc.entries)
	}
	kc.entries[hash] = cachedKey{p: p, expires: now.Add(keyCacheTTL)}
}

func (kc *keyCache) allow(keyID string) bool {
	if kc.rps <= 0 {
		return true
	}
	kc.mu.Lock()
	l, ok := kc.limits[keyID]
	if !ok {
		l = rate.NewLimiter(kc.rps, kc.burst)
		kc.limits[keyID] = l
	}
	kc.mu.Unlock()
	return l.Allow()
}

// authenticate requires a valid bearer key, applies its rate limit and puts
// the Principal on the context.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	secret = strings.TrimSpace(secret)
	if !ok || secret == "" {
		c.Header("WWW-Authenticate", `Bearer realm="nirnay"`)
		abort(c, nirnay.Errorf(nirnay.KindUnauthenticated, "missing API key: send Authorization: Bearer <key>"))
		return
	}
	if s.keys == nil {
		abort(c, nirnay.Errorf(nirnay.KindUnavailable, "authentication is not configured"))
		return
	}
	hash := store.HashKey(secret)
	now := time.Now()
	p, ok := s.keyCache.get(hash, now)
	if !ok {
		k, err := s.keys.APIKeyBySecret(c.Request.Context(), secret)
		if nirnay.IsKind(err, nirnay.KindNotFound) {
			c.Header("WWW-Authenticate", `Bearer realm="nirnay", error="invalid_token"`)
			abort(c, nirnay.Errorf(nirnay.KindUnauthenticated, "unknown or revoked API key"))
			return
		}
		if err != nil {
			abort(c, err)
			return
		}
		p = Principal{KeyID: k.ID, Name: k.Name, Role: k.Role, CustomerID: k.CustomerID}
		s.keyCache.put(hash, p, now)
	}
	if !s.keyCache.allow(p.KeyID) {
		abort(c, nirnay.Errorf(nirnay.KindRateLimited, "rate limit for this API key exceeded"))
		return
	}
	c.Set(ctxPrincipal, p)
	c.Set(ctxLogger, loggerFrom(c).With("key_id", p.KeyID, "role", p.Role))
	c.Next()
}

// allow lets only the given roles (and admin) through.
func allow(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := principal(c)
		if p.Role == RoleAdmin {
			c.Next()
			return
		}
		for _, r := range roles {
			if p.Role == r {
				c.Next()
				return
			}
		}
		abort(c, nirnay.Errorf(nirnay.KindForbidden, "role %q may not call this endpoint", p.Role))
	}
}

func principal(c *gin.Context) Principal {
	v, _ := c.Get(ctxPrincipal)
	p, _ := v.(Principal)
	return p
}

// checkCustomer enforces customer-scoped tokens: such a token reaches only
// its own customer's objects, and any other customer looks like it does not
// exist (404), so ids cannot be probed.
func checkCustomer(c *gin.Context, customerID string) error {
	p := principal(c)
	if p.CustomerID != "" && p.CustomerID != customerID {
		return nirnay.Errorf(nirnay.KindNotFound, "not found")
	}
	return nil
}
