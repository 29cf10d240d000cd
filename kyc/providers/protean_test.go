package providers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// protean is an adapter for f with fast retries and a discarded log.
func protean(t testing.TB, f *fakeProtean, mod func(*providers.ProteanConfig)) *providers.Protean {
	t.Helper()
	cfg := providers.ProteanConfig{URL: f.url(), UserID: f.user, BearerToken: f.token, RetryDelay: time.Millisecond,
		Now: func() time.Time { return t0 }, Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	p, err := providers.NewProtean(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pans are PANs whose answers differ per fakeProtean's rules.
var pans = []kyc.PANRequest{
	{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"},
	{PAN: "ABCPE1237X", Name: "Asha Rao", DOB: "1990-04-01"},
	{PAN: "ABCPE1236Z", Name: "Ravi Iyer", DOB: "1985-12-31", FatherName: "K Iyer"},
	{PAN: "ABCCE1239Q", Name: "Acme Ltd", DOB: "2001-07-15"},
	{PAN: "ABCPE1239F", Name: "Meena Das", DOB: "1979-02-28"},
}

// wantResult is the result fakeProtean's rules give r.
func wantResult(r kyc.PANRequest, ref string) kyc.PANResult {
	o := fakePANAnswer(r.PAN, toDDMMYYYY(r.DOB), r.FatherName)
	return kyc.PANResult{PAN: r.PAN, Status: kyc.PANStatus(o["pan_status"]), NameMatch: o["name"], DOBMatch: o["dob"],
		Seeding: kyc.Seeding(o["seeding_status"]), Ref: ref}
}

func toDDMMYYYY(d string) string {
	t, _ := time.Parse(time.DateOnly, d)
	return t.Format("02/01/2006")
}

func TestProteanBatchesOfOneToFive(t *testing.T) {
	for n := 1; n <= kyc.MaxPANsPerCall; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeProtean(t)
			p := protean(t, f, nil)
			res, err := p.VerifyPANs(context.Background(), pans[:n])
			if err != nil {
				t.Fatal(err)
			}
			if got := f.calls.Load(); got != 1 {
				t.Errorf("%d PANs: %d calls, want 1", n, got)
			}
			if len(res) != n {
				t.Fatalf("%d PANs: %d results", n, len(res))
			}
			ref := res[0].Ref
			if !strings.HasPrefix(ref, f.user+":pan_") {
				t.Errorf("ref %q, want the transaction id %s:pan_…", ref, f.user)
			}
			for i, r := range pans[:n] {
				if want := wantResult(r, ref); res[i] != want {
					t.Errorf("result %d: got %+v, want %+v", i, res[i], want)
				}
			}
			h := f.headers
			for k, want := range map[string]string{"User_ID": f.user, "Records_count": fmt.Sprint(n), "Version": "4",
				"Transaction_ID": ref, "Request_time": "2026-12-01T11:30:00", "Authorization": "Bearer " + f.token,
				"Content-Type": "application/json"} {
				if got := h.Get(k); got != want {
					t.Errorf("header %s: got %q, want %q", k, got, want)
				}
			}
			in := f.body["inputData"].([]any)
			first := in[0].(map[string]any)
			if first["dob"] != "01/04/1990" || first["pan"] != "ABCPE1234F" || first["name"] != "Asha Rao" {
				t.Errorf("first input %v, want pan ABCPE1234F, name Asha Rao, dob 01/04/1990", first)
			}
			if _, ok := f.body["signature"]; ok {
				t.Errorf("a signature was sent without a signer")
			}
		})
	}
}

func TestProteanRefusesMoreThanFiveBeforeCalling(t *testing.T) {
	f := newFakeProtean(t)
	p := protean(t, f, nil)
	six := append(append([]kyc.PANRequest{}, pans...), kyc.PANRequest{PAN: "ABCPE1200F", Name: "A", DOB: "1990-01-01"})
	if _, err := p.VerifyPANs(context.Background(), six); !errors.Is(err, providers.ErrTooManyPANs) {
		t.Errorf("6 PANs: %v, want ErrTooManyPANs", err)
	}
	res, err := p.VerifyPANs(context.Background(), nil)
	if err != nil || len(res) != 0 {
		t.Errorf("no PANs: %v %v, want nothing", res, err)
	}
	if got := f.calls.Load(); got != 0 {
		t.Errorf("%d calls, want none", got)
	}
	if _, err := p.VerifyPANs(context.Background(), []kyc.PANRequest{{PAN: "ABCPE1234F", Name: "A", DOB: "01/04/1990"}}); !nirnay.IsKind(err, nirnay.KindInvalid) {
		t.Errorf("DOB 01/04/1990: %v, want invalid (YYYY-MM-DD)", err)
	}
}

func TestProteanResponseCodes(t *testing.T) {
	for _, c := range []struct {
		code, meaning string
		calls         int64
	}{
		{"2", "system error", 3}, // tried again, to the attempts
		{"3", "authentication failure", 1},
		{"4", "user not authorised", 1},
		{"5", "no PANs entered", 1},
		{"6", "user validity has expired", 1},
		{"7", "number of PANs exceeds the limit (5)", 1},
		{"8", "not enough balance", 1},
		{"9", "not an HTTPS request", 1},
		{"10", "POST method not used", 1},
		{"11", "slab changed", 1},
		{"12", "invalid version number", 1},
		{"13", "signature or certificate error", 1},
		{"17", "signature or certificate error", 1},
		{"x1", "unknown response code", 1},
	} {
		f := newFakeProtean(t)
		f.codes = []string{c.code, c.code, c.code}
		_, err := protean(t, f, nil).VerifyPANs(context.Background(), pans[:2])
		var pe *providers.ProteanError
		if !errors.As(err, &pe) || pe.Code != c.code || !providers.IsProteanCode(err, c.code) {
			t.Errorf("code %s: %v, want a ProteanError with code %s", c.code, err, c.code)
			continue
		}
		if !strings.Contains(err.Error(), c.meaning) {
			t.Errorf("code %s: %q, want it to say %q", c.code, err, c.meaning)
		}
		if got := f.calls.Load(); got != c.calls {
			t.Errorf("code %s: %d calls, want %d", c.code, got, c.calls)
		}
	}
	// The fake's own checks answer with the codes: wrong user id, no token.
	f := newFakeProtean(t)
	if _, err := protean(t, f, func(c *providers.ProteanConfig) { c.UserID = "SOMEONE" }).VerifyPANs(context.Background(), pans[:1]); !providers.IsProteanCode(err, "3") {
		t.Errorf("wrong user id: %v, want code 3", err)
	}
	if _, err := protean(t, f, func(c *providers.ProteanConfig) { c.BearerToken = "" }).VerifyPANs(context.Background(), pans[:1]); !providers.IsProteanCode(err, "3") {
		t.Errorf("no token: %v, want code 3", err)
	}
	// A system error that clears on the second attempt is an answer.
	f = newFakeProtean(t)
	f.codes = []string{"2"}
	if res, err := protean(t, f, nil).VerifyPANs(context.Background(), pans[:1]); err != nil || len(res) != 1 || f.calls.Load() != 2 {
		t.Errorf("code 2 then success: %v %v after %d calls, want one result after 2", res, err, f.calls.Load())
	}
}

func TestProteanRetriesTransportErrorsAnd5xx(t *testing.T) {
	for _, c := range []struct {
		name     string
		fail     []int
		attempts int
		ok       bool
		calls    int64
		says     string
	}{
		{"503 twice then an answer", []int{503, 503}, 3, true, 3, ""},
		{"hang-up then an answer", []int{0}, 3, true, 2, ""},
		{"429 then an answer", []int{429}, 3, true, 2, ""},
		{"502 to the last attempt", []int{502, 502, 502, 502}, 3, false, 3, "HTTP 502 (after 3 attempts)"},
		{"one attempt only", []int{500}, 1, false, 1, "HTTP 500"},
		{"400 is not retried", []int{400, 400}, 3, false, 1, "HTTP 400"},
		{"404 is not retried", []int{404}, 3, false, 1, "HTTP 404"},
	} {
		f := newFakeProtean(t)
		f.failHTTP = c.fail
		res, err := protean(t, f, func(cfg *providers.ProteanConfig) { cfg.Attempts = c.attempts }).VerifyPANs(context.Background(), pans[:3])
		if c.ok && (err != nil || len(res) != 3) {
			t.Errorf("%s: %v, want 3 results", c.name, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), c.says)) {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.says)
		}
		if got := f.calls.Load(); got != c.calls {
			t.Errorf("%s: %d calls, want %d", c.name, got, c.calls)
		}
	}
}

