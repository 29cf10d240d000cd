// Package comms sends messages to customers (DESIGN §17): a message is
// rendered from its template in the customer's language when it is asked
// for, checked (fail closed: a message that cannot be sent as registered
// is recorded failed with the reason), suppressed for a customer who opted
// out (or, for promotional messages, is on the DND register), deferred to
// its category's quiet-hours window, and stored; the dispatcher hands due
// messages to the provider, each claimed by one instance at a time.
package comms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/comms/links"
	"github.com/nirnay/nirnay/comms/quiet"
	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/store"
)

// Status is where a message is.
type Status string

// The statuses: queued (due now), deferred (quiet hours: due at send_at),
// sending (claimed by a dispatcher), sent (handed to the provider), failed
// (not sent: reason) and suppressed (not sent by rule: reason).
const (
	Queued     Status = "queued"
	Deferred   Status = "deferred"
	Sending    Status = "sending"
	Sent       Status = "sent"
	Failed     Status = "failed"
	Suppressed Status = "suppressed"
)

// Message is one message to a customer.
type Message struct {
	ID         string             `json:"id"`
	CustomerID string             `json:"customer_id"`
	RequestID  string             `json:"request_id,omitempty"`
	CampaignID string             `json:"campaign_id,omitempty"`
	Template   string             `json:"template"`
	Channel    templates.Channel  `json:"channel"`
	Category   templates.Category `json:"category"`
	Language   string             `json:"language"`
	Text       string             `json:"text"`
	Segments   int                `json:"segments"`
	Status     Status             `json:"status"`
	Reason     string             `json:"reason,omitempty"`
	Attempts   int                `json:"attempts"`
	SendAt     time.Time          `json:"send_at"`
	SentAt     *time.Time         `json:"sent_at"`
	Provider   string             `json:"provider,omitempty"`
	CreatedAt  time.Time          `json:"created_at"`
}

// Request asks for one message: the customer, the template, the values of
// its input variables (and, until the lending core enriches them, of its
// offer: and loan: ones), and the caller's idempotency key.
type Request struct {
	CustomerID string            `json:"customer_id"`
	Template   string            `json:"template"`
	Vars       map[string]string `json:"vars"`
	RequestID  string            `json:"request_id,omitempty"`
}

// Profile is what sending needs of a customer: their language and whether
// they opted out or are on the DND register, and a feature's value as
// text for feature: variables.
type Profile interface {
	Profile(ctx context.Context, customerID string) (Customer, error)
}

// Customer is a customer as sending sees them.
type Customer struct {
	Language string            // preferred_language; "" for en
	OptedOut bool              // comms_opt_out: no message but transactional ones
	DND      bool              // dnd_registered: no promotional message
	Features map[string]string // every stored feature as text
}

// Provider hands a message to a channel's carrier; Ref is its reference.
// An error means the message was not accepted and may be tried again.
type Provider interface {
	Name() string
	Send(ctx context.Context, m *Message) (ref string, err error)
}

// Config configures a Service. Zero values take the defaults.
type Config struct {
	DB        *store.DB          // required
	Templates *templates.Catalog // required
	Profiles  Profile            // required
	Links     *links.Service     // required: link: variables
	Provider  Provider           // required
	// MaxAttempts is how often a message is offered to the provider
	// before it fails; default 5.
	MaxAttempts int
	// DailyCaps bounds the messages of a category a customer gets in one
	// day in India (those queued, deferred, being sent or sent for that
	// day); default DefaultDailyCaps. Transactional messages are never
	// capped.
	DailyCaps map[templates.Category]int
	Now       func() time.Time
	Logger    *slog.Logger
}

// DefaultDailyCaps: one promotional message a day, three collections
// messages (against persistent contact) and five service ones.
var DefaultDailyCaps = map[templates.Category]int{templates.Promotional: 1, templates.Collections: 3, templates.Service: 5}

