package governance

import (
	"context"
	"errors"
	"strings"

	"github.com/nirnay/nirnay/store"
)

// Listen keeps this instance's engine in step with changes made on other
// instances, without polling. For PostgreSQL it holds one connection to
// Options.DatabaseURL, LISTENs on Channel (every deployment change and
// seed NOTIFYs it in the committing transaction) and calls Reload on each
// notification from another instance; after (re)connecting it reloads
// once, so nothing announced while it was disconnected is missed. A lost
// connection is retried with backoff (1 s doubling to 30 s, jittered; see
// store.Listen). It blocks until ctx ends and then returns nil; run it in
// its own goroutine.
//
// For SQLite (one process owns the file) it returns nil at once. Without a
// DatabaseURL for PostgreSQL it returns an error. Where LISTEN/NOTIFY is
// not available, wire Options.OnChange to a bus and call Reload from its
// subscribers instead.
func (s *Service) Listen(ctx context.Context) error {
	if s.db.Dialect != store.Postgres {
		return nil
	}
	if s.opts.DatabaseURL == "" {
		return errors.New("governance: Listen needs Options.DatabaseURL for PostgreSQL")
	}
	reload := func(ctx context.Context) {
		if err := s.Reload(ctx); err != nil {
			s.log.Error("policy reload failed; the engine keeps its current deployments", "err", err)
		}
	}
	store.Listen(ctx, s.opts.DatabaseURL, Channel, "policy change listener", s.log, reload, func(ctx context.Context, payload string) {
		if strings.HasPrefix(payload, s.instance+" ") {
			return // this instance made the change and has activated it already
		}
		if err := s.Reload(ctx); err != nil {
			s.log.Error("policy reload failed; the engine keeps its current deployments", "err", err, "change", payload)
			return
		}
		s.log.Info("policies reloaded after a change on another instance", "change", payload)
	})
	return nil
}
