// Package templates is Nirnay's message templates (DESIGN §17): one YAML
// file per template in policies/templates/, parsed strictly and checked at
// load (unknown keys, missing languages, placeholders without a source, an
// SMS variant that cannot match its DLT pattern are reported as
// "file:line: field: message"), and rendered per customer: the customer's
// language with English as the fallback, the SMS encoding and segment
// count, and the rendered text checked against the DLT pattern and the
// link whitelist before anything is sent (Render fails closed, saying
// why).
package templates

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Channel is how a message reaches the customer.
type Channel string

// The channels.
const (
	SMS      Channel = "sms"
	Email    Channel = "email"
	Push     Channel = "push"
	WhatsApp Channel = "whatsapp"
)

// Category decides the rules a message is sent under: promotional and
// collections messages keep quiet hours (Asia/Kolkata: promotional
// 09:00–21:00, collections 08:00–19:00).
type Category string

// The categories.
const (
	Transactional Category = "transactional"
	Service       Category = "service"
	Promotional   Category = "promotional"
	Collections   Category = "collections"
)

// Required are the languages every template has; the first is the
// fallback.
var Required = []string{"en", "hi"}

// Languages are the languages a variant may be written in (ISO 639-1).
var Languages = []string{"en", "hi", "ta", "te", "kn", "ml", "mr", "gu", "bn", "pa", "or"}

// DLT is an SMS template's registration with the TRAI DLT platform: the
// template id, the sender header and the registered text, whose {#var#}
// slots the variables fill.
type DLT struct {
	TemplateID string `yaml:"template_id"`
	Header     string `yaml:"header"`
	Pattern    string `yaml:"pattern"`
}

// Variant is a template's text in one language, and for SMS its own DLT
// registration (each language is registered separately; the header is the
// template's).
type Variant struct {
	Language string
	Text     string
	DLT      DLT
	pattern  *regexp.Regexp
}

// Var is where a placeholder's value comes from at send time:
//
//	feature:<name>          the customer's feature (checked against the catalog)
//	offer:<field>           the latest acted-on offer: eligible_amount, annual_rate
//	loan:<field>            the lending core: amount_due, due_date, kfs_link, loan_id, amount
//	link:<https URL>        a personal tracked link (/l/{token}) to the URL
//	input                   given in the message request's vars
type Var struct {
	Name   string
	Source string // feature | offer | loan | link | input
	Ref    string // the feature, field or URL
}

// Template is one loaded template.
type Template struct {
	ID          string
	Channel     Channel
	Category    Category
	Description string
	Subject     string // e-mail only
	Vars        map[string]Var
	Variants    map[string]*Variant // by language
	File        string
}

// Languages lists the template's languages, sorted.
func (t *Template) Languages() []string {
	out := make([]string, 0, len(t.Variants))
	for l := range t.Variants {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// Error is one problem of a template file: "file:line: field: message".
type Error struct {
	File, Field, Msg string
	Line             int
}

func (e *Error) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

var (
	idPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	placeholder  = regexp.MustCompile(`\{\{\s*([a-z][a-z0-9_]*)\s*\}\}`)
	looseBraces  = regexp.MustCompile(`\{\{|\}\}`)
	offerFields  = []string{"eligible_amount", "annual_rate"}
	loanFields   = []string{"amount_due", "due_date", "kfs_link", "loan_id", "amount"}
	templateKeys = []string{"id", "channel", "category", "description", "subject", "dlt", "vars", "variants"}
)

// FeatureCheck reports whether a feature exists (the catalog's lookup).
type FeatureCheck func(name string) bool

// Parse reads one template file. Every problem is reported (errors.Join
// of *Error), not only the first.
func Parse(file string, data []byte, hasFeature FeatureCheck) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Line: 1, Msg: "not YAML: " + err.Error()}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: 1, Msg: "want a mapping of template fields"}
	}
	p := &parser{file: file, t: &Template{File: file, Vars: map[string]Var{}, Variants: map[string]*Variant{}}, hasFeature: hasFeature}
	p.template(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return p.t, nil
}

type parser struct {
	file       string
	t          *Template
	hasFeature FeatureCheck
	errs       []error
	dlt        DLT
	dltLine    int
}

func (p *parser) bad(n *yaml.Node, field, format string, a ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Field: field, Msg: fmt.Sprintf(format, a...)})
}

