package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Config is one replay: two compiled policy versions of the same step and
// catalog, and the builder that makes vectors for that catalog.
type Config struct {
	Baseline  *rules.Compiled
	Candidate *rules.Compiled
	Builder   *features.Builder // for the catalog both policies were compiled with
	Lists     engine.Lists      // managed lists for in_list; nil: every list is empty
	Workers   int               // default runtime.GOMAXPROCS(0)
	// AllFeatures builds vectors from every feature of a record. By default
	// a replay skips, unparsed, the features neither policy can read
	// (directly or through derived features); decisions are the same.
	AllFeatures bool
	// Progress, when set, is called about every 4096 records with the
	// number done so far, from the worker goroutines: it must be safe for
	// concurrent use (Progress.Update is).
	Progress func(done int64)
}

// Item is one record to replay: a raw dataset line, or a record already
// parsed (the decision log).
type Item struct {
	Line   []byte  // a dataset line; parsed by a worker
	Record *Record // used when Line is nil
	Where  string  // for error messages ("file:line")
}

// Source yields the records of a replay in order; io.EOF ends it. The
// Line of an Item must stay valid until the next call.
type Source interface {
	Next() (Item, error)
}

// DatasetSource reads a dataset file as a Source.
func DatasetSource(d *DatasetReader, name string) Source { return &datasetSource{d: d, name: name} }

type datasetSource struct {
	d    *DatasetReader
	name string
}

func (s *datasetSource) Next() (Item, error) {
	line, n, err := s.d.Next()
	if err != nil {
		return Item{}, err
	}
	return Item{Line: line, Where: fmt.Sprintf("%s:%d", s.name, n)}, nil
}

const batchSize = 256

type batch struct {
	first int64 // sequence number of items[0]
	items []Item
	arena []byte // the items' lines
}

