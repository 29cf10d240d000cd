// Package apps categorises the Android packages a customer's device reports
// (device_apps events) into the categories Nirnay's features count: finance,
// lending, gaming, betting, dating, utilities, social, shopping, other.
//
// The categories come from a maintained mapping file (mapping.yaml, embedded)
// of exact package ids, package prefixes and keyword rules; see that file's
// header for the rules and docs/events.md for how to extend it.
package apps

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Category is an app category; its value is the stable name used in JSON
// and feature names.
type Category string

// The categories.
const (
	Finance   Category = "finance"
	Lending   Category = "lending"
	Gaming    Category = "gaming"
	Betting   Category = "betting"
	Dating    Category = "dating"
	Utilities Category = "utilities"
	Social    Category = "social"
	Shopping  Category = "shopping"
	Other     Category = "other"
)

// Categories lists every category in a fixed order.
func Categories() []Category {
	return []Category{Finance, Lending, Gaming, Betting, Dating, Utilities, Social, Shopping, Other}
}

func known(c Category) bool {
	for _, k := range Categories() {
		if k == c {
			return true
		}
	}
	return false
}

//go:embed mapping.yaml
var defaultMappingYAML []byte

// Mapping is a compiled mapping file. It is immutable and safe for
// concurrent use.
type Mapping struct {
	exact    map[string]Category
	prefixes []prefixRule // longest first
	keywords []keywordRule
}

type prefixRule struct {
	prefix string
	cat    Category
}

type keywordRule struct {
	cat      Category
	tokens   map[string]bool
	contains []string
}

type mappingFile struct {
	Packages map[Category][]string `yaml:"packages"`
	Prefixes map[Category][]string `yaml:"prefixes"`
	Keywords []struct {
		Category Category `yaml:"category"`
		Tokens   []string `yaml:"tokens"`
		Contains []string `yaml:"contains"`
	} `yaml:"keywords"`
}

// ParseMapping compiles a mapping file. It fails on unknown keys, unknown
// categories, a package listed twice, a prefix listed twice, and a keyword
// rule with no words.
func ParseMapping(data []byte) (*Mapping, error) {
	var f mappingFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("apps mapping: %w", err)
	}
	m := &Mapping{exact: map[string]Category{}}
	for cat, pkgs := range f.Packages {
		if !known(cat) {
			return nil, fmt.Errorf("apps mapping: packages: unknown category %q", cat)
		}
		for _, p := range pkgs {
			p = normalise(p)
			if prev, dup := m.exact[p]; dup {
				return nil, fmt.Errorf("apps mapping: package %q listed under %s and %s", p, prev, cat)
			}
			m.exact[p] = cat
		}
	}
	seen := map[string]Category{}
	for cat, ps := range f.Prefixes {
		if !known(cat) {
			return nil, fmt.Errorf("apps mapping: prefixes: unknown category %q", cat)
		}
		for _, p := range ps {
			p = strings.TrimSuffix(normalise(p), ".")
			if prev, dup := seen[p]; dup {
				return nil, fmt.Errorf("apps mapping: prefix %q listed under %s and %s", p, prev, cat)
			}
			seen[p] = cat
			m.prefixes = append(m.prefixes, prefixRule{p, cat})
		}
	}
	sort.Slice(m.prefixes, func(i, j int) bool {
		a, b := m.prefixes[i], m.prefixes[j]
		if len(a.prefix) != len(b.prefix) {
			return len(a.prefix) > len(b.prefix)
		}
		return a.prefix < b.prefix
	})
	for i, k := range f.Keywords {
		if !known(k.Category) {
			return nil, fmt.Errorf("apps mapping: keywords[%d]: unknown category %q", i, k.Category)
		}
		if len(k.Tokens)+len(k.Contains) == 0 {
			return nil, fmt.Errorf("apps mapping: keywords[%d]: no tokens or contains", i)
		}
		r := keywordRule{cat: k.Category, tokens: map[string]bool{}}
		for _, t := range k.Tokens {
			r.tokens[normalise(t)] = true
		}
		for _, c := range k.Contains {
			r.contains = append(r.contains, normalise(c))
		}
		m.keywords = append(m.keywords, r)
	}
	return m, nil
}

var defaultMapping = sync.OnceValue(func() *Mapping {
	m, err := ParseMapping(defaultMappingYAML)
	if err != nil {
		panic(err) // the embedded file is checked by the tests
	}
	return m
})

// Default returns the mapping compiled from the embedded mapping.yaml.
func Default() *Mapping { return defaultMapping() }

// Categorise returns the category of a package id under the default mapping.
func Categorise(pkg string) Category { return Default().Categorise(pkg) }

// Summarise counts packages by category under the default mapping.
func Summarise(pkgs []string) Counts { return Default().Summarise(pkgs) }

// Len returns how many exact package ids the mapping lists.
func (m *Mapping) Len() int { return len(m.exact) }

func normalise(p string) string { return strings.ToLower(strings.TrimSpace(p)) }

// Categorise returns pkg's category: its exact entry, else its longest
// matching prefix, else the first keyword rule one of its tokens matches,
// else Other. Case and surrounding space are ignored.
func (m *Mapping) Categorise(pkg string) Category {
	pkg = normalise(pkg)
	if pkg == "" {
		return Other
	}
	if c, ok := m.exact[pkg]; ok {
		return c
	}
	for _, r := range m.prefixes {
		if pkg == r.prefix || (strings.HasPrefix(pkg, r.prefix) && pkg[len(r.prefix)] == '.') {
			return r.cat
		}
	}
	for _, r := range m.keywords {
		if r.matches(pkg) {
			return r.cat
		}
	}
	return Other
}

func (r keywordRule) matches(pkg string) bool {
	for tok := range strings.FieldsFuncSeq(pkg, func(c rune) bool { return c == '.' || c == '_' || c == '-' }) {
		if r.tokens[tok] {
			return true
		}
		for _, c := range r.contains {
			if strings.Contains(tok, c) {
				return true
			}
		}
	}
	return false
}

// Counts is how many distinct packages of a device fall in each category.
type Counts struct {
	Total     int `json:"total"`
	Finance   int `json:"finance"`
	Lending   int `json:"lending"`
	Gaming    int `json:"gaming"`
	Betting   int `json:"betting"`
	Dating    int `json:"dating"`
	Utilities int `json:"utilities"`
	Social    int `json:"social"`
	Shopping  int `json:"shopping"`
	Other     int `json:"other"`
}

// Of returns the count for one category.
func (c *Counts) Of(cat Category) int { return *c.field(cat) }

func (c *Counts) field(cat Category) *int {
	switch cat {
	case Finance:
		return &c.Finance
	case Lending:
		return &c.Lending
	case Gaming:
		return &c.Gaming
	case Betting:
		return &c.Betting
	case Dating:
		return &c.Dating
	case Utilities:
		return &c.Utilities
	case Social:
		return &c.Social
	case Shopping:
		return &c.Shopping
	}
	return &c.Other
}

// Summarise counts the distinct packages of pkgs (after normalising case
// and space; blank entries ignored) by category.
func (m *Mapping) Summarise(pkgs []string) Counts {
	var c Counts
	seen := make(map[string]struct{}, len(pkgs))
	for _, p := range pkgs {
		p = normalise(p)
		if p == "" {
			continue
		}
		if _, dup := seen[p]; dup {
			continue
		}
		seen[p] = struct{}{}
		c.Total++
		*c.field(m.Categorise(p))++
	}
	return c
}