// pairs walks a mapping node's keys and values, reporting keys given twice
// and keys not in known (when known is not nil).
func (p *parser) pairs(n *yaml.Node, field string, known []string, fn func(k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.bad(n, field, "want a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := strings.TrimPrefix(field+"."+k.Value, ".")
		switch {
		case seen[k.Value]:
			p.bad(k, name, "given twice")
		case known != nil && !slices.Contains(known, k.Value):
			p.bad(k, name, "unknown field (want one of %s)", strings.Join(known, ", "))
		default:
			seen[k.Value] = true
			fn(k, v)
		}
	}
}

func (p *parser) scalar(v *yaml.Node, field string) string {
	if v.Kind != yaml.ScalarNode {
		p.bad(v, field, "want a string")
		return ""
	}
	return v.Value
}

func (p *parser) template(root *yaml.Node) {
	t := p.t
	var variants *yaml.Node
	present := map[string]bool{}
	p.pairs(root, "", templateKeys, func(k, v *yaml.Node) {
		present[k.Value] = true
		switch k.Value {
		case "id":
			if t.ID = p.scalar(v, "id"); !idPattern.MatchString(t.ID) {
				p.bad(v, "id", "%q must be lower-case letters, digits and hyphens", t.ID)
			} else if base := strings.TrimSuffix(path.Base(p.file), path.Ext(p.file)); base != t.ID {
				p.bad(v, "id", "%q must be the file's name (%s)", t.ID, base)
			}
		case "channel":
			t.Channel = Channel(p.scalar(v, "channel"))
			if !slices.Contains([]Channel{SMS, Email, Push, WhatsApp}, t.Channel) {
				p.bad(v, "channel", "%q must be sms, email, push or whatsapp", t.Channel)
			}
		case "category":
			t.Category = Category(p.scalar(v, "category"))
			if !slices.Contains([]Category{Transactional, Service, Promotional, Collections}, t.Category) {
				p.bad(v, "category", "%q must be transactional, service, promotional or collections", t.Category)
			}
		case "description":
			t.Description = p.scalar(v, "description")
		case "subject":
			t.Subject = p.scalar(v, "subject")
		case "dlt":
			p.dltLine = v.Line
			p.pairs(v, "dlt", []string{"template_id", "header", "pattern"}, func(k, v *yaml.Node) {
				s := p.scalar(v, "dlt."+k.Value)
				switch k.Value {
				case "template_id":
					p.dlt.TemplateID = s
				case "header":
					p.dlt.Header = s
				case "pattern":
					p.dlt.Pattern = s
				}
			})
		case "vars":
			p.pairs(v, "vars", nil, func(k, v *yaml.Node) { p.variable(k, v) })
		case "variants":
			variants = v
		}
	})
	for _, req := range []string{"id", "channel", "category", "variants"} {
		if !present[req] {
			p.bad(root, req, "is required")
		}
	}
	if t.Channel == SMS && p.dltLine == 0 {
		p.bad(root, "dlt", "is required for an SMS template: {template_id, header, pattern}")
	}
	if t.Channel != SMS && p.dltLine != 0 {
		p.bad(root, "dlt", "only an SMS template has a DLT registration")
	}
	if t.Channel == Email && t.Subject == "" {
		p.bad(root, "subject", "is required for an e-mail template")
	}
	if variants != nil {
		p.variants(variants)
	}
}

func (p *parser) variable(k, v *yaml.Node) {
	field := "vars." + k.Value
	if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(k.Value) {
		p.bad(k, field, "a variable's name is lower-case letters, digits and _")
		return
	}
	src := p.scalar(v, field)
	kind, ref, _ := strings.Cut(src, ":")
	ok := true
	switch kind {
	case "feature":
		ok = ref != "" && (p.hasFeature == nil || p.hasFeature(ref))
		if !ok {
			p.bad(v, field, "feature %q is not in the catalog", ref)
			return
		}
	case "offer":
		ok = slices.Contains(offerFields, ref)
	case "loan":
		ok = slices.Contains(loanFields, ref)
	case "link":
		ok = strings.HasPrefix(ref, "https://")
	case "input":
		ok = ref == ""
	default:
		ok = false
	}
	if !ok {
		p.bad(v, field, "source %q must be feature:<name>, offer:<%s>, loan:<%s>, link:<https URL> or input",
			src, strings.Join(offerFields, "|"), strings.Join(loanFields, "|"))
		return
	}
	p.t.Vars[k.Value] = Var{Name: k.Value, Source: kind, Ref: ref}
}

func (p *parser) variants(n *yaml.Node) {
	used := map[string]bool{}
	p.pairs(n, "variants", nil, func(k, v *yaml.Node) {
		field := "variants." + k.Value
		if !slices.Contains(Languages, k.Value) {
			p.bad(k, field, "unknown language (want one of %s)", strings.Join(Languages, ", "))
			return
		}
		vr := &Variant{Language: k.Value, DLT: p.dlt}
		switch v.Kind {
		case yaml.ScalarNode:
			vr.Text = v.Value
		case yaml.MappingNode:
			p.pairs(v, field, []string{"text", "dlt"}, func(k2, v2 *yaml.Node) {
				if k2.Value == "text" {
					vr.Text = p.scalar(v2, field+".text")
					return
				}
				p.pairs(v2, field+".dlt", []string{"template_id", "pattern"}, func(k3, v3 *yaml.Node) {
					if k3.Value == "template_id" {
						vr.DLT.TemplateID = p.scalar(v3, field+".dlt.template_id")
					} else {
						vr.DLT.Pattern = p.scalar(v3, field+".dlt.pattern")
					}
				})
			})
		default:
			p.bad(v, field, "want the text, or {text, dlt: {template_id, pattern}}")
			return
		}
		if strings.TrimSpace(vr.Text) == "" {
			p.bad(v, field, "the text is empty")
			return
		}
		for _, m := range placeholder.FindAllStringSubmatch(vr.Text, -1) {
			used[m[1]] = true
			if _, ok := p.t.Vars[m[1]]; !ok {
				p.bad(v, field, "placeholder {{%s}} has no source: declare it under vars", m[1])
			}
		}
		if looseBraces.MatchString(placeholder.ReplaceAllString(vr.Text, "")) {
			p.bad(v, field, "a {{ or }} that is not a placeholder {{name}}")
		}
		if p.t.Channel == SMS {
			p.checkDLT(v, field, vr)
		}
		p.t.Variants[k.Value] = vr
	})
	for _, l := range Required {
		if _, ok := p.t.Variants[l]; !ok {
			p.bad(n, "variants", "missing language %s (every template has %s)", l, strings.Join(Required, " and "))
		}
	}
	for name := range p.t.Vars {
		if !used[name] {
			p.bad(n, "vars."+name, "declared but used in no variant")
		}
	}
}

// checkDLT compiles the variant's DLT pattern and checks that its text,
// with every placeholder standing for a short value, matches it.
func (p *parser) checkDLT(n *yaml.Node, field string, vr *Variant) {
	if vr.DLT.TemplateID == "" || vr.DLT.Header == "" || vr.DLT.Pattern == "" {
		p.bad(n, field+".dlt", "an SMS variant needs a DLT template_id, header and pattern")
		return
	}
	if !regexp.MustCompile(`^[0-9]{19}$`).MatchString(vr.DLT.TemplateID) {
		p.bad(n, field+".dlt.template_id", "%q must be the 19-digit DLT template id", vr.DLT.TemplateID)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{6}$`).MatchString(vr.DLT.Header) {
		p.bad(n, "dlt.header", "%q must be the 6-character DLT sender header", vr.DLT.Header)
	}
	vr.pattern = dltRegexp(vr.DLT.Pattern)
	sample := placeholder.ReplaceAllString(vr.Text, "x")
	if !vr.pattern.MatchString(sample) {
		p.bad(n, field, "the text does not match its DLT pattern %q (each {{var}} must stand where the pattern has {#var#})", vr.DLT.Pattern)
	}
}

// dltRegexp is the DLT pattern as a regular expression matching a whole
// rendered text: literal text as it is, each {#var#} up to 30 characters
// (DLT's limit for a variable).
func dltRegexp(pattern string) *regexp.Regexp {
	parts := strings.Split(pattern, "{#var#}")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	return regexp.MustCompile(`^(?s:` + strings.Join(parts, `.{1,30}`) + `)$`)
}

// Catalog is the loaded templates, by id. It is immutable.
type Catalog struct {
	byID map[string]*Template
}

// Load reads every *.yaml in dir of fsys; every problem of every file is
// reported. hasFeature checks feature: sources (nil accepts any).
func Load(fsys fs.FS, dir string, hasFeature FeatureCheck) (*Catalog, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	c := &Catalog{byID: map[string]*Template{}}
	var errs []error
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		t, err := Parse(f, data, hasFeature)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.byID[t.ID] = t
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(c.byID) == 0 {
		return nil, fmt.Errorf("%s: no templates", dir)
	}
	return c, nil
}

// Get returns a template by id.
func (c *Catalog) Get(id string) (*Template, bool) {
	t, ok := c.byID[id]
	return t, ok
}

// IDs lists the templates, sorted.
func (c *Catalog) IDs() []string {
	out := make([]string, 0, len(c.byID))
	for id := range c.byID {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Dir is where the shipped templates are in the policy bundle.
const Dir = "templates"

// AllowedHosts are the hosts links in messages may point to (the DLT
// URL whitelist of the sender): Nirnay's own, where tracked links
// (/l/{token}) and the app's pages live.
var AllowedHosts = []string{"nirnay.in"}
