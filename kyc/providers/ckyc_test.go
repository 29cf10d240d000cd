package providers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

// cersai is an adapter for f with fast retries, the fake's clock, request
// ids 00000001, 00000002 … and a discarded log.
func cersai(t testing.TB, f *fakeCKYC, mod func(*providers.CKYCConfig)) *providers.CKYC {
	t.Helper()
	var n atomic.Int64
	cfg := providers.CKYCConfig{URL: f.srv.URL, FICode: f.fiCode, APIKey: "gw-key", RetryDelay: time.Millisecond,
		Now: func() time.Time { return f.now }, RequestID: func() string { return fmt.Sprintf("%08d", n.Add(1)) },
		Logger: slog.New(slog.DiscardHandler)}
	if mod != nil {
		mod(&cfg)
	}
	c, err := providers.NewCKYC(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const ckycPAN = "ABCPE1234F"

func photoHash(pan string) string {
	sum := sha256.Sum256([]byte("photo of " + pan))
	return hex.EncodeToString(sum[:])
}

// download runs the whole flow for pan with otp.
func download(t *testing.T, c *providers.CKYC, pan, otp string) (kyc.CKYCRecord, string, kyc.CKYCRecord, bool, error) {
	t.Helper()
	ctx := context.Background()
	found, err := c.Search(ctx, pan)
	if err != nil || !found.Found {
		t.Fatalf("search %s: %+v %v, want a record", pan, found, err)
	}
	mobile, err := c.RequestOTP(ctx, found.Ref)
	if err != nil {
		t.Fatalf("request OTP: %v", err)
	}
	rec, ok, err := c.Download(ctx, found.Ref, otp)
	return found, mobile, rec, ok, err
}

func TestCKYCSearchAndDownload(t *testing.T) {
	f := newFakeCKYC(t)
	c := cersai(t, f, nil)
	if c.Name() != "cersai" {
		t.Errorf("name %q, want cersai", c.Name())
	}
	found, mobile, rec, ok, err := download(t, c, ckycPAN, "123456")
	if err != nil || !ok {
		t.Fatalf("download: %v %v, want the record", ok, err)
	}
	num := ckycNumber(ckycPAN)
	if want := "XXXXXXXXXX" + num[10:]; found.CKYCNumber != want {
		t.Errorf("search: CKYC number %q, want the registry's masked %q", found.CKYCNumber, want)
	}
	if want := "cersai:00000002:" + ckycRefID(ckycPAN); found.Ref != want {
		t.Errorf("search: ref %q, want %q (the download's request id, the reference id)", found.Ref, want)
	}
	if strings.Contains(found.Ref, num) {
		t.Errorf("the ref %q holds the CKYC number", found.Ref)
	}
	if mobile != "XXXXXX3210" {
		t.Errorf("OTP sent to %q, want XXXXXX3210", mobile)
	}
	want := kyc.CKYCRecord{Found: true, CKYCNumber: num, Name: "MS ASHA RAO", DOB: "1990-04-01", PhotoHash: photoHash(ckycPAN), Ref: found.Ref}
	if rec != want {
		t.Errorf("download: got %+v, want %+v", rec, want)
	}
	// What went on the wire.
	if len(f.bodies) != 3 {
		t.Fatalf("%d requests, want 3", len(f.bodies))
	}
	for i, w := range []struct{ root, rid, pid string }{
		{"<REQ_ROOT>", "00000001", "<DATE_TIME>01-12-2026 11:30:00</DATE_TIME><ID_TYPE>C</ID_TYPE><ID_NO>ABCPE1234F</ID_NO>"},
		{"<CKYC_DOWNLOAD_REQUEST>", "00000002", "<DATE_TIME>01-12-2026 11:30:00</DATE_TIME><CKYC_NO>" + ckycRefID(ckycPAN) + "</CKYC_NO>"},
		{"<CKYC_DOWNLOAD_REQUEST>", "00000002", "<DATE_TIME>01-12-2026 11:30:00</DATE_TIME><OTP>123456</OTP><VALIDATE>Y</VALIDATE>"},
	} {
		body, pid := f.bodies[i], f.pids[i]
		if !strings.Contains(body, w.root) || !strings.Contains(body, "<FI_CODE>IN1234</FI_CODE><REQUEST_ID>"+w.rid+"</REQUEST_ID><VERSION>1.3</VERSION>") {
			t.Errorf("request %d: %s, want %s with FI_CODE IN1234, REQUEST_ID %s, VERSION 1.3", i+1, body, w.root, w.rid)
		}
		if !strings.Contains(pid, w.pid) {
			t.Errorf("request %d: PID_DATA %s, want %s", i+1, pid, w.pid)
		}
	}
	if h := f.headers; h.Get("Content-Type") != "application/xml" || h.Get("X-API-Key") != "gw-key" {
		t.Errorf("headers %v, want Content-Type application/xml and X-API-Key gw-key", h)
	}
}

func TestCKYCSearchOutcomes(t *testing.T) {
	for _, c := range []struct {
		name, pan   string
		notFoundErr bool
		found       bool
		ckycTail    string // the last four of the CKYC number; "" none
		err         string
	}{
		{"found", "ABCPE1234F", false, true, ckycNumber("ABCPE1234F")[10:], ""},
		{"lower case, spaces", " abcpe1234f ", false, true, ckycNumber("ABCPE1234F")[10:], ""},
		{"two records: the first", "ABCPE1234M", false, true, ckycNumber("ABCPE1234M")[10:], ""},
		{"not found (REMARKS)", "ABCPE1235F", false, false, "", ""},
		{"not found (ERROR)", "ABCPE1235F", true, false, "", ""},
		{"no reference id", "ABCPE1238F", false, false, "", "CKYC_REFERENCE_ID"},
	} {
		f := newFakeCKYC(t)
		f.notFoundErr = c.notFoundErr
		rec, err := cersai(t, f, nil).Search(context.Background(), c.pan)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %+v %v, want an error saying %s", c.name, rec, err, c.err)
			}
			continue
		}
		if err != nil || rec.Found != c.found || (c.found && !strings.HasSuffix(rec.CKYCNumber, c.ckycTail)) {
			t.Errorf("%s: %+v %v, want found %v, CKYC number …%s", c.name, rec, err, c.found, c.ckycTail)
		}
		if !c.found && rec.Ref != "cersai:00000001" {
			t.Errorf("%s: ref %q, want the search's cersai:00000001", c.name, rec.Ref)
		}
	}
	// A PAN that is not one is refused before any call.
	f := newFakeCKYC(t)
	if _, err := cersai(t, f, nil).Search(context.Background(), "ABC12"); !nirnay.IsKind(err, nirnay.KindInvalid) || f.calls.Load() != 0 {
		t.Errorf("PAN ABC12: %v after %d calls, want invalid before any", err, f.calls.Load())
	}
}

