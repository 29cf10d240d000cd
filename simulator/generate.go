package simulator

import (
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"time"
)

// Epoch is the start of the window synthetic decisions fall in; decisions
// are spread over the 180 days that follow it.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	windowSeconds = 180 * 24 * 3600
	blockSize     = 1000 // fraud rings are laid out per block of customers
)

// Generate writes n synthetic customers (one JSON line each, see AppendJSON)
// to w. The output is a pure function of n and seed: the same arguments give
// byte-identical output. Memory use does not grow with n. progress, when
// not nil, is called after every 4096 customers with the count so far.
func Generate(w io.Writer, n int, seed uint64, progress func(done int)) error {
	buf := make([]byte, 0, 8192)
	i := 0
	for r := range Customers(n, seed) {
		buf = AppendJSON(buf[:0], &r)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
		i++
		if progress != nil && i%4096 == 0 {
			progress(i)
		}
	}
	if progress != nil {
		progress(i)
	}
	return nil
}

// Customers yields n synthetic customers in id order; see Generate. The demo
// mode seeds its customers' features from it.
func Customers(n int, seed uint64) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		var layout *blockLayout
		for i := range n {
			if b := i / blockSize; layout == nil || layout.block != b {
				layout = newBlockLayout(seed, b)
			}
			if !yield(customer(seed, i, layout)) {
				return
			}
		}
	}
}

// Customer returns the i-th (0-based) customer of the dataset for seed,
// exactly as Customers yields it.
func Customer(seed uint64, i int) Record {
	return customer(seed, i, newBlockLayout(seed, i/blockSize))
}

// blockLayout places fraud rings within one block of customers: members of
// a ring share a device and a bank account and apply within a few days.
type blockLayout struct {
	block  int
	ringOf [blockSize]int16 // -1: not in a ring
	rings  []ring
}

type ring struct {
	size  int
	start int64 // unix seconds around which its members apply
}

func newBlockLayout(seed uint64, block int) *blockLayout {
	rng := rand.New(rand.NewPCG(seed^0x72696e6773, uint64(block)))
	l := &blockLayout{block: block}
	for i := range l.ringOf {
		l.ringOf[i] = -1
	}
	nrings := poisson(rng, 2.5)
	for r := range nrings {
		size := 3 + rng.IntN(6)
		l.rings = append(l.rings, ring{size: size, start: Epoch.Unix() + rng.Int64N(windowSeconds-7*86400)})
		for placed := 0; placed < size; {
			j := rng.IntN(blockSize)
			if l.ringOf[j] == -1 {
				l.ringOf[j] = int16(r)
				placed++
			}
		}
	}
	return l
}

