package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// Status is where a version stands in the lifecycle.
type Status string

// The statuses.
const (
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
)

// Audit actions.
const (
	ActionSeed     = "seed"
	ActionUpload   = "upload"
	ActionSubmit   = "submit"
	ActionApprove  = "approve"
	ActionReject   = "reject"
	ActionDeploy   = "deploy"
	ActionRollback = "rollback"
)

// Version is one stored policy version. Source is set only by Get and
// Upload; Warnings (lint) only by Upload.
type Version struct {
	ID           string     `json:"id"`
	Version      int        `json:"version"`
	Step         string     `json:"step"`
	Status       Status     `json:"status"`
	SHA256       string     `json:"sha256"`
	Author       Actor      `json:"author"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	SubmittedAt  *time.Time `json:"submitted_at"`
	Reviewer     *Actor     `json:"reviewer"` // who approved or rejected it
	ReviewedAt   *time.Time `json:"reviewed_at"`
	RejectReason string     `json:"reject_reason,omitempty"`
	Source       string     `json:"source,omitempty"`
	Warnings     []Issue    `json:"warnings,omitempty"`
}

// Ref is id@version.
func (v Version) Ref() rules.PolicyRef { return rules.PolicyRef{ID: v.ID, Version: v.Version} }

func (v Version) subject() string { return policySubject(v.Ref()) }

// meta is the version without its source and warnings, as audited.
func (v Version) meta() Version {
	v.Source, v.Warnings = "", nil
	return v
}

func policySubject(ref rules.PolicyRef) string { return "policy/" + ref.String() }

// InvalidError is a policy that does not parse or compile, or whose tests
// fail: KindUnprocessable, with every problem positioned by line and field.
type InvalidError struct {
	Message string
	Issues  []Issue
}

func (e *InvalidError) Error() string {
	parts := make([]string, 0, len(e.Issues))
	for _, i := range e.Issues {
		parts = append(parts, fmt.Sprintf("line %d: %s: %s", i.Line, i.Field, i.Message))
	}
	return e.Message + ": " + strings.Join(parts, "; ")
}

// Unwrap gives the error its kind for the HTTP mapping.
func (e *InvalidError) Unwrap() error {
	return &nirnay.Error{Kind: nirnay.KindUnprocessable, Message: e.Message}
}

// Upload validates and compiles a policy version's YAML and stores it as a
// draft authored by actor. It reports whether a new version was created
// (false: the author's draft or rejected version was replaced, going back
// to draft).
//
// Errors: KindTooLarge over MaxSourceBytes; *InvalidError (422) listing
// every problem with its line; KindConflict when the version is submitted
// or approved (immutable); KindForbidden when another author's draft has
// that id@version; KindUnprocessable when the policy id belongs to another
// step.
func (s *Service) Upload(ctx context.Context, actor Actor, source []byte) (Version, bool, error) {
	if len(source) > s.opts.MaxSourceBytes {
		return Version{}, false, nirnay.Errorf(nirnay.KindTooLarge, "policy source is %d bytes, more than the limit of %d", len(source), s.opts.MaxSourceBytes)
	}
	c, err := s.compile("policy.yaml", source)
	if err != nil {
		return Version{}, false, &InvalidError{Message: "the policy does not compile", Issues: issuesOf(err)}
	}
	p := c.Policy
	ref := rules.PolicyRef{ID: p.ID, Version: p.Version}
	now := s.clock().UTC()
	sha := store.SHA256Hex(source)
	v := Version{ID: p.ID, Version: p.Version, Step: p.Step, Status: StatusDraft, SHA256: sha, Author: actor,
		CreatedAt: now, UpdatedAt: now, Source: string(source), Warnings: issuesOf(rules.ErrorList(rules.Lint(c)))}
	if len(v.Warnings) == 0 {
		v.Warnings = nil
	}
	created := false
	changed := true
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var otherStep string
		var otherVersion int
		err := tx.QueryRowContext(ctx, `SELECT step, version FROM policy_versions WHERE policy_id = $1 AND step <> $2 LIMIT 1`,
			p.ID, p.Step).Scan(&otherStep, &otherVersion)
		if err == nil {
			return &InvalidError{Message: "a policy id keeps its journey step", Issues: []Issue{{Line: p.FieldLine("step"), Field: "step",
				Message: fmt.Sprintf("%s@%d is a policy for step %s; use a new policy id for step %s", p.ID, otherVersion, otherStep, p.Step)}}}
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO policy_versions
			(policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
			ON CONFLICT (policy_id, version) DO NOTHING`,
			p.ID, p.Version, p.Step, string(StatusDraft), v.Source, sha, actor.ID, actor.Name, store.Instant(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			return s.audit(ctx, tx, now, actor, ActionUpload, v.subject(), nil, v.meta())
		}
		old, err := getVersion(ctx, tx, ref, false)
		if err != nil {
			return err
		}
		switch {
		case old.Status == StatusSubmitted || old.Status == StatusApproved:
			return nirnay.Errorf(nirnay.KindConflict, "%s is %s and immutable; upload it as a new version", ref, old.Status)
		case old.Author.ID != actor.ID:
			return nirnay.Errorf(nirnay.KindForbidden, "%s is a %s of %s; only its author may replace it", ref, old.Status, old.Author.Name)
		case old.Status == StatusDraft && old.SHA256 == sha:
			v, changed = old, false // the same draft again: nothing to do
			v.Source = string(source)
			return nil
		}
		res, err = tx.ExecContext(ctx, `UPDATE policy_versions SET status = $1, source = $2, sha256 = $3, updated_at = $4,
			submitted_at = NULL, reviewer_id = NULL, reviewer_name = NULL, reviewed_at = NULL, reject_reason = NULL
			WHERE policy_id = $5 AND version = $6 AND author_id = $7 AND status IN ($8, $9)`,
			string(StatusDraft), v.Source, sha, store.Instant(now), p.ID, p.Version, actor.ID, string(StatusDraft), string(StatusRejected))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nirnay.Errorf(nirnay.KindConflict, "%s changed while it was being replaced; try again", ref)
		}
		v.CreatedAt = old.CreatedAt
		return s.audit(ctx, tx, now, actor, ActionUpload, v.subject(), old.meta(), v.meta())
	})
	if err != nil {
		return Version{}, false, err
	}
	if changed {
		s.committed(ctx, Change{Action: ActionUpload, Subject: v.subject()})
	}
	return v, created, nil
}

