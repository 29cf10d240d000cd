package api

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// flakyKeys is a key store that can be taken down; it counts lookups.
type flakyKeys struct {
	down    atomic.Bool
	lookups atomic.Int32
}

func (f *flakyKeys) APIKeyBySecret(_ context.Context, secret string) (store.APIKey, error) {
	f.lookups.Add(1)
	if f.down.Load() {
		return store.APIKey{}, &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the database is unavailable; retry shortly"}
	}
	if secret != "good" {
		return store.APIKey{}, nirnay.Errorf(nirnay.KindNotFound, "no such key")
	}
	return store.APIKey{ID: "key_1", Name: "ops", Role: RoleOps}, nil
}

func TestKeysDuringAKeyStoreOutage(t *testing.T) {
	t.Parallel()
	keys := &flakyKeys{}
	s := quietServer(Options{Keys: keys})
	clock := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	s.keyCache.now = func() time.Time { return clock }
	s.V1().GET("/who", func(c *gin.Context) { c.String(http.StatusOK, principal(c).KeyID) })
	get := func(secret string) int {
		return do(t, s.Handler(), "GET", "/v1/who", "", "Authorization", "Bearer "+secret).Code
	}
	if got := get("good"); got != http.StatusOK {
		t.Fatalf("a good key: %d", got)
	}
	keys.down.Store(true)
	clock = clock.Add(time.Hour) // long past the 30 s cache
	if got := get("good"); got != http.StatusOK {
		t.Errorf("a key seen an hour ago, key store down: %d, want 200 (honoured as last seen)", got)
	}
	if got := get("never-seen"); got != http.StatusServiceUnavailable {
		t.Errorf("an unseen key, key store down: %d, want 503", got)
	}
	clock = clock.Add(keyStaleTTL)
	if got := get("good"); got != http.StatusServiceUnavailable {
		t.Errorf("a key last seen over %s ago, key store down: %d, want 503", keyStaleTTL, got)
	}
	keys.down.Store(false)
	if got := get("good"); got != http.StatusOK {
		t.Errorf("key store back: %d", got)
	}
}

func TestUnknownKeysCostNoLookupAndAreLimited(t *testing.T) {
	t.Parallel()
	keys := &flakyKeys{}
	s := quietServer(Options{Keys: keys})
	s.V1().GET("/who", func(c *gin.Context) { c.Status(http.StatusOK) })
	codes := map[int]int{}
	for range failedBurst + 20 {
		codes[do(t, s.Handler(), "GET", "/v1/who", "", "Authorization", "Bearer guess").Code]++
	}
	if got := keys.lookups.Load(); got != 1 {
		t.Errorf("%d lookups for one unknown key asked %d times, want 1", got, failedBurst+20)
	}
	if codes[http.StatusUnauthorized] > failedBurst+1 || codes[http.StatusTooManyRequests] < 19 {
		t.Errorf("answers %v; want at most %d 401s, then 429s", codes, failedBurst+1)
	}
	for range 5 { // a missing key is limited the same way
		if got := do(t, s.Handler(), "GET", "/v1/who", "").Code; got != http.StatusTooManyRequests {
			t.Errorf("a missing key from a limited address: %d, want 429", got)
		}
	}
}
