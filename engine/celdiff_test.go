package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// celDiffExprs are evaluated by the engine (a Nirnay policy with one rule
// each) and by a plain cel-go environment with the same declarations; the
// results (true, false or error) must agree. They cover every catalog type,
// present, missing and defaulted features, and the standard operators,
// macros, functions, the strings extension, timestamps and durations with
// time zones, conversions, has() on input and error absorption by && / ||.
var celDiffExprs = []string{
	// int
	"f.n == 42", "f.n != 42", "f.n > 40", "f.n >= 43", "f.n < 100", "f.n <= 41",
	"f.n + 8 == 50", "f.n - 50 == -8", "f.n * 2 == 84", "f.n / 5 == 8", "f.n % 5 == 2",
	"-f.n == -42", "f.n / f.zero == 0", "f.n % f.zero == 0", "f.big + f.big > 0", "f.big * 2 < 0",
	"f.n > 41.5", "f.n == 42.0", "f.n < 42u", "uint(f.n) == 42u", "double(f.n) == 42.0",
	"f.n in [1, 42, 7]", "f.n in [1, 2]", "f.count == 0", "f.count + 1 == 1",
	"f.gone_int > 0", "f.gone_int == 0 || f.n == 42", "f.gone_int == 0 && f.n == 41",
	"f.gone_int == 0 || f.n == 41", "f.gone_int == 0 && f.n == 42", "has(input.amount) && input.amount > f.n",
	// double
	"f.d == 2.5", "f.d > 2.0", "f.d < 2", "f.d * 2.0 == 5.0", "f.d / 0.0 > 1000000.0", "f.d - 3.0 < 0.0",
	"int(f.d) == 2", "int(f.d * 10.0) == 25", "f.d in [2.5, 3.5]", "f.d > f.n", "string(f.d) == '2.5'",
	"0.0 / 0.0 == 0.0 / 0.0", "double('1.5') + f.d == 4.0",
	// string
	"f.s == 'Pune Branch'", "f.s != 'Pune'", "f.s.startsWith('Pune')", "f.s.endsWith('Branch')",
	"f.s.contains('ne B')", "f.s.matches('^P[a-z]+ B')", "f.s.matches('[')", "size(f.s) == 11", "f.s.size() > 10",
	"f.s + '!' == 'Pune Branch!'", "f.s < 'Q'", "f.s > 'Pune'", "f.s in ['Pune Branch', 'Delhi']",
	"f.s.lowerAscii() == 'pune branch'", "f.s.upperAscii() == 'PUNE BRANCH'", "f.s.charAt(0) == 'P'",
	"f.s.indexOf('B') == 5", "f.s.lastIndexOf('n') == 9", "f.s.substring(0, 4) == 'Pune'", "f.s.substring(5, 40) == 'x'",
	"f.s.replace(' ', '-') == 'Pune-Branch'", "f.s.split(' ').size() == 2", "f.s.split(' ')[1] == 'Branch'",
	"'  x '.trim() == 'x'", "['a', 'b'].join('-') == 'a-b'", "f.s.reverse() == 'hcnarB enuP'",
	"'%s has %d apps'.format([f.s, size(f.apps)]) == 'Pune Branch has 3 apps'", "strings.quote(f.s) == '\"Pune Branch\"'",
	"f.email.lowerAscii().endsWith('@example.com')", "f.email.split('@')[1].lowerAscii() == 'example.com'",
	"f.email.matches('(?i)^[a-z.]+@example\\\\.com$')", "f.s.charAt(40) == ''", "int('12') + f.n == 54",
	"int('abc') == 1", "string(f.n) == '42'", "bool('true') && f.b", "bool('maybe')", "bytes(f.s).size() == 11",
	"f.s.indexOf('x') == -1", "f.s.indexOf('n', 4) == 9",
	// bool
	"f.b", "!f.b", "f.b == true", "f.b != false", "f.b && f.n == 42", "f.b || f.gone_int > 0", "!f.b || f.gone_int > 0",
	"f.b ? f.n == 42 : f.gone_int > 0", "!f.b ? f.n == 42 : f.gone_int > 0", "f.b in [true]", "type(f.b) == bool",
	"f.gone_int > 0 || f.gone_list.size() > 0", "f.gone_int > 0 && false", "false && f.gone_int > 0",
	"true || 1 / f.zero == 0", "1 / f.zero == 0 || true", "1 / f.zero == 0 && true",
	// timestamp and duration
	"f.ts < now", "f.ts > now", "now - f.ts == duration('5h30m')", "now - f.ts > duration('1h')",
	"f.ts + duration('6h') > now", "f.ts - duration('1h') < f.ts", "f.ts.getHours() == 4",
	"f.ts.getHours('Asia/Kolkata') == 10", "f.ts.getMinutes('Asia/Kolkata') == 0", "f.ts.getHours('+05:30') == 10",
	"f.ts.getDayOfWeek() == 4", "f.ts.getDayOfMonth() == 25", "f.ts.getMonth() == 10", "f.ts.getFullYear() == 2026",
	"f.ts.getDayOfYear('Asia/Kolkata') == 329", "f.ts.getHours('Mars/Olympus') == 1",
	"now.getHours('Asia/Kolkata') >= 9 && now.getHours('Asia/Kolkata') < 21", "timestamp('2026-01-01T00:00:00Z') < f.ts",
	"timestamp('not a time') < f.ts", "int(f.ts) == 1764131400", "string(f.ts) == '2026-11-26T04:30:00Z'",
	"duration('24h') > duration('23h')", "duration('90m').getHours() == 1", "duration('90m').getMinutes() == 90",
	"now - duration('720h') > f.ts", "f.ts == timestamp('2026-11-26T10:00:00+05:30')", "type(f.ts) == google.protobuf.Timestamp",
	// list<string>
	"'betting' in f.apps", "'com.paytm' in f.apps", "!('betting' in f.apps)", "size(f.apps) == 3", "f.apps.size() == 3",
	"f.apps[0] == 'com.dream11'", "f.apps[5] == 'x'", "f.apps.exists(a, a.startsWith('com.'))",
	"f.apps.all(a, a.size() > 3)", "f.apps.all(a, a.startsWith('com.'))", "f.apps.exists_one(a, a == 'betting')",
	"f.apps.exists_one(a, a.startsWith('com.'))", "f.apps.exists(a, a.size() > 10)",
	"f.apps.filter(a, a == 'betting').size() == 1", "['com.x', 'y'].filter(a, a.startsWith('com.')).size() == 1",
	"['a.b', 'c'].map(a, a.contains('.'), a) == ['a.b']", "['a', 'b'].map(a, a + '!') == ['a!', 'b!']",
	"f.apps + ['x'] == ['com.dream11', 'betting', 'com.whatsapp', 'x']", "f.apps == ['betting']",
	"'x' in f.empty", "size(f.empty) == 0", "f.empty.all(a, a == 'x')", "f.empty.exists(a, true)",
	"'betting' in f.gone_list", "f.gone_list.size() == 0", "size(f.flags) == 0", "'x' in f.flags",
	"f.apps.exists(a, a in ['betting', 'rummy'])", "[f.email, f.s].exists(a, a == f.s)", "['a', 'betting'].join(',').contains('betting')",
	"f.s in f.apps", "f.apps.exists(a, 1 / f.zero == 0)", "f.apps.exists(a, a == 'betting' || 1 / f.zero == 0)",
	"f.apps.all(a, a != 'betting' && 1 / f.zero == 0)", "[f.s, f.email].exists(v, v.contains('@'))",
	"['x', 'betting'].map(a, a.upperAscii())[1] == 'BETTING'", "type(f.apps) == list",
	// input (map(string, dyn)) and maps
	"'amount' in input", "'missing' in input", "has(input.amount)", "has(input.missing)", "has(input.nested.pin)",
	"input.amount == 50000", "input.amount > 40000.5", "input.rate == 1.5", "input.city == 'Pune'",
	"input.flag", "input.amount", "input.missing == 1", "input.nested.pin == '411001'", "input.nested['pin'].startsWith('41')",
	"'vip' in input.tags", "input.tags.exists(t, t == 'new')", "input.tags.all(t, size(t) == 3)", "input.all(k, k.size() > 2)",
	"input.exists(k, k == 'rate')", "input.exists_one(k, k.startsWith('ci'))", "input.filter(k, k.size() == 4).size() == 3",
	"{'a': 1, 'b': 2}['b'] == 2", "'a' in {'a': 1}", "{'a': 1}['z'] == 1", "size({'a': 1, 'b': 2}) == 2",
	"input.amount / 2 == 25000", "input.city + '/' + f.s == 'Pune/Pune Branch'", "has(input.amount) ? input.amount > 1 : false",
	"!has(input.missing) || input.missing > 1", "input.missing > 1 || input.amount > 1", "input.city.size() == 4",
	"dyn(f.n) == 42", "dyn(f.n) == 42.0", "type(input.amount) == int", "type(input.rate) == double",
	// conversions and types
	"int(uint(f.n)) == 42", "uint(-1) == 1u", "int(9.9e18 * 10.0) == 1", "double(f.big) > 9.0e18", "string(true) == 'true'",
	"string(b'abc') == 'abc'", "int(string(f.n)) == f.n", "type(f.n) == int", "type(f.s) == string",
	"type(1u) == uint", "dyn(f.apps).size() == 3", "[1, 'a', true].size() == 3", "null == null", "f.n != null",
	"dyn(f.n) != null",
}

