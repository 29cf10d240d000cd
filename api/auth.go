package api

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
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

// keyCache remembers recent lookups for a short time, so a decision does
// not cost a database read for its key. Revocation takes effect within
// keyCacheTTL. While the key store is unavailable, a key looked up within
// keyStaleTTL is still honoured (so an instance keeps answering, and its
// own unshipped decisions stay readable, through a database outage). An
// unknown secret is remembered for unknownTTL, and failed authentications
// are rate limited per client address, so guessing keys costs the database
// nothing.
type keyCache struct {
	mu      sync.Mutex
	entries map[string]cachedKey
	unknown map[string]time.Time // secret hash → until when it is known to be unknown
	limits  map[string]*rate.Limiter
	failed  map[string]*rate.Limiter // by client address
	rps     rate.Limit
	burst   int
	now     func() time.Time
}

type cachedKey struct {
	p       Principal
	fetched time.Time
}

const (
	keyCacheTTL  = 30 * time.Second
	keyStaleTTL  = 6 * time.Hour
	unknownTTL   = 2 * time.Second
	keyCacheSize = 10000
	// failedRPS and failedBurst bound failed authentications per client
	// address (429 beyond them).
	failedRPS   = 10
	failedBurst = 50
)

func newKeyCache(rps float64, burst int) *keyCache {
	return &keyCache{entries: map[string]cachedKey{}, unknown: map[string]time.Time{}, limits: map[string]*rate.Limiter{},
		failed: map[string]*rate.Limiter{}, rps: rate.Limit(rps), burst: burst, now: time.Now}
}

// get returns the cached principal of a secret hash and whether it is
// fresh (looked up within keyCacheTTL); a stale one is returned only
// within keyStaleTTL.
func (kc *keyCache) get(hash string, now time.Time) (p Principal, fresh, ok bool) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	e, ok := kc.entries[hash]
	if !ok || now.Sub(e.fetched) > keyStaleTTL {
		return Principal{}, false, false
	}
	return e.p, now.Sub(e.fetched) <= keyCacheTTL, true
}

func (kc *keyCache) put(hash string, p Principal, now time.Time) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if len(kc.entries) >= keyCacheSize {
		clear(kc.entries)
	}
	kc.entries[hash] = cachedKey{p: p, fetched: now}
	delete(kc.unknown, hash)
}

// knownUnknown reports whether hash was looked up and not found within
// unknownTTL.
func (kc *keyCache) knownUnknown(hash string, now time.Time) bool {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	until, ok := kc.unknown[hash]
	return ok && now.Before(until)
}

func (kc *keyCache) putUnknown(hash string, now time.Time) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if len(kc.unknown) >= keyCacheSize {
		clear(kc.unknown)
	}
	kc.unknown[hash] = now.Add(unknownTTL)
}

// allowFailure reports whether a client address may fail authentication
// once more now.
func (kc *keyCache) allowFailure(addr string) bool {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	l, ok := kc.failed[addr]
	if !ok {
		if len(kc.failed) >= keyCacheSize {
			clear(kc.failed)
		}
		l = rate.NewLimiter(failedRPS, failedBurst)
		kc.failed[addr] = l
	}
	return l.Allow()
}

// forget drops every cached key, so a revocation takes effect on this
// instance at once.
func (kc *keyCache) forget() {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	clear(kc.entries)
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
// the Principal on the context. A missing, unknown or revoked key is 401,
// and 429 once its client address has failed too often.
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	secret, ok := strings.CutPrefix(h, "Bearer ")
	secret = strings.TrimSpace(secret)
	now := s.keyCache.now()
	unauthenticated := func(msg, challenge string) {
		if !s.keyCache.allowFailure(c.ClientIP()) {
			abort(c, nirnay.Errorf(nirnay.KindRateLimited, "too many failed authentications from this address"))
			return
		}
		c.Header("WWW-Authenticate", challenge)
		abort(c, nirnay.Errorf(nirnay.KindUnauthenticated, "%s", msg))
	}
	if !ok || secret == "" {
		unauthenticated("missing API key: send Authorization: Bearer <key>", `Bearer realm="nirnay"`)
		return
	}
	if s.keys == nil {
		abort(c, nirnay.Errorf(nirnay.KindUnavailable, "authentication is not configured"))
		return
	}
	hash := store.HashKey(secret)
	p, fresh, cached := s.keyCache.get(hash, now)
	if !fresh {
		if s.keyCache.knownUnknown(hash, now) {
			unauthenticated("unknown or revoked API key", `Bearer realm="nirnay", error="invalid_token"`)
			return
		}
		k, err := s.keys.APIKeyBySecret(c.Request.Context(), secret)
		switch {
		case nirnay.IsKind(err, nirnay.KindNotFound):
			s.keyCache.putUnknown(hash, now)
			unauthenticated("unknown or revoked API key", `Bearer realm="nirnay", error="invalid_token"`)
			return
		case err != nil && cached && (nirnay.IsKind(err, nirnay.KindUnavailable) || store.IsUnavailable(err)):
			// The key store is down: honour the key as last seen.
		case err != nil:
			abort(c, err)
			return
		default:
			p = Principal{KeyID: k.ID, Name: k.Name, Role: k.Role, CustomerID: k.CustomerID}
			s.keyCache.put(hash, p, now)
		}
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

// actorOf is the caller as the audit log records a change.
func actorOf(c *gin.Context) governance.Actor {
	p := principal(c)
	return governance.Actor{ID: p.KeyID, Name: p.Name}
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

// customerParam is the customer the path's :id names, under the caller's
// customer scope (checkCustomer); false once it has answered.
func customerParam(c *gin.Context) (string, bool) {
	id := c.Param("id")
	if err := checkCustomer(c, id); err != nil {
		abort(c, err)
		return "", false
	}
	return id, true
}

// customerObject loads the object the path's :id names with get and
// applies the caller's customer scope (checkCustomer) to its customer, the
// id owner gives; false once it has answered.
func customerObject[T any](c *gin.Context, get func(ctx context.Context, id string) (T, error), owner func(T) string) (T, bool) {
	v, err := get(c.Request.Context(), c.Param("id"))
	if err == nil {
		err = checkCustomer(c, owner(v))
	}
	if err != nil {
		abort(c, err)
		var zero T
		return zero, false
	}
	return v, true
}

// checkCustomerToken refuses a service key that is not customer-scoped
// (403): a service reads a customer's records (what names them) only
// through that customer's token. Other roles pass.
func checkCustomerToken(c *gin.Context, what string) error {
	if p := principal(c); p.Role == RoleService && p.CustomerID == "" {
		return nirnay.Errorf(nirnay.KindForbidden, "a service key reads %s only through a customer-scoped token", what)
	}
	return nil
}