func customerRNG(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(uint64(i)+0x9e3779b97f4a7c15)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// person is the latent state behind one synthetic customer: what is true
// about them, of which the features are noisy evidence.
type person struct {
	quality    float64 // credit quality, N(0,1); higher is better
	hunger     float64 // appetite for credit, N(0,1)
	trueIncome int64   // rupees a month
	inflated   bool    // declared income well above the true income
	fraud      bool    // the application is fraudulent
	ring       int     // fraud ring index in the block, -1 when none
	ringSize   int
}

func customer(seed uint64, i int, layout *blockLayout) Record {
	rng := customerRNG(seed, i)
	g := &gen{rng: rng, f: make(map[string]any, 96)}
	p := person{quality: rng.NormFloat64(), hunger: rng.NormFloat64(), ring: -1}
	ringIdx := int(layout.ringOf[i%blockSize])
	var at time.Time
	if ringIdx >= 0 {
		rg := layout.rings[ringIdx]
		p.ring, p.ringSize, p.fraud = ringIdx, rg.size, true
		at = time.Unix(rg.start+rng.Int64N(5*86400), 0).UTC()
	} else {
		at = time.Unix(Epoch.Unix()+rng.Int64N(windowSeconds), 0).UTC()
		p.fraud = rng.Float64() < 0.008 // lone fraudsters: identity theft, account takeover
	}
	id := fmt.Sprintf("C%08d", i+1)
	rec := Record{CustomerID: id, DecidedAt: at, Step: "application"}
	rec.Entities = map[string]string{
		"device":       fmt.Sprintf("D%08d", i+1),
		"bank_account": fmt.Sprintf("BA%08d", i+1),
		"phone":        fmt.Sprintf("PH%08d", i+1),
		"pan":          fmt.Sprintf("PAN%08d", i+1),
	}
	if p.ring >= 0 {
		rec.Entities["device"] = fmt.Sprintf("DR%05d-%d", layout.block, p.ring)
		rec.Entities["bank_account"] = fmt.Sprintf("BAR%05d-%d", layout.block, p.ring)
	}

	g.profile(&p, at)
	g.bureau(&p, at)
	g.sms(&p)
	g.kyc(&p, at)
	if p.ring >= 0 {
		// Ring members share the device and the bank account: draw their
		// features once per ring so every member reports the same ones.
		rg := &gen{rng: rand.New(rand.NewPCG(seed^0x646576696365, uint64(layout.block)<<16|uint64(p.ring))), f: g.f}
		rg.device(&p, time.Unix(layout.rings[p.ring].start, 0).UTC())
		rg.bank(&p)
	} else {
		g.device(&p, at)
		g.bank(&p)
	}
	g.payments(&p, seed, i)
	rec.Features = g.f
	rec.Input = g.input(&p, rec.Entities["device"])
	rec.Labels = g.labels(&p, rec.Input)
	return rec
}

// gen draws one customer's features into f.
type gen struct {
	rng *rand.Rand
	f   map[string]any
}

func (g *gen) u(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }
func (g *gen) p(prob float64) bool      { return g.rng.Float64() < prob }
func (g *gen) i(lo, hi int) int64       { return int64(lo + g.rng.IntN(hi-lo+1)) }
func (g *gen) round2(x float64) float64 { return math.Round(x*100) / 100 }

// pick chooses among options by weight.
func (g *gen) pick(options []string, weights []float64) string {
	return options[g.pickIndex(weights)]
}

type city struct {
	state  string
	tier   int64
	prefix int
}

var cities = []city{
	{"MH", 1, 400}, {"DL", 1, 110}, {"KA", 1, 560}, {"TG", 1, 500}, {"TN", 1, 600}, {"WB", 1, 700}, {"MH", 1, 411}, {"GJ", 1, 380},
	{"RJ", 2, 302}, {"UP", 2, 226}, {"MP", 2, 452}, {"MH", 2, 440}, {"TN", 2, 641}, {"KL", 2, 682}, {"BR", 2, 800}, {"CH", 2, 160},
	{"BR", 3, 842}, {"UP", 3, 243}, {"WB", 3, 734}, {"TG", 3, 506}, {"KA", 3, 580}, {"RJ", 3, 311}, {"OD", 3, 768}, {"AS", 3, 781},
}

var medianIncome = map[int64]float64{1: 42000, 2: 32000, 3: 24000}

func (g *gen) input(p *person, device string) map[string]any {
	mult := math.Exp(0.7 + 0.6*g.rng.NormFloat64() + 0.2*p.hunger)
	if p.fraud {
		mult *= 2
	}
	amount := int64(float64(g.f["monthly_income"].(int64))*mult/1000) * 1000
	amount = max(5000, min(amount, 800000))
	tenure := tenures[min(len(tenures)-1, int(g.pickIndex([]float64{5, 15, 10, 35, 15, 15, 5})))]
	return map[string]any{
		"amount":        amount,
		"tenure_months": tenure,
		"loan_purpose":  g.pick([]string{"personal", "medical", "education", "travel", "business", "other"}, []float64{45, 12, 10, 8, 10, 15}),
		"device_id":     device,
	}
}

// pickIndex chooses an index of weights by its weight.
func (g *gen) pickIndex(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.rng.Float64() * total
	for k, w := range weights {
		if x < w {
			return k
		}
		x -= w
	}
	return len(weights) - 1
}

// labels draws the outcomes. Default depends on credit quality (which the
// bureau score reflects), credit hunger, the true obligation burden with the
// new loan, income inflation, bounces, betting and delinquency history;
// fraudulent applications almost always default.
func (g *gen) labels(p *person, input map[string]any) Labels {
	amount := float64(input["amount"].(int64))
	tenure := float64(input["tenure_months"].(int64))
	emi := 0.0
	if v, ok := g.f["total_emi"].(int64); ok {
		emi = float64(v)
	}
	trueFOIR := (emi + amount*0.02 + amount/tenure) / float64(p.trueIncome)
	x := -3.3 - 0.9*p.quality + 0.35*p.hunger + 1.2*min(trueFOIR-0.35, 1.5)
	if p.inflated {
		x += 0.6
	}
	if b, _ := g.f["sms_emi_bounces_90d"].(int64); b > 0 {
		x += 0.5 * float64(min(b, 3))
	}
	if g.f["betting_apps_installed"].(int64) > 0 {
		x += 0.4
	}
	if g.f["bureau_score"].(int64) == -1 {
		x += 0.4
	}
	if g.f["max_dpd_12m"] != nil && g.f["max_dpd_12m"].(int64) >= 30 {
		x += 0.5
	}
	if g.f["lending_apps_installed"].(int64) >= 8 {
		x += 0.3
	}
	switch g.f["employment_type"] {
	case "self_employed":
		x += 0.2
	case "student", "unemployed":
		x += 0.8
	}
	if g.f["employer_category"] == "cat_a" {
		x -= 0.3
	}
	l := Labels{Fraud: p.fraud && g.p(0.9)}
	l.Default90d = g.p(logistic(x)) || (p.fraud && g.p(0.9))
	return l
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// poisson draws from a Poisson distribution (Knuth's method; lambda is
// small here).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	lambda = min(lambda, 30)
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
