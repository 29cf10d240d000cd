package providers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeProtean is a local Protean PAN verification endpoint speaking the
// JSON wire shape. For a PAN it answers pan_status E, unless the last
// letter is X (deactivated), Z (F, fake) or Q (N, not found); name N when
// the digits end in 7, dob N when they end in 6; seeding R when they end
// in 9, NA for a holder that is not a person. It answers in the reverse
// of the request order, so callers must match by PAN. It checks what
// Protean checks (POST, the user id and token, the count of PANs) with
// Protean's codes.
type fakeProtean struct {
	srv      *httptest.Server
	calls    atomic.Int64 // requests received, each attempt one
	maxBatch atomic.Int64
	user     string // required User_ID
	token    string // required bearer token, when set

	mu       sync.Mutex
	failHTTP []int          // statuses of the next requests, in turn (0: hang up without answering)
	codes    []string       // response codes of the next requests failHTTP leaves, in turn
	delay    time.Duration  // before answering
	drop     string         // a PAN left out of the answers
	headers  http.Header    // of the last request
	body     map[string]any // of the last request
}

func newFakeProtean(t testing.TB) *fakeProtean {
	f := &fakeProtean{user: "NIRNAY01", token: "tok-1"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProtean) url() string { return f.srv.URL + "/TIN/PanInquiryAPIBackEnd" }

// next pops the scripted outcome of this request: an HTTP status, a
// response code, or neither (answer normally).
func (f *fakeProtean) next() (status int, code string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delay = f.delay
	if len(f.failHTTP) > 0 {
		status, f.failHTTP = f.failHTTP[0], f.failHTTP[1:]
		if status == 0 {
			status = -1
		}
		return status, "", delay
	}
	if len(f.codes) > 0 {
		code, f.codes = f.codes[0], f.codes[1:]
	}
	return 0, code, delay
}

func (f *fakeProtean) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	data, _ := io.ReadAll(r.Body) // first: the server notices a client hanging up only once the body is read
	status, code, delay := f.next()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case status < 0: // a transport failure: the connection closes without an answer
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case status > 0:
		http.Error(w, "scripted failure", status)
		return
	}
	var body struct {
		InputData []struct {
			PAN, Name, FatherName, DOB string
		} `json:"inputData"`
	}
	raw := map[string]any{}
	_ = json.Unmarshal(data, &raw)
	f.mu.Lock()
	f.headers = r.Header.Clone()
	f.body = raw
	f.mu.Unlock()
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	fail := func(c string) { answer(map[string]any{"response_Code": c}) }
	switch {
	case code != "":
		fail(code)
		return
	case r.Method != http.MethodPost:
		fail("10")
		return
	case r.Header.Get("User_ID") != f.user || (f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token):
		fail("3")
		return
	}
	if err := json.Unmarshal(data, &body); err != nil {
		fail("5")
		return
	}
	n := len(body.InputData)
	switch {
	case n == 0:
		fail("5")
		return
	case n > 5:
		fail("7")
		return
	case r.Header.Get("Records_count") != strconv.Itoa(n):
		fail("5")
		return
	}
	for {
		m := f.maxBatch.Load()
		if int64(n) <= m || f.maxBatch.CompareAndSwap(m, int64(n)) {
			break
		}
	}
	out := make([]map[string]string, 0, n)
	for i := n - 1; i >= 0; i-- {
		in := body.InputData[i]
		if in.PAN == f.drop {
			continue
		}
		out = append(out, fakePANAnswer(in.PAN, in.DOB, in.FatherName))
	}
	answer(map[string]any{"response_Code": "1", "outputData": out})
}

