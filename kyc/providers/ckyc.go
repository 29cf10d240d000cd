package providers

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	neturl "net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/kyc"
)

// The registry's endpoints (appended to CKYCConfig.URL) and the defaults
// of CKYCConfig.
const (
	CKYCSearchPath       = "/Search/ckycverificationservice/verify"
	CKYCDownloadPath     = "/Search/ckycverificationservice/download"
	CKYCValidateOTPPath  = "/Search/ckycverificationservice/ValidateOTP"
	DefaultCKYCVersion   = "1.3"
	DefaultCKYCPhotoCode = "02"
	// MaxCKYCAnswerBytes bounds an answer: a download carries the
	// record's document images, base64-encoded.
	MaxCKYCAnswerBytes = 8 << 20
)

// CKYCConfig configures a CKYC adapter. URL and FICode are required.
type CKYCConfig struct {
	// URL is the registry's base URL (CERSAI's testbed is
	// https://testbed.ckycindia.in, production https://www.ckycindia.in),
	// or a gateway's; the Path constants are appended. SearchURL,
	// DownloadURL and ValidateOTPURL, when set, replace an endpoint whole.
	URL                                    string
	SearchURL, DownloadURL, ValidateOTPURL string
	FICode                                 string // the FI code CERSAI issued: HEADER/FI_CODE
	APIKey                                 string // sent as X-API-Key (gateways)
	BearerToken                            string // sent as Authorization: Bearer (gateways)
	Version                                string // HEADER/VERSION; default DefaultCKYCVersion
	// Signer signs every request document (NewXMLSigner signs with the
	// FI's key and certificate); Sealer encrypts PID blocks and opens the
	// answers'. Without a Sealer a PID block travels base64-encoded in the
	// clear, which only a gateway that seals on the FI's behalf, or a
	// local fake, accepts: NewCKYC refuses a ckycindia.in URL without both.
	Signer CKYCSigner
	Sealer CKYCSealer
	// PhotoCode is the IMAGE_CODE of the photograph among a download's
	// IMAGE_DETAILS; default DefaultCKYCPhotoCode (an assumption: set it
	// to what the registry's code list names).
	PhotoCode string
	Client    *http.Client // default: as ProteanConfig's
	// Attempts per call (default DefaultAttempts): transport errors, 429
	// and 5xx are tried again after RetryDelay (default
	// DefaultRetryDelay), doubling with jitter.
	Attempts   int
	RetryDelay time.Duration
	Now        func() time.Time // default time.Now: DATE_TIME (IST) and request ids
	// RequestID mints HEADER/REQUEST_ID, at most 8 digits and unique for
	// the FI code within a day. The default is the IST second of the day
	// (5 digits) and a counter (3), which starts at random: unique within
	// an instance up to 1,000 requests a second, but instances may
	// collide, so several should share a sequence here.
	RequestID func() string
	Logger    *slog.Logger // default slog.Default(): retries, with masked PANs and request ids only
}

// CKYC searches the Central KYC Registry (CERSAI) by PAN and downloads a
// record with the OTP the registry sends to the mobile registered with it,
// in the XML shape of CERSAI's secured search and download API, version
// 1.3. It implements kyc.CKYCProvider under the name "cersai".
//
// What is taken from documentation and what is assumed: CERSAI's own API
// document (Secured Search/Download API; its v1.3 revision made an
// individual's download need the customer's OTP) was not readable here
// beyond its contents, so the shape follows CERSAI's API presentation
// (XML over HTTPS POST, encrypted and digitally signed requests, the
// testbed and production hosts) and public integrations that agree on:
// the endpoints (the Path constants); the request REQ_ROOT (search) or
// CKYC_DOWNLOAD_REQUEST (download and OTP) holding HEADER {FI_CODE,
// REQUEST_ID, VERSION} and CKYC_INQ {PID, SESSION_KEY} plus the FI's
// enveloped signature; the PID_DATA blocks, DATE_TIME "dd-MM-yyyy
// HH:mm:ss" and then {ID_TYPE C (PAN), ID_NO} to search, {CKYC_NO} to
// download and {OTP, VALIDATE Y} to validate, the last under the
// download's REQUEST_ID; the answers, the same root with HEADER and
// CKYC_INQ {PID, SESSION_KEY, ERROR}, ERROR holding the registry's message
// ("Digital signature cannot be verified", "Request Id is not unique" …);
// a search's PID_DATA listing SearchResponsePID {CKYC_NO (masked since
// 1.3), CKYC_REFERENCE_ID, NAME, FATHERS_NAME, AGE, IMAGE_TYPE, PHOTO,
// KYC_DATE, ID_LIST, REMARKS}, or REMARKS "No records found"; and a
// validated download's PID_DATA {PERSONAL_DETAILS {CKYC_NO, FULLNAME or
// FNAME MNAME LNAME, DOB dd-MM-yyyy}, IMAGE_DETAILS {IMAGE {IMAGE_CODE,
// IMAGE_DATA}}}. Assumed, and flagged where used: that the download
// request of an individual's record needs no AUTH_FACTOR (one integration
// sends AUTH_FACTOR_TYPE 03 with the customer's mobile, which
// kyc.CKYCProvider does not carry; the older non-OTP download sends 01
// with the date of birth); that its answer names the mobile in MOB_NUM or
// in REMARKS; that a wrong or expired OTP is an ERROR or REMARKS naming
// the OTP; the photograph's IMAGE_CODE (PhotoCode); the request id's
// format (8 digits). The PID encryption (an AES-256 session key wrapped
// with CERSAI's RSA public key; public integrations disagree on the AES
// mode and the OAEP hash) is left to the Sealer.
//
// The download is addressed by CKYC_REFERENCE_ID, which a search answer
// must carry: Ref ("cersai:" + the download's request id + ":" + the
// reference id) is stored in evidence, so it holds no CKYC number. The
// CKYC number a search or download returns is passed on whole (kyc masks
// it) and is never logged or put in an error; PANs in logs are masked to
// their last four characters, the registry's messages redacted.
//
// Retries: RequestOTP retried after a first attempt reached the registry
// may send a second OTP or be refused as a repeated request id; Download
// retried may find the OTP spent. It is safe for concurrent use.
type CKYC struct {
	cfg                        CKYCConfig
	search, download, validate ckycOp
	post                       *poster
}

