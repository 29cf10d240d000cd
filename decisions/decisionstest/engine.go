// Package decisionstest builds small, fully real engines for tests of the
// decision service, the API and the simulator.
package decisionstest

import (
	"io/fs"
	"os"
	"testing"
	"time"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Compiled is a catalog and policy versions compiled from a bundle.
type Compiled struct {
	Env      *rules.Env
	Builder  *features.Builder
	Registry *engine.Registry
	fsys     fs.FS
}

// Bundle compiles fsys's features.yaml and the named policy files into a
// registry; any failure ends the test.
func Bundle(t testing.TB, fsys fs.FS, policyFiles ...string) *Compiled {
	t.Helper()
	cat, err := rules.ParseCatalog("features.yaml", read(t, fsys, "features.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	reg := engine.NewRegistry()
	for _, f := range policyFiles {
		p, err := rules.ParsePolicy(f, read(t, fsys, f))
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
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	return &Compiled{Env: env, Builder: b, Registry: reg, fsys: fsys}
}

// Deployments resolves the bundle's deployments.yaml against the registry.
func (c *Compiled) Deployments(t testing.TB) *engine.DeploymentSet {
	t.Helper()
	deps, err := rules.ParseDeployments("deployments.yaml", read(t, c.fsys, "deployments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := engine.NewDeploymentSet(c.Registry, deps)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func read(t testing.TB, fsys fs.FS, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// NewEngine builds an engine over the small catalog and policies in
// dir (features.yaml, credit-v1.yaml, credit-v2.yaml, deployments.yaml) with
// one fixed vector for every customer.
func NewEngine(t testing.TB, dir string, feats map[string]any, clock func() time.Time) *engine.Engine {
	t.Helper()
	c := Bundle(t, os.DirFS(dir), "credit-v1.yaml", "credit-v2.yaml")
	vec, err := c.Builder.Build(feats, clock())
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec), Clock: clock})
	eng.Activate(c.Deployments(t))
	return eng
}
