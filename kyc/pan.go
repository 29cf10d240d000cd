package kyc

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/nirnay/nirnay"
)

// PANStatus is the income-tax department's status of a PAN, as Protean's
// verification answers it.
type PANStatus string

// The PAN statuses. Every status starting with E means the PAN exists and
// is valid; the second letter says more (EA amalgamation, EC acquisition,
// ED death, EI dissolution, EL liquidated, EM merger, EP partition, ES
// split, EU under liquidation).
const (
	PANValid       PANStatus = "E"
	PANFake        PANStatus = "F"
	PANDeactivated PANStatus = "X"
	PANDeleted     PANStatus = "D"
	PANNotFound    PANStatus = "N"
)

// Feature is the value of the pan_status feature for s: valid,
// deactivated, deleted, fake or invalid (not found, or an unknown code).
func (s PANStatus) Feature() string {
	switch {
	case strings.HasPrefix(string(s), "E"):
		return "valid"
	case s == PANFake:
		return "fake"
	case s == PANDeactivated:
		return "deactivated"
	case s == PANDeleted:
		return "deleted"
	}
	return "invalid"
}

// Seeding is whether the PAN is linked (seeded) with an Aadhaar: Y linked,
// R not linked (the PAN is inoperative), NA not applicable (exempt).
type Seeding string

// The seeding statuses.
const (
	SeedingLinked    Seeding = "Y"
	SeedingNotLinked Seeding = "R"
	SeedingNA        Seeding = "NA"
)

// PANRequest is one PAN to verify with what the customer declared. DOB is
// YYYY-MM-DD.
type PANRequest struct {
	PAN        string
	Name       string
	FatherName string
	DOB        string
}

// PANResult is the department's answer for one PAN. NameMatch and
// DOBMatch are the provider's own verdicts (Y or N); NameOnRecord is the
// holder's name when the provider returns it (then Nirnay's name matcher
// scores it against the declared name).
type PANResult struct {
	PAN          string
	Status       PANStatus
	NameMatch    string
	DOBMatch     string
	NameOnRecord string
	Seeding      Seeding
	Ref          string
}

// MaxPANsPerCall is the most PANs one provider call verifies (Protean's
// limit).
const MaxPANsPerCall = 5

// PANProvider verifies PANs: at most MaxPANsPerCall per call, results in
// the order of the requests. An error means nothing was verified (the
// provider did not answer or refused the call); it is recorded as error
// evidence.
type PANProvider interface {
	Name() string
	VerifyPANs(ctx context.Context, reqs []PANRequest) ([]PANResult, error)
}

var panPattern = regexp.MustCompile(`^[A-Z]{3}[ABCFGHJLPT][A-Z][0-9]{4}[A-Z]$`)

// NormalizePAN upper-cases and trims a PAN and checks its shape: five
// letters (the fourth the holder type: P for a person, C company, H HUF,
// F firm, A association, T trust, B body of individuals, L local
// authority, J artificial juridical person, G government), four digits, a
// letter. Errors are KindInvalid naming field.
func NormalizePAN(field, pan string) (string, error) {
	p := strings.ToUpper(strings.TrimSpace(pan))
	if !panPattern.MatchString(p) {
		return "", nirnay.FieldError(field, "must be a PAN: five letters, four digits and a letter, e.g. ABCPE1234F")
	}
	return p, nil
}

// SandboxPAN is the deterministic PAN provider of the embedded default and
// the demo. For a well-formed PAN:
//
//   - status: valid (E), unless the last letter is X (deactivated) or Z
//     (fake, F);
//   - the holder's name on record is the declared name, unless the digits
//     end in 7 (then it is "Suresh Kumar Verma", a mismatch for anyone
//     else);
//   - date of birth matches unless the digits end in 6;
//   - Aadhaar seeding Y, unless the digits end in 9 (R: not linked, so the
//     PAN is inoperative); NA for a holder that is not a person (fourth
//     letter other than P).
type SandboxPAN struct{}

// Name is "sandbox".
func (SandboxPAN) Name() string { return "sandbox" }