func TestProteanTimeouts(t *testing.T) {
	// The client's timeout ends each attempt; both attempts time out.
	f := newFakeProtean(t)
	f.delay = 2 * time.Second
	p := protean(t, f, func(c *providers.ProteanConfig) {
		c.Client, c.Attempts = &http.Client{Timeout: 50 * time.Millisecond}, 2
	})
	start := time.Now()
	_, err := p.VerifyPANs(context.Background(), pans[:1])
	if err == nil || f.calls.Load() != 2 {
		t.Errorf("client timeout: %v after %d calls, want an error after 2", err, f.calls.Load())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("client timeout of 50ms x 2 took %v", d)
	}
	// The caller's deadline ends the call, retries included.
	p = protean(t, f, func(c *providers.ProteanConfig) { c.Attempts = 5 })
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = p.VerifyPANs(ctx, pans[:1])
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a deadline of 80ms took %v", d)
	}
}

func TestProteanMatchesByPAN(t *testing.T) {
	f := newFakeProtean(t)
	p := protean(t, f, nil)
	// The same PAN twice (two customers at once) takes two answers.
	twice := []kyc.PANRequest{pans[0], pans[1], pans[0]}
	res, err := p.VerifyPANs(context.Background(), twice)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range twice {
		if res[i].PAN != r.PAN || res[i].Status != wantResult(r, "").Status {
			t.Errorf("result %d: %+v, want PAN %s", i, res[i], r.PAN)
		}
	}
	// A PAN missing from the answer fails the call, naming it masked.
	f.drop = pans[2].PAN
	_, err = p.VerifyPANs(context.Background(), pans[:4])
	if err == nil || !strings.Contains(err.Error(), "XXXXXX236Z") || strings.Contains(err.Error(), pans[2].PAN) {
		t.Errorf("a PAN missing: %v, want an error naming XXXXXX236Z and not the full PAN", err)
	}
}

