package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nirnay/nirnay/internal/tune"
	"github.com/nirnay/nirnay/pii"
)

// config is the service configuration. Every field comes from a flag, or,
// when the flag is not given, from its NIRNAY_* environment variable, or its
// default. validate reports the first bad setting by name.
type config struct {
	DatabaseURL     string        // NIRNAY_DATABASE_URL; default "" = embedded SQLite under the data dir
	RedisURL        string        // NIRNAY_REDIS_URL; default "" = in-process feature store and stream
	HTTPAddr        string        // NIRNAY_HTTP_ADDR; default ":8080"
	DataDir         string        // NIRNAY_DATA_DIR; default "./var"
	AdminKey        string        // NIRNAY_ADMIN_KEY; default "" = no bootstrap admin key
	LogLevel        string        // NIRNAY_LOG_LEVEL; default "info"
	LogFormat       string        // NIRNAY_LOG_FORMAT; default "auto" = JSON unless stderr is a terminal
	ShutdownTimeout time.Duration // NIRNAY_SHUTDOWN_TIMEOUT; default 20s
	MaxBodyBytes    int64         // NIRNAY_MAX_BODY_BYTES; default 1 MiB
	DecisionHotAge  time.Duration // NIRNAY_DECISION_HOT_AGE; default 720h: older decisions move to the cold tier
	DebugAddr       string        // NIRNAY_DEBUG_ADDR; default "" = no profiling endpoint
	MemoryLimit     int64         // NIRNAY_MEMORY_LIMIT; default 1 GiB: see tuneRuntime
	UIDAICerts      string        // NIRNAY_KYC_UIDAI_CERTS; default "" = the KYC sandbox's certificate

	redisPrefix string // not a setting: the Redis key prefix, "" for "nirnay:" (tests give each service its own)
}

// keyPrefix is the prefix of every Redis key the service uses.
func (c *config) keyPrefix() string {
	if c.redisPrefix == "" {
		return "nirnay:"
	}
	return c.redisPrefix
}

// setting describes one configuration field for flags, env and help.
type setting struct {
	flag, env, def, help string
	str                  *string
	dur                  *time.Duration
	i64                  *int64
}

func (c *config) settings() []setting {
	return []setting{
		{flag: "database-url", env: "NIRNAY_DATABASE_URL", def: "", str: &c.DatabaseURL,
			help: "PostgreSQL URL (postgres://user:pass@host:5432/db); empty runs on the embedded SQLite file in the data dir"},
		{flag: "redis-url", env: "NIRNAY_REDIS_URL", def: "", str: &c.RedisURL,
			help: "Redis URL (redis://host:6379/0) for features and streams; empty uses the in-process store"},
		{flag: "http-addr", env: "NIRNAY_HTTP_ADDR", def: ":8080", str: &c.HTTPAddr,
			help: "address the HTTP server listens on"},
		{flag: "data-dir", env: "NIRNAY_DATA_DIR", def: "./var", str: &c.DataDir,
			help: "directory for the embedded database, decision-log segments and archives"},
		{flag: "admin-key", env: "NIRNAY_ADMIN_KEY", def: "", str: &c.AdminKey,
			help: "when set, an API key with this value and the admin role is ensured at start (prefer the env var: flags show in ps)"},
		{flag: "log-level", env: "NIRNAY_LOG_LEVEL", def: "info", str: &c.LogLevel,
			help: "log level: debug, info, warn or error"},
		{flag: "log-format", env: "NIRNAY_LOG_FORMAT", def: "auto", str: &c.LogFormat,
			help: "log format: json, text, or auto (text on a terminal, JSON otherwise)"},
		{flag: "shutdown-timeout", env: "NIRNAY_SHUTDOWN_TIMEOUT", def: "20s", dur: &c.ShutdownTimeout,
			help: "how long a SIGTERM/SIGINT waits for in-flight requests to finish"},
		{flag: "max-body-bytes", env: "NIRNAY_MAX_BODY_BYTES", def: "1048576", i64: &c.MaxBodyBytes,
			help: "largest accepted request body in bytes (413 beyond it)"},
		{flag: "decision-hot-age", env: "NIRNAY_DECISION_HOT_AGE", def: "720h", dur: &c.DecisionHotAge,
			help: "decisions older than this move from the database to compressed daily files at day end"},
		{flag: "memory-limit", env: "NIRNAY_MEMORY_LIMIT", def: "1073741824", i64: &c.MemoryLimit,
			help: "soft limit in bytes on the service's heap; below it garbage is collected rarely (at 11× the live heap), which keeps the decision latency tail short; 0 leaves Go's defaults (GOGC and GOMEMLIMIT in the environment always win)"},
		{flag: "kyc-uidai-certs", env: "NIRNAY_KYC_UIDAI_CERTS", def: "", str: &c.UIDAICerts,
			help: "comma-separated PEM files of the certificates Aadhaar offline e-KYC files must be signed with; empty trusts only the KYC sandbox's own"},
		{flag: "debug-addr", env: "NIRNAY_DEBUG_ADDR", def: "", str: &c.DebugAddr,
			help: "when set (e.g. 127.0.0.1:6060), serve Go profiling (/debug/pprof/) there; keep it off public interfaces"},
	}
}

