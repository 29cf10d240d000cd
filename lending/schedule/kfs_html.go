package schedule

import (
	"html/template"
	"io"
)

// WriteKFSHTML writes k as a self-contained printable HTML page (inline
// styles, no scripts, no external resources) in the order of RBI's KFS
// format: the loan and its instalment, fees, APR, contingent charges, then
// the repayment schedule. Every value is escaped by html/template.
func WriteKFSHTML(w io.Writer, k KFS) error {
	return kfsPage.Execute(w, k)
}

var kfsPage = template.Must(template.New("kfs").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Key Fact Statement</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; color: #111; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.1rem; margin-top: 1.75rem; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: .85rem; color: #444; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
</style>
</head>
<body>
<h1>Key Fact Statement</h1>
<p class="note">{{if .ProductID}}Product {{.ProductID}}. {{end}}All amounts in rupees (₹).</p>

<h2>Part 1: Interest rate and fees</h2>
<table>
<tr><th>Sanctioned loan amount</th><td class="num">{{.Principal}}</td></tr>
<tr><th>Loan term</th><td class="num">{{.TenureMonths}} months</td></tr>
<tr><th>Instalments</th><td class="num">{{.TenureMonths}} monthly instalments of {{.EMI}}, the first due on {{.FirstDueDate}}</td></tr>
<tr><th>Interest rate</th><td class="num">{{.AnnualRatePercent}}% a year, fixed ({{.Method}}, day count {{.DayCount}})</td></tr>
<tr><th>Total interest over the term</th><td class="num">{{.TotalInterest}}</td></tr>
{{range $name, $amount := .Fees}}<tr><th>Fee: {{$name}}</th><td class="num">{{$amount}}</td></tr>
{{end}}<tr><th>Total up-front fees and charges</th><td class="num">{{.FeesTotal}}</td></tr>
<tr><th>Net disbursed amount</th><td class="num">{{.NetDisbursed}}</td></tr>
<tr><th>Total amount to be paid by the borrower</th><td class="num">{{.TotalPayable}}</td></tr>
<tr><th>Annual Percentage Rate (APR)</th><td class="num"><strong>{{.APRPercent}}%</strong></td></tr>
</table>
<p class="note">The APR is the monthly internal rate of return of the net disbursed amount against the instalments, multiplied by 12. The total amount to be paid is the sum of the instalments; the up-front fees are deducted from the disbursal.</p>
{{if or .ContingentCharges .CoolingOffDays}}
<h2>Contingent charges and other terms</h2>
<table>
{{range .ContingentCharges}}<tr><th>{{.Name}}</th><td>{{.Terms}}</td></tr>
{{end}}{{with .CoolingOffDays}}<tr><th>Cooling-off period</th><td>{{.}} days from disbursal, in which you may repay the principal and the proportionate interest and exit without any penalty</td></tr>
{{end}}</table>
{{end}}
<h2>Repayment schedule</h2>
<table>
<tr><th class="num">No.</th><th>Due date</th><th class="num">Principal</th><th class="num">Interest</th><th class="num">Instalment</th><th class="num">Outstanding principal</th></tr>
{{range .Instalments}}<tr><td class="num">{{.N}}</td><td>{{.DueDate}}</td><td class="num">{{.Principal}}</td><td class="num">{{.Interest}}</td><td class="num">{{.Amount}}</td><td class="num">{{.Balance}}</td></tr>
{{end}}</table>
<p class="note">Disbursal on {{.StartDate}}.</p>
</body>
</html>
`))
