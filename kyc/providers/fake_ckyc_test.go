package providers_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/nirnay/nirnay/kyc/providers"
)

var ist = time.FixedZone("IST", 5*3600+1800)

// fakeCKYC is a local Central KYC Registry speaking CERSAI's XML shape on
// the three endpoints. It checks what the registry checks: the FI code,
// VERSION 1.3, a REQUEST_ID of at most 8 digits not used before (the
// OTP's under its download's), DATE_TIME within 5 minutes of its clock,
// the signature when cert is set, and opens PIDs with sealer when set
// (base64 in the clear otherwise). Envelope faults are HTTP 400 with a
// bare <ERROR>; others an ERROR in a 200 answer.
//
// Records, by PAN: none (REMARKS "No records found") when the digits end
// in 5; a record without CKYC_REFERENCE_ID when they end in 8; two
// records when the last letter is M; one otherwise. Its CKYC number is 14
// digits derived from the PAN (masked in the search answer), the mobile
// 9876543210 (the download answer names it masked in REMARKS), the
// customer ASHA RAO born 01-04-1990, the photograph (IMAGE_CODE 02) the
// bytes "photo of " + PAN and a PAN card image (03) beside it. The OTP is
// 123456; 000000 is expired.
type fakeCKYC struct {
	srv    *httptest.Server
	calls  atomic.Int64
	fiCode string
	now    time.Time
	cert   *x509.Certificate    // requests must be signed with it, when set
	sealer providers.CKYCSealer // PIDs are sealed with it, when set

	mu           sync.Mutex
	failHTTP     []int    // statuses of the next requests (0: hang up)
	raw          []string // bodies of the next answers, as they are
	delay        time.Duration
	notFoundErr  bool // no records is an ERROR rather than REMARKS
	otpInRemarks bool // a wrong OTP is REMARKS rather than ERROR
	seen         map[string]bool
	refs         map[string]string // reference id → PAN
	pending      map[string]string // download request id → PAN
	bodies       []string          // the requests received
	pids         []string          // their PID_DATA, opened
	headers      http.Header       // of the last request
}