// Service sends messages. It is safe for concurrent use, on any number of
// instances sharing the database.
type Service struct {
	db       *store.DB
	tmpl     *templates.Catalog
	profiles Profile
	links    *links.Service
	provider Provider
	attempts int
	caps     map[templates.Category]int
	now      func() time.Time
	ids      *ids.Generator
	log      *slog.Logger
	wake     chan struct{}
}

// New returns a service; it fails when a required part is missing.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Templates == nil || cfg.Profiles == nil || cfg.Links == nil || cfg.Provider == nil {
		return nil, errors.New("comms: New needs a DB, templates, profiles, links and a provider")
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DailyCaps == nil {
		cfg.DailyCaps = DefaultDailyCaps
	}
	return &Service{db: cfg.DB, tmpl: cfg.Templates, profiles: cfg.Profiles, links: cfg.Links, provider: cfg.Provider,
		attempts: cfg.MaxAttempts, caps: cfg.DailyCaps, now: cfg.Now, ids: ids.New(cfg.Now), log: cfg.Logger, wake: make(chan struct{}, 1)}, nil
}

// Send records the message a request asks for: rendered, or failed with
// the reason Render gives (nothing is sent); suppressed for an opted-out
// customer (any category but transactional) or, for a promotional one, a
// customer on the DND register; deferred to the quiet-hours window; else
// queued for the dispatcher. A request id seen before for the customer
// answers the message it made. Errors: KindInvalid for a missing customer
// or a request id over 128 characters, KindUnprocessable naming an
// unknown template.
func (s *Service) Send(ctx context.Context, r Request) (*Message, error) {
	if r.CustomerID == "" {
		return nil, nirnay.FieldError("customer_id", "is required")
	}
	if len(r.RequestID) > 128 {
		return nil, nirnay.FieldError("request_id", "at most 128 characters")
	}
	t, ok := s.tmpl.Get(r.Template)
	if !ok {
		return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: "template",
			Message: fmt.Sprintf("no template %q (have %s)", r.Template, strings.Join(s.tmpl.IDs(), ", "))}
	}
	if r.RequestID != "" {
		if m, err := s.byRequest(ctx, r.CustomerID, r.RequestID); err != nil || m != nil {
			return m, err
		}
	}
	m, err := s.prepare(ctx, t, r.CustomerID, r.Vars, "", time.Time{})
	if err != nil {
		return nil, err
	}
	m.RequestID = r.RequestID
	if err := insertMessage(ctx, s.db, m); err != nil {
		if r.RequestID != "" && nirnay.IsKind(err, nirnay.KindConflict) {
			return s.byRequest(ctx, r.CustomerID, r.RequestID) // another instance made it meanwhile
		}
		return nil, err
	}
	if m.Status == Queued {
		s.Notify()
	}
	return m, nil
}

