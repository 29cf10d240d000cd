package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/cel"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// bench200 is a generated 200-feature catalog, a 200-rule policy over it
// and a full vector of values.
type bench200 struct {
	cat    *rules.Catalog
	env    *rules.Env
	src    string
	exprs  []string
	values map[string]any
}

func newBench200(tb testing.TB) *bench200 {
	tb.Helper()
	const n = 200
	types := []rules.FeatureType{rules.TypeInt, rules.TypeDouble, rules.TypeString, rules.TypeBool}
	var feats []rules.Feature
	values := map[string]any{}
	for i := 0; i < n; i++ {
		t := types[i%4]
		name := fmt.Sprintf("x%d", i)
		feats = append(feats, rules.Feature{Name: name, Type: t, MaxAge: 720 * time.Hour})
		switch t {
		case rules.TypeInt:
			values[name] = int64((i * 37) % 1000)
		case rules.TypeDouble:
			values[name] = float64((i*53)%100) / 100
		case rules.TypeString:
			values[name] = "ok"
			if i%20 == 2 {
				values[name] = "bad-actor"
			}
		case rules.TypeBool:
			values[name] = i%6 == 3
		}
	}
	cat, err := rules.NewCatalog(feats)
	if err != nil {
		tb.Fatal(err)
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("id: bench\nversion: 1\nstep: application\nrules:\n")
	var exprs []string
	for i := 0; i < n; i++ {
		var e string
		switch i % 4 {
		case 0:
			e = fmt.Sprintf("f.x%d > %d && f.x%d < 900", i, 700+i, (i+4)%n)
		case 1:
			e = fmt.Sprintf("f.x%d < 0.1 || f.x%d > 0.95", i, (i+4)%n)
		case 2:
			e = fmt.Sprintf(`f.x%d == "risky" || f.x%d.startsWith("bad")`, i, i)
		case 3:
			e = fmt.Sprintf("f.x%d && f.x%d > %d", i, i-3, 100+i)
		}
		exprs = append(exprs, e)
		outcome := ""
		switch i % 10 {
		case 0:
			outcome = "    outcome: decline\n    reasons: [R" + fmt.Sprint(i) + "]\n"
		case 1:
			outcome = "    outcome: review\n    reasons: [R" + fmt.Sprint(i) + "]\n"
		}
		fmt.Fprintf(&b, "  - id: r%d\n    when: '%s'\n%s    score: %d\n", i, e, outcome, i%7-3)
	}
	b.WriteString("score:\n  base: 600\n  bands:\n    - {below: 500, outcome: decline, reasons: [LOW]}\n")
	return &bench200{cat: cat, env: env, src: b.String(), exprs: exprs, values: values}
}

func (b *bench200) compile(tb testing.TB) *rules.Compiled {
	tb.Helper()
	p, err := rules.ParsePolicy("bench.yaml", []byte(b.src))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := b.env.Compile(p)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
}

// BenchmarkDecide200 measures Engine.Decide with the generated 200-rule
// policy over a warm 200-feature vector (static source), reporting p50 and
// p99 per decision besides the mean.
func BenchmarkDecide200(b *testing.B) {
	bb := newBench200(b)
	e := bb.engine(b)
	ctx := context.Background()
	req := Request{CustomerID: "C-1", Step: "application", Input: map[string]any{"amount": 50000}}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.Decide(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// engine deploys the 200-rule policy over a warm vector of bb.values.
func (bb *bench200) engine(b *testing.B) *Engine {
	c := bb.compile(b)
	fb, err := features.NewBuilder(bb.cat)
	if err != nil {
		b.Fatal(err)
	}
	vec, err := fb.Build(bb.values, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	reg := NewRegistry()
	if err := reg.Add(c); err != nil {
		b.Fatal(err)
	}
	set, err := NewDeploymentSet(reg, &rules.Deployments{Steps: []rules.Deployment{{Step: "application", Champion: rules.PolicyRef{ID: "bench", Version: 1}}}})
	if err != nil {
		b.Fatal(err)
	}
	e := New(Config{Features: features.NewStatic(vec)})
	e.Activate(set)
	ctx := context.Background()
	req := Request{CustomerID: "C-1", Step: "application", Input: map[string]any{"amount": 50000}}
	d, err := e.Decide(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	if len(d.Rules) < 10 || len(d.Rules) > 60 {
		b.Fatalf("%d of 200 rules fired or errored, want a realistic 10..60", len(d.Rules))
	}
	return e
}

// BenchmarkBareCEL200 is the baseline: plain cel-go evaluation of the same
// 200 expressions (same declarations, OptOptimize), against an activation
// built once from a map of the same values.
func BenchmarkBareCEL200(b *testing.B) {
	bb := newBench200(b)
	prgs, act := bb.bare(b)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		fired := 0
		for _, p := range prgs {
			out, _, err := p.Eval(act)
			if err == nil && out.Value() == true {
				fired++
			}
		}
		lat = append(lat, time.Since(t0))
		if fired == 0 {
			b.Fatal("no expression was true")
		}
	}
	b.StopTimer()
	reportPercentiles(b, lat)
}

// bare compiles the same expressions with plain cel-go.
func (bb *bench200) bare(b *testing.B) ([]cel.Program, cel.Activation) {
	var opts []cel.EnvOption
	for _, f := range bb.cat.Features {
		opts = append(opts, cel.Variable("f."+f.Name, rules.CELType(f.Type)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		b.Fatal(err)
	}
	prgs := make([]cel.Program, len(bb.exprs))
	for i, src := range bb.exprs {
		ast, iss := env.Compile(src)
		if iss.Err() != nil {
			b.Fatal(iss.Err())
		}
		if prgs[i], err = env.Program(ast, cel.EvalOptions(cel.OptOptimize)); err != nil {
			b.Fatal(err)
		}
	}
	vars := map[string]any{}
	for k, v := range bb.values {
		vars["f."+k] = v
	}
	act, err := cel.NewActivation(vars)
	if err != nil {
		b.Fatal(err)
	}
	return prgs, act
}

// BenchmarkDecideVsBare200 alternates one Decide and one bare cel-go
// evaluation of the same 200 expressions per iteration, so both see the
// same machine load, and reports each one's mean and p50 and the ratio.
func BenchmarkDecideVsBare200(b *testing.B) {
	bb := newBench200(b)
	e := bb.engine(b)
	prgs, act := bb.bare(b)
	ctx := context.Background()
	req := Request{CustomerID: "C-1", Step: "application", Input: map[string]any{"amount": 50000}}
	dl := make([]time.Duration, 0, b.N)
	bl := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.Decide(ctx, req); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		for _, p := range prgs {
			_, _, _ = p.Eval(act)
		}
		t2 := time.Now()
		dl = append(dl, t1.Sub(t0))
		bl = append(bl, t2.Sub(t1))
	}
	b.StopTimer()
	var dsum, bsum time.Duration
	for i := range dl {
		dsum += dl[i]
		bsum += bl[i]
	}
	slices.Sort(dl)
	slices.Sort(bl)
	b.ReportMetric(float64(dsum.Nanoseconds())/float64(len(dl)), "decide-ns")
	b.ReportMetric(float64(bsum.Nanoseconds())/float64(len(bl)), "bare-ns")
	b.ReportMetric(float64(dl[len(dl)/2]), "decide-p50-ns")
	b.ReportMetric(float64(dl[len(dl)*99/100]), "decide-p99-ns")
	b.ReportMetric(float64(bl[len(bl)/2]), "bare-p50-ns")
	b.ReportMetric(float64(dl[len(dl)/2])/float64(bl[len(bl)/2]), "p50-ratio")
	b.ReportMetric(float64(dsum)/float64(bsum), "mean-ratio")
}

// BenchmarkCompile200 measures parsing and compiling the 200-rule policy
// (environment built once per catalog, as in production).
func BenchmarkCompile200(b *testing.B) {
	bb := newBench200(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bb.compile(b)
	}
}
