package cases

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// Caller is who asks: the API key (audited as the actor) and its role,
// which the queue's deciders and leads are checked against.
type Caller struct {
	Actor
	Role string
}

// Keys lists the API keys a case may be reassigned to; *store.DB
// satisfies it.
type Keys interface {
	ListAPIKeys(ctx context.Context) ([]store.APIKey, error)
}

// DecisionLog reads the referred decisions and makes sure the month a
// verdict is written into has its partition; *decisionlog.Log satisfies it.
type DecisionLog interface {
	Get(ctx context.Context, id string) (*decisionlog.Record, error)
	EnsurePartitions(ctx context.Context, now time.Time, ahead int) ([]string, error)
}

// Options configures a Service. Zero values take the defaults shown.
type Options struct {
	Now    func() time.Time // default time.Now
	Logger *slog.Logger     // default slog.Default()
	// AfterCommit, when set, is called after every committed verdict (its
	// transaction wrote a case_decided outbox event), so the outbox relay
	// publishes it at once.
	AfterCommit func()
	Registerer  prometheus.Registerer // metrics; nil registers none
	Keys        Keys                  // for Reassign; nil refuses reassignment
}

// Service works the review queues. Safe for concurrent use; several
// instances may share one database (claims and verdicts lock the case
// row, and next skips rows other instances hold).
type Service struct {
	db       *store.DB
	queues   *Queues
	log      DecisionLog
	policies Policies
	builder  *features.Builder
	keys     Keys
	now      func() time.Time
	ids      *ids.Generator // on now
	after    func()
	logger   *slog.Logger
	opener   *Opener
	metrics  *metrics
}

// New returns a service over db with the queues qs, reading referred
// decisions from log and evaluating their policies' offers (from
// policies, over vectors built by builder) for approvals.
func New(db *store.DB, qs *Queues, log DecisionLog, policies Policies, builder *features.Builder, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Service{db: db, queues: qs, log: log, policies: policies, builder: builder, keys: opts.Keys, now: opts.Now,
		ids: ids.New(opts.Now), after: opts.AfterCommit, logger: opts.Logger, opener: NewOpener(db.Dialect, qs, policies, opts.Now)}
	s.metrics = newMetrics(s, opts.Registerer)
	s.opener.opened = s.metrics.opened
	return s
}

// Opener is the opener of this service's cases, for the decision log's
// ship hook (decisionlog.Log.OnShip(s.Opener().Hook)).
func (s *Service) Opener() *Opener { return s.opener }

// Queues is the service's queue settings.
func (s *Service) Queues() *Queues { return s.queues }

// queue returns a queue's settings; an unknown queue is KindNotFound.
func (s *Service) queue(name string) (*Queue, error) {
	q, ok := s.queues.Get(name)
	if !ok {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "no review queue %q; one of %v", name, s.queues.Names())
	}
	return q, nil
}

// Get returns a case. Errors: KindNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Case, error) {
	c, err := getCase(ctx, s.db.Reader(), s.db.Dialect, id, false)
	if err != nil {
		return nil, err
	}
	c.SLABreached = c.breached(s.now())
	return c, nil
}

// Events returns a case's trail, oldest first.
func (s *Service) Events(ctx context.Context, id string) ([]Event, error) {
	return caseEvents(ctx, s.db.Reader(), id)
}

// Reviewed returns the decision a case reviews, from the decision log.
func (s *Service) Reviewed(ctx context.Context, c *Case) (*decisionlog.Record, error) {
	return s.log.Get(ctx, c.DecisionID)
}

// List returns a page of cases, oldest first, and the cursor of the next
// page ("" after the last). Errors: KindInvalid for a bad status or
// cursor, KindNotFound for an unknown queue.
func (s *Service) List(ctx context.Context, f Filter) ([]*Case, string, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", nirnay.FieldError("status", "must be open, assigned, awaiting_second or decided")
	}
	if f.Queue != "" {
		if _, err := s.queue(f.Queue); err != nil {
			return nil, "", err
		}
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return nil, "", nirnay.FieldError("limit", "must be 1..%d", MaxLimit)
	}
	out, next, err := listCases(ctx, s.db.Reader(), f)
	now := s.now()
	for _, c := range out {
		c.SLABreached = c.breached(now)
	}
	return out, next, err
}

// Journey returns a customer's case events with at in [from, to), the
// most recent limit of them, oldest first.
func (s *Service) Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]Event, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	return customerEvents(ctx, s.db.Reader(), customerID, from, to, limit)
}