func newFakeCKYC(t testing.TB) *fakeCKYC {
	f := &fakeCKYC{fiCode: "IN1234", now: t0, seen: map[string]bool{}, refs: map[string]string{}, pending: map[string]string{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// ckycNumber is the 14-digit CKYC number of the PAN's record.
func ckycNumber(pan string) string {
	sum := sha256.Sum256([]byte("ckyc/" + pan))
	n := ""
	for _, b := range sum[:14] {
		n += string(rune('0' + b%10))
	}
	return n
}

func ckycRefID(pan string) string { return "IN" + ckycNumber(pan)[2:] }

func (f *fakeCKYC) next() (status int, raw *string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failHTTP) > 0 {
		status, f.failHTTP = f.failHTTP[0], f.failHTTP[1:]
		if status == 0 {
			status = -1
		}
		return status, nil, f.delay
	}
	if len(f.raw) > 0 {
		raw, f.raw = &f.raw[0], f.raw[1:]
		return 0, raw, f.delay
	}
	return 0, nil, f.delay
}

func (f *fakeCKYC) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	status, raw, delay := f.next()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case status < 0:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	case status > 0:
		http.Error(w, "scripted failure", status)
		return
	case raw != nil:
		_, _ = io.WriteString(w, *raw)
		return
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(body))
	f.headers = r.Header.Clone()
	f.mu.Unlock()
	refuse := func(msg string) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `<?xml version="1.0"?><ERROR>%s</ERROR>`, msg)
	}
	op := map[string]string{providers.CKYCSearchPath: "REQ_ROOT", providers.CKYCDownloadPath: "CKYC_DOWNLOAD_REQUEST",
		providers.CKYCValidateOTPPath: "CKYC_DOWNLOAD_REQUEST"}[r.URL.Path]
	if op == "" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil || doc.Root() == nil || doc.Root().Tag != op {
		refuse("Invalid XML")
		return
	}
	root := doc.Root()
	if f.cert != nil {
		vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{f.cert}})
		vc.Clock = dsig.NewFakeClockAt(f.now)
		signed, err := vc.Validate(root)
		if err != nil {
			refuse("Digital signature cannot be verified")
			return
		}
		root = signed
	}
	text := func(path string) string {
		if e := root.FindElement(path); e != nil {
			return strings.TrimSpace(e.Text())
		}
		return ""
	}
	rid := text("HEADER/REQUEST_ID")
	switch {
	case text("HEADER/FI_CODE") != f.fiCode:
		refuse("Institution does not exists")
		return
	case text("HEADER/VERSION") != "1.3":
		refuse("Please enter version number")
		return
	case !regexp.MustCompile(`^[0-9]{1,8}$`).MatchString(rid):
		refuse("Invalid Request Id")
		return
	}
	pidXML, err := f.open(r.Context(), text("CKYC_INQ/PID"), text("CKYC_INQ/SESSION_KEY"))
	pid := etree.NewDocument()
	if err != nil || pid.ReadFromBytes(pidXML) != nil || pid.Root() == nil || pid.Root().Tag != "PID_DATA" {
		refuse("PID Data Decoding error")
		return
	}
	f.mu.Lock()
	f.pids = append(f.pids, string(pidXML))
	f.mu.Unlock()
	field := func(name string) string {
		if e := pid.Root().SelectElement(name); e != nil {
			return strings.TrimSpace(e.Text())
		}
		return ""
	}
	at, err := time.ParseInLocation("02-01-2006 15:04:05", field("DATE_TIME"), ist)
	switch {
	case err != nil:
		refuse("Invalid Date-Time Stamp")
		return
	case at.Sub(f.now) > 5*time.Minute || f.now.Sub(at) > 5*time.Minute:
		refuse("Time difference should be less than 5 minutes")
		return
	}
	answer := func(root string, pidData *etree.Element, errMsg string) {
		out := etree.NewDocument()
		out.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
		a := out.CreateElement(root)
		h := a.CreateElement("HEADER")
		h.CreateElement("FI_CODE").SetText(f.fiCode)
		h.CreateElement("REQUEST_ID").SetText(rid)
		h.CreateElement("REQ_DATE").SetText(f.now.In(ist).Format("02-01-2006"))
		h.CreateElement("VERSION").SetText("1.3")
		inq := a.CreateElement("CKYC_INQ")
		encPID, sk := "", ""
		if pidData != nil {
			p := etree.NewDocument()
			p.SetRoot(pidData)
			data, _ := p.WriteToBytes()
			encPID, sk = f.seal(r.Context(), data)
		}
		inq.CreateElement("PID").SetText(encPID)
		inq.CreateElement("SESSION_KEY").SetText(sk)
		inq.CreateElement("ERROR").SetText(errMsg)
		w.Header().Set("Content-Type", "application/xml")
		data, _ := out.WriteToBytes()
		_, _ = w.Write(data)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != providers.CKYCValidateOTPPath {
		if f.seen[rid] {
			refuse("Request Id is not unique")
			return
		}
		f.seen[rid] = true
	}
	switch r.URL.Path {
	case providers.CKYCSearchPath:
		pan := field("ID_NO")
		if field("ID_TYPE") != "C" || len(pan) != 10 {
			answer("REQ_ROOT", remarks("Invalid ID type or number"), "")
			return
		}
		if pan[8] == '5' {
			if f.notFoundErr {
				answer("REQ_ROOT", nil, "No records found")
			} else {
				answer("REQ_ROOT", remarks("No records found"), "")
			}
			return
		}
		out := etree.NewElement("PID_DATA")
		n := 1
		if pan[9] == 'M' {
			n = 2
		}
		for i := range n {
			rec := out.CreateElement("SearchResponsePID")
			num := ckycNumber(pan)
			refID := ckycRefID(pan)
			if i > 0 {
				num, refID = ckycNumber(pan+"/2"), ckycRefID(pan+"/2")
			}
			f.refs[refID] = pan
			rec.CreateElement("CKYC_NO").SetText("XXXXXXXXXX" + num[10:])
			if pan[8] != '8' {
				rec.CreateElement("CKYC_REFERENCE_ID").SetText(refID)
			}
			rec.CreateElement("NAME").SetText("ASHA RAO")
			rec.CreateElement("FATHERS_NAME").SetText("K RAO")
			rec.CreateElement("AGE").SetText("36")
			rec.CreateElement("IMAGE_TYPE").SetText("jpg")
			rec.CreateElement("PHOTO").SetText(base64.StdEncoding.EncodeToString([]byte("photo of " + pan)))
			rec.CreateElement("KYC_DATE").SetText("06-09-2016")
			id := rec.CreateElement("ID_LIST").CreateElement("ID")
			id.CreateElement("TYPE").SetText("C")
			id.CreateElement("STATUS").SetText("03")
			rec.CreateElement("REMARKS")
		}
		answer("REQ_ROOT", out, "")
	case providers.CKYCDownloadPath:
		pan, ok := f.refs[field("CKYC_NO")]
		if !ok {
			answer("CKYC_DOWNLOAD_RESPONSE", nil, "Invalid CKYC Number")
			return
		}
		f.pending[rid] = pan
		answer("CKYC_DOWNLOAD_RESPONSE", remarks("OTP has been sent to the registered mobile number XXXXXX3210"), "")
	case providers.CKYCValidateOTPPath:
		pan, ok := f.pending[rid]
		switch otp := field("OTP"); {
		case !ok:
			answer("CKYC_DOWNLOAD_RESPONSE", nil, "No download request for this Request Id")
		case otp != "123456":
			msg := "Invalid OTP"
			if otp == "000000" {
				msg = "OTP expired"
			}
			if f.otpInRemarks {
				answer("CKYC_DOWNLOAD_RESPONSE", remarks(msg), "")
			} else {
				answer("CKYC_DOWNLOAD_RESPONSE", nil, msg)
			}
		default:
			delete(f.pending, rid)
			answer("CKYC_DOWNLOAD_RESPONSE", fakeRecord(pan), "")
		}
	}
}

