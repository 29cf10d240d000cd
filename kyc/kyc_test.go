package kyc_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/names"
	"github.com/nirnay/nirnay/kyc/okyc"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/policies"
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

func TestSeedAccountsOnceEach(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		accts := []kyc.SeededAccount{{CustomerID: "C1", AccountHash: "BA1"}, {CustomerID: "C2", AccountHash: "BA2"}}
		for range 2 {
			if err := e.svc.SeedAccounts(e.ctx, accts); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range accts {
			if ok, err := e.svc.VerifiedAccount(e.ctx, a.CustomerID, a.AccountHash); !ok || err != nil {
				t.Errorf("%+v: verified %v %v, want true", a, ok, err)
			}
			if got, _ := e.svc.List(e.ctx, a.CustomerID); len(got) != 1 {
				t.Errorf("%s: %d records after seeding twice, want 1", a.CustomerID, len(got))
			}
		}
		if ok, _ := e.svc.VerifiedAccount(e.ctx, "C1", "BA2"); ok {
			t.Errorf("C1 verified for C2's account")
		}
	})
}

func TestAadhaarOfflineKeepsOnlyTheLastFour(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cust := "C-okyc"
		if _, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
			t.Fatal(err)
		}
		var zip bytes.Buffer
		if err := okyc.WriteSandbox(&zip, okyc.SandboxParams{Name: "Asha Rao", DOB: "1990-04-01", ShareCode: "4821", Last4: "7311",
			Mobile: "9876543210", GeneratedAt: t0.Add(-time.Hour)}); err != nil {
			t.Fatal(err)
		}
		ev, err := e.svc.CheckAadhaarOffline(e.ctx, cust, kyc.AadhaarInput{ZIP: zip.Bytes(), ShareCode: "4821", Mobile: "9876543210"})
		if err != nil || ev.Status != kyc.StatusVerified {
			t.Fatalf("offline e-KYC: %+v %v, want verified", ev, err)
		}
		if ev.Result["last4"] != "7311" || ev.Scores["name_match"] != 1 || ev.PayloadSHA256 == "" {
			t.Errorf("evidence %+v: want last four 7311, name match 1 and the XML's hash", ev)
		}
		if got := e.feature(t, "customer", cust, "aadhaar_okyc_status"); got != "success" {
			t.Errorf("aadhaar_okyc_status %v, want success", got)
		}
		if got := e.feature(t, "customer", cust, "age"); got != int64(36) {
			t.Errorf("age %v, want 36", got)
		}
		if _, ok := e.feature(t, "customer", cust, "kyc_completed_at").(time.Time); !ok {
			t.Errorf("kyc_completed_at not written after PAN and offline e-KYC")
		}
		for _, c := range []struct {
			name, code string
			zip        []byte
			mobile     string
			want       okyc.Code
		}{
			{"wrong share code", "1111", zip.Bytes(), "", okyc.CodeWrongShareCode},
			{"not a zip", "4821", []byte("PK? no"), "", okyc.CodeNotAZip},
			{"another mobile", "4821", zip.Bytes(), "9999999999", okyc.CodeMobileMismatch},
		} {
			ev, err := e.svc.CheckAadhaarOffline(e.ctx, cust, kyc.AadhaarInput{ZIP: c.zip, ShareCode: c.code, Mobile: c.mobile})
			if err != nil || ev.Status != kyc.StatusFailed || ev.Reason != string(c.want) || len(ev.Result) != 0 {
				t.Errorf("%s: %+v %v, want failed %s with nothing from the file", c.name, ev, err, c.want)
			}
		}
		if _, err := e.svc.CheckAadhaarOffline(e.ctx, cust, kyc.AadhaarInput{ZIP: zip.Bytes(), ShareCode: "48"}); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("a share code of two characters: %v, want invalid", err)
		}
		// Three days and an hour later the file is too old.
		e.clk.Add(72 * time.Hour)
		if ev, err := e.svc.CheckAadhaarOffline(e.ctx, cust, kyc.AadhaarInput{ZIP: zip.Bytes(), ShareCode: "4821"}); err != nil || ev.Reason != string(okyc.CodeTooOld) {
			t.Errorf("a file 73 hours old: %+v %v, want failed too_old", ev, err)
		}
	})
}

// TestShippedCatalogKeepsNoResultPastItsEvidence: every feature a check
// writes is in the shipped catalog, online, with a max_age no longer than
// its evidence stays current.
func TestShippedCatalogKeepsNoResultPastItsEvidence(t *testing.T) {
	cat, err := policies.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	if err := kyc.CheckCatalog(cat, nil); err != nil {
		t.Errorf("the shipped catalog:\n%v", err)
	}
	short := map[kyc.Check]time.Duration{kyc.CheckPAN: time.Hour}
	if err := kyc.CheckCatalog(cat, short); err == nil || !strings.Contains(err.Error(), "pan_status") {
		t.Errorf("PAN evidence current for an hour: %v, want pan_status's max_age of 720h refused", err)
	}
}

