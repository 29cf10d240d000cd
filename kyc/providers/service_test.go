package providers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/store"
)

// service is a kyc.Service on db whose PAN, bank and CKYC providers are
// the adapters against fp, fb and fc, with the shipped catalog's features.
func service(t *testing.T, db *store.DB, fp *fakeProtean, fb *fakeBank, fc *fakeCKYC) *kyc.Service {
	t.Helper()
	cat, err := policies.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	clk := testenv.NewClock(t0, time.Millisecond)
	ls, err := features.NewLocalStore(context.Background(), db, cat, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	src, err := features.NewSource(features.SourceConfig{Builder: b, Store: ls, CacheTTL: -1, Clock: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	exact := func(a, b string) float64 {
		if strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")) {
			return 1
		}
		return 0
	}
	svc, err := kyc.New(kyc.Config{DB: db, Features: src, Match: exact, Now: clk.Now, Logger: slog.New(slog.DiscardHandler),
		PAN: kyc.NewPANBatcher(protean(t, fp, nil), time.Millisecond), Bank: pennyDrop(t, fb, nil), CKYC: cersai(t, fc, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestServiceOnTheAdapters(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		fp, fb, fc := newFakeProtean(t), newFakeBank(t), newFakeCKYC(t)
		svc := service(t, db, fp, fb, fc)
		ctx := context.Background()
		const cust = "C-wire"
		for _, c := range []struct {
			pan            string
			status         kyc.Status
			reason, result string
		}{
			{"ABCPE1234F", kyc.StatusVerified, "", "valid"},
			{"ABCPE1234X", kyc.StatusFailed, "pan_deactivated", "deactivated"},
			{"ABCPE1234Q", kyc.StatusFailed, "pan_invalid", "invalid"},
		} {
			ev, err := svc.CheckPAN(ctx, cust, kyc.PANInput{PAN: c.pan, Name: "Asha Rao", DOB: "1990-04-01"})
			if err != nil {
				t.Fatal(err)
			}
			if ev.Provider != "protean" || ev.Status != c.status || ev.Reason != c.reason || ev.Result["pan_status"] != c.result {
				t.Errorf("%s: %s %s %q %v, want protean %s %q %s", c.pan, ev.Provider, ev.Status, ev.Reason, ev.Result["pan_status"], c.status, c.reason, c.result)
			}
			if ev.Scores["name_match"] != 1 || !strings.HasPrefix(ev.ProviderRef, fp.user+":pan_") {
				t.Errorf("%s: name match %v, ref %q; want 1 (Protean's Y) and the transaction id", c.pan, ev.Scores["name_match"], ev.ProviderRef)
			}
		}
		// Protean refusing the call is error evidence, not an error.
		fp.codes = []string{"8"}
		ev, err := svc.CheckPAN(ctx, cust, kyc.PANInput{PAN: "ABCPE1235F", Name: "Asha Rao", DOB: "1990-04-01"})
		if err != nil || ev.Status != kyc.StatusError || ev.Reason != "provider_unavailable" {
			t.Errorf("code 8: %+v %v, want error evidence provider_unavailable", ev, err)
		}
		for _, c := range []struct {
			number string
			status kyc.Status
			reason string
		}{
			{"026291800001191", kyc.StatusVerified, ""},
			{"026291800001222", kyc.StatusFailed, "account_blocked"},
			{"026291800001197", kyc.StatusFailed, "name_mismatch"},
			{"026291800001444", kyc.StatusError, "provider_unavailable"},
		} {
			ev, err := svc.CheckBankAccount(ctx, cust, kyc.BankInput{AccountNumber: c.number, IFSC: "YESB0000262", Name: "Asha Rao"})
			if err != nil {
				t.Fatal(err)
			}
			if ev.Provider != "cashfree" || ev.Status != c.status || ev.Reason != c.reason {
				t.Errorf("%s: %s %s %q, want cashfree %s %q", c.number, ev.Provider, ev.Status, ev.Reason, c.status, c.reason)
			}
		}
		// CKYC: the search sends the OTP; a wrong one fails, the right one downloads.
		pending, err := svc.CheckCKYC(ctx, cust, kyc.CKYCInput{PAN: "ABCPE1234F"})
		if err != nil || pending.Provider != "cersai" || pending.Status != kyc.StatusPending || pending.Result["otp_sent_to"] != "XXXXXX3210" {
			t.Fatalf("CKYC search: %+v %v, want cersai pending, the OTP sent to XXXXXX3210", pending, err)
		}
		wrong, err := svc.CheckCKYC(ctx, cust, kyc.CKYCInput{Completes: pending.ID, OTP: "654321"})
		if err != nil || wrong.Status != kyc.StatusFailed || wrong.Reason != "otp_rejected" {
			t.Errorf("CKYC wrong OTP: %+v %v, want failed otp_rejected", wrong, err)
		}
		done, err := svc.CheckCKYC(ctx, cust, kyc.CKYCInput{Completes: pending.ID, OTP: "123456"})
		num := ckycNumber("ABCPE1234F")
		if err != nil || done.Status != kyc.StatusVerified || done.Result["ckyc_number"] != "XXXXXXXXXX"+num[10:] ||
			done.Result["photo_sha256"] != photoHash("ABCPE1234F") || done.Result["name"] != "MS ASHA RAO" {
			t.Errorf("CKYC download: %+v %v, want verified with the number masked, the photo hash and the name", done, err)
		}
		none, err := svc.CheckCKYC(ctx, cust, kyc.CKYCInput{PAN: "ABCPE1245F"})
		if err != nil || none.Status != kyc.StatusFailed || none.Reason != "ckyc_not_found" {
			t.Errorf("CKYC without a record: %+v %v, want failed ckyc_not_found", none, err)
		}
		// No full identifier in what is stored.
		all, err := svc.List(ctx, cust)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := json.Marshal(all)
		for _, id := range []string{"ABCPE1234F", "ABCPE1235F", "ABCPE1245F", "026291800001191", "026291800001222", num} {
			if strings.Contains(string(stored), id) {
				t.Errorf("stored evidence holds the full identifier %s", id)
			}
		}
	})
}
