package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/simulator/live"
)

func newSimulateCmd() *cobra.Command {
	return commandGroup("simulate", "Generate synthetic customers and replay them against policies",
		newSimulateGenerateCmd(), newSimulateRunCmd(), newSimulateCompareCmd())
}

func newSimulateGenerateCmd() *cobra.Command {
	var n int
	var seed uint64
	var out string
	cmd := &cobra.Command{
		Use:   "generate --customers N --seed S --out FILE",
		Short: "Write N synthetic historical customers as JSON lines (gzip when FILE ends in .gz); the same N and seed give the same bytes",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 0 {
				return fmt.Errorf("--customers must be at least 0, got %d", n)
			}
			w, err := simulator.CreateFile(out)
			if err != nil {
				return err
			}
			var progress func(int)
			var bar *simulator.Progress
			if simulator.IsTerminal(os.Stderr) {
				bar = simulator.NewProgress(cmd.ErrOrStderr(), "generate", int64(n))
				progress = func(done int) { bar.Update(int64(done)) }
			}
			if err := simulator.Generate(w, n, seed, progress); err != nil {
				w.Close()
				return err
			}
			if bar != nil {
				bar.Done(int64(n))
			}
			return w.Close()
		},
	}
	f := cmd.Flags()
	f.IntVar(&n, "customers", 0, "number of customers to generate")
	f.Uint64Var(&seed, "seed", 1, "random seed; the same seed and count give byte-identical output")
	f.StringVar(&out, "out", "", "output file (.jsonl, or .jsonl.gz for gzip)")
	_ = cmd.MarkFlagRequired("customers")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

type simulateRunFlags struct {
	baseline, candidate, data, out, lists string
	workers                               int
	fromLog, step, from, to               string
	verdictDays                           int
	allFeatures                           bool
}

