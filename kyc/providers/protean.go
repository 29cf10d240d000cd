package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/kyc"
)

// Signer signs the request data of a Protean call: the JSON array of
// inputData as sent. Protean's direct API wants a detached PKCS#7
// signature made with the entity's registered class-3 digital signature
// certificate (DSC), base64-encoded; Go's standard library has no PKCS#7,
// so Nirnay does not make one itself: an entity that calls Protean
// directly plugs in its signer here (an HSM or signing service). Gateways
// that front the API with their own authentication (a bearer token or an
// API key) need none. RBIH's variant, which encrypts the body with an AES
// session key wrapped for RBIH, is not implemented.
type Signer interface {
	Sign(ctx context.Context, data []byte) (string, error)
}

// ProteanConfig configures a Protean adapter. Only URL is required; the
// credentials are sent when set.
type ProteanConfig struct {
	URL         string // the verification endpoint (HTTPS)
	UserID      string // Protean's user id: the User_ID header and the Transaction_ID prefix
	APIKey      string // sent as the X-API-Key header (gateways)
	BearerToken string // sent as Authorization: Bearer (gateways)
	// Version is the Version header, the file-format version the request
	// follows (response code 12 when Protean does not accept it); default
	// "4". Set it to what the format document issued with the user id
	// names.
	Version string
	Signer  Signer       // optional: adds "signature" to the body
	Client  *http.Client // default: DefaultTimeout per attempt, at most DefaultConnsPerHost connections
	// Attempts per call (default DefaultAttempts); transport errors, 429,
	// 5xx and response code 2 (system error) are tried again after
	// RetryDelay (default DefaultRetryDelay), doubling with jitter.
	Attempts   int
	RetryDelay time.Duration
	Now        func() time.Time // default time.Now: Request_time and transaction ids
	Logger     *slog.Logger     // default slog.Default(): retries, with masked PANs
}

// Protean verifies PANs with Protean eGov Technologies' (formerly NSDL
// e-Gov) online PAN verification API in its JSON shape: one POST of
// {"inputData": [{"pan", "name", "fathername", "dob": "DD/MM/YYYY"}, …]}
// with up to kyc.MaxPANsPerCall PANs and the headers User_ID,
// Records_count, Request_time (IST, 2006-01-02T15:04:05), Transaction_ID
// (user id:pan_ULID) and Version, answered by
// {"response_Code": "1", "outputData": [{"pan", "pan_status", "name",
// "fathername", "dob", "seeding_status"}, …]} where name, fathername and
// dob are Y or N (match or not; fathername empty when none was sent),
// pan_status the department's status (kyc.PANStatus) and seeding_status
// Y, R or NA (kyc.Seeding). Protean returns no name on record: results
// carry the provider's name verdict only. Every result's Ref is the call's
// Transaction_ID.
//
// A response_Code other than 1 fails the whole call with a *ProteanError
// naming the code as Protean documents it (see ProteanError); code 2
// (system error) is tried again. The signing of the request (see Signer)
// is left to the entity. It is safe for concurrent use.
type Protean struct {
	cfg  ProteanConfig
	post *poster
	ids  *ids.Generator
}

// ErrTooManyPANs is returned, before any call, for more than
// kyc.MaxPANsPerCall PANs.
var ErrTooManyPANs = fmt.Errorf("protean: more than %d PANs in one call", kyc.MaxPANsPerCall)

