package store

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nirnay/nirnay/internal/backoff"
)

// Listen keeps a PostgreSQL LISTEN on channel over a connection of its own
// to databaseURL and calls onNotify with each notification's payload. After
// every (re)connection it calls onConnect first, so a caller that reloads
// there misses nothing announced while it was disconnected. A lost
// connection is retried with backoff (1 s doubling to 30 s, jittered by
// backoff.JitterPercent, reset after a minute connected) and logged as
// what. It blocks until ctx ends and then returns; run it in its own
// goroutine. Callbacks run on this goroutine.
func Listen(ctx context.Context, databaseURL, channel, what string, log *slog.Logger, onConnect func(context.Context), onNotify func(ctx context.Context, payload string)) {
	bo := backoff.New(time.Second, 30*time.Second)
	for {
		start := time.Now()
		err := listenOnce(ctx, databaseURL, channel, onConnect, onNotify)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > time.Minute {
			bo.Reset()
		}
		d := bo.Next()
		log.Warn(what+" lost its connection; reconnecting", "err", err, "retry_in", d)
		if !backoff.Sleep(ctx, d) {
			return
		}
	}
}

func listenOnce(ctx context.Context, databaseURL, channel string, onConnect func(context.Context), onNotify func(context.Context, string)) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	onConnect(ctx)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		onNotify(ctx, n.Payload)
	}
}
