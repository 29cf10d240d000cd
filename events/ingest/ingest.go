// Package ingest defines Nirnay's typed events (DESIGN §10) and validates
// them: the envelope every event shares, the payload of each type, and the
// bounds of a batch.
//
// Event types:
//
//	device_apps           {"packages": ["com.foo.app", …]}            needs device_id
//	sms                   {"sender": "VM-HDFCBK", "body": "…"}
//	app_event             {"name": "screen_view"|"click"|…, "screen": "…", "element": "…", "session_id": "…", "props": {…}}
//	application_created,  lending domain events from the outbox:
//	loan_disbursed,       any JSON object; amounts as rupee strings or
//	payment_received,     numbers, dpd as an integer
//	dpd_changed,
//	lending_event         any other lending domain event; data carries its "topic"
//	case_decided          a manual review case's verdict (package cases), from the outbox
//
// Before an event is validated, and so before it reaches the stream, the
// archive or the dead-letter store, its data loses the personal data
// StoredKinds names (see Check). Validation is pure and safe for
// concurrent use.
package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/nirnay/nirnay/pii"
)

// StoredKinds is the personal data removed from every event's data before
// it is kept anywhere (pii.RedactJSON): Aadhaar numbers, by value and
// under Aadhaar keys, which keep only their last four digits
// ("XXXXXXXX1234", DESIGN §16), and PANs, Indian mobile numbers and e-mail
// addresses by value. Long digit runs (pii.Account) stay: SMS quote
// references and transaction ids of that length, and the SMS parser reads
// a masked number as an account suffix. Amounts, balances and masked
// account suffixes are untouched, so SMS bodies parse as before (see
// TestRedactionKeepsSMSParse). The envelope's ids are kept as sent.
const StoredKinds = pii.Aadhaar | pii.PAN | pii.Mobile | pii.Email

// The event types.
const (
	TypeDeviceApps         = "device_apps"
	TypeSMS                = "sms"
	TypeAppEvent           = "app_event"
	TypeApplicationCreated = "application_created"
	TypeLoanDisbursed      = "loan_disbursed"
	TypePaymentReceived    = "payment_received"
	TypeDPDChanged         = "dpd_changed"
	TypeLendingEvent       = "lending_event"
	TypeCaseDecided        = "case_decided"
)

// Types lists every accepted type in a fixed order.
func Types() []string {
	return []string{TypeDeviceApps, TypeSMS, TypeAppEvent, TypeApplicationCreated, TypeLoanDisbursed, TypePaymentReceived, TypeDPDChanged, TypeLendingEvent,
		TypeCaseDecided}
}

// IsLending reports whether t is a domain event type from the outbox (the
// lending core's, and a review case's verdict).
func IsLending(t string) bool {
	switch t {
	case TypeApplicationCreated, TypeLoanDisbursed, TypePaymentReceived, TypeDPDChanged, TypeLendingEvent, TypeCaseDecided:
		return true
	}
	return false
}

// Limits. A batch is also bounded in bytes by the API's body limit.
const (
	MaxBatch       = 500       // events in one batch
	MaxBatchBytes  = 1 << 20   // encoded size of one batch's events
	MaxEventBytes  = 64 << 10  // encoded size of one event's data
	MaxIDLength    = 128       // event and customer id
	MaxPackages    = 2000      // packages in one device_apps event
	MaxSMSBody     = 2048      // the SMS parser reads no further
	maxShortString = 256       // sender, names, screens, elements
	maxSkew        = time.Hour // how far in the future an event may be dated
)

// Event is one ingested event: the envelope and its typed data, kept raw so
// that the archive stores exactly what arrived.
type Event struct {
	// ID is the producer's id; consumers apply an event at most once by it.
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	CustomerID string          `json:"customer_id"`
	DeviceID   string          `json:"device_id,omitempty"`
	At         time.Time       `json:"at"` // when it happened on the producer
	Data       json.RawMessage `json:"data"`
	// ReceivedAt is set by Nirnay when the event is accepted.
	ReceivedAt time.Time `json:"received_at"`
	// Raw is the event's encoding as read from the stream (never sent);
	// the archive stores it as is.
	Raw []byte `json:"-"`
}

