package providers_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

func pennyDrop(t testing.TB, f *fakeBank, mod func(*providers.PennyDropConfig)) *providers.PennyDrop {
	t.Helper()
	cfg := providers.PennyDropConfig{URL: f.url(), ClientID: "CF-ID", ClientSecret: "CF-SECRET", RetryDelay: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	p, err := providers.NewPennyDrop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPennyDropOutcomes(t *testing.T) {
	f := newFakeBank(t)
	p := pennyDrop(t, f, nil)
	for _, c := range []struct {
		number, name string
		want         kyc.BankResult
		err          string
	}{
		{"026291800001191", "Asha Rao", kyc.BankResult{Exists: true, NameAtBank: "ASHA RAO"}, ""},
		{"026291800001197", "Asha Rao", kyc.BankResult{Exists: true, NameAtBank: "RAMESH GUPTA"}, ""},
		{"026291800001000", "Asha Rao", kyc.BankResult{Reason: "account_not_found"}, ""},
		{"026291800001111", "Asha Rao", kyc.BankResult{Reason: "account_closed"}, ""},
		{"026291800001222", "Asha Rao", kyc.BankResult{Reason: "account_blocked"}, ""},
		{"026291800001333", "Asha Rao", kyc.BankResult{Reason: "ifsc_invalid"}, ""},
		{"026291800001444", "Asha Rao", kyc.BankResult{}, "did not complete: FAILED_AT_BANK"},
		{"026291800001555", "Asha Rao", kyc.BankResult{}, `not final: account_status "RECEIVED"`},
	} {
		calls := f.calls.Load()
		got, err := p.PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: c.number, IFSC: "yesb0000262", Name: c.name})
		if n := f.calls.Load() - calls; n != 1 {
			t.Errorf("%s: %d calls, want 1 (outcomes are not retried)", c.number, n)
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %+v %v, want an error saying %q", c.number, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.number, err)
			continue
		}
		if got.Ref == "" {
			t.Errorf("%s: no reference", c.number)
		}
		got.Ref = ""
		if got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.number, got, c.want)
		}
	}
}

func TestPennyDropHTTPErrors(t *testing.T) {
	f := newFakeBank(t)
	for _, c := range []struct {
		name   string
		mod    func(*providers.PennyDropConfig)
		number string
		status int
		says   string
	}{
		{"bad secret", func(c *providers.PennyDropConfig) { c.ClientSecret = "nope" }, "026291800001191", 401, "authentication failure: authentication_failed"},
		{"refused, number masked", nil, "9999999999", 400, "bank_account XXXXXX9999 is not allowed"},
	} {
		calls := f.calls.Load()
		_, err := pennyDrop(t, f, c.mod).PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: c.number, IFSC: "YESB0000262", Name: "A"})
		var be *providers.BankError
		if !errors.As(err, &be) || be.Status != c.status || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v, want a BankError %d saying %q", c.name, err, c.status, c.says)
		}
		if strings.Contains(err.Error(), c.number) {
			t.Errorf("%s: the error holds the full account number: %v", c.name, err)
		}
		if n := f.calls.Load() - calls; n != 1 {
			t.Errorf("%s: %d calls, want 1", c.name, n)
		}
	}
	f.failHTTP = []int{422}
	_, err := pennyDrop(t, f, nil).PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "A"})
	if be := (*providers.BankError)(nil); !errors.As(err, &be) || be.Status != 422 {
		t.Errorf("422: %v, want a BankError 422", err)
	}
}

func TestPennyDropRetriesAndTimeouts(t *testing.T) {
	f := newFakeBank(t)
	f.failHTTP = []int{503, 500}
	res, err := pennyDrop(t, f, nil).PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "Asha Rao"})
	if err != nil || !res.Exists || f.calls.Load() != 3 {
		t.Errorf("503, 500, then an answer: %+v %v after %d calls, want the account after 3", res, err, f.calls.Load())
	}
	f.failHTTP = []int{503, 503}
	_, err = pennyDrop(t, f, func(c *providers.PennyDropConfig) { c.Attempts = 2 }).PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "A"})
	if err == nil || !strings.Contains(err.Error(), "HTTP 503 (after 2 attempts)") {
		t.Errorf("503 to the last attempt: %v, want HTTP 503 after 2 attempts", err)
	}
	f.delay = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = pennyDrop(t, f, nil).PennyDrop(ctx, kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "A"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("deadline 50ms: %v after %v, want DeadlineExceeded at once", err, time.Since(start))
	}
}
