// Package governance is Nirnay's policy registry of record: every policy
// version with its YAML source and its place in the maker-checker lifecycle,
// the active deployment of each journey step, and an append-only audit log
// of every change, all in the SQL database. It keeps the engine's deployed
// policies in step with the database.
//
// Lifecycle of a version (DESIGN §4, §12):
//
//	upload → draft ──submit (author; tests pass)──▶ submitted ──approve (not the author)──▶ approved
//	            ▲                                        │
//	            └──── upload again (author) ◀── rejected ◀┘ reject (with a reason)
//
// An approved version is immutable and may be deployed (champion,
// challenger or shadow). Policies are compiled when uploaded, so a bad rule
// fails there and never at decision time.
package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// Channel is the PostgreSQL notification channel on which a change to the
// deployments is announced to the other instances.
const Channel = "nirnay_policies"

// DefaultMaxSourceBytes bounds the YAML source of one policy version.
const DefaultMaxSourceBytes = 256 << 10

// Options configures Open. Zero values take the documented defaults.
type Options struct {
	Clock  func() time.Time // default time.Now; every stored time and audit id comes from it
	Logger *slog.Logger     // default slog.Default()
	Limits rules.Limits     // CEL cost limits; zero means rules.DefaultLimits

	// MaxSourceBytes bounds an uploaded policy's YAML; default
	// DefaultMaxSourceBytes.
	MaxSourceBytes int

	// DatabaseURL is the PostgreSQL URL Listen connects to for LISTEN
	// (the pool of store.DB is not used for the long-lived listening
	// connection). Ignored for SQLite.
	DatabaseURL string

	// OnChange, when set, is called after every committed change (upload,
	// submit, approve, reject, deploy, rollback), outside any transaction.
	// Wire it to a notification bus (e.g. Redis pub/sub) whose subscribers
	// call Reload, when PostgreSQL LISTEN/NOTIFY is not available.
	OnChange func(ctx context.Context, c Change)

	// CheckPolicy, when set, checks what a policy names beyond the catalog
	// (the review queues of its queue:<name> tags) whenever a version is
	// compiled: at start, on upload and on approve. Its errors are the
	// version's issues, like a compile error's.
	CheckPolicy func(p *rules.Policy) rules.ErrorList
}

// Change describes one committed governance change.
type Change struct {
	Action  string // upload, submit, approve, reject, deploy, rollback
	Subject string // "policy/<id>@<version>" or "deployment/<step>"
}

// Actor is who makes a change: an API key's id and name.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// BundleActor is the author and approver of the versions seeded from the
// shipped bundle.
var BundleActor = Actor{ID: "bundle", Name: "bundle"}

// Service is the governance registry. Build it with Open. It is safe for
// concurrent use.
type Service struct {
	db       *store.DB
	eng      *engine.Engine // set by Attach; guarded by mu
	log      *slog.Logger
	clock    func() time.Time
	opts     Options
	instance string // tags this instance's notifications so it skips its own

	cat     *rules.Catalog
	env     *rules.Env
	builder *features.Builder
	bundle  map[string]*rules.Compiled // shipped versions by source sha256, compiled at Open

	// mu serialises registry synchronisation and activation, so a slow
	// reload never activates an older deployment over a newer one.
	mu     sync.Mutex
	reg    *engine.Registry
	broken map[rules.PolicyRef]string // approved versions that no longer compile

	ids *ids.Generator // on clock
}

// Open loads the catalog (features.yaml) from bundle and builds the CEL
// environment and the feature builder once; compiles every shipped policy
// (every *.yaml but features.yaml, deployments.yaml and the review queues, on all cores);
// seeds the database from the bundle; compiles every approved version into
// the registry and resolves the stored deployments, so a start with an
// unresolvable deployment fails here. Then build the feature source from
// Builder() and the engine, and call Attach to activate the deployments in
// it.
//
// Seeding runs in one transaction with INSERT … ON CONFLICT DO NOTHING:
// every shipped policy becomes an approved version authored by "bundle",
// and deployments.yaml gives the deployment of every step that has none.
// Rows already present are never changed (the database is the record once
// seeded), so running Open on every start, from several instances at once,
// seeds exactly once; a later release's new shipped versions are added.
//
// The database must be migrated. Errors: a bundle file that does not
// parse or compile (with file and line), a stored deployment that cannot
// be resolved, or a database error.
func Open(ctx context.Context, db *store.DB, bundle fs.FS, opts Options) (*Service, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxSourceBytes <= 0 {
		opts.MaxSourceBytes = DefaultMaxSourceBytes
	}
	s := &Service{
		db: db, log: opts.Logger, clock: opts.Clock, opts: opts,
		reg:    engine.NewRegistry(),
		broken: map[rules.PolicyRef]string{},
		ids:    ids.New(opts.Clock),
	}
	s.instance = s.ids.New("inst")
	b, err := s.loadBundle(bundle)
	if err != nil {
		return nil, err
	}
	if err := s.seed(ctx, b); err != nil {
		return nil, fmt.Errorf("seed policy registry: %w", err)
	}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Attach makes eng the engine this service keeps in step: it resolves the
// stored deployments and activates them in eng, and from then on every
// deploy, rollback and Reload activates in eng too. Call it once, after
// Open and before serving decisions.
func (s *Service) Attach(ctx context.Context, eng *engine.Engine) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, err := s.resolveLocked(ctx, s.db.Reader(), nil)
	if err != nil {
		return err
	}
	s.eng = eng
	eng.Activate(set)
	return nil
}