// change runs fn on the locked case id in one transaction; fn returns the
// event to record (nil: nothing changed, nothing is written) and the
// audit action. The case's updated_at, the event, the audit entry (subject
// case/<id>, before and after the case) are written with it.
func (s *Service) change(ctx context.Context, id string, who Actor, fn func(tx *sql.Tx, c *Case, now time.Time) (*Event, string, error)) (*Case, error) {
	var out *Case
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		c, err := getCase(ctx, tx, s.db.Dialect, id, true)
		if err != nil {
			return err
		}
		before := *c
		now := s.now().UTC()
		ev, action, err := fn(tx, c, now)
		out = c
		if err != nil || ev == nil {
			return err
		}
		c.UpdatedAt = now
		if err := saveCase(ctx, tx, c); err != nil {
			return err
		}
		ev.ID, ev.CaseID, ev.CustomerID, ev.At, ev.Actor = s.ids.At("cev", now), c.ID, c.CustomerID, now, who
		if err := insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		return governance.WriteAudit(ctx, tx, s.ids.At("aud", now), now, who, action, "case/"+c.ID, auditView(&before), auditView(c))
	})
	if err != nil {
		return nil, err
	}
	out.SLABreached = out.breached(s.now())
	return out, nil
}

// auditView is what the audit log keeps of a case.
func auditView(c *Case) map[string]any {
	return map[string]any{"status": c.Status, "queue": c.Queue, "assignee": c.Assignee, "first_review": c.FirstReview,
		"resolution": c.Resolution}
}

func conflict(format string, a ...any) error { return nirnay.Errorf(nirnay.KindConflict, format, a...) }

func forbidden(format string, a ...any) error {
	return nirnay.Errorf(nirnay.KindForbidden, format, a...)
}

// assign gives c to a reviewer, checking that they may take it.
func (s *Service) assign(c *Case, to Caller, now time.Time) error {
	q, err := s.queue(c.Queue)
	if err != nil {
		return err
	}
	if !q.MayDecide(to.Role) {
		return forbidden("role %q may not review cases of queue %s", to.Role, c.Queue)
	}
	if c.FirstReview != nil && c.FirstReview.By.ID == to.ID {
		return conflict("case %s needs a second reviewer other than the first, %s", c.ID, c.FirstReview.By.Name)
	}
	who := to.Actor
	c.Assignee, c.AssignedAt = &who, &now
	if c.Status == StatusOpen {
		c.Status = StatusAssigned
	}
	return nil
}

// Claim assigns a waiting case to the caller: an open case becomes
// assigned; a case awaiting its second review stays so, with the caller
// as the second reviewer (never the first). Claiming a case the caller
// holds already answers it unchanged. Errors: KindNotFound, KindForbidden
// for a role that may not decide the queue, KindConflict when another
// reviewer holds it, it is decided, or the caller gave its first review.
func (s *Service) Claim(ctx context.Context, who Caller, id string) (*Case, error) {
	return s.change(ctx, id, who.Actor, func(_ *sql.Tx, c *Case, now time.Time) (*Event, string, error) {
		switch {
		case c.Status == StatusDecided:
			return nil, "", conflict("case %s is decided", c.ID)
		case c.Assignee != nil && c.Assignee.ID == who.ID:
			return nil, "", nil
		case c.Assignee != nil:
			return nil, "", conflict("case %s is assigned to %s", c.ID, c.Assignee.Name)
		}
		if err := s.assign(c, who, now); err != nil {
			return nil, "", err
		}
		return &Event{Action: ActionClaimed, Body: map[string]any{"status": c.Status}}, "case.claim", nil
	})
}