func TestCKYCDownloadOTPs(t *testing.T) {
	for _, inRemarks := range []bool{false, true} {
		f := newFakeCKYC(t)
		f.otpInRemarks = inRemarks
		c := cersai(t, f, nil)
		found, _, _, ok, err := download(t, c, ckycPAN, "654321")
		if err != nil || ok {
			t.Errorf("wrong OTP (in REMARKS %v): %v %v, want rejected without an error", inRemarks, ok, err)
		}
		if _, ok, err := c.Download(context.Background(), found.Ref, "000000"); err != nil || ok {
			t.Errorf("expired OTP (in REMARKS %v): %v %v, want rejected without an error", inRemarks, ok, err)
		}
		// The pending download takes a later right OTP.
		rec, ok, err := c.Download(context.Background(), found.Ref, "123456")
		if err != nil || !ok || rec.CKYCNumber != ckycNumber(ckycPAN) {
			t.Errorf("right OTP after wrong ones (in REMARKS %v): %+v %v %v, want the record", inRemarks, rec, ok, err)
		}
		// Once downloaded, the request is spent: the registry's refusal is an error.
		var ce *providers.CKYCError
		if _, _, err := c.Download(context.Background(), found.Ref, "123456"); !errors.As(err, &ce) || ce.Op != "validate OTP" {
			t.Errorf("a spent download: %v, want a CKYCError of validate OTP", err)
		}
	}
}