// Catalog is the feature catalog every policy is compiled against.
func (s *Service) Catalog() *rules.Catalog { return s.cat }

// Env is the CEL environment of the catalog.
func (s *Service) Env() *rules.Env { return s.env }

// Builder builds feature vectors for the catalog.
func (s *Service) Builder() *features.Builder { return s.builder }

// Registry holds every approved version, compiled. Versions are added as
// they are approved (here or, after Reload, on another instance).
func (s *Service) Registry() *engine.Registry { return s.reg }

// Reload re-reads the approved versions (compiling the ones not yet in the
// registry) and the deployments, and activates them in the attached engine.
// Call it when another instance announces a change; Listen does so for
// PostgreSQL. On error the engine keeps its current deployments.
func (s *Service) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	set, err := s.resolveLocked(ctx, s.db.Reader(), nil)
	if err != nil {
		return err
	}
	if s.eng != nil {
		s.eng.Activate(set)
	}
	return nil
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// resolveLocked syncs the registry from q and resolves the stored
// deployments, with override (when non-nil) replacing its step's entry.
// s.mu must be held.
func (s *Service) resolveLocked(ctx context.Context, q queryer, override *Deployment) (*engine.DeploymentSet, error) {
	if err := s.syncRegistryLocked(ctx, q); err != nil {
		return nil, err
	}
	deps, err := readDeployments(ctx, q)
	if err != nil {
		return nil, err
	}
	if override != nil {
		replaced := false
		for i := range deps {
			if deps[i].Step == override.Step {
				deps[i], replaced = *override, true
			}
		}
		if !replaced {
			deps = append(deps, *override)
		}
	}
	rd := &rules.Deployments{File: "deployments"}
	for _, d := range deps {
		dep, err := d.rules()
		if err != nil {
			return nil, fmt.Errorf("stored deployment of %s: %w", d.Step, err)
		}
		for _, ref := range dep.refs() {
			if msg, ok := s.broken[ref]; ok {
				return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable,
					Message: fmt.Sprintf("deployment of %s: %s no longer compiles against the current catalog", d.Step, ref), Err: errors.New(msg)}
			}
		}
		rd.Steps = append(rd.Steps, dep.Deployment)
	}
	set, err := engine.NewDeploymentSet(s.reg, rd)
	if err != nil {
		return nil, fmt.Errorf("resolve deployments: %w", err)
	}
	return set, nil
}

// syncRegistryLocked compiles every approved version not yet in the
// registry. A version that no longer compiles (say the catalog changed) is
// remembered as broken and logged once; it cannot be deployed.
func (s *Service) syncRegistryLocked(ctx context.Context, q queryer) error {
	rows, err := q.QueryContext(ctx, `SELECT policy_id, version FROM policy_versions WHERE status = $1`, string(StatusApproved))
	if err != nil {
		return fmt.Errorf("list approved versions: %w", err)
	}
	var missing []rules.PolicyRef
	for rows.Next() {
		var ref rules.PolicyRef
		if err := rows.Scan(&ref.ID, &ref.Version); err != nil {
			rows.Close()
			return err
		}
		if _, ok := s.reg.Get(ref); ok {
			continue
		}
		if _, ok := s.broken[ref]; ok {
			continue
		}
		missing = append(missing, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, ref := range missing {
		var src, sha string
		if err := q.QueryRowContext(ctx, `SELECT source, sha256 FROM policy_versions WHERE policy_id = $1 AND version = $2`,
			ref.ID, ref.Version).Scan(&src, &sha); err != nil {
			return fmt.Errorf("read %s: %w", ref, err)
		}
		c, ok := s.bundle[sha]
		if !ok || c.Policy.ID != ref.ID || c.Policy.Version != ref.Version {
			var err error
			if c, err = s.compile(ref.String(), []byte(src)); err != nil {
				s.broken[ref] = err.Error()
				s.log.Error("approved policy version no longer compiles; it cannot be deployed", "policy", ref.String(), "err", err)
				continue
			}
		}
		if err := s.reg.Add(c); err != nil {
			return err
		}
	}
	return nil
}

// changed tells the other instances (PostgreSQL NOTIFY, inside tx, so it is
// delivered only on commit) that the deployments may have changed.
func (s *Service) notify(ctx context.Context, tx *sql.Tx, c Change) error {
	if s.db.Dialect != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, s.instance+" "+c.Action+" "+c.Subject)
	return err
}

// committed runs the OnChange hook after a commit.
func (s *Service) committed(ctx context.Context, c Change) {
	if s.opts.OnChange != nil {
		s.opts.OnChange(ctx, c)
	}
}
