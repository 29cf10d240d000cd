package templates_test

import (
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/policies"
)

func catalog(t *testing.T) templates.FeatureCheck {
	t.Helper()
	cat, err := policies.Catalog()
	if err != nil {
		t.Fatal(err)
	}
	return func(name string) bool { _, ok := cat.Lookup(name); return ok }
}

var sample = map[string]string{"amount_due": "4,512.00", "due_date": "05-01-2027", "pay_link": "https://nirnay.in/l/Ab3xK9pQ2m",
	"eligible_amount": "1,50,000", "annual_rate": "18.5", "offer_link": "https://nirnay.in/l/Zz91xK3pQa", "loan_id": "ln_01M96",
	"kyc_link": "https://nirnay.in/l/Kq2m9xPa1Z", "amount": "50,000.00", "kfs_link": "https://nirnay.in/kfs/ln_01M96"}

// TestShippedTemplates: the six shipped templates load, each in en, hi
// and ta, and every variant renders, matches its DLT pattern and is
// counted in the right encoding.
func TestShippedTemplates(t *testing.T) {
	c, err := templates.Load(policies.FS, templates.Dir, catalog(t))
	if err != nil {
		t.Fatalf("shipped templates:\n%v", err)
	}
	want := []string{"collections-reminder", "kyc-pending", "loan-disbursed", "offer-promo", "payment-reminder", "welcome"}
	if got := c.IDs(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("templates %v, want %v", got, want)
	}
	for _, id := range want {
		tm, _ := c.Get(id)
		if got := strings.Join(tm.Languages(), " "); got != "en hi ta" {
			t.Errorf("%s: languages %s, want en hi ta", id, got)
		}
		for _, lang := range tm.Languages() {
			r, err := templates.Render(tm, lang, sample, templates.AllowedHosts)
			if err != nil {
				t.Errorf("%s/%s: %v", id, lang, err)
				continue
			}
			wantEnc := templates.UCS2
			if lang == "en" {
				wantEnc = templates.GSM7
			}
			if r.Encoding != wantEnc || r.Segments < 1 || r.DLTTemplateID == "" || r.Header != "NIRNAY" || strings.Contains(r.Text, "{{") {
				t.Errorf("%s/%s: %+v", id, lang, r)
			}
		}
	}
	// A language without a variant falls back to English.
	tm, _ := c.Get("payment-reminder")
	if r, err := templates.Render(tm, "mr", sample, templates.AllowedHosts); err != nil || r.Language != "en" {
		t.Errorf("Marathi: %+v %v, want the en variant", r, err)
	}
}