func TestReKYCTasksByRiskCategory(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		complete := func(cust string) {
			t.Helper()
			if _, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
				t.Fatal(err)
			}
			p, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{PAN: "ABCPE1234F"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{Completes: p.ID, OTP: "123456"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.svc.SetRisk(e.ctx, "C-high", kyc.RiskHigh); err != nil {
			t.Fatal(err)
		}
		complete("C-high")
		complete("C-medium")
		if err := e.svc.SetRisk(e.ctx, "C-x", "extreme"); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("an unknown risk category: %v, want invalid", err)
		}
		day := func(d time.Duration) string { return t0.Add(d).In(time.FixedZone("IST", 19800)).Format(time.DateOnly) }
		if n, err := e.svc.RaiseReKYC(e.ctx, day(365*24*time.Hour)); err != nil || n != 0 {
			t.Errorf("a year on: %d tasks %v, want none", n, err)
		}
		twoYears := 2*365*24*time.Hour + 24*time.Hour
		for i, want := range []int{1, 0} { // raised once, then nothing new
			if n, err := e.svc.RaiseReKYC(e.ctx, day(twoYears)); err != nil || n != want {
				t.Errorf("two years and a day on, call %d: %d tasks %v, want %d", i+1, n, err, want)
			}
		}
		open, err := e.svc.Tasks(e.ctx, "open", 10)
		if err != nil || len(open) != 1 || open[0].CustomerID != "C-high" {
			t.Fatalf("open tasks %+v %v, want C-high's", open, err)
		}
		// Lowering the category moves the due date: medium is due after 8 years.
		if err := e.svc.SetRisk(e.ctx, "C-medium", kyc.RiskLow); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.svc.RaiseReKYC(e.ctx, day(9*365*24*time.Hour)); n != 0 {
			t.Errorf("nine years on, a low-risk customer has %d tasks, want 0 (due after ten)", n)
		}
		// KYC done again closes the task.
		e.clk.Add(twoYears)
		complete("C-high")
		if open, _ := e.svc.Tasks(e.ctx, "open", 10); len(open) != 0 {
			t.Errorf("after re-KYC: open tasks %+v, want none", open)
		}
	})
}

func TestScreeningAndRescreeningRaiseEachHitOnce(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		scr, err := screening.New(db, screening.Options{Match: kyc.NameScore, Threshold: names.DefaultThreshold, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		var raised []string
		svc, err := kyc.New(kyc.Config{DB: db, Features: e.src, Now: e.clk.Now, Logger: slog.New(slog.DiscardHandler), Screening: scr,
			OnScreeningHit: func(_ context.Context, customerID, panHash string, h screening.Hit) error {
				raised = append(raised, customerID+"/"+h.Ref+"/"+panHash[:8])
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ImportScreeningList(e.ctx, "local", "local", strings.NewReader("ref,name,aliases,dob,note\nL-1,Suresh Kumar Verma,,1970,\n")); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ cust, pan, name string }{{"C-asha", "ABCPE1234F", "Asha Rao"}, {"C-other", "ABCPE1235F", "Meera Nair"}} {
			if _, err := svc.CheckPAN(e.ctx, c.cust, kyc.PANInput{PAN: c.pan, Name: c.name, DOB: "1990-04-01"}); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := svc.CheckScreening(e.ctx, "C-asha", kyc.ScreeningInput{})
		if err != nil || ev.Status != kyc.StatusVerified || len(ev.Result["hits"].([]any)) != 0 {
			t.Fatalf("screening Asha Rao: %+v %v, want verified with no hits", ev, err)
		}
		if got := e.feature(t, "customer", "C-asha", "pep_sanctions_hit"); got != false {
			t.Errorf("pep_sanctions_hit %v, want false", got)
		}
		// The list gains "Asha Rao" born 1990: re-screening finds her, not Meera.
		svc.Rescreens(e.ctx) // nothing pending yet
		if len(raised) != 0 {
			t.Fatalf("raised %v before any change", raised)
		}
		if _, err := scr.Import(e.ctx, "local", []screening.Entry{{Ref: "L-1", Name: "Suresh Kumar Verma", DOB: "1970"}, {Ref: "L-2", Name: "ASHA RAO", DOB: "1990"}}); err != nil {
			t.Fatal(err)
		}
		svc.Rescreens(e.ctx)
		svc.Rescreens(e.ctx) // again: nothing new
		if len(raised) != 1 || !strings.HasPrefix(raised[0], "C-asha/L-2/"+kyc.SubjectHash("pan", "ABCPE1234F")[:8]) {
			t.Fatalf("raised %v, want one hit of C-asha on L-2 with her pan_hash", raised)
		}
		if got := e.feature(t, "customer", "C-asha", "pep_sanctions_hit"); got != true {
			t.Errorf("pep_sanctions_hit after the hit %v, want true", got)
		}
		all, _ := svc.List(e.ctx, "C-asha")
		if last := all[len(all)-1]; last.Check != kyc.CheckScreening || last.Result["trigger"] != "rescreening" {
			t.Errorf("last evidence %+v, want the re-screening's", last)
		}
		if _, err := svc.CheckScreening(e.ctx, "C-nobody", kyc.ScreeningInput{}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Errorf("screening a customer without a name: %v, want unprocessable", err)
		}
	})
}

// TestNoAadhaarNumberIsStored: an Aadhaar number a client writes into a
// name (here one that passes the Verhoeff check) is stored masked to its
// last four digits.
func TestNoAadhaarNumberIsStored(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ev, err := e.svc.CheckPAN(e.ctx, "C-aadhaar", kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha 4918 2736 5013 Rao", DOB: "1990-04-01",
			ConsentRef: "consent-491827365013"})
		if err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := db.Reader().QueryRowContext(e.ctx, `SELECT CAST(result AS TEXT) || coalesce(consent_ref, '') FROM kyc_evidence WHERE id = $1`, ev.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored, "4918 2736 5013") || strings.Contains(stored, "491827365013") || !strings.Contains(stored, "5013") {
			t.Errorf("stored %s: want the Aadhaar number masked to its last four digits", stored)
		}
	})
}