// PeekType returns the type of an encoded event without decoding it: the
// value of the "type" key that json.Marshal writes right after "id" (an id
// never holds a quote or a comma). It returns "" when it cannot tell; then
// decode the event.
func PeekType(data []byte) string {
	const key = `,"type":"`
	i := bytes.Index(data, []byte(key))
	if i < 0 || !bytes.HasPrefix(data, []byte(`{"id":"`)) {
		return ""
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || j > 64 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return ""
	}
	return string(rest[:j])
}

// SMS is the data of an sms event.
type SMS struct {
	Sender string `json:"sender"`
	Body   string `json:"body"`
}

// DeviceApps is the data of a device_apps event: the installed packages.
type DeviceApps struct {
	Packages []string `json:"packages"`
}

// AppEvent is the data of an app_event: a screen view or click.
type AppEvent struct {
	Name      string         `json:"name"`
	Screen    string         `json:"screen,omitempty"`
	Element   string         `json:"element,omitempty"`
	SessionID string         `json:"session_id,omitempty"`
	Props     map[string]any `json:"props,omitempty"`
}

// Problem is why one event of a batch was refused.
type Problem struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// ValidID reports whether s may be an event or customer id: 1 to
// MaxIDLength bytes of letters, digits and . _ : - (no spaces, no slashes).
func ValidID(s string) bool {
	if s == "" || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// Validate checks one event against its type's schema, as of now. It
// returns a reason safe to show a client, or "" when the event is valid.
func Validate(ev *Event, now time.Time) string {
	if r := ValidateEnvelope(ev, now); r != "" {
		return r
	}
	return validateData(ev)
}

// ValidateEnvelope checks what every event shares (ids, time, data size
// and presence, a known type) but not the data's schema.
func ValidateEnvelope(ev *Event, now time.Time) string {
	switch {
	case !ValidID(ev.ID):
		return "id must be 1-128 characters of letters, digits and . _ : -"
	case !ValidID(ev.CustomerID):
		return "customer_id must be 1-128 characters of letters, digits and . _ : -"
	case ev.DeviceID != "" && !ValidID(ev.DeviceID):
		return "device_id must be 1-128 characters of letters, digits and . _ : -"
	case ev.At.IsZero():
		return "at is required (RFC 3339)"
	case ev.At.After(now.Add(maxSkew)):
		return "at is more than an hour in the future"
	case len(ev.Data) > MaxEventBytes:
		return fmt.Sprintf("data is larger than %d bytes", MaxEventBytes)
	case len(bytes.TrimSpace(ev.Data)) == 0 || bytes.Equal(bytes.TrimSpace(ev.Data), []byte("null")):
		return "data is required"
	case ev.Type == "":
		return "type is required"
	}
	for _, t := range Types() {
		if ev.Type == t {
			return ""
		}
	}
	return fmt.Sprintf("unknown type %q (one of %v)", ev.Type, Types())
}

func validateData(ev *Event) string {
	switch ev.Type {
	case TypeSMS:
		d, ok := plainSMS(ev.Data)
		if !ok {
			if r := strict(ev.Data, &d); r != "" {
				return r
			}
		}
		switch {
		case d.Sender == "" || len(d.Sender) > maxShortString:
			return "data.sender is required (at most 256 bytes)"
		case d.Body == "":
			return "data.body is required"
		case len(d.Body) > MaxSMSBody:
			return fmt.Sprintf("data.body is longer than %d bytes", MaxSMSBody)
		case !utf8.ValidString(d.Body) || !utf8.ValidString(d.Sender):
			return "data.body and data.sender must be UTF-8"
		}
	case TypeDeviceApps:
		var d DeviceApps
		if r := strict(ev.Data, &d); r != "" {
			return r
		}
		switch {
		case ev.DeviceID == "":
			return "device_id is required for device_apps"
		case d.Packages == nil:
			return "data.packages is required (an empty list is allowed)"
		case len(d.Packages) > MaxPackages:
			return fmt.Sprintf("data.packages has more than %d entries", MaxPackages)
		}
		for _, p := range d.Packages {
			if len(p) > maxShortString {
				return "data.packages: a package name is longer than 256 bytes"
			}
		}
	case TypeAppEvent:
		var d AppEvent
		if r := strict(ev.Data, &d); r != "" {
			return r
		}
		switch {
		case d.Name == "" || len(d.Name) > maxShortString:
			return "data.name is required (at most 256 bytes)"
		case len(d.Screen) > maxShortString || len(d.Element) > maxShortString || len(d.SessionID) > maxShortString:
			return "data.screen, data.element and data.session_id are at most 256 bytes"
		}
	case TypeApplicationCreated, TypeLoanDisbursed, TypePaymentReceived, TypeDPDChanged, TypeLendingEvent, TypeCaseDecided:
		var d map[string]any
		if err := json.Unmarshal(ev.Data, &d); err != nil || d == nil {
			return "data must be a JSON object"
		}
		if ev.Type == TypeDPDChanged {
			var x struct {
				DPD *json.Number `json:"dpd"`
			}
			_ = json.Unmarshal(ev.Data, &x)
			if x.DPD == nil {
				return "data.dpd is required for dpd_changed"
			}
			if n, err := x.DPD.Int64(); err != nil || n < 0 {
				return "data.dpd must be a non-negative integer"
			}
		}
	}
	return ""
}

// strict decodes data into v refusing unknown fields.
func strict(data []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return "data does not match the type's schema: " + safeJSONError(err)
	}
	if dec.More() {
		return "data has trailing content"
	}
	return ""
}

