package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/comms"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
)

func newPolicyCmd() *cobra.Command {
	cmd := commandGroup("policy", "Write, test, lint, diff, evaluate and benchmark policies",
		newPolicyTestCmd(), newPolicyLintCmd(), newPolicyDiffCmd(), newPolicyEvalCmd(), newPolicyBenchCmd())
	cmd.PersistentFlags().String("catalog", "", "feature catalog (default: features.yaml among the given files, else the shipped policies/features.yaml)")
	return cmd
}

// bundleFile is one YAML file read from disk or the shipped bundle.
type bundleFile struct {
	name string
	data []byte
	kind rules.FileKind
}

// readPaths reads files and directories (their *.yaml and *.yml, not
// recursively, in name order).
func readPaths(paths []string) ([]bundleFile, error) {
	var out []bundleFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		names := []string{p}
		if st.IsDir() {
			entries, err := os.ReadDir(p)
			if err != nil {
				return nil, err
			}
			names = names[:0]
			for _, e := range entries {
				if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
					names = append(names, filepath.Join(p, e.Name()))
				}
			}
		}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				return nil, err
			}
			out = append(out, bundleFile{name: n, data: data, kind: rules.DetectKind(data)})
		}
	}
	return out, nil
}

// shippedFiles reads the embedded default bundle.
func shippedFiles() ([]bundleFile, error) {
	matches, err := fs.Glob(policies.FS, "*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(matches)
	var out []bundleFile
	for _, m := range matches {
		data, err := fs.ReadFile(policies.FS, m)
		if err != nil {
			return nil, err
		}
		out = append(out, bundleFile{name: "policies/" + m, data: data, kind: rules.DetectKind(data)})
	}
	return out, nil
}

// loadCatalog picks the catalog: --catalog if given, else a catalog among
// files, else the shipped policies/features.yaml.
func loadCatalog(cmd *cobra.Command, files []bundleFile) (*rules.Env, *features.Builder, error) {
	path, _ := cmd.Flags().GetString("catalog")
	var name string
	var data []byte
	switch {
	case path != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, err
		}
		name, data = path, b
	default:
		for _, f := range files {
			if f.kind == rules.KindCatalog {
				name, data = f.name, f.data
				break
			}
		}
		if data == nil {
			b, err := fs.ReadFile(policies.FS, "features.yaml")
			if err != nil {
				return nil, nil, fmt.Errorf("shipped catalog: %w", err)
			}
			name, data = "policies/features.yaml", b
		}
	}
	cat, err := rules.ParseCatalog(name, data)
	if err != nil {
		return nil, nil, err
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		return nil, nil, err
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		return nil, nil, err
	}
	return env, b, nil
}

// printErr prints an error list one problem a line.
func printErr(w io.Writer, err error) {
	var list rules.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e.Error())
		}
		return
	}
	fmt.Fprintln(w, err.Error())
}

func newPolicyTestCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test [PATH...]",
		Short: "Run the tests: of policy files (default: the shipped bundle); prints N passed, M failed",
		RunE: func(cmd *cobra.Command, args []string) error {
			var files []bundleFile
			var err error
			if len(args) == 0 {
				files, err = shippedFiles()
			} else {
				files, err = readPaths(args)
			}
			if err != nil {
				return err
			}
			env, b, err := loadCatalog(cmd, files)
			if err != nil {
				printErr(cmd.ErrOrStderr(), err)
				return &exitError{code: 1}
			}
			out := cmd.OutOrStdout()
			passed, failed, loadErrs := 0, 0, 0
			for _, f := range files {
				if f.kind != rules.KindPolicy {
					continue
				}
				c, err := env.CompileSource(f.name, f.data)
				if err != nil {
					printErr(cmd.ErrOrStderr(), err)
					loadErrs++
					continue
				}
				for _, r := range engine.RunTests(c, b) {
					if r.Passed() {
						passed++
						continue
					}
					failed++
					fmt.Fprintln(out, "FAIL", r.String())
				}
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
			if failed > 0 || loadErrs > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

func newPolicyLintCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "lint PATH...",
		Short: "Check policy, catalog and deployments files; every problem as file:line: field: message",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := readPaths(args)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var problems rules.ErrorList
			nerr := 0
			report := func(err error) {
				var list rules.ErrorList
				if errors.As(err, &list) {
					problems = append(problems, list...)
					nerr += len(list)
					return
				}
				problems = append(problems, &rules.Error{Msg: err.Error()})
				nerr++
			}
			env, _, err := loadCatalog(cmd, files)
			if err != nil {
				report(err)
				for _, e := range problems {
					fmt.Fprintln(out, e.Error())
				}
				return &exitError{code: 1}
			}
			refs := map[rules.PolicyRef]*rules.Policy{}
			var deployments []*rules.Deployments
			for _, f := range files {
				switch f.kind {
				case rules.KindCatalog:
					if cat, err := rules.ParseCatalog(f.name, f.data); err != nil {
						report(err)
					} else if _, err := features.NewBuilder(cat); err != nil {
						report(err)
					}
				case rules.KindQueues:
					if _, err := cases.ParseQueues(f.name, f.data); err != nil {
						report(err)
					}
				case rules.KindNotifications:
					if tmpl, err := loadTemplates(""); err != nil {
						report(err)
					} else if _, err := comms.ParseNotifications(f.name, f.data, tmpl); err != nil {
						report(err)
					}
				case rules.KindDeployments:
					d, err := rules.ParseDeployments(f.name, f.data)
					if err != nil {
						report(err)
					} else {
						deployments = append(deployments, d)
					}
				default:
					c, err := env.CompileSource(f.name, f.data)
					if err != nil {
						report(err)
						if p, perr := rules.ParsePolicy(f.name, f.data); perr == nil {
							refs[rules.PolicyRef{ID: p.ID, Version: p.Version}] = p
						}
						continue
					}
					p := c.Policy
					ref := rules.PolicyRef{ID: p.ID, Version: p.Version}
					if prev, dup := refs[ref]; dup {
						report(&rules.Error{File: p.File, Line: p.FieldLine("version"), Field: "version", Msg: fmt.Sprintf("%s is also defined in %s", ref, prev.File)})
					}
					refs[ref] = p
					problems = append(problems, rules.Lint(c)...)
				}
			}
			// Deployments must name policies given in the same run.
			if len(refs) > 0 {
				for _, d := range deployments {
					for _, dep := range d.Steps {
						all := append([]rules.PolicyRef{dep.Champion}, dep.Shadows...)
						for _, ch := range dep.Challengers {
							all = append(all, ch.Policy)
						}
						for _, r := range all {
							p, ok := refs[r]
							switch {
							case !ok:
								report(&rules.Error{File: d.File, Line: dep.Line, Field: "deployments[" + dep.Step + "]", Msg: fmt.Sprintf("%s is not among the linted policies", r)})
							case p.Step != dep.Step:
								report(&rules.Error{File: d.File, Line: dep.Line, Field: "deployments[" + dep.Step + "]", Msg: fmt.Sprintf("%s is a policy for step %s", r, p.Step)})
							}
						}
					}
				}
			}
			_ = problems.Err() // sorts
			for _, e := range problems {
				fmt.Fprintln(out, e.Error())
			}
			fmt.Fprintf(out, "%d files: %d errors, %d warnings\n", len(files), nerr, len(problems)-nerr)
			if nerr > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}