func remarks(msg string) *etree.Element {
	e := etree.NewElement("PID_DATA")
	e.CreateElement("REMARKS").SetText(msg)
	return e
}

// fakeRecord is the downloaded record of the PAN.
func fakeRecord(pan string) *etree.Element {
	e := etree.NewElement("PID_DATA")
	pd := e.CreateElement("PERSONAL_DETAILS")
	for _, kv := range [][2]string{{"CONSTI_TYPE", "01"}, {"ACC_TYPE", "01"}, {"CKYC_NO", ckycNumber(pan)}, {"PREFIX", "MS"},
		{"FNAME", "ASHA"}, {"LNAME", "RAO"}, {"FULLNAME", "MS ASHA  RAO"}, {"GENDER", "F"}, {"DOB", "01-04-1990"},
		{"PAN", pan}, {"MOB_CODE", "91"}, {"MOB_NUM", "9876543210"}} {
		pd.CreateElement(kv[0]).SetText(kv[1])
	}
	imgs := e.CreateElement("IMAGE_DETAILS")
	for _, img := range [][2]string{{"03", "pan card of " + pan}, {"02", "photo of " + pan}} {
		i := imgs.CreateElement("IMAGE")
		i.CreateElement("SEQUENCE_NO").SetText("1")
		i.CreateElement("IMAGE_TYPE").SetText("jpg")
		i.CreateElement("IMAGE_CODE").SetText(img[0])
		i.CreateElement("IMAGE_DATA").SetText(base64.StdEncoding.EncodeToString([]byte(img[1])))
	}
	return e
}

func (f *fakeCKYC) open(ctx context.Context, pid, sk string) ([]byte, error) {
	if f.sealer != nil {
		return f.sealer.Open(ctx, pid, sk)
	}
	return base64.StdEncoding.DecodeString(pid)
}

func (f *fakeCKYC) seal(ctx context.Context, data []byte) (string, string) {
	if f.sealer != nil {
		pid, sk, _ := f.sealer.Seal(ctx, data)
		return pid, sk
	}
	return base64.StdEncoding.EncodeToString(data), ""
}