func TestReversePennyDropLearnsTheAccountFromThePayment(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		cust := "C-rpd"
		if _, err := e.svc.CheckPAN(e.ctx, cust, kyc.PANInput{PAN: "ABCPE1234F", Name: "Asha Rao", DOB: "1990-04-01"}); err != nil {
			t.Fatal(err)
		}
		start, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "reverse"})
		if err != nil || start.Status != kyc.StatusPending || !strings.HasPrefix(start.Result["upi_intent"].(string), "upi://pay?pa="+kyc.ReverseVPA) {
			t.Fatalf("start: %+v %v, want pending with a UPI intent", start, err)
		}
		done, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "reverse", Completes: start.ID,
			AccountNumber: "123456789012", IFSC: "SBIN0001234", Name: "ASHA RAO"})
		hash := kyc.AccountHash("123456789012", "SBIN0001234")
		if err != nil || done.Status != kyc.StatusVerified || done.SubjectHash != hash || done.Completes != start.ID {
			t.Fatalf("completion: %+v %v, want verified evidence of the paying account completing %s", done, err, start.ID)
		}
		if ok, _ := e.svc.VerifiedAccount(e.ctx, cust, hash); !ok {
			t.Errorf("the paying account is not verified for disbursal")
		}
		if _, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "reverse", Completes: start.ID,
			AccountNumber: "123456789012", IFSC: "SBIN0001234", Name: "ASHA RAO"}); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a second completion: %v, want conflict", err)
		}
		// Someone else's account paying fails on the name.
		start2, _ := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "reverse"})
		other, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "reverse", Completes: start2.ID,
			AccountNumber: "999456789012", IFSC: "SBIN0001234", Name: "Ramesh Gupta"})
		if err != nil || other.Status != kyc.StatusFailed || other.Reason != "name_mismatch" {
			t.Errorf("a payment from Ramesh Gupta's account: %+v %v, want failed name_mismatch", other, err)
		}
		if _, err := e.svc.CheckBankAccount(e.ctx, cust, kyc.BankInput{Mode: "sideways"}); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("an unknown mode: %v, want invalid", err)
		}
	})
}

// TestTwoInstancesCompleteAPendingCheckOnce: two services on one
// PostgreSQL (each its own connection pool) completing the same pending
// CKYC download at once: exactly one completes it, the other is told it is
// already completed; both see the same evidence.
func TestTwoInstancesCompleteAPendingCheckOnce(t *testing.T) {
	url := testenv.Postgres(t)
	dbA := testenv.Backend{URL: url}.Migrated(t)
	dbB := testenv.Backend{URL: url}.Open(t)
	a, b := newEnv(t, dbA), newEnv(t, dbB)
	for round := range 5 {
		cust := fmt.Sprintf("C-two-%d", round)
		p, err := a.svc.CheckCKYC(a.ctx, cust, kyc.CKYCInput{PAN: "ABCPE1234F"})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for _, e := range []*env{a, b} {
			go func() {
				_, err := e.svc.CheckCKYC(e.ctx, cust, kyc.CKYCInput{Completes: p.ID, OTP: "123456"})
				errs <- err
			}()
		}
		var ok, conflict int
		for range 2 {
			switch err := <-errs; {
			case err == nil:
				ok++
			case nirnay.IsKind(err, nirnay.KindConflict):
				conflict++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if ok != 1 || conflict != 1 {
			t.Errorf("round %d: %d completions and %d conflicts, want 1 and 1", round, ok, conflict)
		}
		la, _ := a.svc.List(a.ctx, cust)
		lb, _ := b.svc.List(b.ctx, cust)
		if len(la) != 2 || len(lb) != 2 {
			t.Errorf("round %d: instances list %d and %d records, want 2 each", round, len(la), len(lb))
		}
	}
}
