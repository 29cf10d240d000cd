package product

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/policies"
)

// maxFileBytes bounds a product file.
const maxFileBytes = 64 << 10

// ErrInvalidProduct is matched (errors.Is) by every *FileError.
var ErrInvalidProduct = errors.New("invalid product")

// FileError reports a product file that cannot be loaded: File is its path,
// Field the offending key ("amount.min"; empty for a file-level problem).
type FileError struct {
	File  string
	Field string
	Msg   string
}

func (e *FileError) Error() string {
	if e.Field == "" {
		return e.File + ": " + e.Msg
	}
	return e.File + ": " + e.Field + ": " + e.Msg
}

func (e *FileError) Is(target error) bool { return target == ErrInvalidProduct }

// spec is the file format. Pointers tell "absent" from "zero".
type spec struct {
	ID                string         `yaml:"id"`
	Name              string         `yaml:"name"`
	Kind              Kind           `yaml:"kind"`
	Description       string         `yaml:"description"`
	Amount            *AmountRange   `yaml:"amount"`
	DrawAmount        *AmountRange   `yaml:"draw_amount"`
	TenureMonths      *TenureRange   `yaml:"tenure_months"`
	AnnualRate        *schedule.Rate `yaml:"annual_rate"`
	DayCount          string         `yaml:"day_count"`
	Method            string         `yaml:"method"`
	ProcessingFee     Charge         `yaml:"processing_fee"`
	GSTPercent        *schedule.Rate `yaml:"gst_percent"`
	GSTInAPR          *bool          `yaml:"gst_in_apr"`
	PenalCharge       Charge         `yaml:"penal_charge"`
	ForeclosureCharge Charge         `yaml:"foreclosure_charge"`
	CoolingOffDays    *int           `yaml:"cooling_off_days"`
	AllocationOrder   []Bucket       `yaml:"allocation_order"`
	Excess            Excess         `yaml:"excess"`
}

var (
	idPattern      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	unknownField   = regexp.MustCompile(`line (\d+): field (\S+) not found in type`)
	lineRef        = regexp.MustCompile(`line \d+: `)
	defaultGST, _  = schedule.ParsePercent("18")
	maxCoolingOff  = 30
	maxTenureLimit = schedule.MaxTenureMonths
)

// Parse reads one product file strictly: unknown keys, a missing required
// key (id, name, kind, amount, tenure_months, annual_rate) or an invalid
// value is a *FileError naming file and field. Defaults: day_count 30/360,
// method reducing, gst_percent 18, gst_in_apr true, cooling_off_days 0,
// allocation_order penal_charges → fees → interest → principal, excess
// prepayment.
func Parse(file string, data []byte) (*Product, error) {
	if len(data) > maxFileBytes {
		return nil, &FileError{File: file, Msg: fmt.Sprintf("larger than %d bytes", maxFileBytes)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{File: file, Msg: "empty file"}
		}
		return nil, &FileError{File: file, Msg: err.Error()}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, &FileError{File: file, Msg: "more than one YAML document"}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, &FileError{File: file, Msg: fmt.Sprintf("line %d: want a mapping of product fields", root.Line)}
	}
	var s spec
	targets := s.targets()
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		target, ok := targets[k.Value]
		switch {
		case !ok:
			return nil, &FileError{File: file, Field: k.Value, Msg: fmt.Sprintf("unknown field (line %d)", k.Line)}
		case seen[k.Value]:
			return nil, &FileError{File: file, Field: k.Value, Msg: fmt.Sprintf("given twice (line %d)", k.Line)}
		}
		seen[k.Value] = true
		if err := decodeStrict(v, target); err != nil {
			field, msg := k.Value, err.Error()
			if m := unknownField.FindStringSubmatch(msg); m != nil {
				field, msg = k.Value+"."+m[2], "unknown field"
			} else {
				msg = strings.TrimPrefix(msg, "yaml: unmarshal errors:\n")
				msg = strings.TrimSpace(lineRef.ReplaceAllString(msg, ""))
			}
			return nil, &FileError{File: file, Field: field, Msg: fmt.Sprintf("%s (line %d)", msg, v.Line)}
		}
	}
	return s.build(file)
}