// TestCELIsCEL evaluates every expression of celDiffExprs through the
// engine and through plain cel-go with the same declarations and values,
// and fails on any expression where they disagree (true / false / error).
func TestCELIsCEL(t *testing.T) {
	cat, env := catalogEnv(t, "testdata/celdiff_features.yaml")
	ts := time.Date(2026, 11, 26, 4, 30, 0, 0, time.UTC)
	values := map[string]any{
		"n": int64(42), "big": int64(9223372036854775000), "zero": int64(0), "d": 2.5,
		"s": "Pune Branch", "email": "Asha.K@Example.com", "b": true, "ts": ts,
		"apps": []string{"com.dream11", "betting", "com.whatsapp"}, "empty": []string{},
	}
	input := map[string]any{"amount": int64(50000), "rate": 1.5, "city": "Pune", "flag": true,
		"tags": []any{"vip", "new"}, "nested": map[string]any{"pin": "411001"}}

	// The plain environment: the same variables, typed the same, and the
	// same extension, with no Nirnay function.
	opts := []cel.EnvOption{
		cel.Variable(rules.VarInput, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(rules.VarNow, cel.TimestampType),
		ext.Strings(),
	}
	for _, f := range cat.Features {
		opts = append(opts, cel.Variable("f."+f.Name, rules.CELType(f.Type)))
	}
	plain, err := cel.NewEnv(opts...)
	if err != nil {
		t.Fatal(err)
	}
	act := map[string]any{rules.VarInput: input, rules.VarNow: testNow}
	for name, v := range values {
		act["f."+name] = v
	}
	act["f.count"], act["f.flags"] = int64(0), []string{} // the catalog defaults

	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	vec, err := b.Build(values, testNow)
	if err != nil {
		t.Fatal(err)
	}
	policy := func(exprs ...string) string {
		var src strings.Builder
		src.WriteString("id: celdiff\nversion: 1\nstep: application\nrules:\n")
		for i, e := range exprs {
			fmt.Fprintf(&src, "  - id: r%d\n    when: %q\n    outcome: review\n", i, e)
		}
		return src.String()
	}
	compile := func(src string) (*rules.Compiled, error) {
		p, err := rules.ParsePolicy("celdiff.yaml", []byte(src))
		if err != nil {
			return nil, err
		}
		return env.Compile(p)
	}

	// Both must accept or both reject an expression at compile time (a
	// constant the optimiser folds into an error is rejected by both).
	var accepted []string
	agree, rejected, seen := 0, 0, map[string]int{}
	want := map[string]string{}
	for i, expr := range celDiffExprs {
		if j, dup := seen[expr]; dup {
			t.Errorf("expression %d repeats expression %d: %s", i, j, expr)
		}
		seen[expr] = i
		_, nerr := compile(policy(expr))
		var prg cel.Program
		checked, iss := plain.Compile(expr)
		perr := iss.Err()
		if perr == nil {
			prg, perr = plain.Program(checked, cel.EvalOptions(cel.OptOptimize))
		}
		switch {
		case nerr != nil && strings.Contains(nerr.Error(), "exceeds the ceiling"):
			t.Errorf("%s: over Nirnay's cost ceiling, not a CEL question: %v", expr, nerr)
			continue
		case nerr != nil && perr != nil:
			rejected++
			agree++
			continue
		case nerr != nil || perr != nil:
			t.Errorf("%s: Nirnay compile error %v, plain cel-go compile error %v", expr, nerr, perr)
			continue
		}
		w := "error"
		if out, _, err := prg.Eval(act); err == nil {
			if bv, ok := out.(types.Bool); ok {
				w = fmt.Sprint(bool(bv))
			}
		}
		want[expr] = w
		accepted = append(accepted, expr)
	}

	// The engine evaluates the accepted expressions as the rules of one
	// policy, every rule traced.
	compiled, err := compile(policy(accepted...))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	res, err := Evaluate(compiled, Inputs{Vector: vec, Input: input, Now: testNow, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rules) != len(accepted) {
		t.Fatalf("%d rule results, want %d", len(res.Rules), len(accepted))
	}
	outcomes := map[string]int{}
	for i, expr := range accepted {
		got := "false"
		switch rr := res.Rules[i]; {
		case rr.Error != "":
			got = "error"
		case rr.Fired:
			got = "true"
		}
		outcomes[got]++
		if got != want[expr] {
			t.Errorf("%s: engine %s, plain cel-go %s (engine error: %q)", expr, got, want[expr], res.Rules[i].Error)
			continue
		}
		agree++
	}
	// The table must exercise every result, not only errors.
	for _, o := range []string{"true", "false", "error"} {
		if outcomes[o] < 20 {
			t.Errorf("only %d expressions evaluate to %s, want at least 20", outcomes[o], o)
		}
	}
	t.Logf("rejected by both at compile time: %d; evaluated: %d true, %d false, %d error", rejected, outcomes["true"], outcomes["false"], outcomes["error"])
	t.Logf("CEL differential table: %d expressions, %d agree", len(celDiffExprs), agree)
	if len(celDiffExprs) < 150 {
		t.Errorf("%d expressions, want at least 150", len(celDiffExprs))
	}
}
