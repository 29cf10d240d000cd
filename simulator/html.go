package simulator

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"strings"

	"github.com/nirnay/nirnay"
)

// WriteHTML writes report.html: one self-contained page (inline CSS and
// SVG, no scripts or external assets) showing the report. Its bytes depend
// only on the report.
func WriteHTML(w io.Writer, r *Report) error {
	return pageTmpl.Execute(w, htmlView{R: r})
}

type htmlView struct{ R *Report }

func (v htmlView) Title() string {
	return fmt.Sprintf("%s@%d vs %s@%d", v.R.Baseline.ID, v.R.Baseline.Version, v.R.Candidate.ID, v.R.Candidate.Version)
}

// Pct formats basis points as a percentage with two places; "—" for null.
func Pct(b *int64) string {
	if b == nil {
		return "—"
	}
	v := *b
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d%%", sign, v/100, v%100)
}

// PctChange formats a change in basis points with a sign.
func PctChange(v int64) string {
	if v > 0 {
		return "+" + Pct(&v)
	}
	return Pct(&v)
}

func signed(v int64) string {
	if v > 0 {
		return fmt.Sprintf("+%d", v)
	}
	return fmt.Sprint(v)
}

func (v htmlView) OutcomeChart() template.HTML {
	var bars []bar
	for _, o := range outcomeNames {
		bars = append(bars, bar{string(o), val(v.R.Outcomes["baseline"].RatesBps[o]), val(v.R.Outcomes["candidate"].RatesBps[o])})
	}
	return barChart(bars, true)
}

func (v htmlView) RiskChart() template.HTML {
	rb, rc := v.R.Risk["baseline"], v.R.Risk["candidate"]
	return barChart([]bar{
		{"bad rate", val(rb.BadRateBps), val(rc.BadRateBps)},
		{"fraud rate", val(rb.FraudRateBps), val(rc.FraudRateBps)},
		{"loss rate", val(rb.LossRateBps), val(rc.LossRateBps)},
	}, true)
}

func (v htmlView) LimitChart() template.HTML {
	return bucketChart(v.R.Offers.LimitBuckets)
}

func (v htmlView) ScoreBandChart() template.HTML { return bandChart(v.R.ByScoreBand) }

func (v htmlView) IncomeBandChart() template.HTML { return bandChart(v.R.ByIncome) }

func (v htmlView) RuleChart() template.HTML {
	var bars []bar
	for _, rc := range v.R.Rules {
		if rc.BaselineHits != 0 || rc.CandidateHits != 0 {
			bars = append(bars, bar{rc.ID, val(rc.BaselineRateBps), val(rc.CandidateRateBps)})
		}
	}
	return hbarChart(bars)
}

// Cell colours a transition-matrix cell by its share of all records.
func (v htmlView) Cell(from, to nirnay.Outcome) template.HTMLAttr {
	n := v.R.Transitions[from][to]
	alpha := 0.0
	if v.R.Records > 0 {
		alpha = 0.08 + 0.8*float64(n)/float64(v.R.Records)
	}
	if n == 0 {
		alpha = 0
	}
	color := "37,99,235"
	if from != to {
		color = "234,88,12"
	}
	return template.HTMLAttr(fmt.Sprintf(`style="background: rgba(%s,%.3f)"`, color, alpha))
}

func (v htmlView) Outcomes() []nirnay.Outcome { return outcomeNames }

// Against counts the reviewed referrals on which the side ("baseline" or
// "candidate") decided got where the reviewer's verdict was verdict.
func (v htmlView) Against(side, verdict, got string) int64 {
	g := v.R.Reviewers.Baseline
	if side == "candidate" {
		g = v.R.Reviewers.Candidate
	}
	return g.Matrix[nirnay.Outcome(verdict)][nirnay.Outcome(got)]
}

func val(b *int64) float64 {
	if b == nil {
		return 0
	}
	return float64(*b)
}

func bucketChart(bs []Bucket) template.HTML {
	var bars []bar
	for _, x := range bs {
		bars = append(bars, bar{x.Bucket, float64(x.Baseline), float64(x.Candidate)})
	}
	return barChart(bars, false)
}

func bandChart(rows []BandRow) template.HTML {
	var bars []bar
	for _, r := range rows {
		bars = append(bars, bar{r.Band, val(r.BaselineApproveRateBps), val(r.CandidateApproveRateBps)})
	}
	return barChart(bars, true)
}

// bar is one category of a chart: the baseline's value beside the
// candidate's.
type bar struct {
	cat        string
	base, cand float64
}