// fakePANAnswer is the answer for one PAN per the rules of fakeProtean. A
// DOB not in DD/MM/YYYY does not match.
func fakePANAnswer(pan, dob, father string) map[string]string {
	o := map[string]string{"pan": pan, "pan_status": "E", "name": "Y", "fathername": "", "dob": "Y", "seeding_status": "Y"}
	if len(pan) != 10 {
		o["pan_status"], o["name"], o["dob"], o["seeding_status"] = "N", "N", "N", ""
		return o
	}
	switch pan[9] {
	case 'X':
		o["pan_status"] = "X"
	case 'Z':
		o["pan_status"] = "F"
	case 'Q':
		o["pan_status"] = "N"
	}
	switch pan[8] {
	case '7':
		o["name"] = "N"
	case '6':
		o["dob"] = "N"
	case '9':
		o["seeding_status"] = "R"
	}
	if pan[3] != 'P' {
		o["seeding_status"] = "NA"
	}
	if _, err := time.Parse("02/01/2006", dob); err != nil {
		o["dob"] = "N"
	}
	if father != "" {
		o["fathername"] = "Y"
	}
	return o
}

// fakeBank is a local Cashfree bank-account/sync endpoint. For an account
// number ending in 000 it answers INVALID_ACCOUNT_FAIL, 111
// ACCOUNT_CLOSED, 222 ACCOUNT_BLOCKED, 333 INVALID_IFSC_FAIL, 444
// FAILED_AT_BANK (status FAILED), 555 status RECEIVED; otherwise VALID
// with the declared name in upper case as name_at_bank ("RAMESH GUPTA"
// when the number ends in 7). 9999999999 is refused (400) with a message
// quoting it. Wrong credentials: 401.
type fakeBank struct {
	srv   *httptest.Server
	calls atomic.Int64

	mu       sync.Mutex
	failHTTP []int // statuses of the next requests, in turn
	delay    time.Duration
}

func newFakeBank(t testing.TB) *fakeBank {
	f := &fakeBank{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeBank) url() string { return f.srv.URL + "/verification/bank-account/sync" }

func (f *fakeBank) serve(w http.ResponseWriter, r *http.Request) {
	n := f.calls.Add(1)
	data, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	status, delay := 0, f.delay
	if len(f.failHTTP) > 0 {
		status, f.failHTTP = f.failHTTP[0], f.failHTTP[1:]
	}
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	answer := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	if status != 0 {
		answer(status, map[string]string{"type": "api_error", "code": "scripted", "message": "scripted failure"})
		return
	}
	if r.Header.Get("x-client-id") != "CF-ID" || r.Header.Get("x-client-secret") != "CF-SECRET" {
		answer(401, map[string]string{"type": "authentication_error", "code": "authentication_failed", "message": "Invalid clientId and clientSecret combination"})
		return
	}
	var req struct {
		BankAccount string `json:"bank_account"`
		IFSC        string `json:"ifsc"`
		Name        string `json:"name"`
	}
	if err := json.Unmarshal(data, &req); err != nil || req.BankAccount == "" || len(req.IFSC) != 11 {
		answer(400, map[string]string{"type": "validation_error", "code": "bank_account_missing", "message": "bank_account is missing in the request."})
		return
	}
	if req.BankAccount == "9999999999" {
		answer(400, map[string]string{"type": "validation_error", "code": "bank_account_invalid", "message": "bank_account 9999999999 is not allowed"})
		return
	}
	resp := map[string]any{"reference_id": n, "name_at_bank": strings.ToUpper(req.Name), "bank_name": "YES BANK",
		"utr": "404223241811", "name_match_score": "100.00", "name_match_result": "DIRECT_MATCH",
		"account_status": "VALID", "account_status_code": "ACCOUNT_IS_VALID"}
	set := func(status, code string) {
		resp["account_status"], resp["account_status_code"], resp["name_at_bank"] = status, code, ""
	}
	switch a := req.BankAccount; {
	case strings.HasSuffix(a, "000"):
		set("INVALID", "INVALID_ACCOUNT_FAIL")
	case strings.HasSuffix(a, "111"):
		set("INVALID", "ACCOUNT_CLOSED")
	case strings.HasSuffix(a, "222"):
		set("INVALID", "ACCOUNT_BLOCKED")
	case strings.HasSuffix(a, "333"):
		set("INVALID", "INVALID_IFSC_FAIL")
	case strings.HasSuffix(a, "444"):
		set("FAILED", "FAILED_AT_BANK")
	case strings.HasSuffix(a, "555"):
		set("RECEIVED", "")
	case strings.HasSuffix(a, "7"):
		resp["name_at_bank"] = "RAMESH GUPTA"
	}
	answer(200, resp)
}
