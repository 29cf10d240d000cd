package consume

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// The consumer groups Run starts.
const (
	GroupArchive  = "archive"
	GroupFeatures = "features"
	GroupJourney  = "journey"
)

// Config is what Run needs. Every field but Logger, Consumer and MinIdle is
// required.
type Config struct {
	Log      Log
	Dead     DeadLetterSink
	Archive  *Archive
	Features *Features
	Journey  *Journey
	Logger   *slog.Logger
	// Consumer names this process among a group's consumers; default the
	// host name and process id. It must differ between live processes.
	Consumer string
	MinIdle  time.Duration // default DefaultMinIdle
	// FeatureWorkers is how many consumers of the features group this
	// process runs (default 1). More than one needs a SignalStore with
	// versions (RedisSignals), not SQLSignals.
	FeatureWorkers int
	// Others are more consumer groups Run starts, one consumer each (the
	// lending core resuming on review verdicts, group "lending").
	Others []Consumer
}

// Consumer is one more consumer group and its handler.
type Consumer struct {
	Group   string
	Handler Handler
}

// Run runs the archive, features and journey consumer groups, and the
// Others, until ctx ends, then returns once all have stopped.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Log == nil || cfg.Dead == nil || cfg.Archive == nil || cfg.Features == nil || cfg.Journey == nil {
		return errors.New("consume: Run needs Log, Dead, Archive, Features and Journey")
	}
	if cfg.Consumer == "" {
		host, _ := os.Hostname()
		cfg.Consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	type worker struct {
		group, name string
		h           Handler
	}
	ws := []worker{{GroupArchive, cfg.Consumer, cfg.Archive}, {GroupJourney, cfg.Consumer, cfg.Journey}}
	for i := 0; i < max(1, cfg.FeatureWorkers); i++ {
		ws = append(ws, worker{GroupFeatures, cfg.Consumer + "-" + strconv.Itoa(i), cfg.Features})
	}
	for _, o := range cfg.Others {
		ws = append(ws, worker{o.Group, cfg.Consumer, o.Handler})
	}
	var wg sync.WaitGroup
	for _, g := range ws {
		r := &Runner{Group: g.group, Consumer: g.name, Log: cfg.Log, Handler: g.h, Dead: cfg.Dead, Logger: cfg.Logger, MinIdle: cfg.MinIdle}
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	wg.Wait()
	cfg.Archive.Close()
	return ctx.Err()
}
