package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/api"
	"github.com/nirnay/nirnay/store"
)

func newServeCmd() *cobra.Command {
	var (
		cfg  config
		demo bool
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the decision service",
		Long: `Run the decision service.

With no configuration it runs on the embedded default: a SQLite file and an
in-process feature store under ./var. Set NIRNAY_DATABASE_URL and
NIRNAY_REDIS_URL for production. Pending migrations are applied at start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			cfg.tuneRuntime()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return serve(ctx, cfg, demo, cmd)
		},
	}
	cfg.bind(cmd.Flags())
	cmd.Flags().BoolVar(&demo, "demo", false, "seed synthetic customers and well-known demo API keys, and print the keys (never in production)")
	return cmd
}

func newMigrateCmd() *cobra.Command {
	return onDatabase(&cobra.Command{
		Use:   "migrate",
		Short: "Apply database migrations",
		Long:  "Apply every pending embedded migration. Safe to run from several instances at once: a lock serialises them and each migration is applied once.",
	}, func(cmd *cobra.Command, cfg *config, db *store.DB) error {
		applied, err := db.Migrate(cmd.Context(), cfg.newLogger(os.Stderr))
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s: %d migration(s) applied\n", db, len(applied))
		return nil
	})
}

// onDatabase makes c a command without arguments that runs on the
// service's database: it takes the service configuration's flags (and
// environment), and run gets the loaded configuration and the database it
// names, closed when run returns. Checks that need no database belong in
// c.PreRunE, which runs before the database is opened.
func onDatabase(c *cobra.Command, run func(cmd *cobra.Command, cfg *config, db *store.DB) error) *cobra.Command {
	var cfg config
	c.Args = cobra.NoArgs
	c.RunE = func(cmd *cobra.Command, _ []string) error {
		db, err := loadDatabase(cmd, &cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return run(cmd, &cfg, db)
	}
	cfg.bind(c.Flags())
	return c
}

// loadDatabase loads cmd's configuration into cfg and opens the database
// it names; the caller closes it.
func loadDatabase(cmd *cobra.Command, cfg *config) (*store.DB, error) {
	if err := cfg.load(cmd); err != nil {
		return nil, err
	}
	return openDatabase(cmd.Context(), *cfg)
}

// openDatabase opens the database cfg names: PostgreSQL, or the embedded
// one under the data dir (which it first checks is writable).
func openDatabase(ctx context.Context, cfg config) (*store.DB, error) {
	if cfg.DatabaseURL == "" {
		if err := cfg.checkDataDir(); err != nil {
			return nil, err
		}
	}
	return store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
}

func serve(ctx context.Context, cfg config, demo bool, cmd *cobra.Command) error {
	log, logBuf := cfg.newBufferedLogger(os.Stderr)
	logCtx, stopLog := context.WithCancel(context.Background())
	logDone := make(chan struct{})
	go func() { logBuf.Run(logCtx); close(logDone) }()
	defer func() { stopLog(); <-logDone }()
	// Take the port first: a port in use fails before anything is written.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("NIRNAY_HTTP_ADDR %q: %v", cfg.HTTPAddr, innermost(err))
	}
	defer ln.Close()
	if err := cfg.checkDataDir(); err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, log); err != nil {
		return err
	}
	checks := []api.Check{{Name: "database", Fn: db.Ping}}
	var rdb *redis.Client
	if cfg.RedisURL != "" {
		opts, _ := redis.ParseURL(cfg.RedisURL) // validated in cfg.load
		rdb = redis.NewClient(opts)
		defer rdb.Close()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := rdb.Ping(pctx).Err()
		cancel()
		if err != nil {
			return fmt.Errorf("NIRNAY_REDIS_URL: cannot connect to %s: %v", opts.Addr, err)
		}
		checks = append(checks, api.Check{Name: "redis", Fn: func(ctx context.Context) error { return rdb.Ping(ctx).Err() }})
	}
	now := time.Now().UTC()
	if cfg.AdminKey != "" {
		if err := db.EnsureAPIKey(ctx, store.APIKey{ID: keyIDs.At("key", now), Name: "bootstrap admin", Role: "admin", CreatedAt: now}, cfg.AdminKey); err != nil {
			return fmt.Errorf("NIRNAY_ADMIN_KEY: store bootstrap key: %w", err)
		}
	}
	if demo {
		if err := seedDemo(ctx, db, cmd.OutOrStdout(), now); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}

	svc, err := buildService(ctx, cfg, log, db, rdb, checks)
	if err != nil {
		return err
	}
	defer svc.close()
	if demo {
		if err := svc.seedDemoCustomers(ctx, cmd.OutOrStdout()); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if err := svc.seedDemoLists(ctx, cmd.OutOrStdout()); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	stop := svc.run(ctx)
	defer stop()
	if cfg.DebugAddr != "" {
		go serveDebug(ctx, cfg.DebugAddr, log)
	}
	log.Info("nirnay serving", "addr", ln.Addr().String(), "database", db.String(), "redis", cfg.RedisURL != "", "version", version)
	return serveHTTP(ctx, ln, svc.api.Handler(), cfg.ShutdownTimeout, log)
}

// innermost is the last error in err's chain ("address already in use",
// "missing port in address"), which names the problem without the
// listener's wrapping.
func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// serveHTTP serves handler on ln until ctx ends, then stops accepting and
// waits up to drain for in-flight requests to finish.
func serveHTTP(ctx context.Context, ln net.Listener, handler http.Handler, drain time.Duration, log *slog.Logger) error {
	httpSrv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", drain)
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := httpSrv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// serveDebug serves the Go profiler on addr until ctx ends.
func serveDebug(ctx context.Context, addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Info("profiling endpoint", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("profiling endpoint stopped", "err", err)
	}
}