// ckycOp is one of the registry's calls.
type ckycOp struct{ name, url, root string }

// NewCKYC returns the adapter; it fails without an FI code or an https
// URL (plain http only to a loopback host), or for CERSAI's own hosts
// without both a Signer and a Sealer.
func NewCKYC(cfg CKYCConfig) (*CKYC, error) {
	if strings.TrimSpace(cfg.FICode) == "" {
		return nil, errors.New("cersai: the FI code is required")
	}
	for _, e := range []struct {
		name, path string
		url        *string
	}{{"SearchURL", CKYCSearchPath, &cfg.SearchURL}, {"DownloadURL", CKYCDownloadPath, &cfg.DownloadURL},
		{"ValidateOTPURL", CKYCValidateOTPPath, &cfg.ValidateOTPURL}} {
		if *e.url == "" {
			if cfg.URL == "" {
				return nil, errors.New("cersai: URL is required")
			}
			*e.url = strings.TrimSuffix(cfg.URL, "/") + e.path
		}
		if err := checkURL(e.name, *e.url); err != nil {
			return nil, fmt.Errorf("cersai: %w", err)
		}
		pu, _ := neturl.Parse(*e.url)
		if host := strings.ToLower(pu.Hostname()); (host == "ckycindia.in" || strings.HasSuffix(host, ".ckycindia.in")) &&
			(cfg.Signer == nil || cfg.Sealer == nil) {
			return nil, errors.New("cersai: the registry itself needs a Signer and a Sealer (a gateway that seals needs neither)")
		}
	}
	if cfg.Version == "" {
		cfg.Version = DefaultCKYCVersion
	}
	if cfg.PhotoCode == "" {
		cfg.PhotoCode = DefaultCKYCPhotoCode
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RequestID == nil {
		cfg.RequestID = newCKYCRequestIDs(cfg.Now)
	}
	p := newPoster("cersai", cfg.Client, cfg.Attempts, cfg.RetryDelay, cfg.Logger)
	p.limit = MaxCKYCAnswerBytes
	return &CKYC{cfg: cfg, post: p,
		search:   ckycOp{"search", cfg.SearchURL, "REQ_ROOT"},
		download: ckycOp{"download", cfg.DownloadURL, "CKYC_DOWNLOAD_REQUEST"},
		validate: ckycOp{"validate OTP", cfg.ValidateOTPURL, "CKYC_DOWNLOAD_REQUEST"}}, nil
}

// newCKYCRequestIDs is the default CKYCConfig.RequestID.
func newCKYCRequestIDs(now func() time.Time) func() string {
	var n atomic.Uint32
	var seed [4]byte
	_, _ = rand.Read(seed[:])
	n.Store(binary.BigEndian.Uint32(seed[:]))
	return func() string {
		t := now().In(ist)
		return fmt.Sprintf("%05d%03d", t.Hour()*3600+t.Minute()*60+t.Second(), n.Add(1)%1000)
	}
}

// Name is "cersai".
func (*CKYC) Name() string { return "cersai" }

const ckycRefPrefix = "cersai:"

var (
	ckycRefPattern   = regexp.MustCompile(`^cersai:([0-9]{1,8}):([A-Za-z0-9]{1,32})$`)
	requestIDPattern = regexp.MustCompile(`^[0-9]{1,8}$`)
)

// parseCKYCRef reads a Ref of a found record.
func parseCKYCRef(ref string) (rid, refID string, err error) {
	m := ckycRefPattern.FindStringSubmatch(ref)
	if m == nil {
		return "", "", errors.New("cersai: not the ref of a found CKYC record")
	}
	return m[1], m[2], nil
}

// Search looks the PAN up (ID_TYPE C). A found record carries the CKYC
// number as the registry sent it (masked but for its last four digits
// since 1.3) and Ref; none found: Found false. Errors: KindInvalid for a
// PAN that is not one; an error for a RequestID that mints anything but 1
// to 8 digits; a *CKYCError for the registry's ERROR or
// an HTTP status other than 200; an error for an answer that is not the
// XML above, that carries no CKYC_REFERENCE_ID for a found record, or
// whose PID cannot be opened; the transport's or ctx's error after the
// retries.
func (c *CKYC) Search(ctx context.Context, pan string) (kyc.CKYCRecord, error) {
	pan = strings.ToUpper(strings.TrimSpace(pan))
	if len(pan) != 10 || !panLike.MatchString(pan) {
		return kyc.CKYCRecord{}, nirnay.FieldError("pan", "must be a PAN: 5 letters, 4 digits and a letter")
	}
	rid, next := c.cfg.RequestID(), c.cfg.RequestID()
	for _, id := range []string{rid, next} {
		if !requestIDPattern.MatchString(id) {
			return kyc.CKYCRecord{}, fmt.Errorf("cersai: RequestID minted %q, not 1 to 8 digits", redact(id))
		}
	}
	pid, err := ckycPID(c.cfg.Now(), [2]string{"ID_TYPE", "C"}, [2]string{"ID_NO", pan})
	if err != nil {
		return kyc.CKYCRecord{}, err
	}
	data, regErr, err := c.exchange(ctx, c.search, rid, pid, mask(pan))
	switch {
	case err != nil:
		return kyc.CKYCRecord{}, err
	case regErr != "" && noRecords.MatchString(regErr):
		return kyc.CKYCRecord{Ref: ckycRefPrefix + rid}, nil
	case regErr != "":
		return kyc.CKYCRecord{}, &CKYCError{Op: c.search.name, Message: redact(regErr)}
	}
	rec, found, err := parseCKYCSearch(data)
	if err != nil {
		return kyc.CKYCRecord{}, fmt.Errorf("cersai: search: %w", err)
	}
	if !found {
		return kyc.CKYCRecord{Ref: ckycRefPrefix + rid}, nil
	}
	refID := strings.TrimSpace(rec.RefID)
	if !ckycRefPattern.MatchString(ckycRefPrefix + next + ":" + refID) {
		return kyc.CKYCRecord{}, errors.New("cersai: search: a record found without a usable CKYC_REFERENCE_ID (a registry before version 1.3?)")
	}
	return kyc.CKYCRecord{Found: true, CKYCNumber: strings.TrimSpace(rec.CKYCNo), Ref: ckycRefPrefix + next + ":" + refID}, nil
}

// RequestOTP asks the registry to download the record of ref (CKYC_NO its
// reference id, no AUTH_FACTOR: assumed, see CKYC), which sends the
// customer the OTP; it returns the mobile named in the answer masked to
// its last four digits, or "" when the answer names none. Errors: as
// Search's, and one for a ref that is not a found record's.
func (c *CKYC) RequestOTP(ctx context.Context, ref string) (string, error) {
	rid, refID, err := parseCKYCRef(ref)
	if err != nil {
		return "", err
	}
	pid, err := ckycPID(c.cfg.Now(), [2]string{"CKYC_NO", refID})
	if err != nil {
		return "", err
	}
	data, regErr, err := c.exchange(ctx, c.download, rid, pid, "request "+rid)
	switch {
	case err != nil:
		return "", err
	case regErr != "":
		return "", &CKYCError{Op: c.download.name, Message: redact(regErr)}
	}
	return parseCKYCOTPSent(data)
}

// Download validates the customer's OTP under the download's request id
// and returns the record: its whole CKYC number, name, date of birth
// (YYYY-MM-DD, "" when unreadable) and the hex SHA-256 of the photograph
// (PhotoCode), Ref unchanged. ok is false, without an error, when the
// registry names the OTP wrong or expired. Errors: as RequestOTP's, and
// one for an answer without PERSONAL_DETAILS.
func (c *CKYC) Download(ctx context.Context, ref, otp string) (kyc.CKYCRecord, bool, error) {
	rid, _, err := parseCKYCRef(ref)
	if err != nil {
		return kyc.CKYCRecord{}, false, err
	}
	pid, err := ckycPID(c.cfg.Now(), [2]string{"OTP", strings.TrimSpace(otp)}, [2]string{"VALIDATE", "Y"})
	if err != nil {
		return kyc.CKYCRecord{}, false, err
	}
	data, regErr, err := c.exchange(ctx, c.validate, rid, pid, "request "+rid)
	switch {
	case err != nil:
		return kyc.CKYCRecord{}, false, err
	case regErr != "" && otpRejected.MatchString(regErr):
		return kyc.CKYCRecord{}, false, nil
	case regErr != "":
		return kyc.CKYCRecord{}, false, &CKYCError{Op: c.validate.name, Message: redact(regErr)}
	}
	rec, remarks, err := parseCKYCDownload(data, c.cfg.PhotoCode)
	switch {
	case err == errNoPersonalDetails && otpRejected.MatchString(remarks):
		return kyc.CKYCRecord{}, false, nil
	case err != nil:
		return kyc.CKYCRecord{}, false, fmt.Errorf("cersai: validate OTP: %w", err)
	}
	rec.Ref = ref
	return rec, true, nil
}

var (
	// noRecords is the registry's message for a search that found nothing.
	noRecords = regexp.MustCompile(`(?i)\bno (kyc )?records? (were )?found\b`)
	// otpRejected is a message that the OTP is wrong or expired (assumed
	// wording: the registry's list was not available).
	otpRejected = regexp.MustCompile(`(?i)(\botp\b.*\b(invalid|incorrect|wrong|mismatch|expired|not valid|does not match|attempts)\b)|(\b(invalid|incorrect|wrong|expired)\b.*\botp\b)`)
)

// CKYCError is the registry refusing a call: the ERROR of an answer, or
// an HTTP status other than 200 (429 and 5xx after the retries are
// transport errors), with the registry's message redacted.
type CKYCError struct {
	Op      string // search, download, validate OTP
	Status  int    // the HTTP status; 0 for an ERROR in a 200 answer
	Message string
}

func (e *CKYCError) Error() string {
	s := "cersai: " + e.Op
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// exchange sends one call: the PID block pid sealed in the envelope of op
// under request id rid, signed, posted with the retries. It returns the
// answer's opened PID_DATA (nil when it carries none) and the registry's
// error text. subject names the call in the log.
func (c *CKYC) exchange(ctx context.Context, op ckycOp, rid string, pid []byte, subject string) ([]byte, string, error) {
	encPID, sessionKey, err := c.seal(ctx, pid)
	if err != nil {
		return nil, "", fmt.Errorf("cersai: %s: seal the PID: %w", op.name, err)
	}
	doc, err := ckycEnvelope(op.root, c.cfg.FICode, rid, c.cfg.Version, encPID, sessionKey)
	if err != nil {
		return nil, "", fmt.Errorf("cersai: %s: %w", op.name, err)
	}
	if c.cfg.Signer != nil {
		if doc, err = c.cfg.Signer.SignXML(ctx, doc); err != nil {
			return nil, "", fmt.Errorf("cersai: %s: sign the request: %w", op.name, err)
		}
	}
	hdr := http.Header{"Content-Type": {"application/xml"}, "Accept": {"application/xml"}}
	if c.cfg.APIKey != "" {
		hdr.Set("X-API-Key", c.cfg.APIKey)
	}
	if c.cfg.BearerToken != "" {
		hdr.Set("Authorization", "Bearer "+c.cfg.BearerToken)
	}
	var ans *ckycAnswer
	err = c.post.post(ctx, op.url, hdr, doc, subject, func(status int, data []byte) error {
		a, perr := parseCKYCAnswer(data)
		if status != http.StatusOK {
			msg := ""
			if perr == nil {
				msg = a.errorText()
			}
			return &CKYCError{Op: op.name, Status: status, Message: redact(msg)}
		}
		if perr != nil {
			return fmt.Errorf("cersai: %s: answer is not the CKYC XML: %w", op.name, perr)
		}
		if got := strings.TrimSpace(a.Header.RequestID); got != "" && got != rid {
			return fmt.Errorf("cersai: %s: the answer is to request %s, not %s", op.name, redact(got), rid)
		}
		ans = a
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if msg := ans.errorText(); msg != "" {
		return nil, msg, nil
	}
	if ans.Inq == nil || strings.TrimSpace(ans.Inq.PID) == "" {
		return nil, "", nil
	}
	data, err := c.open(ctx, ans.Inq.PID, ans.Inq.SessionKey)
	if err != nil {
		return nil, "", fmt.Errorf("cersai: %s: open the answer's PID: %w", op.name, err)
	}
	return data, "", nil
}
