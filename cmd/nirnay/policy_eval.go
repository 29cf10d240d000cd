package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/rules"
)

func newPolicyDiffCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Show what changed between two policy files: rules, outcomes, bands, offer, precedence, default",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ps [2]*rules.Policy
			for i, path := range args {
				data, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				p, err := rules.ParsePolicy(path, data)
				if err != nil {
					printErr(cmd.ErrOrStderr(), err)
					return &exitError{code: 1}
				}
				ps[i] = p
			}
			d := rules.Diff(ps[0], ps[1])
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, d)
			}
			_, err := fmt.Fprint(out, d.Text())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the diff as JSON")
	return cmd
}

// readJSONObject reads a JSON object file; numbers become int64 when whole
// and float64 otherwise.
func readJSONObject(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object: %w", path, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return engine.PlainNumbers(m), nil
}

// singlePolicy sets up an engine deciding with one policy file over a
// static vector, as eval and bench need.
type singlePolicy struct {
	compiled *rules.Compiled
	vec      *features.Vector
	input    map[string]any
	lists    engine.StaticLists
}

// readLists reads a JSON object of managed list name → entries.
func readLists(path string) (engine.StaticLists, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var l map[string][]string
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("%s: want a JSON object of list name to strings: %w", path, err)
	}
	return l, nil
}

func loadSingle(cmd *cobra.Command, policyPath, featuresPath, inputPath string, now time.Time) (*singlePolicy, error) {
	if policyPath == "" || featuresPath == "" {
		return nil, fmt.Errorf("--policy and --features are required")
	}
	env, b, err := loadCatalog(cmd, nil)
	if err != nil {
		printErr(cmd.ErrOrStderr(), err)
		return nil, &exitError{code: 1}
	}
	data, err := os.ReadFile(policyPath)
	if err != nil {
		return nil, err
	}
	c, err := env.CompileSource(policyPath, data)
	if err != nil {
		printErr(cmd.ErrOrStderr(), err)
		return nil, &exitError{code: 1}
	}
	vals, err := readJSONObject(featuresPath)
	if err != nil {
		return nil, err
	}
	vec, err := b.Build(vals, now)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", featuresPath, err)
	}
	sp := &singlePolicy{compiled: c, vec: vec}
	if inputPath != "" {
		if sp.input, err = readJSONObject(inputPath); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

func (sp *singlePolicy) engine(clock func() time.Time, ids func(time.Time) string) (*engine.Engine, error) {
	reg := engine.NewRegistry()
	if err := reg.Add(sp.compiled); err != nil {
		return nil, err
	}
	p := sp.compiled.Policy
	set, err := engine.NewDeploymentSet(reg, &rules.Deployments{File: "<eval>", Steps: []rules.Deployment{
		{Step: p.Step, Champion: rules.PolicyRef{ID: p.ID, Version: p.Version}},
	}})
	if err != nil {
		return nil, err
	}
	cfg := engine.Config{Features: features.NewStatic(sp.vec), Clock: clock, NewID: ids}
	if sp.lists != nil {
		cfg.Lists = sp.lists
	}
	e := engine.New(cfg)
	e.Activate(set)
	return e, nil
}

func newPolicyEvalCmd() *cobra.Command {
	var policyPath, featuresPath, inputPath, listsPath, nowText, customerID, requestID string
	var trace bool
	cmd := &cobra.Command{
		Use:   "eval --policy FILE --features FILE [--input FILE] [--now RFC3339] [--trace]",
		Short: "Decide once with a policy file and a feature vector; prints the decision JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := rules.DefaultTestNow
			if nowText != "" {
				t, err := time.Parse(time.RFC3339Nano, nowText)
				if err != nil {
					return fmt.Errorf("--now: want RFC 3339, got %q", nowText)
				}
				now = t.UTC()
			}
			sp, err := loadSingle(cmd, policyPath, featuresPath, inputPath, now)
			if err != nil {
				return err
			}
			if sp.lists, err = readLists(listsPath); err != nil {
				return err
			}
			// Deterministic: a fixed clock (so latency_us is 0) and an id
			// derived from the inputs.
			id := func(t time.Time) string {
				h := sha256.New()
				for _, path := range []string{policyPath, featuresPath, inputPath, listsPath} {
					if data, err := os.ReadFile(path); err == nil {
						h.Write(data)
					}
					h.Write([]byte{0})
				}
				fmt.Fprintf(h, "%s|%s|%d", customerID, requestID, t.UnixNano())
				return ids.NewSeeded(nil, h.Sum(nil)).At("dec", t)
			}
			e, err := sp.engine(func() time.Time { return now }, id)
			if err != nil {
				return err
			}
			d, err := e.Decide(context.Background(), engine.Request{
				RequestID: requestID, CustomerID: customerID, Step: sp.compiled.Policy.Step, Input: sp.input, Trace: trace,
			})
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), d)
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (YAML)")
	f.StringVar(&featuresPath, "features", "", "JSON object of feature name → value (fresh as of --now)")
	f.StringVar(&inputPath, "input", "", "JSON object: the step's request input")
	f.StringVar(&nowText, "now", "", "decision time, RFC 3339 (default 2026-01-01T00:00:00Z, as in policy tests)")
	f.StringVar(&listsPath, "lists", "", "JSON object of managed list name → entries, for in_list")
	f.StringVar(&customerID, "customer-id", "", "customer id of the decision")
	f.StringVar(&requestID, "request-id", "", "request id of the decision")
	f.BoolVar(&trace, "trace", false, "list every rule with the features it read")
	return cmd
}

func newPolicyBenchCmd() *cobra.Command {
	var policyPath, featuresPath, inputPath string
	var n int
	cmd := &cobra.Command{
		Use:   "bench --policy FILE --features FILE [-n N]",
		Short: `Measure decisions with a policy over a warm vector; prints {"decisions", "p50_ns", "p99_ns", "decisions_per_sec"}`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 {
				return fmt.Errorf("-n must be at least 1")
			}
			sp, err := loadSingle(cmd, policyPath, featuresPath, inputPath, time.Now())
			if err != nil {
				return err
			}
			e, err := sp.engine(time.Now, nil)
			if err != nil {
				return err
			}
			ctx := context.Background()
			req := engine.Request{CustomerID: "bench", Step: sp.compiled.Policy.Step, Input: sp.input}
			for i := 0; i < min(n, 1000); i++ { // warm up
				if _, err := e.Decide(ctx, req); err != nil {
					return err
				}
			}
			lat := make([]int64, n)
			start := time.Now()
			for i := range lat {
				t0 := time.Now()
				if _, err := e.Decide(ctx, req); err != nil {
					return err
				}
				lat[i] = int64(time.Since(t0))
			}
			total := time.Since(start)
			slices.Sort(lat)
			pct := func(p float64) int64 { return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)] }
			out := struct {
				Decisions       int   `json:"decisions"`
				P50             int64 `json:"p50_ns"`
				P99             int64 `json:"p99_ns"`
				DecisionsPerSec int64 `json:"decisions_per_sec"`
			}{n, pct(0.50), pct(0.99), int64(math.Round(float64(n) / total.Seconds()))}
			return json.NewEncoder(cmd.OutOrStdout()).Encode(out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (YAML)")
	f.StringVar(&featuresPath, "features", "", "JSON object of feature name → value")
	f.StringVar(&inputPath, "input", "", "JSON object: the step's request input")
	f.IntVarP(&n, "n", "n", 10000, "number of decisions to measure")
	return cmd
}