// NewProtean returns the adapter; it fails when the URL is missing or not
// https (plain http is accepted to a loopback host only).
func NewProtean(cfg ProteanConfig) (*Protean, error) {
	if err := checkURL("URL", cfg.URL); err != nil {
		return nil, fmt.Errorf("protean: %w", err)
	}
	if cfg.Version == "" {
		cfg.Version = "4"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Protean{cfg: cfg, post: newPoster("protean", cfg.Client, cfg.Attempts, cfg.RetryDelay, cfg.Logger), ids: ids.New(cfg.Now)}, nil
}

// Name is "protean".
func (*Protean) Name() string { return "protean" }

type proteanInput struct {
	PAN        string `json:"pan"`
	Name       string `json:"name"`
	FatherName string `json:"fathername"`
	DOB        string `json:"dob"`
}

type proteanOutput struct {
	PAN        string `json:"pan"`
	PANStatus  string `json:"pan_status"`
	Name       string `json:"name"`
	FatherName string `json:"fathername"`
	DOB        string `json:"dob"`
	Seeding    string `json:"seeding_status"`
}

type proteanResponse struct {
	Code   responseCode    `json:"response_Code"`
	Output []proteanOutput `json:"outputData"`
}

// responseCode reads a code sent as a JSON string or number.
type responseCode string

func (c *responseCode) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if u, err := strconv.Unquote(s); err == nil {
		s = u
	}
	*c = responseCode(strings.TrimSpace(s))
	return nil
}

// ist is India Standard Time, Request_time's zone.
var ist = india.Zone

// VerifyPANs verifies up to kyc.MaxPANsPerCall PANs in one call; results
// are in request order, matched to the requests by PAN (a PAN asked twice
// takes the answers in turn). None for no requests, without a call.
// Errors: ErrTooManyPANs; a KindInvalid error for a DOB that is not
// YYYY-MM-DD; a *ProteanError for a response code other than 1; an error
// for an answer that is not the JSON above or lacks a requested PAN; the
// transport's or ctx's error after the retries.
func (p *Protean) VerifyPANs(ctx context.Context, reqs []kyc.PANRequest) ([]kyc.PANResult, error) {
	if len(reqs) > kyc.MaxPANsPerCall {
		return nil, ErrTooManyPANs
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	in := make([]proteanInput, len(reqs))
	masked := make([]string, len(reqs))
	for i, r := range reqs {
		dob, err := proteanDOB(r.DOB)
		if err != nil {
			return nil, err
		}
		in[i] = proteanInput{PAN: strings.ToUpper(strings.TrimSpace(r.PAN)), Name: r.Name, FatherName: r.FatherName, DOB: dob}
		masked[i] = mask(in[i].PAN)
	}
	body, txn, err := p.request(ctx, in)
	if err != nil {
		return nil, err
	}
	hdr := http.Header{
		"Content-Type":   {"application/json"},
		"Accept":         {"application/json"},
		"Records_count":  {strconv.Itoa(len(in))},
		"Request_time":   {p.cfg.Now().In(ist).Format("2006-01-02T15:04:05")},
		"Transaction_ID": {txn},
		"Version":        {p.cfg.Version},
	}
	if p.cfg.UserID != "" {
		hdr["User_ID"] = []string{p.cfg.UserID}
	}
	if p.cfg.APIKey != "" {
		hdr.Set("X-API-Key", p.cfg.APIKey)
	}
	if p.cfg.BearerToken != "" {
		hdr.Set("Authorization", "Bearer "+p.cfg.BearerToken)
	}
	var out []proteanOutput
	err = p.post.post(ctx, p.cfg.URL, hdr, body, strings.Join(masked, ","), func(status int, data []byte) error {
		if status != http.StatusOK {
			return fmt.Errorf("protean: HTTP %d", status)
		}
		var resp proteanResponse
		if err := json.Unmarshal(data, &resp); err != nil {
			return fmt.Errorf("protean: answer is not the verification JSON: %w", err)
		}
		if resp.Code != "1" {
			perr := &ProteanError{Code: string(resp.Code)}
			if perr.Code == "2" {
				return errRetry{perr}
			}
			return perr
		}
		out = resp.Output
		return nil
	})
	if err != nil {
		return nil, err
	}
	return matchOutputs(in, out, txn)
}

// request is the body of a call and its transaction id.
func (p *Protean) request(ctx context.Context, in []proteanInput) ([]byte, string, error) {
	txn := p.ids.New("pan")
	if p.cfg.UserID != "" {
		txn = p.cfg.UserID + ":" + txn
	}
	body := struct {
		InputData []proteanInput `json:"inputData"`
		Signature string         `json:"signature,omitempty"`
	}{InputData: in}
	if p.cfg.Signer != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, "", err
		}
		if body.Signature, err = p.cfg.Signer.Sign(ctx, data); err != nil {
			return nil, "", fmt.Errorf("protean: sign the request: %w", err)
		}
	}
	data, err := json.Marshal(body)
	return data, txn, err
}