func TestCKYCRegistryRefusals(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		mod    func(*providers.CKYCConfig)
		status int
		says   string
	}{
		{"wrong FI code", func(c *providers.CKYCConfig) { c.FICode = "IN9999" }, 400, "Institution does not exists"},
		{"old version", func(c *providers.CKYCConfig) { c.Version = "1.2" }, 400, "Please enter version number"},
		{"clock 10 minutes ahead", func(c *providers.CKYCConfig) { c.Now = func() time.Time { return t0.Add(10 * time.Minute) } }, 400, "Time difference"},
	} {
		f := newFakeCKYC(t)
		_, err := cersai(t, f, c.mod).Search(ctx, ckycPAN)
		var ce *providers.CKYCError
		if !errors.As(err, &ce) || ce.Status != c.status || !strings.Contains(ce.Message, c.says) || ce.Op != "search" {
			t.Errorf("%s: %v, want a CKYCError of search, HTTP %d saying %q", c.name, err, c.status, c.says)
		}
		if f.calls.Load() != 1 {
			t.Errorf("%s: %d calls, want 1 (refusals are not retried)", c.name, f.calls.Load())
		}
	}
	// A request id too long is refused before any call.
	f := newFakeCKYC(t)
	c := cersai(t, f, func(c *providers.CKYCConfig) { c.RequestID = func() string { return "123456789" } })
	if _, err := c.Search(ctx, ckycPAN); err == nil || !strings.Contains(err.Error(), "RequestID") || f.calls.Load() != 0 {
		t.Errorf("a request id of 9 digits: %v after %d calls, want an error naming RequestID before any", err, f.calls.Load())
	}
	// A request id used twice.
	f = newFakeCKYC(t)
	c = cersai(t, f, func(c *providers.CKYCConfig) { c.RequestID = func() string { return "00000042" } })
	if _, err := c.Search(ctx, ckycPAN); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Search(ctx, ckycPAN); err == nil || !strings.Contains(err.Error(), "Request Id is not unique") {
		t.Errorf("request id reused: %v, want the registry's refusal", err)
	}
	// Refs that are not a found record's; a download never requested.
	c = cersai(t, newFakeCKYC(t), nil)
	for _, ref := range []string{"", "cersai:00000001", "sandbox-ckyc-ABCPE1234F", "cersai:1234567890:IN1", "cersai:1:IN<1>"} {
		if _, err := c.RequestOTP(ctx, ref); err == nil {
			t.Errorf("RequestOTP(%q): no error", ref)
		}
		if _, _, err := c.Download(ctx, ref, "123456"); err == nil {
			t.Errorf("Download(%q): no error", ref)
		}
	}
	var ce *providers.CKYCError
	if _, _, err := c.Download(ctx, "cersai:00000077:IN123456789012", "123456"); !errors.As(err, &ce) || ce.Status != 0 {
		t.Errorf("a download never requested: %v, want the registry's ERROR", err)
	}
	if _, err := c.RequestOTP(ctx, "cersai:00000078:IN000000000000"); !errors.As(err, &ce) || !strings.Contains(ce.Message, "Invalid CKYC Number") {
		t.Errorf("an unknown reference id: %v, want the registry's ERROR", err)
	}
}