// bind registers the settings as flags on fs. Help shows the env variable and default.
func (c *config) bind(fs *pflag.FlagSet) {
	for _, s := range c.settings() {
		usage := fmt.Sprintf("%s [env %s]", s.help, s.env)
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.flag, s.def, usage)
		case s.dur != nil:
			d, _ := time.ParseDuration(s.def)
			fs.DurationVar(s.dur, s.flag, d, usage)
		case s.i64 != nil:
			var n int64
			fmt.Sscan(s.def, &n)
			fs.Int64Var(s.i64, s.flag, n, usage)
		}
	}
}

// load applies environment variables to the settings whose flag was not
// given, then validates the result.
func (c *config) load(cmd *cobra.Command) error {
	for _, s := range c.settings() {
		if cmd.Flags().Changed(s.flag) {
			continue
		}
		v, ok := os.LookupEnv(s.env)
		if !ok {
			continue
		}
		if err := cmd.Flags().Set(s.flag, v); err != nil {
			return fmt.Errorf("%s: %q is not a valid value", s.env, v)
		}
	}
	return c.validate()
}

func (c *config) validate() error {
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return errors.New("NIRNAY_DATABASE_URL: want postgres://user:password@host:port/dbname (or empty for the embedded database)")
	}
	if c.RedisURL != "" {
		if _, err := redis.ParseURL(c.RedisURL); err != nil {
			return fmt.Errorf("NIRNAY_REDIS_URL: %v", err)
		}
	}
	if c.HTTPAddr == "" {
		return errors.New("NIRNAY_HTTP_ADDR: must not be empty")
	}
	if c.DataDir == "" {
		return errors.New("NIRNAY_DATA_DIR: must not be empty")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return err
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		return fmt.Errorf("NIRNAY_LOG_FORMAT: %q is not json, text or auto", c.LogFormat)
	}
	if c.ShutdownTimeout <= 0 {
		return errors.New("NIRNAY_SHUTDOWN_TIMEOUT: must be positive")
	}
	if c.DecisionHotAge < time.Hour {
		return errors.New("NIRNAY_DECISION_HOT_AGE: must be at least 1h")
	}
	if c.MaxBodyBytes < 1024 {
		return errors.New("NIRNAY_MAX_BODY_BYTES: must be at least 1024")
	}
	if c.MemoryLimit != 0 && c.MemoryLimit < 64<<20 {
		return errors.New("NIRNAY_MEMORY_LIMIT: must be 0 or at least 67108864 (64 MiB)")
	}
	return nil
}

// checkDataDir makes sure the data dir exists and is writable.
func (c *config) checkDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return fmt.Errorf("NIRNAY_DATA_DIR %q: %v", c.DataDir, errors.Unwrap(err))
	}
	f, err := os.CreateTemp(c.DataDir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("NIRNAY_DATA_DIR %q: not writable", c.DataDir)
	}
	f.Close()
	return os.Remove(filepath.Clean(f.Name()))
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("NIRNAY_LOG_LEVEL: %q is not debug, info, warn or error", s)
	}
	return l, nil
}

// newLogger builds the service logger: JSON unless writing to a terminal
// (or as the format setting says).
func (c *config) newLogger(w io.Writer) *slog.Logger {
	return slog.New(c.logHandler(w, w))
}

// newBufferedLogger is newLogger for the service: lines are batched (see
// logBuffer); run buf.Run while serving.
func (c *config) newBufferedLogger(w io.Writer) (*slog.Logger, *logBuffer) {
	buf := newLogBuffer(w)
	return slog.New(flushOnWarn{c.logHandler(w, buf), buf}), buf
}

// logHandler writes to out in the configured format; "auto" is text when
// the final destination w is a terminal. Every record is masked first
// (pii.Handler): no PAN, Aadhaar number, phone number or e-mail address is
// logged whole.
func (c *config) logHandler(w, out io.Writer) slog.Handler {
	level, _ := parseLevel(c.LogLevel)
	format := c.LogFormat
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			format = "text"
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return pii.NewHandler(slog.NewTextHandler(out, opts))
	}
	return pii.NewHandler(slog.NewJSONHandler(out, opts))
}

// tuneRuntime tunes the garbage collector and processors for serving (see
// tune.Serving).
func (c *config) tuneRuntime() { tune.Serving(c.MemoryLimit) }