// highest is the largest value of bars, at least 1: the top of the scale.
func highest(bars []bar) float64 {
	top := 1.0
	for _, b := range bars {
		top = max(top, b.base, b.cand)
	}
	return top
}

const (
	colBase = "#64748b"
	colCand = "#2563eb"
)

// colours are the baseline's and the candidate's bar colours.
var colours = [2]string{colBase, colCand}

func label(v float64, isBps bool) string {
	if isBps {
		return fmt.Sprintf("%.1f%%", v/100)
	}
	return fmt.Sprintf("%.0f", v)
}

// barChart draws grouped vertical bars: baseline and candidate per category.
func barChart(bars []bar, isBps bool) template.HTML {
	const h, top, bottom, left = 220.0, 20.0, 46.0, 10.0
	group := 90.0
	width := left*2 + group*float64(len(bars))
	maxV := highest(bars)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img">`, width, h)
	plot := h - top - bottom
	for i, b := range bars {
		x := left + group*float64(i)
		for k, v := range []float64{b.base, b.cand} {
			bh := plot * v / maxV
			bx := x + 10 + float64(k)*36
			fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="32" height="%.1f" fill="%s"/>`, bx, top+plot-bh, bh, colours[k])
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="middle">%s</text>`, bx+16, top+plot-bh-3, label(v, isBps))
		}
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%s</text>`, x+group/2, h-bottom+14, html.EscapeString(b.cat))
	}
	fmt.Fprintf(&sb, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#333"/>`, left, top+plot, width-left, top+plot)
	sb.WriteString(legend(left, h-14))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

// hbarChart draws grouped horizontal bars, one row per category.
func hbarChart(bars []bar) template.HTML {
	const labelW, plotW, row = 230.0, 420.0, 26.0
	height := row*float64(len(bars)) + 40
	maxV := highest(bars)
	var sb strings.Builder
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" role="img">`, labelW+plotW+70, height)
	for i, b := range bars {
		y := 8 + row*float64(i)
		fmt.Fprintf(&sb, `<text x="%.0f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, labelW-6, y+14, html.EscapeString(b.cat))
		for k, v := range []float64{b.base, b.cand} {
			w := plotW * v / maxV
			fmt.Fprintf(&sb, `<rect x="%.0f" y="%.1f" width="%.1f" height="10" fill="%s"/>`, labelW, y+float64(k)*11, w, colours[k])
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" font-size="8">%s</text>`, labelW+w+3, y+float64(k)*11+8, label(v, true))
		}
	}
	sb.WriteString(legend(labelW, height-10))
	sb.WriteString(`</svg>`)
	return template.HTML(sb.String())
}

