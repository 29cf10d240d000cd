package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/outbox"
	"github.com/nirnay/nirnay/events/stream"
)

// buildEvents wires event ingestion: the stream (Redis Streams in
// production, the embedded SQL stream otherwise), the consumers (archive,
// SMS and apps into features, journey), dead letters, and the outbox relay
// that puts lending domain events on the same stream.
func (s *service) buildEvents(ctx context.Context, agg consume.Aggregator) error {
	var evLog interface {
		consume.Log
		ingest.Appender
	}
	var signals consume.SignalStore
	if s.rdb != nil {
		evLog, signals = stream.NewRedis(s.rdb, s.cfg.keyPrefix(), 0), consume.NewRedisSignals(s.rdb, s.cfg.keyPrefix())
	} else {
		sl, err := stream.OpenSQL(ctx, s.db, nil)
		if err != nil {
			return fmt.Errorf("event stream: %w", err)
		}
		evLog, signals = sl, consume.NewSQLSignals(s.db)
	}
	// Every online feature the features consumer writes is checked against
	// the catalog here, so a misnamed one stops the start.
	feats, err := consume.NewFeatures(s.catalog, agg, s.features, signals)
	if err != nil {
		return err
	}
	dead, journey := consume.NewDeadLetters(s.db, nil), consume.NewJourney(s.db)
	arch, err := consume.NewArchive(filepath.Join(s.cfg.DataDir, "events", "archive"))
	if err != nil {
		return fmt.Errorf("event archive: %w", err)
	}
	s.api.MountEvents(&ingest.Ingester{Stream: evLog, Dead: dead}, dead, journey)
	s.relay = outbox.New(s.db, evLog, s.log, time.Minute, nil)
	s.consume = consume.Config{Log: evLog, Dead: dead, Archive: arch, Journey: journey, Logger: s.log, Features: feats}
	if s.rdb != nil {
		s.consume.FeatureWorkers = 2
	}
	return nil
}
