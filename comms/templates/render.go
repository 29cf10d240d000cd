package templates

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"

	"github.com/nirnay/nirnay"
)

// Encoding is how an SMS is carried: GSM-7 (160 characters in one
// segment, 153 per segment of a longer one; the extension characters
// count twice) or UCS-2 (70, and 67 per segment), needed by any character
// outside GSM-7 — every Indian script.
type Encoding string

// The SMS encodings.
const (
	GSM7 Encoding = "gsm7"
	UCS2 Encoding = "ucs2"
)

// Rendered is a template rendered for one customer.
type Rendered struct {
	Template string `json:"template"`
	Language string `json:"language"` // the variant used: the customer's, else en
	Text     string `json:"text"`
	Subject  string `json:"subject,omitempty"` // e-mail
	// SMS only: the encoding, the units it takes (septets or UTF-16 code
	// units) and the segments it is sent in; the DLT template id and
	// header it is sent under.
	Encoding      Encoding `json:"encoding,omitempty"`
	Units         int      `json:"units,omitempty"`
	Segments      int      `json:"segments,omitempty"`
	DLTTemplateID string   `json:"dlt_template_id,omitempty"`
	Header        string   `json:"header,omitempty"`
}

// Refusal reasons of Render, recorded with a message that is not sent.
const (
	ReasonMissingVar  = "missing_variable"
	ReasonDLTMismatch = "dlt_mismatch"
	ReasonLink        = "link_not_whitelisted"
)

// Render renders t in lang (en when t has no variant in lang) with vals,
// the value of every variable. It fails closed: a variable without a
// value, an SMS whose text does not match its DLT pattern, or a link to a
// host outside allowedHosts (every channel) is a KindUnprocessable error
// whose Field is the reason (ReasonMissingVar, ReasonDLTMismatch,
// ReasonLink) and nothing is rendered.
func Render(t *Template, lang string, vals map[string]string, allowedHosts []string) (*Rendered, error) {
	v, ok := t.Variants[lang]
	if !ok {
		v, lang = t.Variants[Required[0]], Required[0]
	}
	var missing string
	text := placeholder.ReplaceAllStringFunc(v.Text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		val, ok := vals[name]
		if !ok && missing == "" {
			missing = name
		}
		return val
	})
	if missing != "" {
		return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: ReasonMissingVar,
			Message: "template " + t.ID + ": no value for {{" + missing + "}}"}
	}
	if host, ok := badLink(text, allowedHosts); !ok {
		return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: ReasonLink,
			Message: "template " + t.ID + ": a link to " + host + ", which is not whitelisted"}
	}
	r := &Rendered{Template: t.ID, Language: lang, Text: text, Subject: t.Subject}
	if t.Channel == SMS {
		if !v.pattern.MatchString(text) {
			return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: ReasonDLTMismatch,
				Message: "template " + t.ID + " (" + lang + "): the text does not match DLT template " + v.DLT.TemplateID}
		}
		r.Encoding, r.Units, r.Segments = Segments(text)
		r.DLTTemplateID, r.Header = v.DLT.TemplateID, v.DLT.Header
	}
	return r, nil
}

var linkPattern = regexp.MustCompile(`https?://[^\s]+`)

// badLink returns the first link of text whose host is not allowed (a
// subdomain of an allowed host is allowed); ok when there is none.
func badLink(text string, allowed []string) (string, bool) {
	for _, l := range linkPattern.FindAllString(text, -1) {
		u, err := url.Parse(strings.TrimRight(l, ".,;:!?)"))
		if err != nil || u.Hostname() == "" {
			return l, false
		}
		h := strings.ToLower(u.Hostname())
		if !slices.ContainsFunc(allowed, func(a string) bool { return h == a || strings.HasSuffix(h, "."+a) }) {
			return h, false
		}
	}
	return "", true
}

// gsmBasic and gsmExtended are the GSM 03.38 default alphabet and its
// extension table (each extension character takes two septets).
const (
	gsmBasic    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExtended = "^{}\\[~]|€\f"
)

// Segments is how an SMS of text is carried: GSM-7 when every character
// is in the GSM alphabet (160 septets in one segment, 153 per segment
// beyond), else UCS-2 (70 UTF-16 units, 67 per segment beyond).
func Segments(text string) (Encoding, int, int) {
	septets, gsm := 0, true
	for _, r := range text {
		switch {
		case strings.ContainsRune(gsmBasic, r):
			septets++
		case strings.ContainsRune(gsmExtended, r):
			septets += 2
		default:
			gsm = false
		}
	}
	if gsm {
		return GSM7, septets, count(septets, 160, 153)
	}
	units := len(utf16.Encode([]rune(text)))
	return UCS2, units, count(units, 70, 67)
}

func count(n, single, multi int) int {
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
