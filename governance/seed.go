package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// Bundle file names (DESIGN §2: policies/).
const (
	CatalogFile     = "features.yaml"
	DeploymentsFile = "deployments.yaml"
)

// shipped is the parsed default bundle.
type shipped struct {
	versions []shippedVersion
	deps     *rules.Deployments
}

type shippedVersion struct {
	c      *rules.Compiled
	source string
	sha    string
}

// loadBundle reads the catalog, builds the environment and builder, and
// parses and compiles every shipped policy and the deployments.
func (s *Service) loadBundle(bundle fs.FS) (*shipped, error) {
	data, err := fs.ReadFile(bundle, CatalogFile)
	if err != nil {
		return nil, fmt.Errorf("policy bundle: %w", err)
	}
	if s.cat, err = rules.ParseCatalog(CatalogFile, data); err != nil {
		return nil, err
	}
	if s.env, err = rules.NewEnv(s.cat, s.opts.Limits); err != nil {
		return nil, err
	}
	if s.builder, err = features.NewBuilder(s.cat); err != nil {
		return nil, err
	}
	names, err := fs.Glob(bundle, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("policy bundle: %w", err)
	}
	slices.Sort(names)
	b := &shipped{deps: &rules.Deployments{File: DeploymentsFile}}
	var files []string // every *.yaml but the catalog, deployments, queues and notifications is a policy
	for _, name := range names {
		switch name {
		case CatalogFile:
		case DeploymentsFile:
			data, err := fs.ReadFile(bundle, name)
			if err != nil {
				return nil, fmt.Errorf("policy bundle: %w", err)
			}
			if b.deps, err = rules.ParseDeployments(name, data); err != nil {
				return nil, err
			}
		default:
			data, err := fs.ReadFile(bundle, name)
			if err != nil {
				return nil, fmt.Errorf("policy bundle: %w", err)
			}
			if k := rules.DetectKind(data); k == rules.KindQueues || k == rules.KindNotifications {
				continue // the review queues (package cases) or the notifications (package comms), not a policy
			}
			files = append(files, name)
		}
	}
	// Compile on every core: this runs at every start.
	b.versions = make([]shippedVersion, len(files))
	errs := make([]error, len(files))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, name := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			data, err := fs.ReadFile(bundle, name)
			if err != nil {
				errs[i] = fmt.Errorf("policy bundle: %w", err)
				return
			}
			c, err := s.compile(name, data)
			if err != nil {
				errs[i] = err
				return
			}
			b.versions[i] = shippedVersion{c: c, source: string(data), sha: store.SHA256Hex(data)}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.bundle = map[string]*rules.Compiled{}
	seen := map[rules.PolicyRef]string{}
	for _, v := range b.versions {
		ref := rules.PolicyRef{ID: v.c.Policy.ID, Version: v.c.Policy.Version}
		if prev, dup := seen[ref]; dup {
			return nil, fmt.Errorf("policy bundle: %s is in both %s and %s", ref, prev, v.c.Policy.File)
		}
		seen[ref] = v.c.Policy.File
		s.bundle[v.sha] = v.c
	}
	return b, nil
}

// seed inserts what the database does not have yet, in one transaction,
// and audits each row it inserted.
func (s *Service) seed(ctx context.Context, b *shipped) error {
	now := s.clock().UTC()
	at := store.Instant(now)
	inserted := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		inserted = 0
		for _, v := range b.versions {
			p := v.c.Policy
			res, err := tx.ExecContext(ctx, `INSERT INTO policy_versions
				(policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at,
				 submitted_at, reviewer_id, reviewer_name, reviewed_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9, $7, $8, $9)
				ON CONFLICT (policy_id, version) DO NOTHING`,
				p.ID, p.Version, p.Step, string(StatusApproved), v.source, v.sha, BundleActor.ID, BundleActor.Name, at)
			if err != nil {
				return fmt.Errorf("seed %s: %w", p.Ref(), err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var sha string
				if err := tx.QueryRowContext(ctx, `SELECT sha256 FROM policy_versions WHERE policy_id = $1 AND version = $2`,
					p.ID, p.Version).Scan(&sha); err == nil && sha != v.sha {
					s.log.Warn("shipped policy differs from the stored version of the same id@version; the stored one is kept",
						"policy", p.Ref(), "file", p.File)
				}
				continue
			}
			inserted++
			ver := Version{ID: p.ID, Version: p.Version, Step: p.Step, Status: StatusApproved, SHA256: v.sha,
				Author: BundleActor, CreatedAt: now, UpdatedAt: now, SubmittedAt: &now, Reviewer: &BundleActor, ReviewedAt: &now}
			if err := s.audit(ctx, tx, now, BundleActor, ActionSeed, ver.subject(), nil, ver); err != nil {
				return err
			}
		}
		for _, d := range b.deps.Steps {
			dep := fromRules(d)
			dep.Revision, dep.UpdatedBy, dep.UpdatedAt = 1, BundleActor, now
			n, err := insertDeployment(ctx, tx, dep)
			if err != nil {
				return fmt.Errorf("seed deployment of %s: %w", d.Step, err)
			}
			if n == 0 {
				continue
			}
			inserted++
			if err := s.audit(ctx, tx, now, BundleActor, ActionSeed, deploymentSubject(d.Step), nil, dep); err != nil {
				return err
			}
		}
		if inserted > 0 {
			return s.notify(ctx, tx, Change{Action: ActionSeed, Subject: "bundle"})
		}
		return nil
	})
	if err == nil && inserted > 0 {
		s.log.Info("policy registry seeded from the shipped bundle", "rows", inserted)
	}
	return err
}

// compile parses and compiles one policy source. When parsing finds
// problems the expressions are still compiled, so every problem comes back
// at once as a rules.ErrorList.
func (s *Service) compile(file string, data []byte) (*rules.Compiled, error) {
	if s.opts.CheckPolicy == nil {
		return s.env.CompileSource(file, data)
	}
	return s.env.CompileSource(file, data, s.opts.CheckPolicy)
}

// Issue is one problem with a policy source (or a failed test), positioned
// by line and field for the analyst.
type Issue struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// issuesOf turns a parse/compile error into issues.
func issuesOf(err error) []Issue {
	var list rules.ErrorList
	if errors.As(err, &list) {
		out := make([]Issue, 0, len(list))
		for _, e := range list {
			out = append(out, Issue{Line: e.Line, Field: e.Field, Message: e.Msg})
		}
		return out
	}
	var one *rules.Error
	if errors.As(err, &one) {
		return []Issue{{Line: one.Line, Field: one.Field, Message: one.Msg}}
	}
	return []Issue{{Message: strings.ReplaceAll(err.Error(), "\n", "; ")}}
}
