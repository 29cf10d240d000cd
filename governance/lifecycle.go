package governance

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// TestReport is the result of running a version's tests.
type TestReport struct {
	Policy  string       `json:"policy"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	Summary string       `json:"summary"` // "N passed, M failed"
	Results []TestResult `json:"results"`
}

// TestResult is one test of a policy.
type TestResult struct {
	Name     string   `json:"name"`
	Line     int      `json:"line"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures"`
}

// OK reports whether there was at least one test and every test passed.
func (r TestReport) OK() bool { return r.Failed == 0 && r.Passed > 0 }

// Test runs the tests of a stored version (any status) against the
// current catalog. Errors: KindNotFound; *InvalidError when the source no
// longer compiles.
func (s *Service) Test(ctx context.Context, ref rules.PolicyRef) (TestReport, error) {
	v, err := s.Get(ctx, ref)
	if err != nil {
		return TestReport{}, err
	}
	c, err := s.compiled(v)
	if err != nil {
		return TestReport{}, err
	}
	return s.runTests(c), nil
}

// compiled returns the registry's compiled form of an approved version, or
// compiles the source.
func (s *Service) compiled(v Version) (*rules.Compiled, error) {
	if c, ok := s.reg.Get(v.Ref()); ok && v.Status == StatusApproved {
		return c, nil
	}
	c, err := s.compile(v.Ref().String(), []byte(v.Source))
	if err != nil {
		return nil, &InvalidError{Message: v.Ref().String() + " does not compile against the current catalog", Issues: issuesOf(err)}
	}
	return c, nil
}

func (s *Service) runTests(c *rules.Compiled) TestReport {
	res := engine.RunTests(c, s.builder)
	r := TestReport{Policy: c.Policy.Ref(), Results: make([]TestResult, 0, len(res))}
	for _, t := range res {
		tr := TestResult{Name: t.Test.Name, Line: t.Test.Line, Passed: t.Passed(), Failures: t.Failures}
		if tr.Failures == nil {
			tr.Failures = []string{}
		}
		if tr.Passed {
			r.Passed++
		} else {
			r.Failed++
		}
		r.Results = append(r.Results, tr)
	}
	r.Summary = fmt.Sprintf("%d passed, %d failed", r.Passed, r.Failed)
	return r
}

// Submit asks for review of a draft. Only its author may submit it, and
// only when it has tests and they all pass.
//
// Errors: KindNotFound; KindForbidden for anyone but the author;
// KindConflict when the version is not a draft; *InvalidError (422) when it
// has no tests or a test fails (one issue per failure, at the test's line).
func (s *Service) Submit(ctx context.Context, actor Actor, ref rules.PolicyRef) (Version, TestReport, error) {
	v, err := s.Get(ctx, ref)
	if err != nil {
		return Version{}, TestReport{}, err
	}
	if v.Author.ID != actor.ID {
		return Version{}, TestReport{}, nirnay.Errorf(nirnay.KindForbidden, "only the author of %s (%s) may submit it", ref, v.Author.Name)
	}
	if v.Status != StatusDraft {
		return Version{}, TestReport{}, nirnay.Errorf(nirnay.KindConflict, "%s is %s; only a draft can be submitted", ref, v.Status)
	}
	c, err := s.compiled(v)
	if err != nil {
		return Version{}, TestReport{}, err
	}
	report := s.runTests(c)
	if !report.OK() {
		return Version{}, report, testsFailed(report)
	}
	now := s.clock().UTC()
	after := v.meta()
	after.Status, after.UpdatedAt, after.SubmittedAt = StatusSubmitted, now, &now
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		// The sha guard submits exactly the source that was tested.
		res, err := tx.ExecContext(ctx, `UPDATE policy_versions SET status = $1, submitted_at = $2, updated_at = $2
			WHERE policy_id = $3 AND version = $4 AND status = $5 AND sha256 = $6 AND author_id = $7`,
			string(StatusSubmitted), store.Instant(now), ref.ID, ref.Version, string(StatusDraft), v.SHA256, actor.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nirnay.Errorf(nirnay.KindConflict, "%s changed while it was being submitted; try again", ref)
		}
		return s.audit(ctx, tx, now, actor, ActionSubmit, v.subject(), v.meta(), after)
	})
	if err != nil {
		return Version{}, report, err
	}
	s.committed(ctx, Change{Action: ActionSubmit, Subject: v.subject()})
	return after, report, nil
}

func testsFailed(r TestReport) *InvalidError {
	e := &InvalidError{Message: fmt.Sprintf("%s: tests must pass before submitting (%s)", r.Policy, r.Summary)}
	if len(r.Results) == 0 {
		e.Message = r.Policy + " has no tests; add tests before submitting"
		e.Issues = []Issue{{Field: "tests", Message: "policy has no tests"}}
	}
	for _, t := range r.Results {
		if !t.Passed {
			e.Issues = append(e.Issues, Issue{Line: t.Line, Field: "tests[" + t.Name + "]", Message: strings.Join(t.Failures, "; ")})
		}
	}
	return e
}