func safeJSONError(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		return fmt.Sprintf("field %q must be %s", e.Field, e.Type.String())
	case *json.SyntaxError:
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return msg
}

// Batch is a validated batch: the events to put on the stream and those
// refused with a reason (which go to the dead-letter store).
type Batch struct {
	Accepted []Event
	Refused  []Refused
}

// Refused is an event that failed validation, kept whole for the
// dead-letter store.
type Refused struct {
	Problem
	Event Event
}

// Check validates a batch as of now: it sets ReceivedAt on every event,
// refuses a batch over MaxBatch events, MaxBatchBytes of data or with an id
// repeated (an error, nothing accepted), removes StoredKinds from each
// event's data, and sorts the rest into accepted and refused events (both
// redacted).
func Check(events []Event, now time.Time) (Batch, error) {
	if len(events) == 0 {
		return Batch{}, fmt.Errorf("events: at least one event is required")
	}
	if len(events) > MaxBatch {
		return Batch{}, fmt.Errorf("events: at most %d events in one batch, got %d", MaxBatch, len(events))
	}
	size := 0
	seen := make(map[string]int, len(events))
	var b Batch
	for i := range events {
		ev := events[i]
		size += len(ev.Data)
		if j, dup := seen[ev.ID]; dup && ev.ID != "" {
			return Batch{}, fmt.Errorf("events[%d]: id %q repeats events[%d]", i, ev.ID, j)
		}
		seen[ev.ID] = i
		ev.ReceivedAt = now.UTC()
		ev.At = ev.At.UTC()
		ev.Data = pii.RedactJSON(ev.Data, StoredKinds)
		if r := Validate(&ev, now); r != "" {
			b.Refused = append(b.Refused, Refused{Problem: Problem{Index: i, ID: ev.ID, Reason: r}, Event: ev})
			continue
		}
		b.Accepted = append(b.Accepted, ev)
	}
	if size > MaxBatchBytes {
		return Batch{}, fmt.Errorf("events: the batch's data is larger than %d bytes", MaxBatchBytes)
	}
	return b, nil
}
