// Package decisionstest builds a small, fully real engine for tests of the
// decision service and the API.
package decisionstest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// NewEngine builds an engine over the small catalog and policies in
// dir (features.yaml, credit-v1.yaml, credit-v2.yaml, deployments.yaml) with
// one fixed vector for every customer. For tests of this and other packages.
func NewEngine(t testing.TB, dir string, feats map[string]any, clock func() time.Time) *engine.Engine {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cat, err := rules.ParseCatalog("features.yaml", read("features.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	reg := engine.NewRegistry()
	for _, f := range []string{"credit-v1.yaml", "credit-v2.yaml"} {
		p, err := rules.ParsePolicy(f, read(f))
		if err != nil {
			t.Fatal(err)
		}
		c, err := env.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Add(c); err != nil {
			t.Fatal(err)
		}
	}
	deps, err := rules.ParseDeployments("deployments.yaml", read("deployments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.NewDeploymentSet(reg, deps)
	if err != nil {
		t.Fatal(err)
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	vec, err := b.Build(feats, clock())
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec), Clock: clock})
	eng.Activate(set)
	return eng
}