func TestRenderFailsClosed(t *testing.T) {
	c, err := templates.Load(policies.FS, templates.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := c.Get("payment-reminder")
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range sample {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name   string
		vals   map[string]string
		reason string
	}{
		{"missing variable", with("due_date", ""), templates.ReasonMissingVar},
		{"a value longer than a DLT slot", with("amount_due", strings.Repeat("9", 31)), templates.ReasonDLTMismatch},
		{"a link elsewhere", with("pay_link", "https://evil.example/pay"), templates.ReasonLink},
		{"a look-alike host", with("pay_link", "https://nirnay.in.evil.example/x"), templates.ReasonLink},
	} {
		_, err := templates.Render(tm, "en", c.vals, templates.AllowedHosts)
		var ne *nirnay.Error
		if !nirnay.IsKind(err, nirnay.KindUnprocessable) || !errorsAs(err, &ne) || ne.Field != c.reason {
			t.Errorf("%s: %v, want unprocessable %s", c.name, err, c.reason)
		}
	}
}

func errorsAs(err error, ne **nirnay.Error) bool {
	e, ok := err.(*nirnay.Error)
	*ne = e
	return ok
}

func TestSegments(t *testing.T) {
	for _, c := range []struct {
		text     string
		enc      templates.Encoding
		units    int
		segments int
	}{
		{strings.Repeat("a", 160), templates.GSM7, 160, 1},
		{strings.Repeat("a", 161), templates.GSM7, 161, 2},
		{strings.Repeat("a", 306), templates.GSM7, 306, 2},
		{strings.Repeat("a", 307), templates.GSM7, 307, 3},
		{strings.Repeat("€", 80), templates.GSM7, 160, 1}, // extension characters count twice
		{strings.Repeat("क", 70), templates.UCS2, 70, 1},
		{strings.Repeat("क", 71), templates.UCS2, 71, 2},
		{strings.Repeat("क", 134), templates.UCS2, 134, 2},
		{strings.Repeat("a", 69) + "₹", templates.UCS2, 70, 1}, // one rupee sign makes it UCS-2
	} {
		enc, units, segs := templates.Segments(c.text)
		if enc != c.enc || units != c.units || segs != c.segments {
			t.Errorf("%.12q…: %s %d units %d segments, want %s %d %d", c.text, enc, units, segs, c.enc, c.units, c.segments)
		}
	}
}

// TestBadFilesNameFileLineAndField: each problem of a template file is
// reported as file:line: field: message, every one of them.
func TestBadFilesNameFileLineAndField(t *testing.T) {
	for _, c := range []struct {
		name, doc string
		want      []string
	}{
		{"unknown key", "id: x\nchannel: push\ncategory: service\ncolour: red\nvariants: {en: hi, hi: hi}\n", []string{"x.yaml:4: colour: unknown field"}},
		{"missing language", "id: x\nchannel: push\ncategory: service\nvariants:\n  en: Hello\n", []string{"x.yaml:5: variants: missing language hi"}},
		{"placeholder without a source", "id: x\nchannel: push\ncategory: service\nvariants:\n  en: Hello {{name}}\n  hi: नमस्ते\n",
			[]string{"x.yaml:5: variants.en: placeholder {{name}} has no source"}},
		{"unknown feature", "id: x\nchannel: push\ncategory: service\nvars:\n  n: feature:no_such_feature\nvariants:\n  en: Hello {{n}}\n  hi: नमस्ते {{n}}\n",
			[]string{"x.yaml:5: vars.n: feature \"no_such_feature\" is not in the catalog"}},
		{"DLT pattern mismatch", "id: x\nchannel: sms\ncategory: service\ndlt: {template_id: \"1107170000000000099\", header: NIRNAY, pattern: \"Pay {#var#} now\"}\nvars: {a: input}\nvariants:\n  en: Please pay {{a}} now\n  hi:\n    text: \"{{a}} दें\"\n    dlt: {template_id: \"1107170000000000098\", pattern: \"{#var#} दें\"}\n",
			[]string{"x.yaml:7: variants.en: the text does not match its DLT pattern"}},
		{"bad channel and category, twice", "id: x\nchannel: fax\ncategory: spam\nvariants: {en: a, hi: b}\n",
			[]string{"x.yaml:2: channel: \"fax\"", "x.yaml:3: category: \"spam\""}},
		{"id not the file's", "id: y\nchannel: push\ncategory: service\nvariants: {en: a, hi: b}\n", []string{"x.yaml:1: id: \"y\" must be the file's name"}},
	} {
		_, err := templates.Parse("x.yaml", []byte(c.doc), catalog(t))
		if err == nil {
			t.Errorf("%s: parsed, want errors %v", c.name, c.want)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q", c.name, err, w)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("id: x\nchannel: sms\ncategory: service\ndlt: {template_id: \"1107170000000000099\", header: NIRNAY, pattern: \"Pay {#var#}\"}\nvars: {a: input}\nvariants: {en: \"Pay {{a}}\", hi: \"Pay {{a}}\"}\n"))
	f.Add([]byte("id: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tm, err := templates.Parse("x.yaml", data, nil)
		if err != nil {
			return
		}
		vals := map[string]string{}
		for name := range tm.Vars {
			vals[name] = "v"
		}
		for _, l := range tm.Languages() {
			templates.Render(tm, l, vals, templates.AllowedHosts) // never panics
		}
	})
}
