package simulator

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"testing"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
)

// shipped compiles the shipped catalog and credit policies v1 and v2.
func shipped(tb testing.TB) (*features.Builder, *rules.Compiled, *rules.Compiled) {
	tb.Helper()
	data, err := fs.ReadFile(policies.FS, "features.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return compileWith(tb, "policies/features.yaml", data, policyFromFS(tb, "credit-underwriting-v1.yaml"), policyFromFS(tb, "credit-underwriting-v2.yaml"))
}

type namedFile struct {
	name string
	data []byte
}

func policyFromFS(tb testing.TB, name string) namedFile {
	tb.Helper()
	data, err := fs.ReadFile(policies.FS, name)
	if err != nil {
		tb.Fatal(err)
	}
	return namedFile{"policies/" + name, data}
}

func policyFromFile(tb testing.TB, path string) namedFile {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return namedFile{path, data}
}

func compileWith(tb testing.TB, catName string, catData []byte, base, cand namedFile) (*features.Builder, *rules.Compiled, *rules.Compiled) {
	tb.Helper()
	cat, err := rules.ParseCatalog(catName, catData)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		tb.Fatal(err)
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []*rules.Compiled
	for _, f := range []namedFile{base, cand} {
		p, err := rules.ParsePolicy(f.name, f.data)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := env.Compile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, c)
	}
	return b, out[0], out[1]
}

func generated(tb testing.TB, n int, seed uint64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, n, seed, nil); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func runBytes(tb testing.TB, cfg Config, data []byte) (*Report, *Timing) {
	tb.Helper()
	d, err := NewDatasetReader(bytes.NewReader(data), int64(len(data)), false)
	if err != nil {
		tb.Fatal(err)
	}
	rep, tim, err := Run(context.Background(), cfg, DatasetSource(d, "data"))
	if err != nil {
		tb.Fatal(err)
	}
	return rep, tim
}