func legend(x, y float64) string {
	return fmt.Sprintf(`<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="10">baseline</text>`+
		`<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="10">candidate</text>`,
		x, y-9, colBase, x+14, y, x+80, y-9, colCand, x+94, y)
}

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": Pct, "pctChange": PctChange, "signed": signed, "join": strings.Join,
	"slice2": func(a, b any) []any { return []any{a, b} },
	"deref": func(s *string) string {
		if s == nil {
			return "—"
		}
		return *s
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Nirnay simulation: {{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;color:#111;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem}th,td{border:1px solid #ddd;padding:.3rem .55rem;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f5}.up{color:#b91c1c}.down{color:#15803d}
.note{color:#555;font-size:.85rem}.grid{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}
</style></head><body>
{{$r := .R}}
<h1>Simulation: {{.Title}}</h1>
<p><b>Baseline</b> {{$r.Baseline.ID}}@{{$r.Baseline.Version}} ({{$r.Baseline.Rules}} rules) — {{$r.Baseline.Description}}<br>
<b>Candidate</b> {{$r.Candidate.ID}}@{{$r.Candidate.Version}} ({{$r.Candidate.Rules}} rules) — {{$r.Candidate.Description}}<br>
Step <b>{{$r.Step}}</b>: {{$r.Records}} customers replayed{{if $r.Skipped}} ({{$r.Skipped}} records of other steps skipped){{end}};
population default rate {{pct $r.Population.DefaultRateBps}}, fraud rate {{pct $r.Population.FraudRateBps}}.</p>

<h2>Outcomes</h2>
<div class="grid"><div>{{.OutcomeChart}}</div>
<table><tr><th>outcome</th><th>baseline</th><th>rate</th><th>candidate</th><th>rate</th></tr>
{{range $o := .Outcomes}}<tr><td>{{$o}}</td><td>{{index $r.Outcomes.baseline.Counts $o}}</td><td>{{pct (index $r.Outcomes.baseline.RatesBps $o)}}</td><td>{{index $r.Outcomes.candidate.Counts $o}}</td><td>{{pct (index $r.Outcomes.candidate.RatesBps $o)}}</td></tr>
{{end}}<tr><td>records with rule errors</td><td>{{$r.Outcomes.baseline.RuleErrorRecords}}</td><td></td><td>{{$r.Outcomes.candidate.RuleErrorRecords}}</td><td></td></tr></table></div>

<h2>Transition matrix</h2>
<p class="note">Rows: the baseline's outcome; columns: the candidate's. The diagonal is unchanged.</p>
<table><tr><th>baseline ↓ / candidate →</th>{{range .Outcomes}}<th>{{.}}</th>{{end}}</tr>
{{range $from := .Outcomes}}<tr><td>{{$from}}</td>{{range $to := $.Outcomes}}<td {{$.Cell $from $to}}>{{index (index $r.Transitions $from) $to}}</td>{{end}}</tr>
{{end}}</table>

<h2>Risk among the approved</h2>
<div class="grid"><div>{{.RiskChart}}</div>
<table><tr><th></th><th>baseline</th><th>candidate</th></tr>
<tr><td>approved</td><td>{{$r.Risk.baseline.Approved}}</td><td>{{$r.Risk.candidate.Approved}}</td></tr>
<tr><td>defaults (90 days)</td><td>{{$r.Risk.baseline.Defaults}}</td><td>{{$r.Risk.candidate.Defaults}}</td></tr>
<tr><td>bad rate</td><td>{{pct $r.Risk.baseline.BadRateBps}}</td><td>{{pct $r.Risk.candidate.BadRateBps}}</td></tr>
<tr><td>fraud</td><td>{{$r.Risk.baseline.Fraud}}</td><td>{{$r.Risk.candidate.Fraud}}</td></tr>
<tr><td>fraud rate</td><td>{{pct $r.Risk.baseline.FraudRateBps}}</td><td>{{pct $r.Risk.candidate.FraudRateBps}}</td></tr>
<tr><td>approved limit (₹)</td><td>{{$r.Risk.baseline.ApprovedLimit}}</td><td>{{$r.Risk.candidate.ApprovedLimit}}</td></tr>
<tr><td>average limit (₹)</td><td>{{$r.Risk.baseline.AverageLimit}}</td><td>{{$r.Risk.candidate.AverageLimit}}</td></tr>
<tr><td>expected loss (₹)</td><td>{{$r.Risk.baseline.ExpectedLoss}}</td><td>{{$r.Risk.candidate.ExpectedLoss}}</td></tr>
<tr><td>loss rate</td><td>{{pct $r.Risk.baseline.LossRateBps}}</td><td>{{pct $r.Risk.candidate.LossRateBps}}</td></tr>
</table></div>
<p class="note">Expected loss: the approved limits of customers labelled default_90d (loss given default 100%). Labels of the synthetic data exist for every customer; in live data declined customers have none.</p>

<h2>Swap sets</h2>
{{template "swap" (slice2 "Swap-in: approved only by the candidate" $r.SwapIn)}}
{{template "swap" (slice2 "Swap-out: approved only by the baseline" $r.SwapOut)}}

{{with $r.Reviewers}}<h2>Agreement with the reviewers</h2>
<p>{{.Referred}} of the replayed decisions were referred live; {{.Reviewed}} have a reviewer's verdict{{if .VerdictsUntil}} given before {{.VerdictsUntil.Format "2006-01-02 15:04 MST"}}{{end}}:
{{range $o, $n := .Verdicts}}{{$o}} {{$n}}. {{end}}</p>
<table><tr><th>on the reviewed referrals</th><th>baseline</th><th>candidate</th></tr>
<tr><td>agree with the reviewer</td><td>{{.Baseline.Agree}} of {{.Baseline.Compared}}</td><td>{{.Candidate.Agree}} of {{.Candidate.Compared}}</td></tr>
<tr><td>agreement rate</td><td>{{pct .Baseline.AgreementBps}}</td><td>{{pct .Candidate.AgreementBps}}</td></tr>
<tr><td>still refer</td><td>{{.Baseline.StillRefers}}</td><td>{{.Candidate.StillRefers}}</td></tr>
<tr><td>disagree</td><td>{{.Baseline.Disagree}}</td><td>{{.Candidate.Disagree}}</td></tr>
<tr><td>approve what the reviewer declined</td><td>{{$.Against "baseline" "decline" "approve"}}</td><td>{{$.Against "candidate" "decline" "approve"}}</td></tr>
<tr><td>decline what the reviewer approved</td><td>{{$.Against "baseline" "approve" "decline"}}</td><td>{{$.Against "candidate" "approve" "decline"}}</td></tr>
</table>
<p class="note">Rules that fired on the referred decisions live, with how often reviewers approved them: a rule whose referrals are nearly always approved refers too much.</p>
<table><tr><th>rule</th><th>reviewed</th><th>approved</th><th>approval rate</th></tr>
{{range .Rules}}<tr><td>{{.Rule}}</td><td>{{.Reviewed}}</td><td>{{.Approved}}</td><td>{{pct .ApprovalRateBps}}</td></tr>
{{end}}</table>{{end}}

<h2>Rule hit rates</h2>
<div>{{.RuleChart}}</div>
<table><tr><th>rule</th><th>baseline hits</th><th>rate</th><th>candidate hits</th><th>rate</th><th>change</th><th>errors (b / c)</th></tr>
{{range $r.Rules}}<tr><td>{{.ID}}{{if not .InBaseline}} <i>(new)</i>{{end}}{{if not .InCandidate}} <i>(removed)</i>{{end}}</td><td>{{.BaselineHits}}</td><td>{{pct .BaselineRateBps}}</td><td>{{.CandidateHits}}</td><td>{{pct .CandidateRateBps}}</td><td class="{{if gt .ChangeBps 0}}up{{else if lt .ChangeBps 0}}down{{end}}">{{pctChange .ChangeBps}}</td><td>{{.BaselineErrors}} / {{.CandidateErrors}}</td></tr>
{{end}}</table>

<h2>Reason codes</h2>
<table><tr><th>reason</th><th>baseline</th><th>candidate</th><th>change</th></tr>
{{range $r.Reasons}}<tr><td>{{.Code}}</td><td>{{.Baseline}}</td><td>{{.Candidate}}</td><td>{{signed .Change}}</td></tr>
{{end}}</table>

<h2>Offers</h2>
<p class="note">Approved offer limits (₹), by bucket.</p>
<div>{{.LimitChart}}</div>
<div class="grid">
<table><tr><th>annual rate (bps)</th><th>baseline</th><th>candidate</th></tr>
{{range $r.Offers.AnnualRateBps}}<tr><td>{{.Bucket}}</td><td>{{.Baseline}}</td><td>{{.Candidate}}</td></tr>{{end}}</table>
<table><tr><th>tenure (months)</th><th>baseline</th><th>candidate</th></tr>
{{range $r.Offers.TenureMonths}}<tr><td>{{.Bucket}}</td><td>{{.Baseline}}</td><td>{{.Candidate}}</td></tr>{{end}}</table>
</div>

<h2>By bureau score band</h2>
<div>{{.ScoreBandChart}}</div>
{{template "bands" $r.ByScoreBand}}
<h2>By declared income band (₹ a month)</h2>
<div>{{.IncomeBandChart}}</div>
{{template "bands" $r.ByIncome}}
<p class="note">Approve rates are of the band's customers; bad rates of the band's approvals.</p>
</body></html>
{{define "swap"}}<h3>{{index . 0}}: {{(index . 1).Count}}</h3>
{{with index . 1}}<p>Defaults {{.Defaults}} (bad rate {{pct .BadRateBps}}), fraud {{.Fraud}}.</p>
{{if .Examples}}<table><tr><th>customer</th><th>baseline</th><th>reasons</th><th>score</th><th>candidate</th><th>reasons</th><th>score</th><th>limit (₹)</th></tr>
{{range .Examples}}<tr><td>{{.CustomerID}}</td><td>{{.Baseline.Outcome}}</td><td>{{join .Baseline.Reasons ", "}}</td><td>{{.Baseline.Score}}</td><td>{{.Candidate.Outcome}}</td><td>{{join .Candidate.Reasons ", "}}</td><td>{{.Candidate.Score}}</td><td>{{if .Candidate.Limit}}{{deref .Candidate.Limit}}{{else}}{{deref .Baseline.Limit}}{{end}}</td></tr>
{{end}}</table>{{end}}{{end}}{{end}}
{{define "bands"}}<table><tr><th>band</th><th>customers</th><th>defaults</th><th>baseline approved</th><th>rate</th><th>bad rate</th><th>candidate approved</th><th>rate</th><th>bad rate</th></tr>
{{range .}}<tr><td>{{.Band}}</td><td>{{.Customers}}</td><td>{{.Defaults}}</td><td>{{.BaselineApproved}}</td><td>{{pct .BaselineApproveRateBps}}</td><td>{{pct .BaselineBadRateBps}}</td><td>{{.CandidateApproved}}</td><td>{{pct .CandidateApproveRateBps}}</td><td>{{pct .CandidateBadRateBps}}</td></tr>
{{end}}</table>{{end}}
`))
