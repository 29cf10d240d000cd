package governance

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// Deployment is the active policy set of one journey step, as stored.
// Policy versions are written "id@version".
type Deployment struct {
	Step        string       `json:"step"`
	Champion    string       `json:"champion"`
	Challengers []Challenger `json:"challengers"`
	Shadows     []string     `json:"shadows"`
	Revision    int64        `json:"revision"` // increases by one with every change
	UpdatedBy   Actor        `json:"updated_by"`
	UpdatedAt   time.Time    `json:"updated_at"`
}

// Challenger takes Percent (1–100) of the step's customers, by a stable
// hash of customer id and step.
type Challenger struct {
	Policy  string `json:"policy"`
	Percent int    `json:"percent"`
}

// DeploymentSpec is what a deploy sets for a step.
type DeploymentSpec struct {
	Champion    string       `json:"champion"`
	Challengers []Challenger `json:"challengers"`
	Shadows     []string     `json:"shadows"`
}

// maxRoles bounds the challengers and shadows of one step: each shadow is
// evaluated on every decision of the step.
const maxRoles = 8

func deploymentSubject(step string) string { return "deployment/" + step }

func fromRules(d rules.Deployment) Deployment {
	out := Deployment{Step: d.Step, Champion: d.Champion.String(), Challengers: []Challenger{}, Shadows: []string{}}
	for _, c := range d.Challengers {
		out.Challengers = append(out.Challengers, Challenger{Policy: c.Policy.String(), Percent: c.Percent})
	}
	for _, s := range d.Shadows {
		out.Shadows = append(out.Shadows, s.String())
	}
	return out
}

type ruleDeployment struct{ rules.Deployment }

func (d ruleDeployment) refs() []rules.PolicyRef {
	out := []rules.PolicyRef{d.Champion}
	for _, c := range d.Challengers {
		out = append(out, c.Policy)
	}
	return append(out, d.Shadows...)
}

// rules parses the stored references.
func (d Deployment) rules() (ruleDeployment, error) {
	out := rules.Deployment{Step: d.Step}
	var err error
	if out.Champion, err = rules.ParsePolicyRef(d.Champion); err != nil {
		return ruleDeployment{}, err
	}
	for _, c := range d.Challengers {
		ref, err := rules.ParsePolicyRef(c.Policy)
		if err != nil {
			return ruleDeployment{}, err
		}
		out.Challengers = append(out.Challengers, rules.Challenger{Policy: ref, Percent: c.Percent})
	}
	for _, sh := range d.Shadows {
		ref, err := rules.ParsePolicyRef(sh)
		if err != nil {
			return ruleDeployment{}, err
		}
		out.Shadows = append(out.Shadows, ref)
	}
	return ruleDeployment{out}, nil
}

// Deployments returns every step's deployment, in journey order.
func (s *Service) Deployments(ctx context.Context) ([]Deployment, error) {
	return readDeployments(ctx, s.db.Reader())
}

func readDeployments(ctx context.Context, q queryer) ([]Deployment, error) {
	rows, err := q.QueryContext(ctx, `SELECT step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at
		FROM policy_deployments`)
	if err != nil {
		return nil, fmt.Errorf("read deployments: %w", err)
	}
	defer rows.Close()
	var out []Deployment
	for rows.Next() {
		var (
			d            Deployment
			chall, shads string
		)
		if err := rows.Scan(&d.Step, &d.Champion, &chall, &shads, &d.Revision, &d.UpdatedBy.ID, &d.UpdatedBy.Name, store.ScanInstant(&d.UpdatedAt)); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(chall), &d.Challengers); err != nil {
			return nil, fmt.Errorf("deployment of %s: challengers: %w", d.Step, err)
		}
		if err := json.Unmarshal([]byte(shads), &d.Shadows); err != nil {
			return nil, fmt.Errorf("deployment of %s: shadows: %w", d.Step, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Deployment) int { return stepIndex(a.Step) - stepIndex(b.Step) })
	return out, nil
}