// targets maps each top-level key to the field it decodes into.
func (s *spec) targets() map[string]any {
	return map[string]any{
		"id": &s.ID, "name": &s.Name, "kind": &s.Kind, "description": &s.Description,
		"amount": &s.Amount, "draw_amount": &s.DrawAmount, "tenure_months": &s.TenureMonths,
		"annual_rate": &s.AnnualRate, "day_count": &s.DayCount, "method": &s.Method,
		"processing_fee": &s.ProcessingFee, "gst_percent": &s.GSTPercent, "gst_in_apr": &s.GSTInAPR,
		"penal_charge": &s.PenalCharge, "foreclosure_charge": &s.ForeclosureCharge,
		"cooling_off_days": &s.CoolingOffDays, "allocation_order": &s.AllocationOrder, "excess": &s.Excess,
	}
}

// decodeStrict decodes one value node into target, rejecting unknown keys
// in nested mappings (yaml.Node.Decode alone would ignore them).
func decodeStrict(v *yaml.Node, target any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(target)
}

func (s *spec) build(file string) (*Product, error) {
	bad := func(field, format string, a ...any) error {
		return &FileError{File: file, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	p := &Product{ID: s.ID, Name: s.Name, Kind: s.Kind, Description: s.Description, Source: file,
		ProcessingFee: s.ProcessingFee, PenalCharge: s.PenalCharge, ForeclosureCharge: s.ForeclosureCharge,
		GSTPercent: defaultGST, GSTInAPR: true, AllocationOrder: DefaultAllocationOrder, Excess: Prepayment,
		DayCount: schedule.Days30360, Method: schedule.Reducing}
	switch {
	case !idPattern.MatchString(s.ID):
		return nil, bad("id", "%q must match [a-z0-9-]+", s.ID)
	case s.Name == "":
		return nil, bad("name", "required")
	case s.Kind != TermLoan && s.Kind != CreditLine:
		return nil, bad("kind", "%q must be term_loan or credit_line", s.Kind)
	case s.Amount == nil:
		return nil, bad("amount", "required")
	case s.TenureMonths == nil:
		return nil, bad("tenure_months", "required")
	case s.AnnualRate == nil:
		return nil, bad("annual_rate", "required")
	}
	if err := checkRange("amount", *s.Amount, bad); err != nil {
		return nil, err
	}
	p.Amount, p.AnnualRate = *s.Amount, *s.AnnualRate
	switch {
	case s.Kind == CreditLine && s.DrawAmount == nil:
		return nil, bad("draw_amount", "required for a credit line")
	case s.Kind == TermLoan && s.DrawAmount != nil:
		return nil, bad("draw_amount", "only a credit line has draws")
	case s.DrawAmount != nil:
		if err := checkRange("draw_amount", *s.DrawAmount, bad); err != nil {
			return nil, err
		}
		if s.DrawAmount.Max > s.Amount.Max {
			return nil, bad("draw_amount.max", "%s is above amount.max %s", s.DrawAmount.Max, s.Amount.Max)
		}
		d := *s.DrawAmount
		p.DrawAmount = &d
	}
	t := *s.TenureMonths
	if t.Min < 1 || t.Max < t.Min || t.Max > maxTenureLimit {
		return nil, bad("tenure_months", "want 1 ≤ min ≤ max ≤ %d (got %d–%d)", maxTenureLimit, t.Min, t.Max)
	}
	p.TenureMonths = t
	if s.DayCount != "" {
		dc, err := schedule.ParseDayCount(s.DayCount)
		if err != nil {
			return nil, bad("day_count", "%q must be 30/360 or actual/365", s.DayCount)
		}
		p.DayCount = dc
	}
	if s.Method != "" {
		m, err := schedule.ParseMethod(s.Method)
		if err != nil {
			return nil, bad("method", "%q must be reducing or flat", s.Method)
		}
		p.Method = m
	}
	for name, c := range map[string]Charge{"processing_fee": s.ProcessingFee, "penal_charge": s.PenalCharge, "foreclosure_charge": s.ForeclosureCharge} {
		if err := checkCharge(name, c, bad); err != nil {
			return nil, err
		}
	}
	if s.GSTPercent != nil {
		p.GSTPercent = *s.GSTPercent
	}
	if s.GSTInAPR != nil {
		p.GSTInAPR = *s.GSTInAPR
	}
	if s.CoolingOffDays != nil {
		if *s.CoolingOffDays < 0 || *s.CoolingOffDays > maxCoolingOff {
			return nil, bad("cooling_off_days", "must be 0–%d (got %d)", maxCoolingOff, *s.CoolingOffDays)
		}
		p.CoolingOffDays = *s.CoolingOffDays
	}
	if s.AllocationOrder != nil {
		want := slices.Clone(DefaultAllocationOrder)
		got := slices.Clone(s.AllocationOrder)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			return nil, bad("allocation_order", "must list each of penal_charges, fees, interest, principal exactly once (got %v)", s.AllocationOrder)
		}
		p.AllocationOrder = slices.Clone(s.AllocationOrder)
	}
	switch s.Excess {
	case "":
	case Advance, Prepayment:
		p.Excess = s.Excess
	default:
		return nil, bad("excess", "%q must be advance or prepayment", s.Excess)
	}
	return p, nil
}

func checkRange(field string, r AmountRange, bad func(string, string, ...any) error) error {
	if r.Min <= 0 || r.Max < r.Min {
		return bad(field, "want 0 < min ≤ max (got %s–%s)", r.Min, r.Max)
	}
	return nil
}

func checkCharge(field string, c Charge, bad func(string, string, ...any) error) error {
	switch {
	case c.Flat != nil && c.Percent != nil:
		return bad(field, "give percent or flat, not both")
	case c.Flat != nil && (c.Min != nil || c.Max != nil):
		return bad(field, "min and max go with percent only")
	case c.Flat != nil && *c.Flat < 0:
		return bad(field+".flat", "must not be negative (got %s)", *c.Flat)
	case c.Min != nil && *c.Min < 0:
		return bad(field+".min", "must not be negative (got %s)", *c.Min)
	case c.Min != nil && c.Max != nil && *c.Max < *c.Min:
		return bad(field+".max", "%s is below min %s", *c.Max, *c.Min)
	}
	return nil
}

// Catalog is a set of products by id, immutable once loaded and safe for
// concurrent use.
type Catalog struct {
	byID map[string]*Product
}

// Load reads every *.yaml file in dir of fsys. Errors: a *FileError for a
// bad file, or a duplicate id (naming both files).
func Load(fsys fs.FS, dir string) (*Catalog, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	sort.Strings(names)
	c := &Catalog{byID: make(map[string]*Product, len(names))}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("load products: %w", err)
		}
		p, err := Parse(name, data)
		if err != nil {
			return nil, err
		}
		if prev, dup := c.byID[p.ID]; dup {
			return nil, &FileError{File: name, Field: "id", Msg: fmt.Sprintf("%q is also the id of %s", p.ID, prev.Source)}
		}
		c.byID[p.ID] = p
	}
	return c, nil
}

// Default loads the products shipped in the default bundle
// (policies/products/*.yaml).
func Default() (*Catalog, error) { return Load(policies.FS, "products") }

// Get returns the product with id.
func (c *Catalog) Get(id string) (*Product, bool) {
	p, ok := c.byID[id]
	return p, ok
}

// IDs returns the product ids in sorted order.
func (c *Catalog) IDs() []string {
	ids := make([]string, 0, len(c.byID))
	for id := range c.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