// VerifyPANs answers per the rules above; it fails only for more than
// MaxPANsPerCall requests.
func (SandboxPAN) VerifyPANs(_ context.Context, reqs []PANRequest) ([]PANResult, error) {
	if len(reqs) > MaxPANsPerCall {
		return nil, fmt.Errorf("sandbox PAN: %d PANs in one call, at most %d", len(reqs), MaxPANsPerCall)
	}
	out := make([]PANResult, len(reqs))
	for i, r := range reqs {
		p := strings.ToUpper(r.PAN)
		res := PANResult{PAN: p, Status: PANNotFound, NameMatch: "N", DOBMatch: "N", Ref: "sandbox-" + SubjectHash("pan", p)[:16]}
		if panPattern.MatchString(p) {
			digit := p[8]
			res.Status, res.NameOnRecord, res.NameMatch, res.DOBMatch, res.Seeding = PANValid, r.Name, "Y", "Y", SeedingLinked
			switch p[9] {
			case 'X':
				res.Status = PANDeactivated
			case 'Z':
				res.Status = PANFake
			}
			if digit == '7' {
				res.NameOnRecord, res.NameMatch = "Suresh Kumar Verma", "N"
			}
			if digit == '6' {
				res.DOBMatch = "N"
			}
			if digit == '9' {
				res.Seeding = SeedingNotLinked
			}
			if p[3] != 'P' {
				res.Seeding = SeedingNA
			}
		}
		out[i] = res
	}
	return out, nil
}

// PANBatcher gathers PAN verifications made at about the same time into
// provider calls of up to MaxPANsPerCall: a verification waits at most
// Wait (default 5 ms) for others to join its call, and a full call goes
// at once. It is safe for concurrent use.
type PANBatcher struct {
	p    PANProvider
	wait time.Duration
	mu   sync.Mutex
	cur  *panBatch
}

type panBatch struct {
	reqs []PANRequest
	full chan struct{} // closed when the batch has MaxPANsPerCall requests
	done chan struct{} // closed when results (or err) are in
	res  []PANResult
	err  error
}

// NewPANBatcher batches verifications through p.
func NewPANBatcher(p PANProvider, wait time.Duration) *PANBatcher {
	if wait <= 0 {
		wait = 5 * time.Millisecond
	}
	return &PANBatcher{p: p, wait: wait}
}

// Name is the provider's name.
func (b *PANBatcher) Name() string { return b.p.Name() }

// Verify verifies one PAN in a shared provider call. The call keeps the
// values and deadline of the verification that opened the batch but not
// its cancellation (a caller that gives up does not fail the others of
// its batch); each caller stops waiting when its own context ends.
func (b *PANBatcher) Verify(ctx context.Context, r PANRequest) (PANResult, error) {
	b.mu.Lock()
	bt := b.cur
	leader := bt == nil
	if leader {
		bt = &panBatch{full: make(chan struct{}), done: make(chan struct{})}
		b.cur = bt
	}
	i := len(bt.reqs)
	bt.reqs = append(bt.reqs, r)
	if len(bt.reqs) == MaxPANsPerCall {
		b.cur = nil
		close(bt.full)
	}
	b.mu.Unlock()
	if leader {
		t := time.NewTimer(b.wait)
		select {
		case <-bt.full:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		b.mu.Lock()
		if b.cur == bt {
			b.cur = nil
		}
		b.mu.Unlock()
		callCtx := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			callCtx, cancel = context.WithDeadline(callCtx, dl)
			defer cancel()
		}
		bt.res, bt.err = b.p.VerifyPANs(callCtx, bt.reqs)
		if bt.err == nil && len(bt.res) != len(bt.reqs) {
			bt.err = fmt.Errorf("PAN provider %s answered %d results for %d PANs", b.p.Name(), len(bt.res), len(bt.reqs))
		}
		close(bt.done)
	}
	select {
	case <-bt.done:
	case <-ctx.Done():
		return PANResult{}, ctx.Err()
	}
	if bt.err != nil {
		return PANResult{}, bt.err
	}
	return bt.res[i], nil
}