// Get returns a version with its source; KindNotFound when there is none.
func (s *Service) Get(ctx context.Context, ref rules.PolicyRef) (Version, error) {
	return getVersion(ctx, s.db.Reader(), ref, true)
}

// PolicySummary lists one policy id's versions, oldest first.
type PolicySummary struct {
	ID       string           `json:"id"`
	Step     string           `json:"step"`
	Versions []VersionSummary `json:"versions"`
}

// VersionSummary is one version in a listing, with the roles it holds in
// its step's current deployment (champion, challenger, shadow).
type VersionSummary struct {
	Version   int       `json:"version"`
	Status    Status    `json:"status"`
	Author    Actor     `json:"author"`
	Reviewer  *Actor    `json:"reviewer"`
	UpdatedAt time.Time `json:"updated_at"`
	Deployed  []string  `json:"deployed"`
}

// List returns every policy id with its versions, by id.
func (s *Service) List(ctx context.Context) ([]PolicySummary, error) {
	deps, err := readDeployments(ctx, s.db.Reader())
	if err != nil {
		return nil, err
	}
	roles := map[string][]string{}
	for _, d := range deps {
		roles[d.Champion] = append(roles[d.Champion], string(nirnay.RoleChampion))
		for _, c := range d.Challengers {
			roles[c.Policy] = append(roles[c.Policy], fmt.Sprintf("%s %d%%", nirnay.RoleChallenger, c.Percent))
		}
		for _, sh := range d.Shadows {
			roles[sh] = append(roles[sh], string(nirnay.RoleShadow))
		}
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+versionColumns+` FROM policy_versions ORDER BY policy_id, version`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PolicySummary
	for rows.Next() {
		v, err := scanVersion(rows.Scan, false)
		if err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != v.ID {
			out = append(out, PolicySummary{ID: v.ID, Step: v.Step})
		}
		ps := &out[len(out)-1]
		r := roles[v.Ref().String()]
		if r == nil {
			r = []string{}
		}
		ps.Versions = append(ps.Versions, VersionSummary{Version: v.Version, Status: v.Status, Author: v.Author,
			Reviewer: v.Reviewer, UpdatedAt: v.UpdatedAt, Deployed: r})
	}
	return out, rows.Err()
}

const versionColumns = `policy_id, version, step, status, sha256, author_id, author_name, created_at, updated_at,
	submitted_at, reviewer_id, reviewer_name, reviewed_at, reject_reason`

func getVersion(ctx context.Context, q queryer, ref rules.PolicyRef, withSource bool) (Version, error) {
	cols := versionColumns
	if withSource {
		cols += ", source"
	}
	row := q.QueryRowContext(ctx, `SELECT `+cols+` FROM policy_versions WHERE policy_id = $1 AND version = $2`, ref.ID, ref.Version)
	v, err := scanVersion(row.Scan, withSource)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, nirnay.Errorf(nirnay.KindNotFound, "policy version %s not found", ref)
	}
	return v, store.Translate(err)
}

func scanVersion(scan func(...any) error, withSource bool) (Version, error) {
	var (
		v                        Version
		status                   string
		reviewerID, reviewerName *string
		rejectReason             *string
	)
	dest := []any{&v.ID, &v.Version, &v.Step, &status, &v.SHA256, &v.Author.ID, &v.Author.Name, store.ScanInstant(&v.CreatedAt), store.ScanInstant(&v.UpdatedAt),
		store.ScanNullInstant(&v.SubmittedAt), &reviewerID, &reviewerName, store.ScanNullInstant(&v.ReviewedAt), &rejectReason}
	if withSource {
		dest = append(dest, &v.Source)
	}
	if err := scan(dest...); err != nil {
		return Version{}, err
	}
	v.Status = Status(status)
	if reviewerID != nil {
		v.Reviewer = &Actor{ID: *reviewerID, Name: deref(reviewerName)}
	}
	v.RejectReason = deref(rejectReason)
	return v, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