// Run replays every record of src through both policies and returns the
// report and the timings. Each record's features are built into a vector
// with features.Builder as observed at its decided_at, its input added with
// Vector.WithInput, and both policies evaluated by engine.Evaluate with now
// = decided_at: the production evaluation path with the record's own clock.
//
// Records are spread over Workers goroutines in batches; every figure of
// the report is a sum, and examples are the earliest records in source
// order, so the report does not depend on scheduling: the same source and
// policies give the same report. The first bad record stops the run with
// an error naming it.
//
// Records carrying a Referral (a decision-log source) are also compared
// with their reviewer's verdict (Report.Reviewers, nil when none has one);
// a VerdictSource says until when it read verdicts.
func Run(ctx context.Context, cfg Config, src Source) (*Report, *Timing, error) {
	if cfg.Baseline == nil || cfg.Candidate == nil || cfg.Builder == nil {
		return nil, nil, errors.New("simulator: baseline, candidate and builder are required")
	}
	cat := cfg.Builder.Catalog()
	if cfg.Baseline.Env.Catalog != cat || cfg.Candidate.Env.Catalog != cat {
		return nil, nil, engine.ErrCatalogMismatch
	}
	if cfg.Baseline.Policy.Step != cfg.Candidate.Policy.Step {
		return nil, nil, fmt.Errorf("baseline %s is for step %s, candidate %s for step %s",
			cfg.Baseline.Policy.Ref(), cfg.Baseline.Policy.Step, cfg.Candidate.Policy.Ref(), cfg.Candidate.Policy.Step)
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var keep []bool
	if !cfg.AllFeatures {
		keep = neededFeatures(cat, cfg.Baseline, cfg.Candidate)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	batches := make(chan batch, workers*2)
	free := make(chan batch, workers*3)
	var readErr error
	go func() {
		defer close(batches)
		var seq int64
		for {
			var b batch
			select {
			case b = <-free:
			default:
				b = batch{items: make([]Item, 0, batchSize), arena: make([]byte, 0, 1<<20)}
			}
			items, arena := b.items[:0], b.arena[:0]
			b.first = seq
			for len(items) < batchSize {
				it, err := src.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					readErr = err
					cancel()
					return
				}
				if it.Line != nil {
					// Copy into the batch's arena: the source reuses its buffer.
					off := len(arena)
					arena = append(arena, it.Line...)
					it.Line = arena[off:len(arena):len(arena)]
				}
				items = append(items, it)
			}
			if len(items) == 0 {
				return
			}
			b.items, b.arena = items, arena
			seq += int64(len(items))
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if len(items) < batchSize {
				return
			}
		}
	}()

	accs := make([]*accumulator, workers)
	errs := make([]error, workers)
	var done progressCounter
	var wg sync.WaitGroup
	for w := range workers {
		accs[w] = newAccumulator(cfg.Baseline, cfg.Candidate)
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWorker(cfg, keep, accs[w])
			for b := range batches {
				if ctx.Err() != nil {
					continue // drain
				}
				for i := range b.items {
					if err := wk.replay(b.first+int64(i), &b.items[i]); err != nil {
						errs[w] = err
						cancel()
						break
					}
				}
				select {
				case free <- b:
				default:
				}
				if n, report := done.add(int64(len(b.items))); report && cfg.Progress != nil {
					cfg.Progress(n)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if readErr != nil {
		return nil, nil, readErr
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	elapsed := time.Since(start)
	total := accs[0]
	for _, a := range accs[1:] {
		total.merge(a)
	}
	if cfg.Progress != nil {
		cfg.Progress(total.records.n + total.skipped)
	}
	rep := total.report()
	if vs, ok := src.(VerdictSource); ok && rep.Reviewers != nil {
		until := vs.VerdictsUntil().UTC()
		rep.Reviewers.VerdictsUntil = &until
	}
	return rep, total.timing(workers, elapsed), nil
}

type progressCounter struct {
	mu   sync.Mutex
	n    int64
	last int64
}

func (p *progressCounter) add(k int64) (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += k
	if p.n-p.last >= 4096 {
		p.last = p.n
		return p.n, true
	}
	return p.n, false
}

var identRe = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`)

// neededFeatures marks the catalog slots either policy reads, with the
// inputs of the derived features they read (transitively), plus the
// features the report breaks down by.
func neededFeatures(cat *rules.Catalog, cs ...*rules.Compiled) []bool {
	keep := make([]bool, cat.Len())
	var mark func(slot int)
	mark = func(slot int) {
		if keep[slot] {
			return
		}
		keep[slot] = true
		f := &cat.Features[slot]
		if f.Source != rules.SourceDerived {
			return
		}
		for _, name := range identRe.FindAllString(f.Expr, -1) {
			if g, ok := cat.Lookup(name); ok {
				mark(g.Slot)
			}
		}
	}
	for _, c := range cs {
		for _, slot := range c.Reads() {
			mark(slot)
		}
	}
	for _, name := range []string{featScore, featIncome} {
		if f, ok := cat.Lookup(name); ok {
			mark(f.Slot)
		}
	}
	return keep
}

// Features the report's breakdowns use.
const (
	featScore  = "bureau_score"
	featIncome = "monthly_income"
)

// worker replays records one at a time, reusing its buffers.
type worker struct {
	cfg  Config
	keep []bool
	acc  *accumulator
	rec  Record
	obs  map[string]features.Observed
	// pending marks features put before decided_at was known.
	pending bool
	keyPos  int              // position of the next feature key in the line
	seen    []*rules.Feature // the feature last seen at each position
}

func newWorker(cfg Config, keep []bool, acc *accumulator) *worker {
	return &worker{cfg: cfg, keep: keep, acc: acc, obs: make(map[string]features.Observed, 128)}
}

// Name implements FeatureSink: names resolve to the catalog's own strings.
// Lines of one dataset list their features in the same order, so the
// feature seen at the same position last time is tried before hashing.
func (w *worker) Name(key []byte) (string, bool, error) {
	pos := w.keyPos
	w.keyPos++
	if pos < len(w.seen) {
		if f := w.seen[pos]; f != nil && f.Name == string(key) {
			return f.Name, w.keep == nil || w.keep[f.Slot], nil
		}
	}
	f, ok := w.cfg.Builder.Catalog().Lookup(string(key))
	if !ok {
		return "", false, fmt.Errorf("feature %q is not in the catalog", key)
	}
	if pos < 512 {
		for len(w.seen) <= pos {
			w.seen = append(w.seen, nil)
		}
		w.seen[pos] = f
	}
	return f.Name, w.keep == nil || w.keep[f.Slot], nil
}

// Put implements FeatureSink.
func (w *worker) Put(name string, v any) {
	if w.rec.DecidedAt.IsZero() {
		w.pending = true
	}
	w.obs[name] = features.Observed{Value: v, AsOf: w.rec.DecidedAt}
}

func (w *worker) replay(seq int64, it *Item) error {
	rec := it.Record
	clear(w.obs)
	if it.Line != nil {
		w.rec = Record{Input: w.rec.Input}
		clear(w.rec.Input)
		w.pending, w.keyPos = false, 0
		if err := ParseRecord(it.Line, &w.rec, w); err != nil {
			return fmt.Errorf("%s: %w", it.Where, err)
		}
		if w.pending {
			for k, o := range w.obs {
				o.AsOf = w.rec.DecidedAt
				w.obs[k] = o
			}
		}
		rec = &w.rec
	} else {
		for name, v := range rec.Features {
			f, ok := w.cfg.Builder.Catalog().Lookup(name)
			if !ok {
				return fmt.Errorf("%s: feature %q is not in the catalog", it.Where, name)
			}
			if w.keep == nil || w.keep[f.Slot] {
				w.obs[f.Name] = features.Observed{Value: v, AsOf: rec.DecidedAt}
			}
		}
	}
	if rec.Step != "" && rec.Step != w.cfg.Baseline.Policy.Step {
		w.acc.skipped++
		return nil
	}
	t0 := time.Now()
	vec, err := w.cfg.Builder.BuildObserved(w.obs, rec.DecidedAt)
	if err == nil {
		vec, err = vec.WithInput(rec.Input, rec.DecidedAt)
	}
	if err != nil {
		return fmt.Errorf("%s: customer %s: %w", it.Where, rec.CustomerID, err)
	}
	in := engine.Inputs{Vector: vec, Input: rec.Input, Now: rec.DecidedAt, Lists: w.cfg.Lists}
	t1 := time.Now()
	base, err := engine.Evaluate(w.cfg.Baseline, in)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", it.Where, w.cfg.Baseline.Policy.Ref(), err)
	}
	t2 := time.Now()
	cand, err := engine.Evaluate(w.cfg.Candidate, in)
	if err != nil {
		return fmt.Errorf("%s: %s: %w", it.Where, w.cfg.Candidate.Policy.Ref(), err)
	}
	t3 := time.Now()
	w.acc.buildNS.add(t1.Sub(t0).Nanoseconds())
	w.acc.baseNS.add(t2.Sub(t1).Nanoseconds())
	w.acc.candNS.add(t3.Sub(t2).Nanoseconds())
	score, hasScore := intFeature(w.obs, featScore)
	income, hasIncome := intFeature(w.obs, featIncome)
	w.acc.add(seq, rec, &base, &cand, bandOf(scoreBands, score, hasScore), bandOf(incomeBands, income, hasIncome))
	return nil
}

func intFeature(obs map[string]features.Observed, name string) (int64, bool) {
	o, ok := obs[name]
	if !ok {
		return 0, false
	}
	v, err := rules.CoerceValue(rules.TypeInt, o.Value)
	if err != nil {
		return 0, false
	}
	return v.(int64), true
}