func newSimulateRunCmd() *cobra.Command {
	var fl simulateRunFlags
	cmd := &cobra.Command{
		Use:   "run --baseline ID@V|FILE --candidate ID@V|FILE (--data FILE | --from-log DIR --step S --from T --to T) --out DIR",
		Short: "Replay customers through two policy versions; writes report.json, report.html and timing.json into DIR",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSimulation(cmd, fl)
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.baseline, "baseline", "", "baseline policy: ID@VERSION from the shipped bundle, or a policy YAML file")
	f.StringVar(&fl.candidate, "candidate", "", "candidate policy: ID@VERSION from the shipped bundle, or a policy YAML file")
	f.StringVar(&fl.data, "data", "", "dataset: JSON lines (.gz for gzip), as written by simulate generate")
	f.StringVar(&fl.out, "out", "", "directory for report.json, report.html and timing.json (created if missing)")
	f.String("catalog", "", "feature catalog (default: the shipped policies/features.yaml)")
	f.StringVar(&fl.lists, "lists", "", "JSON object of managed list name → entries, for in_list")
	f.IntVar(&fl.workers, "workers", 0, "parallel workers (default: the number of CPUs)")
	f.StringVar(&fl.fromLog, "from-log", "", "replay the decision log's cold tier under DIR (DIR/cold/YYYY-MM-DD.jsonl.gz) instead of --data")
	f.StringVar(&fl.step, "step", "", "with --from-log: the journey step (default: the baseline's step)")
	f.StringVar(&fl.from, "from", "", "with --from-log: first decision time, RFC 3339 or YYYY-MM-DD (inclusive)")
	f.StringVar(&fl.to, "to", "", "with --from-log: end of the range, RFC 3339 or YYYY-MM-DD (exclusive)")
	f.IntVar(&fl.verdictDays, "verdict-days", int(live.DefaultVerdictWindow/(24*time.Hour)), "with --from-log: read reviewers' verdicts on referred decisions until this many days after --to (0: none)")
	f.BoolVar(&fl.allFeatures, "all-features", false, "build vectors from every feature of a record, not only those the policies read (slower; same decisions)")
	_ = cmd.MarkFlagRequired("baseline")
	_ = cmd.MarkFlagRequired("candidate")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runSimulation(cmd *cobra.Command, fl simulateRunFlags) error {
	if (fl.data == "") == (fl.fromLog == "") {
		return errors.New("give exactly one of --data and --from-log")
	}
	env, builder, err := loadCatalog(cmd, nil)
	if err != nil {
		return err
	}
	base, err := resolvePolicy(env, fl.baseline)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	cand, err := resolvePolicy(env, fl.candidate)
	if err != nil {
		return fmt.Errorf("candidate: %w", err)
	}
	cfg := simulator.Config{Baseline: base, Candidate: cand, Builder: builder, Workers: fl.workers, AllFeatures: fl.allFeatures}
	if fl.lists != "" {
		l, err := readLists(fl.lists)
		if err != nil {
			return fmt.Errorf("--lists: %w", err)
		}
		cfg.Lists = l
	}
	if err := os.MkdirAll(fl.out, 0o755); err != nil {
		return err
	}

	parent := cmd.Context()
	if parent == nil {
		parent = context.Background()
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt)
	defer stop()
	var src simulator.Source
	var bar *simulator.Progress
	showProgress := simulator.IsTerminal(os.Stderr)
	if fl.data != "" {
		d, err := simulator.OpenFile(fl.data)
		if err != nil {
			return err
		}
		defer d.Close()
		src = simulator.DatasetSource(d, fl.data)
		if showProgress {
			bar = simulator.NewProgress(cmd.ErrOrStderr(), "simulate", 0)
			bar.Fraction = func() float64 { return float64(d.Pos()) / float64(max(d.Size, 1)) }
		}
	} else {
		step := fl.step
		if step == "" {
			step = base.Policy.Step
		}
		from, err := parseTimeFlag("--from", fl.from)
		if err != nil {
			return err
		}
		to, err := parseTimeFlag("--to", fl.to)
		if err != nil {
			return err
		}
		ls, err := newLogSource(ctx, fl.fromLog, step, from, to, fl.verdictDays)
		if err != nil {
			return err
		}
		defer ls.Close()
		src = ls
		if showProgress {
			bar = simulator.NewProgress(cmd.ErrOrStderr(), "simulate", 0)
		}
	}
	if bar != nil {
		cfg.Progress = bar.Update
	}

	// A replay allocates short-lived values at a high rate on a small live
	// heap: collecting less often saves about a quarter of the CPU for a
	// few tens of MB more memory.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	rep, timing, err := simulator.Run(ctx, cfg, src)
	if bar != nil {
		if err == nil {
			bar.Done(rep.Records + rep.Skipped)
		} else {
			fmt.Fprintln(cmd.ErrOrStderr())
		}
	}
	if err != nil {
		return err
	}
	if err := simulator.WriteReport(fl.out, rep, timing); err != nil {
		return err
	}
	b, c := rep.Outcomes["baseline"], rep.Outcomes["candidate"]
	fmt.Fprintf(cmd.OutOrStdout(), "%d customers: approve %s -> %s, swap-in %d, swap-out %d, bad rate %s -> %s; %d customers/s; report in %s\n",
		rep.Records, simulator.Pct(b.RatesBps[nirnay.Approve]), simulator.Pct(c.RatesBps[nirnay.Approve]),
		rep.SwapIn.Count, rep.SwapOut.Count, simulator.Pct(rep.Risk["baseline"].BadRateBps), simulator.Pct(rep.Risk["candidate"].BadRateBps),
		timing.CustomersPerSec, filepath.Join(fl.out, "report.html"))
	if rv := rep.Reviewers; rv != nil {
		fmt.Fprintf(cmd.OutOrStdout(), "%d referred, %d with a verdict: the baseline agrees on %d (%s), the candidate on %d (%s) and still refers %d\n",
			rv.Referred, rv.Reviewed, rv.Baseline.Agree, simulator.Pct(rv.Baseline.AgreementBps),
			rv.Candidate.Agree, simulator.Pct(rv.Candidate.AgreementBps), rv.Candidate.StillRefers)
	}
	if rep.Skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "nirnay: %d records of steps other than %s were skipped\n", rep.Skipped, rep.Step)
	}
	return nil
}

// parseTimeFlag is parseTimeArg for a flag --from-log requires.
func parseTimeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s is required with --from-log", name)
	}
	return parseTimeArg(name, s)
}