// Next claims for the caller the oldest case of queue waiting for a
// reviewer (open, or awaiting a second review the caller did not give
// first). Concurrent callers never get the same case. Errors:
// KindNotFound for an unknown queue or when no case is waiting,
// KindForbidden for a role that may not decide the queue.
func (s *Service) Next(ctx context.Context, who Caller, queue string) (*Case, error) {
	q, err := s.queue(queue)
	if err != nil {
		return nil, err
	}
	if !q.MayDecide(who.Role) {
		return nil, forbidden("role %q may not review cases of queue %s", who.Role, queue)
	}
	var out *Case
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		id, err := nextWaiting(ctx, tx, s.db.Dialect, queue, who.ID)
		if err != nil {
			return err
		}
		if id == "" {
			return nirnay.Errorf(nirnay.KindNotFound, "no case is waiting in queue %s", queue)
		}
		c, err := getCase(ctx, tx, s.db.Dialect, id, false) // locked by nextWaiting
		if err != nil {
			return err
		}
		before := *c
		now := s.now().UTC()
		if err := s.assign(c, who, now); err != nil {
			return err
		}
		c.UpdatedAt = now
		if err := saveCase(ctx, tx, c); err != nil {
			return err
		}
		ev := &Event{ID: s.ids.At("cev", now), CaseID: c.ID, CustomerID: c.CustomerID, At: now, Action: ActionClaimed, Actor: who.Actor,
			Body: map[string]any{"status": c.Status, "next": true}}
		if err := insertEvent(ctx, tx, ev); err != nil {
			return err
		}
		out = c
		return governance.WriteAudit(ctx, tx, s.ids.At("aud", now), now, who.Actor, "case.claim", "case/"+c.ID, auditView(&before), auditView(c))
	})
	if err != nil {
		return nil, err
	}
	out.SLABreached = out.breached(s.now())
	return out, nil
}

// Release gives back a case the caller holds: it waits for a reviewer
// again (open, or still awaiting its second review). Errors: KindNotFound,
// KindConflict unless the caller holds it.
func (s *Service) Release(ctx context.Context, who Caller, id string) (*Case, error) {
	return s.change(ctx, id, who.Actor, func(_ *sql.Tx, c *Case, _ time.Time) (*Event, string, error) {
		if c.Assignee == nil || c.Assignee.ID != who.ID {
			return nil, "", conflict("case %s is not assigned to you", c.ID)
		}
		c.Assignee, c.AssignedAt = nil, nil
		if c.Status == StatusAssigned {
			c.Status = StatusOpen
		}
		return &Event{Action: ActionReleased, Body: map[string]any{"status": c.Status}}, "case.release", nil
	})
}

// Reassign gives an undecided case to the API key toKeyID (or back to the
// queue when toKeyID is ""), on a lead's say: the caller's role must be
// one of the queue's leads (admin always is). The new assignee's role
// must be allowed to decide the queue, and for a case awaiting its second
// review it must not be the first reviewer. Errors: KindNotFound (the
// case), KindInvalid for an unknown or revoked key, KindForbidden,
// KindConflict for a decided case.
func (s *Service) Reassign(ctx context.Context, who Caller, id, toKeyID string) (*Case, error) {
	var to *Caller
	if toKeyID != "" {
		k, err := s.key(ctx, toKeyID)
		if err != nil {
			return nil, err
		}
		to = &Caller{Actor: Actor{ID: k.ID, Name: k.Name}, Role: k.Role}
	}
	return s.change(ctx, id, who.Actor, func(_ *sql.Tx, c *Case, now time.Time) (*Event, string, error) {
		q, err := s.queue(c.Queue)
		if err != nil {
			return nil, "", err
		}
		if !q.MayReassign(who.Role) {
			return nil, "", forbidden("role %q may not reassign cases of queue %s", who.Role, c.Queue)
		}
		if c.Status == StatusDecided {
			return nil, "", conflict("case %s is decided", c.ID)
		}
		from := c.Assignee
		c.Assignee, c.AssignedAt = nil, nil
		if c.Status == StatusAssigned {
			c.Status = StatusOpen
		}
		body := map[string]any{"from": from, "to": nil}
		if to != nil {
			if err := s.assign(c, *to, now); err != nil {
				return nil, "", err
			}
			body["to"] = to.Actor
		}
		body["status"] = c.Status
		return &Event{Action: ActionReassigned, Body: body}, "case.reassign", nil
	})
}

// key finds an unrevoked API key by id.
func (s *Service) key(ctx context.Context, id string) (store.APIKey, error) {
	if s.keys == nil {
		return store.APIKey{}, nirnay.Errorf(nirnay.KindUnavailable, "reassignment is not configured")
	}
	keys, err := s.keys.ListAPIKeys(ctx)
	if err != nil {
		return store.APIKey{}, err
	}
	for _, k := range keys {
		if k.ID == id && k.RevokedAt == nil && k.CustomerID == "" {
			return k, nil
		}
	}
	return store.APIKey{}, nirnay.FieldError("assignee", "no active API key %q", id)
}