type signer struct{ err error }

func (s signer) Sign(_ context.Context, data []byte) (string, error) {
	return fmt.Sprintf("signed:%d", len(data)), s.err
}

func TestProteanSigner(t *testing.T) {
	f := newFakeProtean(t)
	if _, err := protean(t, f, func(c *providers.ProteanConfig) { c.Signer = signer{} }).VerifyPANs(context.Background(), pans[:2]); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.body["signature"].(string); !strings.HasPrefix(got, "signed:") {
		t.Errorf("signature %q, want the signer's", got)
	}
	_, err := protean(t, f, func(c *providers.ProteanConfig) { c.Signer = signer{errors.New("token absent")} }).VerifyPANs(context.Background(), pans[:2])
	if err == nil || !strings.Contains(err.Error(), "token absent") || f.calls.Load() != 1 {
		t.Errorf("signer failing: %v after %d calls, want its error and no second call", err, f.calls.Load())
	}
}

func TestProteanLogsOnlyMaskedPANs(t *testing.T) {
	f := newFakeProtean(t)
	f.failHTTP = []int{503, 0}
	var buf syncBuffer
	p := protean(t, f, func(c *providers.ProteanConfig) { c.Logger = slog.New(slog.NewTextHandler(&buf, nil)) })
	if _, err := p.VerifyPANs(context.Background(), pans[:3]); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if strings.Count(log, "retrying") != 2 || !strings.Contains(log, "XXXXXX234F") {
		t.Errorf("log %q, want two retries naming XXXXXX234F", log)
	}
	for _, r := range pans[:3] {
		if strings.Contains(log, r.PAN) {
			t.Errorf("the log holds the full PAN %s: %q", r.PAN, log)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestPANBatcherWithProtean(t *testing.T) {
	f := newFakeProtean(t)
	b := kyc.NewPANBatcher(protean(t, f, nil), 50*time.Millisecond)
	const n = 20
	reqs := make([]kyc.PANRequest, n)
	for i := range reqs {
		last := "FXZQ"[i%4 : i%4+1]
		reqs[i] = kyc.PANRequest{PAN: fmt.Sprintf("ABCPE%04d%s", 1000+i, last), Name: fmt.Sprint("Holder ", i), DOB: "1990-04-01"}
	}
	res := make([]kyc.PANResult, n)
	errs := make([]error, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range reqs {
		done.Go(func() {
			start.Wait()
			res[i], errs[i] = b.Verify(context.Background(), reqs[i])
		})
	}
	start.Done()
	done.Wait()
	for i, r := range reqs {
		if errs[i] != nil {
			t.Errorf("%s: %v", r.PAN, errs[i])
			continue
		}
		if want := wantResult(r, res[i].Ref); res[i] != want {
			t.Errorf("caller %d: got %+v, want %+v", i, res[i], want)
		}
	}
	// ceil(20/5) = 4 full calls; a verification that found its batch
	// closed by the timer may open a fifth or sixth.
	if got := f.calls.Load(); got < 4 || got > 6 {
		t.Errorf("%d provider calls for %d verifications, want 4 to 6", got, n)
	}
	if got := f.maxBatch.Load(); got != kyc.MaxPANsPerCall {
		t.Errorf("largest call %d PANs, want %d", got, kyc.MaxPANsPerCall)
	}
}

func TestProteanTransportErrorsHideTheQuery(t *testing.T) {
	f := newFakeProtean(t)
	f.failHTTP = []int{0}
	_, err := protean(t, f, func(c *providers.ProteanConfig) { c.URL += "?key=s3cret"; c.Attempts = 1 }).VerifyPANs(context.Background(), pans[:1])
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "/TIN/PanInquiryAPIBackEnd") {
		t.Errorf("hang-up: %v, want an error naming the path and not the query", err)
	}
}