func stepIndex(step string) int {
	if i := slices.Index(rules.Steps, step); i >= 0 {
		return i
	}
	return len(rules.Steps)
}

func insertDeployment(ctx context.Context, tx *sql.Tx, d Deployment) (int64, error) {
	chall, shads := mustJSON(d.Challengers), mustJSON(d.Shadows)
	res, err := tx.ExecContext(ctx, `INSERT INTO policy_deployments
		(step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (step) DO NOTHING`,
		d.Step, d.Champion, chall, shads, d.Revision, d.UpdatedBy.ID, d.UpdatedBy.Name, store.Instant(d.UpdatedAt))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Deploy sets a step's champion, challengers and shadows, persists it and
// activates it in the engine, all or nothing: the new deployment is
// resolved against the registry before the transaction commits, and
// activated right after. Every version must be approved and be a policy
// for that step; challenger percents are 1..100 and sum to at most 100; a
// version holds one role at most.
//
// Errors: KindNotFound for an unknown step; KindInvalid for a malformed
// spec (naming the field); KindUnprocessable for a version that is not
// approved, unknown, or for another step; KindConflict when the step's
// deployment changed concurrently.
func (s *Service) Deploy(ctx context.Context, actor Actor, step string, spec DeploymentSpec) (Deployment, error) {
	return s.changeDeployment(ctx, actor, step, ActionDeploy, func(*Deployment) (DeploymentSpec, error) { return spec, nil })
}

// Rollback makes an earlier approved version of the step's policy the
// champion again. The challengers and shadows stay, except the target
// itself, which leaves them.
//
// Errors: KindNotFound when the step has no deployment; KindInvalid for a
// malformed reference; KindConflict when it is already the champion; the
// errors of Deploy.
func (s *Service) Rollback(ctx context.Context, actor Actor, step, to string) (Deployment, error) {
	if _, err := rules.ParsePolicyRef(to); err != nil {
		return Deployment{}, nirnay.FieldError("to", "%v", err)
	}
	return s.changeDeployment(ctx, actor, step, ActionRollback, func(cur *Deployment) (DeploymentSpec, error) {
		if cur == nil {
			return DeploymentSpec{}, nirnay.Errorf(nirnay.KindNotFound, "step %s has no deployment to roll back", step)
		}
		if cur.Champion == to {
			return DeploymentSpec{}, nirnay.Errorf(nirnay.KindConflict, "%s is already the champion of %s", to, step)
		}
		spec := DeploymentSpec{Champion: to, Challengers: []Challenger{}, Shadows: []string{}}
		for _, c := range cur.Challengers {
			if c.Policy != to {
				spec.Challengers = append(spec.Challengers, c)
			}
		}
		for _, sh := range cur.Shadows {
			if sh != to {
				spec.Shadows = append(spec.Shadows, sh)
			}
		}
		return spec, nil
	})
}

// changeDeployment is the one write path of deployments.
func (s *Service) changeDeployment(ctx context.Context, actor Actor, step, action string, next func(cur *Deployment) (DeploymentSpec, error)) (Deployment, error) {
	if !slices.Contains(rules.Steps, step) {
		return Deployment{}, nirnay.Errorf(nirnay.KindNotFound, "no journey step %q (one of %v)", step, rules.Steps)
	}
	now := s.clock().UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	var (
		set   *engine.DeploymentSet
		after Deployment
	)
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		deps, err := readDeployments(ctx, tx)
		if err != nil {
			return err
		}
		var cur *Deployment
		for i := range deps {
			if deps[i].Step == step {
				cur = &deps[i]
			}
		}
		spec, err := next(cur)
		if err != nil {
			return err
		}
		after, err = s.validateSpec(ctx, tx, step, spec)
		if err != nil {
			return err
		}
		after.UpdatedBy, after.UpdatedAt = actor, now
		if set, err = s.resolveLocked(ctx, tx, &after); err != nil {
			return err
		}
		var before any
		if cur == nil {
			after.Revision = 1
			n, err := insertDeployment(ctx, tx, after)
			if err != nil {
				return err
			}
			if n != 1 {
				return nirnay.Errorf(nirnay.KindConflict, "the deployment of %s changed concurrently; read it again and retry", step)
			}
		} else {
			before = *cur
			after.Revision = cur.Revision + 1
			res, err := tx.ExecContext(ctx, `UPDATE policy_deployments SET champion = $1, challengers = $2, shadows = $3,
				revision = $4, updated_by_id = $5, updated_by_name = $6, updated_at = $7 WHERE step = $8 AND revision = $9`,
				after.Champion, mustJSON(after.Challengers), mustJSON(after.Shadows), after.Revision,
				actor.ID, actor.Name, store.Instant(now), step, cur.Revision)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nirnay.Errorf(nirnay.KindConflict, "the deployment of %s changed concurrently; read it again and retry", step)
			}
		}
		if err := s.audit(ctx, tx, now, actor, action, deploymentSubject(step), before, after); err != nil {
			return err
		}
		return s.notify(ctx, tx, Change{Action: action, Subject: deploymentSubject(step)})
	})
	if err != nil {
		return Deployment{}, err
	}
	if s.eng != nil {
		s.eng.Activate(set)
	}
	s.committed(ctx, Change{Action: action, Subject: deploymentSubject(step)})
	return after, nil
}