// prepare makes the customer's message of t: suppressed, failed with the
// rendering's reason, deferred to the quiet-hours window, or queued for
// notBefore (now when zero).
func (s *Service) prepare(ctx context.Context, t *templates.Template, customerID string, vars map[string]string, campaignID string, notBefore time.Time) (*Message, error) {
	cust, err := s.profiles.Profile(ctx, customerID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	sendAt := now
	if notBefore.After(now) {
		sendAt = notBefore.UTC().Truncate(time.Microsecond)
	}
	m := &Message{ID: s.ids.New("msg"), CustomerID: customerID, CampaignID: campaignID, Template: t.ID, Channel: t.Channel,
		Category: t.Category, Language: cust.Language, SendAt: sendAt, CreatedAt: now}
	if m.Language == "" {
		m.Language = templates.Required[0]
	}
	switch {
	case cust.OptedOut && t.Category != templates.Transactional:
		m.Status, m.Reason = Suppressed, "opted_out"
	case cust.DND && t.Category == templates.Promotional:
		m.Status, m.Reason = Suppressed, "dnd_registered"
	}
	if m.Status != "" {
		return m, nil
	}
	at := sendAt
	if next, deferred := quiet.Next(t.Category, sendAt); deferred {
		at = next
	}
	if capped, err := s.capped(ctx, customerID, t.Category, at); err != nil {
		return nil, err
	} else if capped {
		m.Status, m.Reason = Suppressed, "frequency_cap"
		return m, nil
	}
	vals, err := s.values(ctx, t, m, vars, cust)
	if err != nil {
		return nil, err
	}
	rendered, err := templates.Render(t, m.Language, vals, templates.AllowedHosts)
	var ne *nirnay.Error
	switch {
	case errors.As(err, &ne) && ne.Field != "":
		m.Status, m.Reason = Failed, ne.Field
		return m, nil
	case err != nil:
		return nil, err
	}
	m.Language, m.Text, m.Segments = rendered.Language, pii.TextOf(rendered.Text, pii.Aadhaar), rendered.Segments
	m.Status = Queued
	if at, deferred := quiet.Next(t.Category, sendAt); deferred {
		m.Status, m.SendAt = Deferred, at.UTC()
	} else if sendAt.After(now) {
		m.Status = Deferred // scheduled: due at send_at
	}
	return m, nil
}

// capped reports whether the customer already has the category's daily
// cap of messages for the India day of at. Two instances preparing at
// the same moment may both pass: the cap is a bound on contact, not an
// exact count.
func (s *Service) capped(ctx context.Context, customerID string, c templates.Category, at time.Time) (bool, error) {
	limit, ok := s.caps[c]
	if !ok || c == templates.Transactional {
		return false, nil
	}
	local := at.In(quiet.India)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, quiet.India)
	var n int
	err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE customer_id = $1 AND category = $2
AND status IN ('queued', 'deferred', 'sending', 'sent') AND send_at >= $3 AND send_at < $4`,
		customerID, string(c), store.Instant(day), store.Instant(day.AddDate(0, 0, 1))).Scan(&n)
	if err != nil {
		return false, store.Translate(err)
	}
	return n >= limit, nil
}

// values gathers each variable's value: input ones from the request,
// feature ones from the customer's features, link ones as a new personal
// link of the message, and offer and loan ones from the request for now.
func (s *Service) values(ctx context.Context, t *templates.Template, m *Message, given map[string]string, cust Customer) (map[string]string, error) {
	vals := map[string]string{}
	for name, v := range t.Vars {
		switch v.Source {
		case "feature":
			if x, ok := cust.Features[v.Ref]; ok {
				vals[name] = x
			}
		case "link":
			l, err := s.links.Create(ctx, links.Link{CustomerID: m.CustomerID, MessageID: m.ID, CampaignID: m.CampaignID, Target: v.Ref})
			if err != nil {
				return nil, err
			}
			vals[name] = l.URL
		default: // input, offer, loan
			if x, ok := given[name]; ok {
				vals[name] = x
			}
		}
	}
	return vals, nil
}

// Notify wakes the dispatcher (a queued message is due).
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// claimFor is how long a claimed message is its dispatcher's before
// another may take it (a dispatcher that died mid-send).
const claimFor = 30 * time.Second

// Run dispatches due messages until ctx ends: at once, whenever Send
// queues one, and every second (deferred messages falling due, claims of
// a dispatcher that died).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		if _, err := s.Dispatch(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("comms: dispatch failed; it runs again shortly", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// Dispatch claims the messages due now (up to 100 at a time, until none
// is left) and hands each to the provider: sent, or back in the queue with
// a backoff, failed after MaxAttempts. Two dispatchers never hold one
// message at once. It returns how many it sent.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	sent := 0
	for {
		batch, err := s.claim(ctx, 100)
		if err != nil || len(batch) == 0 {
			return sent, err
		}
		for _, m := range batch {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			ref, err := s.provider.Send(ctx, m)
			if err == nil {
				if err := s.markSent(ctx, m, ref); err != nil {
					return sent, err
				}
				sent++
				continue
			}
			s.log.Warn("comms: the provider refused a message", "message_id", m.ID, "provider", s.provider.Name(), "attempt", m.Attempts, "err", err)
			if err := s.retryLater(ctx, m); err != nil {
				return sent, err
			}
		}
	}
}