// matchOutputs orders the answers as the requests, by PAN.
func matchOutputs(in []proteanInput, out []proteanOutput, ref string) ([]kyc.PANResult, error) {
	byPAN := make(map[string][]proteanOutput, len(out))
	for _, o := range out {
		p := strings.ToUpper(strings.TrimSpace(o.PAN))
		byPAN[p] = append(byPAN[p], o)
	}
	res := make([]kyc.PANResult, len(in))
	for i, r := range in {
		q := byPAN[r.PAN]
		if len(q) == 0 {
			return nil, fmt.Errorf("protean: the answer has no result for PAN %s (request %d of %d)", mask(r.PAN), i+1, len(in))
		}
		o := q[0]
		byPAN[r.PAN] = q[1:]
		res[i] = kyc.PANResult{PAN: r.PAN, Status: kyc.PANStatus(strings.ToUpper(strings.TrimSpace(o.PANStatus))),
			NameMatch: yn(o.Name), DOBMatch: yn(o.DOB), Seeding: kyc.Seeding(strings.ToUpper(strings.TrimSpace(o.Seeding))), Ref: ref}
	}
	return res, nil
}

// yn is Y for a Y verdict and N for anything else.
func yn(s string) string {
	if strings.EqualFold(strings.TrimSpace(s), "Y") {
		return "Y"
	}
	return "N"
}

// proteanDOB turns YYYY-MM-DD into Protean's DD/MM/YYYY ("" stays "").
func proteanDOB(dob string) (string, error) {
	if dob == "" {
		return "", nil
	}
	t, err := time.Parse(time.DateOnly, dob)
	if err != nil {
		return "", nirnay.FieldError("dob", "must be a date of birth as YYYY-MM-DD")
	}
	return t.Format("02/01/2006"), nil
}

// ProteanError is a response_Code other than 1 (success). The codes, as
// Protean's file-format document for the API lists them:
//
//	2  system error (tried again)
//	3  authentication failure
//	4  user not authorised
//	5  no PANs entered
//	6  user validity has expired
//	7  number of PANs exceeds the limit (5)
//	8  not enough balance
//	9  not an HTTPS request
//	10 POST method not used
//	11 slab changed
//	12 invalid version number
//	13 and above: signature and certificate errors (an invalid signature,
//	   a certificate expired, revoked or not registered for the user id)
//
// Other codes are reported as unknown. Protean revises the list with its
// format versions: the document issued with the user id is the authority.
type ProteanError struct {
	Code string
}

var proteanCodes = map[string]string{
	"2": "system error", "3": "authentication failure", "4": "user not authorised", "5": "no PANs entered",
	"6": "user validity has expired", "7": "number of PANs exceeds the limit (5)", "8": "not enough balance",
	"9": "not an HTTPS request", "10": "POST method not used", "11": "slab changed", "12": "invalid version number",
}

// Meaning is what the code means.
func (e *ProteanError) Meaning() string {
	if m, ok := proteanCodes[e.Code]; ok {
		return m
	}
	if n, err := strconv.Atoi(e.Code); err == nil && n >= 13 {
		return "signature or certificate error"
	}
	if e.Code == "" {
		return "no response code"
	}
	return "unknown response code"
}

func (e *ProteanError) Error() string {
	return fmt.Sprintf("protean: response code %q: %s", redact(e.Code), e.Meaning())
}

// IsProteanCode reports whether err is a *ProteanError with the code.
func IsProteanCode(err error, code string) bool {
	var pe *ProteanError
	return errors.As(err, &pe) && pe.Code == code
}