func TestCKYCMalformedAnswers(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	envelope := func(pid string) string {
		return `<REQ_ROOT><HEADER><REQUEST_ID>00000001</REQUEST_ID></HEADER><CKYC_INQ><PID>` + pid + `</PID><SESSION_KEY/><ERROR/></CKYC_INQ></REQ_ROOT>`
	}
	ctx := context.Background()
	for _, raw := range []string{
		"",
		"not xml",
		"<REQ_ROOT><HEADER>",
		"<SOMETHING><ELSE/></SOMETHING>",
		"<REQ_ROOT><CKYC_INQ><PID>x</PID></CKYC_INQ></REQ_ROOT><trailing",
		envelope("%%% not base64 %%%"),
		envelope(b64("not xml")),
		envelope(b64("<OTHER_ROOT/>")),
		envelope(b64("<PID_DATA><PERSONAL_DETAILS><CKYC_NO>1</CKYC_NO>")),
		`<REQ_ROOT><HEADER><REQUEST_ID>99999999</REQUEST_ID></HEADER><CKYC_INQ><PID/></CKYC_INQ></REQ_ROOT>`,
		`<REQ_ROOT><CKYC_INQ><PID>` + strings.Repeat("A", providers.MaxCKYCAnswerBytes) + `</PID></CKYC_INQ></REQ_ROOT>`,
	} {
		short := raw[:min(len(raw), 60)]
		f := newFakeCKYC(t)
		c := cersai(t, f, nil)
		f.raw = []string{raw}
		if rec, err := c.Search(ctx, ckycPAN); err == nil {
			t.Errorf("search answered %q: %+v, want an error", short, rec)
		}
		f.raw = []string{raw}
		if m, err := c.RequestOTP(ctx, "cersai:00000001:IN123456789012"); err == nil {
			t.Errorf("download answered %q: %q, want an error", short, m)
		}
		f.raw = []string{raw}
		if _, ok, err := c.Download(ctx, "cersai:00000001:IN123456789012", "123456"); err == nil || ok {
			t.Errorf("validate OTP answered %q: %v %v, want an error", short, ok, err)
		}
		if got := f.calls.Load(); got != 3 {
			t.Errorf("answer %q: %d calls, want 3 (one per call: not retried)", short, got)
		}
	}
}

func TestCKYCRetriesAndTimeouts(t *testing.T) {
	for _, c := range []struct {
		name  string
		fail  []int
		ok    bool
		calls int64
		says  string
	}{
		{"503 then hang-up then an answer", []int{503, 0}, true, 3, ""},
		{"429 then an answer", []int{429}, true, 2, ""},
		{"502 to the last attempt", []int{502, 502, 502}, false, 3, "HTTP 502 (after 3 attempts)"},
		{"403 is not retried", []int{403, 403}, false, 1, "HTTP 403"},
	} {
		f := newFakeCKYC(t)
		f.failHTTP = c.fail
		rec, err := cersai(t, f, nil).Search(context.Background(), ckycPAN)
		if c.ok != (err == nil && rec.Found) || (!c.ok && (err == nil || !strings.Contains(err.Error(), c.says))) {
			t.Errorf("%s: %+v %v, want ok %v or an error saying %q", c.name, rec, err, c.ok, c.says)
		}
		if got := f.calls.Load(); got != c.calls {
			t.Errorf("%s: %d calls, want %d", c.name, got, c.calls)
		}
	}
	f := newFakeCKYC(t)
	f.delay = 2 * time.Second
	c := cersai(t, f, func(c *providers.CKYCConfig) { c.Client, c.Attempts = &http.Client{Timeout: 50 * time.Millisecond}, 2 })
	start := time.Now()
	if _, err := c.Search(context.Background(), ckycPAN); err == nil || f.calls.Load() != 2 {
		t.Errorf("client timeout: %v after %d calls, want an error after 2", err, f.calls.Load())
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a client timeout of 50ms x 2 took %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 80*time.Millisecond)
	defer cancel()
	if _, err := cersai(t, f, func(c *providers.CKYCConfig) { c.Attempts = 5 }).Search(ctx, ckycPAN); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v, want DeadlineExceeded", err)
	}
}