// validateSpec checks a spec's shape and that every version is approved
// and for the step.
func (s *Service) validateSpec(ctx context.Context, q queryer, step string, spec DeploymentSpec) (Deployment, error) {
	d := Deployment{Step: step, Champion: spec.Champion, Challengers: []Challenger{}, Shadows: []string{}}
	seen := map[string]string{}
	// check returns the reference in its canonical form.
	check := func(field, ref string) (string, error) {
		r, err := rules.ParsePolicyRef(ref)
		if err != nil {
			return "", nirnay.FieldError(field, "%v", err)
		}
		if prev, dup := seen[r.String()]; dup {
			return "", nirnay.FieldError(field, "%s is already deployed as %s; a version holds one role", r, prev)
		}
		seen[r.String()] = field
		v, err := getVersion(ctx, q, r, false)
		if nirnay.IsKind(err, nirnay.KindNotFound) {
			return "", &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: field, Message: fmt.Sprintf("%s is not a stored policy version", r)}
		}
		if err != nil {
			return "", err
		}
		if v.Status != StatusApproved {
			return "", &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: field, Message: fmt.Sprintf("%s is %s; only approved versions can be deployed", r, v.Status)}
		}
		if v.Step != step {
			return "", &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: field, Message: fmt.Sprintf("%s is a policy for step %s, not %s", r, v.Step, step)}
		}
		return r.String(), nil
	}
	if spec.Champion == "" {
		return Deployment{}, nirnay.FieldError("champion", "a deployment needs a champion (id@version)")
	}
	if len(spec.Challengers)+len(spec.Shadows) > maxRoles {
		return Deployment{}, nirnay.FieldError("challengers", "at most %d challengers and shadows together", maxRoles)
	}
	var err error
	if d.Champion, err = check("champion", spec.Champion); err != nil {
		return Deployment{}, err
	}
	total := 0
	for i, c := range spec.Challengers {
		field := fmt.Sprintf("challengers[%d]", i)
		if c.Percent < 1 || c.Percent > 100 {
			return Deployment{}, nirnay.FieldError(field+".percent", "percent must be 1..100, got %d", c.Percent)
		}
		total += c.Percent
		if c.Policy, err = check(field+".policy", c.Policy); err != nil {
			return Deployment{}, err
		}
		d.Challengers = append(d.Challengers, c)
	}
	if total > 100 {
		return Deployment{}, nirnay.FieldError("challengers", "challenger percents sum to %d, more than 100", total)
	}
	for i, sh := range spec.Shadows {
		if sh, err = check(fmt.Sprintf("shadows[%d]", i), sh); err != nil {
			return Deployment{}, err
		}
		d.Shadows = append(d.Shadows, sh)
	}
	return d, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("governance: marshal %T: %v", v, err)) // only plain values are marshalled
	}
	return string(b)
}
