// Package links is Nirnay's personal tracked links (DESIGN §17): a message
// carries /l/{token}, a random, unguessable token of one customer's link
// to one https target, stored with its expiry; opening it records the
// click (the customer's journey, their features, the campaign's counts)
// and redirects. An unknown, tampered or expired token answers exactly as
// one that never existed.
package links

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// TokenLength is the length of a token: ten characters of 62 (59 bits of
// randomness), so that the link, with the 20 characters of
// https://nirnay.in/l/, fits a DLT variable's 30.
const TokenLength = 10

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Link is one tracked link.
type Link struct {
	Token      string    `json:"token"`
	URL        string    `json:"url"` // the /l/{token} address sent to the customer
	CustomerID string    `json:"customer_id"`
	MessageID  string    `json:"message_id,omitempty"`
	CampaignID string    `json:"campaign_id,omitempty"`
	Target     string    `json:"target"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// Click is one opening of a link.
type Click struct {
	ID         string    `json:"id"`
	Token      string    `json:"token"`
	CustomerID string    `json:"customer_id"`
	MessageID  string    `json:"message_id,omitempty"`
	CampaignID string    `json:"campaign_id,omitempty"`
	Target     string    `json:"target"`
	At         time.Time `json:"at"`
}

// Config configures a Service. Zero values take the defaults.
type Config struct {
	DB *store.DB // required
	// BaseURL is what a token is appended to; default https://nirnay.in/l/.
	BaseURL string
	// TTL is how long a link works; default 30 days.
	TTL time.Duration
	// OnClick, when set, is told of every click after it is recorded (the
	// service counts it in the customer's features); its error is logged,
	// the click stays recorded and the redirect happens.
	OnClick func(ctx context.Context, c Click) error
	Now     func() time.Time
	Logger  *slog.Logger
}

// Service makes links and follows them. It is safe for concurrent use, on
// any number of instances sharing the database.
type Service struct {
	db      *store.DB
	base    string
	ttl     time.Duration
	onClick func(ctx context.Context, c Click) error
	now     func() time.Time
	ids     *ids.Generator
	log     *slog.Logger
}

// New returns a service; it fails without a database or with a base URL
// that is not https.
func New(cfg Config) (*Service, error) {
	if cfg.DB == nil {
		return nil, errors.New("links: New needs a DB")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://nirnay.in/l/"
	}
	if !strings.HasPrefix(cfg.BaseURL, "https://") || !strings.HasSuffix(cfg.BaseURL, "/") {
		return nil, errors.New("links: BaseURL must be an https address ending in /")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{db: cfg.DB, base: cfg.BaseURL, ttl: cfg.TTL, onClick: cfg.OnClick, now: cfg.Now, ids: ids.New(cfg.Now), log: cfg.Logger}, nil
}

// newToken is TokenLength characters drawn uniformly from alphabet by
// crypto/rand.
func newToken() (string, error) {
	var b strings.Builder
	n := big.NewInt(int64(len(alphabet)))
	for range TokenLength {
		i, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String(), nil
}

// Create makes a link of the customer to target (an https address),
// optionally for a message and a campaign. Errors: KindInvalid for a
// target that is not https or a missing customer.
func (s *Service) Create(ctx context.Context, l Link) (*Link, error) {
	if l.CustomerID == "" {
		return nil, nirnay.FieldError("customer_id", "is required")
	}
	if !strings.HasPrefix(l.Target, "https://") || len(l.Target) > 2048 {
		return nil, nirnay.FieldError("target", "must be an https address of at most 2,048 characters")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	l.CreatedAt, l.ExpiresAt = now, now.Add(s.ttl)
	for attempt := 0; ; attempt++ {
		tok, err := newToken()
		if err != nil {
			return nil, err
		}
		l.Token, l.URL = tok, s.base+tok
		_, err = s.db.Writer().ExecContext(ctx, `INSERT INTO links (token, customer_id, message_id, campaign_id, target, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`, tok, l.CustomerID, nullable(l.MessageID), nullable(l.CampaignID), l.Target,
			store.Instant(l.CreatedAt), store.Instant(l.ExpiresAt))
		if err == nil {
			return &l, nil
		}
		if !store.IsUniqueViolation(err) || attempt == 2 {
			return nil, store.Translate(err)
		}
	}
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// ErrNoLink is the answer for a token that is unknown, malformed or
// expired: all three alike.
var ErrNoLink = nirnay.Errorf(nirnay.KindNotFound, "no such link")

// Follow records a click on the token and returns the link to redirect
// to. A token that is not TokenLength characters of the alphabet, unknown
// or expired is ErrNoLink.
func (s *Service) Follow(ctx context.Context, token string) (*Link, error) {
	if len(token) != TokenLength || strings.Trim(token, alphabet) != "" {
		return nil, ErrNoLink
	}
	var (
		l          Link
		msg, campg sql.NullString
	)
	err := s.db.Reader().QueryRowContext(ctx, `SELECT token, customer_id, message_id, campaign_id, target, created_at, expires_at
FROM links WHERE token = $1`, token).Scan(&l.Token, &l.CustomerID, &msg, &campg, &l.Target,
		store.ScanInstant(&l.CreatedAt), store.ScanInstant(&l.ExpiresAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoLink
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	l.MessageID, l.CampaignID, l.URL = msg.String, campg.String, s.base+l.Token
	now := s.now().UTC().Truncate(time.Microsecond)
	if !now.Before(l.ExpiresAt) {
		return nil, ErrNoLink
	}
	c := Click{ID: s.ids.New("clk"), Token: l.Token, CustomerID: l.CustomerID, MessageID: l.MessageID, CampaignID: l.CampaignID,
		Target: l.Target, At: now}
	if _, err := s.db.Writer().ExecContext(ctx, `INSERT INTO link_clicks (id, token, customer_id, at) VALUES ($1, $2, $3, $4)`,
		c.ID, c.Token, c.CustomerID, store.Instant(c.At)); err != nil {
		return nil, store.Translate(err)
	}
	if s.onClick != nil {
		if err := s.onClick(ctx, c); err != nil {
			s.log.Warn("links: a click's follow-up failed; the click is recorded", "click_id", c.ID, "err", err)
		}
	}
	return &l, nil
}

// Clicks lists the customer's clicks in [from, to) (zero: open), the most
// recent limit of them, oldest first.
func (s *Service) Clicks(ctx context.Context, customerID string, from, to time.Time, limit int) ([]Click, error) {
	w := store.Where{}
	w.Add("c.customer_id = ?", customerID)
	if !from.IsZero() {
		w.Add("c.at >= ?", store.Instant(from))
	}
	if !to.IsZero() {
		w.Add("c.at < ?", store.Instant(to))
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT c.id, c.token, c.customer_id, l.message_id, l.campaign_id, l.target, c.at
FROM link_clicks c JOIN links l ON l.token = c.token`+w.String()+` ORDER BY c.at DESC, c.id DESC LIMIT `+strconv.Itoa(limit), w.Args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Click
	for rows.Next() {
		var c Click
		var msg, campg sql.NullString
		if err := rows.Scan(&c.ID, &c.Token, &c.CustomerID, &msg, &campg, &c.Target, store.ScanInstant(&c.At)); err != nil {
			return nil, err
		}
		c.MessageID, c.CampaignID = msg.String, campg.String
		out = append(out, c)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, store.Translate(rows.Err())
}