// Approve approves a submitted version: it becomes immutable and
// deployable. The approver must not be its author (maker-checker; authors
// are compared by API key id).
//
// Errors: KindNotFound; KindForbidden when actor wrote the version;
// KindConflict when it is not submitted; *InvalidError when it no longer
// compiles.
func (s *Service) Approve(ctx context.Context, actor Actor, ref rules.PolicyRef) (Version, error) {
	v, err := s.Get(ctx, ref)
	if err != nil {
		return Version{}, err
	}
	if v.Author.ID == actor.ID {
		return Version{}, nirnay.Errorf(nirnay.KindForbidden,
			"%s was written by %s, who cannot also approve it: maker-checker needs a different approver", ref, v.Author.Name)
	}
	if v.Status != StatusSubmitted {
		return Version{}, nirnay.Errorf(nirnay.KindConflict, "%s is %s; only a submitted version can be approved", ref, v.Status)
	}
	c, err := s.compiled(v)
	if err != nil {
		return Version{}, err
	}
	now := s.clock().UTC()
	after := v.meta()
	after.Status, after.UpdatedAt, after.Reviewer, after.ReviewedAt = StatusApproved, now, &actor, &now
	err = s.review(ctx, actor, v, after, ActionApprove, "")
	if err != nil {
		return Version{}, err
	}
	s.mu.Lock()
	if _, ok := s.reg.Get(ref); !ok {
		err = s.reg.Add(c)
	}
	s.mu.Unlock()
	if err != nil {
		return Version{}, err
	}
	s.committed(ctx, Change{Action: ActionApprove, Subject: v.subject()})
	return after, nil
}

// Reject sends a submitted version back to its author with a reason; the
// author may then upload it again.
//
// Errors: KindInvalid without a reason; KindNotFound; KindConflict when it
// is not submitted.
func (s *Service) Reject(ctx context.Context, actor Actor, ref rules.PolicyRef, reason string) (Version, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Version{}, nirnay.FieldError("reason", "a rejection needs a reason for the author")
	}
	if len(reason) > 2000 {
		return Version{}, nirnay.FieldError("reason", "at most 2000 characters")
	}
	v, err := s.Get(ctx, ref)
	if err != nil {
		return Version{}, err
	}
	if v.Status != StatusSubmitted {
		return Version{}, nirnay.Errorf(nirnay.KindConflict, "%s is %s; only a submitted version can be rejected", ref, v.Status)
	}
	now := s.clock().UTC()
	after := v.meta()
	after.Status, after.UpdatedAt, after.Reviewer, after.ReviewedAt, after.RejectReason = StatusRejected, now, &actor, &now, reason
	if err := s.review(ctx, actor, v, after, ActionReject, reason); err != nil {
		return Version{}, err
	}
	s.committed(ctx, Change{Action: ActionReject, Subject: v.subject()})
	return after, nil
}

// review moves a submitted version to after.Status, guarded on its status
// and source, and audits it.
func (s *Service) review(ctx context.Context, actor Actor, before, after Version, action, reason string) error {
	var rr any
	if reason != "" {
		rr = reason
	}
	at := store.Instant(after.UpdatedAt)
	notAuthor := "" // an approval is never by the author, even in a race
	if action == ActionApprove {
		notAuthor = actor.ID
	}
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE policy_versions SET status = $1, reviewer_id = $2, reviewer_name = $3,
			reviewed_at = $4, updated_at = $4, reject_reason = $5
			WHERE policy_id = $6 AND version = $7 AND status = $8 AND sha256 = $9 AND author_id <> $10`,
			string(after.Status), actor.ID, actor.Name, at, rr, before.ID, before.Version, string(StatusSubmitted), before.SHA256, notAuthor)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nirnay.Errorf(nirnay.KindConflict, "%s changed while it was being reviewed; try again", before.Ref())
		}
		return s.audit(ctx, tx, after.UpdatedAt, actor, action, before.subject(), before.meta(), after)
	})
}

// Diff compares a version with another: against, or when against is nil
// the champion of its step (what an approver needs to see). Errors:
// KindNotFound for either version; KindUnprocessable when against is nil
// and the step has no deployment.
func (s *Service) Diff(ctx context.Context, ref rules.PolicyRef, against *rules.PolicyRef) (*rules.PolicyDiff, error) {
	v, err := s.Get(ctx, ref)
	if err != nil {
		return nil, err
	}
	if against == nil {
		deps, err := s.Deployments(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range deps {
			if d.Step == v.Step {
				champ, err := rules.ParsePolicyRef(d.Champion)
				if err != nil {
					return nil, err
				}
				against = &champ
			}
		}
		if against == nil {
			return nil, nirnay.Errorf(nirnay.KindUnprocessable, "step %s has no champion to compare %s with; name a version", v.Step, ref)
		}
	}
	base, err := s.Get(ctx, *against)
	if err != nil {
		return nil, err
	}
	from, err := rules.ParsePolicy(against.String(), []byte(base.Source))
	if err != nil {
		return nil, &InvalidError{Message: against.String() + " does not parse", Issues: issuesOf(err)}
	}
	to, err := rules.ParsePolicy(ref.String(), []byte(v.Source))
	if err != nil {
		return nil, &InvalidError{Message: ref.String() + " does not parse", Issues: issuesOf(err)}
	}
	return rules.Diff(from, to), nil
}
