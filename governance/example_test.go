package governance_test

import (
	"context"
	"log/slog"

	"github.com/nirnay/nirnay/api"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/store"
)

// The wiring in `nirnay serve`: open (seeding on first start), build the
// feature source on gov.Builder(), attach the engine, listen for other
// instances' changes, and mount the routes.
func Example() {
	ctx := context.Background()
	databaseURL := "" // NIRNAY_DATABASE_URL; "" for the embedded SQLite
	db, err := store.Open(ctx, databaseURL, "./var")
	if err != nil {
		panic(err)
	}
	if _, err := db.Migrate(ctx, nil); err != nil {
		panic(err)
	}
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Logger: slog.Default(), DatabaseURL: databaseURL})
	if err != nil {
		panic(err)
	}
	var source engine.FeatureSource // the online feature store, built on gov.Builder()
	eng := engine.New(engine.Config{Features: source})
	if err := gov.Attach(ctx, eng); err != nil {
		panic(err)
	}
	go func() { _ = gov.Listen(ctx) }() // PostgreSQL LISTEN/NOTIFY; returns at once for SQLite
	srv := api.New(api.Options{Keys: db})
	srv.MountPolicies(gov)
}