// resolvePolicy compiles a policy given as a YAML file path or as ID@VERSION
// of the shipped bundle.
func resolvePolicy(env *rules.Env, spec string) (*rules.Compiled, error) {
	if id, v, ok := strings.Cut(spec, "@"); ok && !strings.ContainsAny(spec, `/\`) && !strings.HasSuffix(spec, ".yaml") {
		version, err := strconv.Atoi(v)
		if err != nil || version < 1 {
			return nil, fmt.Errorf("%q: want ID@VERSION with a positive version", spec)
		}
		files, err := shippedFiles()
		if err != nil {
			return nil, err
		}
		var known []string
		for _, f := range files {
			if f.kind != rules.KindPolicy {
				continue
			}
			p, err := rules.ParsePolicy(f.name, f.data)
			if err != nil {
				continue
			}
			known = append(known, p.Ref())
			if p.ID == id && p.Version == version {
				return env.CompileSource(f.name, f.data)
			}
		}
		slices.Sort(known)
		return nil, fmt.Errorf("%s is not in the shipped bundle (have %s)", spec, strings.Join(known, ", "))
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, err
	}
	return env.CompileSource(spec, data)
}

func newSimulateCompareCmd() *cobra.Command {
	var (
		cfg                  config
		step, from, to, asOf string
		badDPD, matureDays   int
	)
	cmd := &cobra.Command{
		Use:   "compare --step S --from T --to T",
		Short: "Compare live challenger traffic with the champion from the decision log, joined to repayment outcomes; prints JSON",
		Long: `Compare live challenger traffic with the champion: per arm (role and policy
version) the decisions, customers, outcome and approval rates, what became of
the approvals in the loan book (bad, good, immature, no loan), a two-proportion
z-test of each challenger against the champion, and each shadow policy's
agreement with the acted-on decisions. Reads the database the service uses
(--database-url, or the embedded one under --data-dir) and the decision log's
cold tier under <data dir>/decisions/cold. See docs/simulator.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.load(cmd); err != nil {
				return err
			}
			o := live.CompareOptions{Range: live.Range{Step: step}, BadDPD: badDPD, MatureDays: matureDays}
			var err error
			if o.From, err = parseTimeArg("--from", from); err != nil {
				return err
			}
			if o.To, err = parseTimeArg("--to", to); err != nil {
				return err
			}
			if asOf != "" {
				if o.AsOf, err = parseTimeArg("--as-of", asOf); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			db, err := openDatabase(ctx, cfg)
			if err != nil {
				return err
			}
			defer db.Close()
			// Only the log's List is used. Its local segments go to a
			// scratch directory: the service's own segments are never
			// opened, so running this beside the service is safe.
			scratch, err := os.MkdirTemp("", "nirnay-compare-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(scratch)
			l, err := decisionlog.Open(scratch, db, decisionlog.Options{})
			if err != nil {
				return err
			}
			defer l.Close()
			c, err := live.Compare(ctx, live.Decisions{Hot: l, ColdDir: filepath.Join(cfg.DataDir, "decisions", "cold")}, db, o)
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), c)
		},
	}
	cfg.bind(cmd.Flags())
	f := cmd.Flags()
	for _, name := range []string{"redis-url", "http-addr", "admin-key", "log-level", "log-format", "shutdown-timeout", "max-body-bytes", "decision-hot-age", "debug-addr", "memory-limit", "kyc-uidai-certs"} {
		_ = f.MarkHidden(name) // the service's settings; compare reads only the database and the data dir
	}
	f.StringVar(&step, "step", "", "journey step (required)")
	f.StringVar(&from, "from", "", "first decision time, RFC 3339 or YYYY-MM-DD (inclusive; required)")
	f.StringVar(&to, "to", "", "end of the range, RFC 3339 or YYYY-MM-DD (exclusive; required)")
	f.StringVar(&asOf, "as-of", "", "when outcomes are read, for loan maturity (default now)")
	f.IntVar(&badDPD, "bad-dpd", live.DefaultBadDPD, "a loan is bad once its DPD reaches this (or it was NPA or written off)")
	f.IntVar(&matureDays, "mature-days", live.DefaultMatureDays, "a loan not bad is good only after this many days from disbursal; younger it is immature")
	_ = cmd.MarkFlagRequired("step")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// parseTimeArg parses the flag name's value: RFC 3339 (made UTC), or a
// date YYYY-MM-DD (its midnight UTC).
func parseTimeArg(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: want RFC 3339 or YYYY-MM-DD, got %q", name, s)
}
