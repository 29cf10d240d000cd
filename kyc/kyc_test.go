package kyc_test

import (
	"context"
	"io/fs"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

var t0 = time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)

// exact is a name matcher for these tests: 1 for the same words in any
// case, else 0 (the real matcher is tested in kyc/names).
func exact(a, b string) float64 {
	if strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " ")) {
		return 1
	}
	return 0
}

type env struct {
	svc *kyc.Service
	src *features.Source
	db  *store.DB
	clk *testenv.Clock
	ctx context.Context
}

// newEnv is the service on db with the shipped catalog's features in a
// real in-process store on the same database.
func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	data, err := fs.ReadFile(policies.FS, "features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.ParseCatalog("features.yaml", data)
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
	svc, err := kyc.New(kyc.Config{DB: db, Features: src, Match: exact, Now: clk.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, src: src, db: db, clk: clk, ctx: context.Background()}
}

// feature is the stored value of one feature of an entity.
func (e *env) feature(t *testing.T, entity, id, name string) any {
	t.Helper()
	obs, err := e.src.Observed(e.ctx, features.EntityKey{Entity: entity, ID: id})
	if err != nil {
		t.Fatal(err)
	}
	o, ok := obs[name]
	if !ok {
		return nil
	}
	return o.Value
}

func TestPANSandboxOutcomesAndFeatures(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		for _, c := range []struct {
			pan, name        string
			status           kyc.Status
			reason, feature  string
			linked, dobMatch bool
			score            int64
		}{
			{"ABCPE1234F", "Asha Rao", kyc.StatusVerified, "", "valid", true, true, 100},
			{"ABCPE1234X", "Asha Rao", kyc.StatusFailed, "pan_deactivated", "deactivated", true, true, 100},
			{"ABCPE1234Z", "Asha Rao", kyc.StatusFailed, "pan_fake", "fake", true, true, 100},
			{"ABCPE1237F", "Asha Rao", kyc.StatusVerified, "", "valid", true, true, 0},    // name on record differs
			{"ABCPE1236F", "Asha Rao", kyc.StatusVerified, "", "valid", true, false, 100}, // DOB differs
			{"ABCPE1239F", "Asha Rao", kyc.StatusVerified, "", "valid", false, true, 100}, // not seeded with Aadhaar
		} {
			cust := "C-" + c.pan
			ev, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: strings.ToLower(c.pan), Name: c.name, DOB: "1990-04-01"})
			if err != nil {
				t.Fatalf("%s: %v", c.pan, err)
			}
			if ev.Status != c.status || ev.Reason != c.reason {
				t.Errorf("%s: %s %q, want %s %q", c.pan, ev.Status, ev.Reason, c.status, c.reason)
			}
			if got := ev.Result["pan"]; got != "XXXXXX"+c.pan[6:] {
				t.Errorf("%s: result pan %v, want it masked to the last four", c.pan, got)
			}
			hash := kyc.SubjectHash("pan", c.pan)
			if ev.SubjectHash != hash {
				t.Errorf("%s: subject %s, want the pan_hash %s", c.pan, ev.SubjectHash, hash)
			}
			if got := e.feature(t, "pan", hash, "pan_status"); got != c.feature {
				t.Errorf("%s: pan_status %v, want %s", c.pan, got, c.feature)
			}
			if got := e.feature(t, "pan", hash, "pan_aadhaar_linked"); got != c.linked {
				t.Errorf("%s: pan_aadhaar_linked %v, want %v", c.pan, got, c.linked)
			}
			if got := e.feature(t, "customer", cust, "pan_dob_match"); got != c.dobMatch {
				t.Errorf("%s: pan_dob_match %v, want %v", c.pan, got, c.dobMatch)
			}
			if got := e.feature(t, "customer", cust, "pan_name_match_score"); got != c.score {
				t.Errorf("%s: pan_name_match_score %v, want %d", c.pan, got, c.score)
			}
		}
		// A second customer with the same PAN: customers_per_pan counts both.
		if _, err := e.svc.CheckPAN(e.ctx, "C-other", kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
			t.Fatal(err)
		}
		if got := e.feature(t, "pan", kyc.SubjectHash("pan", "ABCPE1234F"), "customers_per_pan"); got != int64(2) {
			t.Errorf("customers_per_pan after a second customer: %v, want 2", got)
		}
		// Bad input is a 400 naming the field; nothing is stored.
		for _, in := range []kyc.PANInput{{PAN: "ABC1234", Name: "A", DOB: "1990-01-01"}, {PAN: "ABCPE1234F", Name: " ", DOB: "1990-01-01"},
			{PAN: "ABCPE1234F", Name: "A", DOB: "01/01/1990"}} {
			if _, err := e.svc.CheckPAN(e.ctx, "C-bad", in); !nirnay.IsKind(err, nirnay.KindInvalid) {
				t.Errorf("PAN check %+v: %v, want invalid", in, err)
			}
		}
		if got, _ := e.svc.List(e.ctx, "C-bad"); len(got) != 0 {
			t.Errorf("bad input stored %d evidence records", len(got))
		}
	})
}

