package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/nirnay/nirnay/store"
)

// demoKeys are the well-known keys `serve --demo` ensures, one per role.
// They exist only in demo mode; a production start has no default credentials.
var demoKeys = []struct{ role, secret string }{
	{"admin", "demo-admin-key"},
	{"service", "demo-service-key"},
	{"analyst", "demo-analyst-key"},
	{"approver", "demo-approver-key"},
	{"ops", "demo-ops-key"},
}

func newID(prefix string) string {
	return prefix + "_" + ulid.MustNew(ulid.Now(), rand.Reader).String()
}

// seedDemo ensures the demo keys and prints them.
func seedDemo(ctx context.Context, db *store.DB, w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "Demo mode: these API keys work against this instance (never use --demo in production):")
	for _, k := range demoKeys {
		if err := db.EnsureAPIKey(ctx, store.APIKey{ID: newID("key"), Name: "demo " + k.role, Role: k.role, CreatedAt: now}, k.secret); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-9s Authorization: Bearer %s\n", k.role, k.secret)
	}
	return nil
}
