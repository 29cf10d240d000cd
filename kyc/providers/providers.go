// Package providers holds the production adapters of the kyc package's
// provider interfaces: Protean eGov's online PAN verification
// (kyc.PANProvider), a penny drop in Cashfree's bank account verification
// shape (kyc.BankProvider) and the Central KYC Registry's search and
// download in CERSAI's XML shape (kyc.CKYCProvider). Each speaks its
// provider's documented wire shape over HTTPS through an injected
// *http.Client, retries what is worth retrying (transport errors, 429 and
// 5xx answers) with internal/backoff, and is tested against local fakes of
// the wire shape. FromEnv builds them from configuration, or the sandboxes
// when no URL is configured.
//
// Privacy: no full PAN, account number or CKYC number is logged or put in
// an error; PANs and account numbers are masked to their last four
// characters, and the providers' messages have their digit runs masked.
package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"regexp"
	"strings"
	"time"

	"github.com/nirnay/nirnay/internal/backoff"
)

// Defaults of both adapters' configurations.
const (
	DefaultTimeout    = 10 * time.Second       // of the default http.Client, per attempt
	DefaultAttempts   = 3                      // attempts per call, the first included
	DefaultRetryDelay = 200 * time.Millisecond // first delay between attempts, doubling to 2 s
	maxRetryDelay     = 2 * time.Second
	// DefaultConnsPerHost is how many connections the default client
	// opens to a provider at most, and keeps idle: further calls wait for
	// one (within the attempt's timeout).
	DefaultConnsPerHost = 32
	maxResponseBytes    = 1 << 20 // a provider answer larger than this is an error (CKYC: MaxCKYCAnswerBytes)
)

// errRetry marks a failure handle found worth another attempt.
type errRetry struct{ err error }

func (e errRetry) Error() string { return e.err.Error() }
func (e errRetry) Unwrap() error { return e.err }

// poster sends JSON requests with retries. It is safe for concurrent use.
type poster struct {
	name     string // the provider, for logs and errors
	client   *http.Client
	attempts int
	delay    time.Duration
	log      *slog.Logger
	limit    int // the largest answer read, in bytes
}

func newPoster(name string, client *http.Client, attempts int, delay time.Duration, log *slog.Logger) *poster {
	if client == nil {
		client = defaultClient()
	}
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	if delay <= 0 {
		delay = DefaultRetryDelay
	}
	if log == nil {
		log = slog.Default()
	}
	return &poster{name: name, client: client, attempts: attempts, delay: delay, log: log, limit: maxResponseBytes}
}

// post POSTs body to url with the headers hdr and hands each answer's
// status and body to handle. It tries again, after a backoff delay, when
// the request fails in transport, the answer is 429 or 5xx, or handle
// returns an errRetry; it stops at the first other outcome, after the
// configured attempts, or when ctx ends (then the error wraps ctx.Err()).
// subject is the masked identifier the call is about, for the log.
func (p *poster) post(ctx context.Context, url string, hdr http.Header, body []byte, subject string,
	handle func(status int, body []byte) error) error {
	var b *backoff.Backoff
	var err error
	for attempt := 1; ; attempt++ {
		err = p.once(ctx, url, hdr, body, handle)
		var r errRetry
		if err == nil || ctx.Err() != nil || !errors.As(err, &r) {
			break
		}
		if attempt == p.attempts {
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", r.err, attempt)
			}
			break
		}
		if b == nil {
			b = backoff.New(p.delay, maxRetryDelay)
		}
		p.log.Warn("kyc provider: retrying", "provider", p.name, "subject", subject, "attempt", attempt, "err", r.err)
		if !b.Wait(ctx) {
			break
		}
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%s: %w", p.name, ctx.Err())
	}
	if r := (errRetry{}); errors.As(err, &r) {
		return r.err
	}
	return err
}

// once is one attempt of post.
func (p *poster) once(ctx context.Context, url string, hdr http.Header, body []byte, handle func(int, []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: build request: %w", p.name, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The *url.Error would quote the whole URL, query included.
		var uerr *neturl.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return errRetry{fmt.Errorf("%s: POST %s%s: %w", p.name, req.URL.Host, req.URL.Path, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(p.limit)+1))
	switch {
	case err != nil:
		return errRetry{fmt.Errorf("%s: read answer: %w", p.name, err)}
	case len(data) > p.limit:
		return fmt.Errorf("%s: answer larger than %d bytes", p.name, p.limit)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return errRetry{fmt.Errorf("%s: HTTP %d", p.name, resp.StatusCode)}
	}
	return handle(resp.StatusCode, data)
}

// defaultClient is an http.Client with DefaultTimeout per attempt on a
// transport like http.DefaultTransport but with at most
// DefaultConnsPerHost connections to the provider, all kept idle between
// calls: with http.DefaultTransport's two idle ones, concurrent batches
// open and close a connection per call (docs/kyc.md, Providers, has the
// figures of BenchmarkPANBatcherProtean for each).
func defaultClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = DefaultConnsPerHost
	t.MaxConnsPerHost = DefaultConnsPerHost
	return &http.Client{Timeout: DefaultTimeout, Transport: t}
}

// mask keeps the last four characters of an identifier.
func mask(s string) string {
	if len(s) <= 4 {
		return s
	}
	return strings.Repeat("X", len(s)-4) + s[len(s)-4:]
}

var (
	longDigits = regexp.MustCompile(`[0-9]{6,}`)
	panLike    = regexp.MustCompile(`(?i)\b[A-Z]{5}[0-9]{4}[A-Z]\b`)
)

// redact masks what looks like an account number (six digits or more) or
// a PAN in a provider's message before it goes into an error, and keeps
// at most 200 bytes of it.
func redact(msg string) string {
	msg = longDigits.ReplaceAllStringFunc(msg, mask)
	msg = panLike.ReplaceAllStringFunc(msg, mask)
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}