func TestBankAccountNeedsExistingAccountAndMatchingName(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cust := "C-bank"
		if _, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			number, name string
			status       kyc.Status
			reason, pd   string
		}{
			{"123456789012", "Asha Rao", kyc.StatusVerified, "", "success"},
			{"123456789000", "Asha Rao", kyc.StatusFailed, "account_not_found", "failed"},
			{"123456789111", "Asha Rao", kyc.StatusFailed, "account_closed", "failed"},
			{"123456789017", "Asha Rao", kyc.StatusFailed, "name_mismatch", "failed"}, // the bank says Ramesh Gupta
		} {
			ev, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{AccountNumber: c.number, IFSC: "hdfc0001234", Name: c.name})
			if err != nil {
				t.Fatalf("%s: %v", c.number, err)
			}
			if ev.Status != c.status || ev.Reason != c.reason {
				t.Errorf("%s: %s %q, want %s %q", c.number, ev.Status, ev.Reason, c.status, c.reason)
			}
			hash := kyc.AccountHash(c.number, "HDFC0001234")
			if got := e.feature(t, "bank_account", hash, "penny_drop_status"); got != c.pd {
				t.Errorf("%s: penny_drop_status %v, want %s", c.number, got, c.pd)
			}
			ok, err := e.svc.VerifiedAccount(e.ctx, cust, hash)
			if err != nil || ok != (c.status == kyc.StatusVerified) {
				t.Errorf("%s: VerifiedAccount %v %v, want %v", c.number, ok, err, c.status == kyc.StatusVerified)
			}
			if ok, _ := e.svc.VerifiedAccount(e.ctx, "C-someone-else", hash); ok {
				t.Errorf("%s: verified for another customer", c.number)
			}
		}
		// Verified evidence expires: a year later the account is no longer verified.
		e.clk.Add(366 * 24 * time.Hour)
		if ok, _ := e.svc.VerifiedAccount(e.ctx, cust, kyc.AccountHash("123456789012", "HDFC0001234")); ok {
			t.Errorf("the account is still verified a year and a day later")
		}
		for _, in := range []kyc.BankInput{{AccountNumber: "12ab", IFSC: "HDFC0001234", Name: "A"}, {AccountNumber: "123456789012", IFSC: "HDFC1001234", Name: "A"}} {
			_, err := e.svc.CheckBankAccount(e.ctx, cust, in)
			if !nirnay.IsKind(err, nirnay.KindInvalid) {
				t.Errorf("bank check %+v: %v, want invalid", in, err)
			}
		}
	})
}

