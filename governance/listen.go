package governance

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nirnay/nirnay/store"
)

// Listen keeps this instance's engine in step with changes made on other
// instances, without polling. For PostgreSQL it holds one connection to
// Options.DatabaseURL, LISTENs on Channel (every deployment change and
// seed NOTIFYs it in the committing transaction) and calls Reload on each
// notification from another instance; after (re)connecting it reloads
// once, so nothing announced while it was disconnected is missed. A lost
// connection is retried with backoff (1 s doubling to 30 s). It blocks
// until ctx ends and then returns nil; run it in its own goroutine.
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
	backoff := time.Second
	for {
		start := time.Now()
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			backoff = time.Second
		}
		s.log.Warn("policy change listener lost its connection; reconnecting", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (s *Service) listenOnce(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, s.opts.DatabaseURL)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return err
	}
	if err := s.Reload(ctx); err != nil {
		s.log.Error("policy reload failed; the engine keeps its current deployments", "err", err)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if strings.HasPrefix(n.Payload, s.instance+" ") {
			continue // this instance made the change and has activated it already
		}
		if err := s.Reload(ctx); err != nil {
			s.log.Error("policy reload failed; the engine keeps its current deployments", "err", err, "change", n.Payload)
			continue
		}
		s.log.Info("policies reloaded after a change on another instance", "change", n.Payload)
	}
}