func TestCKYCTwoStepsAndKYCCompletion(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cust := "C-ckyc"
		if _, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
			t.Fatal(err)
		}
		if got := e.feature(t, "customer", cust, "kyc_completed_at"); got != nil {
			t.Fatalf("kyc_completed_at after the PAN alone: %v, want none", got)
		}
		pending, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{PAN: "ABCPE1234F"})
		if err != nil || pending.Status != kyc.StatusPending {
			t.Fatalf("CKYC search: %+v %v, want pending", pending, err)
		}
		wrong, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{Completes: pending.ID, OTP: "000000"})
		if err != nil || wrong.Status != kyc.StatusFailed || wrong.Reason != "otp_rejected" {
			t.Fatalf("CKYC download with a wrong OTP: %+v %v, want failed otp_rejected", wrong, err)
		}
		done, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{Completes: pending.ID, OTP: "123456"})
		if err != nil || done.Status != kyc.StatusVerified || done.Completes != pending.ID {
			t.Fatalf("CKYC download: %+v %v, want verified completing %s", done, err, pending.ID)
		}
		if got := e.feature(t, "customer", cust, "ckyc_found"); got != true {
			t.Errorf("ckyc_found %v, want true", got)
		}
		if got, ok := e.feature(t, "customer", cust, "kyc_completed_at").(time.Time); !ok || got.IsZero() {
			t.Errorf("kyc_completed_at after PAN and CKYC: %v, want set", got)
		}
		// The pending record is completed once.
		if _, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{Completes: pending.ID, OTP: "123456"}); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a second completion: %v, want conflict", err)
		}
		// Another customer cannot complete it.
		if _, err := e.svc.CheckCKYC(e.ctx, "C-x", kyc.CKYCInput{Completes: pending.ID, OTP: "123456"}); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("completion by another customer: %v, want not found", err)
		}
		none, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{PAN: "ABCPE1245F"})
		if err != nil || none.Status != kyc.StatusFailed || none.Reason != "ckyc_not_found" {
			t.Errorf("CKYC search of a PAN without a record: %+v %v", none, err)
		}
		// Evidence is immutable in the database too.
		_, err = db.Writer().ExecContext(e.ctx, `UPDATE kyc_evidence SET status = 'failed', reason = 'x' WHERE id = $1`, done.ID)
		if err == nil {
			t.Errorf("an UPDATE of evidence succeeded")
		}
		all, err := e.svc.List(e.ctx, cust)
		if err != nil || len(all) != 5 {
			t.Fatalf("List: %d records %v, want 5", len(all), err)
		}
		if all[3].ID != done.ID || all[3].Status != kyc.StatusVerified {
			t.Errorf("the verified download reads back as %+v", all[3])
		}
	})
}

func TestVideoKYCSession(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		good := kyc.VideoInput{SessionID: "vcip-1", AgentID: "agent-7", Latitude: 19.07, Longitude: 72.87,
			StartedAt: t0.Add(-20 * time.Minute), EndedAt: t0.Add(-10 * time.Minute), RecordingSHA256: strings.Repeat("ab", 32),
			LivenessScore: 0.93, PANImageMatch: 0.9, AgentVerdict: "approved"}
		for _, c := range []struct {
			name   string
			tweak  func(*kyc.VideoInput)
			reason string
		}{
			{"approved in Mumbai", func(*kyc.VideoInput) {}, ""},
			{"customer abroad", func(v *kyc.VideoInput) { v.Latitude, v.Longitude = 51.5, -0.12 }, "outside_india"},
			{"low liveness", func(v *kyc.VideoInput) { v.LivenessScore = 0.5 }, "liveness_low"},
			{"agent rejected", func(v *kyc.VideoInput) { v.AgentVerdict = "rejected" }, "agent_rejected"},
		} {
			in := good
			c.tweak(&in)
			ev, err := e.svc.CheckVideo(e.ctx, "C-video", in)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			want := map[bool]string{true: "approved", false: "rejected"}[c.reason == ""]
			if ev.Reason != c.reason || e.feature(t, "customer", "C-video", "video_kyc_status") != want {
				t.Errorf("%s: %s %q, video_kyc_status %v; want %q, %s", c.name, ev.Status, ev.Reason,
					e.feature(t, "customer", "C-video", "video_kyc_status"), c.reason, want)
			}
		}
		bad := good
		bad.EndedAt = bad.StartedAt.Add(-time.Second)
		if _, err := e.svc.CheckVideo(e.ctx, "C-video", bad); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("a session ending before it started: %v, want invalid", err)
		}
	})
}
