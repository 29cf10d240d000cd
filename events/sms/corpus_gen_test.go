package sms

// The SMS corpus (testdata/corpus.jsonl) is a committed golden file. It was
// produced from the message templates in testdata/corpus_templates.jsonl
// and corpus_literal_test.go, written from the formats Indian banks,
// lenders and wallets send, with synthetic numbers, names and masked
// accounts. Each template carries the label a human
// reader gives the message (kind, which amount is the transaction, which
// masked number is the account), never the parser's output.
//
// To regenerate after changing templates:
//
//	go test ./events/sms/ -run TestCorpusGenerate -update-corpus

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/money"
)

// corpusTemplates is every template: the formats, then the literal messages.
var corpusTemplates = append(loadTemplates(templatesPath), literalTemplates...)

const templatesPath = "testdata/corpus_templates.jsonl"

// loadTemplates reads the message formats from path (JSON lines of
// templateJSON); a line it cannot read panics, as the corpus cannot be
// made without it.
func loadTemplates(path string) []tmpl {
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var out []tmpl
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	for dec.More() {
		var j templateJSON
		if err := dec.Decode(&j); err != nil {
			panic(fmt.Sprintf("%s: template %d: %v", path, len(out)+1, err))
		}
		out = append(out, tmpl{senders: j.Senders, inst: j.Inst, kind: j.Kind, body: j.Body, n: j.N, lo: j.Lo, hi: j.Hi, suffix: j.Suffix})
	}
	return out
}

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/corpus.jsonl from the templates")

const corpusPath = "testdata/corpus.jsonl"

// tmpl is one message format. body holds placeholders (see fill); senders
// lists header variants used round-robin; n is how many instances to make.
type tmpl struct {
	senders []string
	inst    string // expected institution, "" for null
	kind    string
	body    string
	n       int
	lo, hi  int64  // range of the transaction amount {A…}, rupees
	suffix  string // which placeholder is the account suffix: "" = the first of S, S3, LN; "none" = null

	// For literal messages (no placeholders): the expected values as text.
	amt, bal, sfx string
}

// templateJSON is a line of testdata/corpus_templates.jsonl: a tmpl with
// placeholders (literal messages are in corpus_literal_test.go). Inst ""
// expects a null institution; Lo and Hi 0 take fill's default range.
type templateJSON struct {
	Senders []string `json:"senders"`
	Inst    string   `json:"inst,omitempty"`
	Kind    string   `json:"kind"`
	N       int      `json:"n"`
	Lo      int64    `json:"lo,omitempty"`
	Hi      int64    `json:"hi,omitempty"`
	Suffix  string   `json:"suffix,omitempty"`
	Body    string   `json:"body"`
}

type corpusExpect struct {
	Kind          string  `json:"kind"`
	Amount        *string `json:"amount"`
	Institution   *string `json:"institution"`
	AccountSuffix *string `json:"account_suffix"`
	Balance       *string `json:"balance,omitempty"`
}

type corpusLine struct {
	Sender     string       `json:"sender"`
	Body       string       `json:"body"`
	ReceivedAt string       `json:"received_at"`
	Expect     corpusExpect `json:"expect"`
}

var (
	genNames     = []string{"ANIL KUMAR", "PRIYA NAIR", "ROHIT VERMA", "MEERA IYER", "SURESH PATIL", "KAVYA REDDY", "ARJUN MEHTA", "NEHA GUPTA", "VIKRAM SINGH", "DIVYA RAO"}
	genVPAs      = []string{"anil.k@okaxis", "priya.nair@ybl", "rohitv@oksbi", "meera.i@okicici", "9876501234@paytm", "kavya99@ibl", "arjun.m@axl", "nehag@okhdfcbank"}
	genMerchants = []string{"AMAZON", "SWIGGY", "ZOMATO", "FLIPKART", "BIGBASKET", "UBER INDIA", "DMART", "MYNTRA", "IRCTC", "BOOKMYSHOW"}
	genEmployers = []string{"ACME TECHNOLOGIES PVT LTD", "SUNRISE SOFTWARE LLP", "NIRMAN INFRA PVT LTD", "GLOBEX INDIA PVT LTD", "KESTREL LOGISTICS LTD", "VERTEX RETAIL PVT LTD"}
	genLenders   = []string{"BAJAJ FINANCE LTD", "HDB FINANCIAL SERVICES", "TATA CAPITAL LTD", "KREDITBEE", "HOME CREDIT INDIA", "FIBE"}
	genIFSC      = []string{"ICIC0001234", "HDFC0004321", "SBIN0012345", "UTIB0000456", "KKBK0000789"}
	genBig       = []string{"5,00,000", "2 lakh", "25,00,000", "10 lakh", "1,50,000", "50,000"}
	genMonths    = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}

	// genPools maps a placeholder to the values fill picks it from.
	genPools = map[string][]string{"N": genNames, "V": genVPAs, "M": genMerchants, "E": genEmployers, "L": genLenders, "IFSC": genIFSC, "BIG": genBig}
)

// generated is one filled template.
type generated struct {
	body    string
	amount  *money.Paise
	balance *money.Paise
	suffix  *string
}

// fill expands t.body. Placeholders:
//
//	{A:STYLE} transaction amount; {B:STYLE} balance; {X:STYLE} another amount;
//	STYLE: in (1,23,456.50) w (123,456.50) p (123456.50) i (123456) 1 (123456.5)
//	{S} 4-digit account suffix, {S3} 3-digit, {LN} 4-digit loan number suffix
//	{N} name {V} VPA {M} merchant {E} employer {L} lender {R} 12-digit ref
//	{O} OTP {IFSC} {BIG} promo amount {CHQ} cheque no {ID} 6 digits {LID} loan id
//	{D1} 12-11-26 {D2} 12Nov26 {D3} 12/11/2026 {D4} 12-NOV-26 {D5} 2026-11-12 {D6} 12/11/26
//	{T} time {MON} month {YYYY} year
func fill(t tmpl, r *rand.Rand) generated {
	var g generated
	day := time.Date(2026, time.Month(1+r.IntN(11)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	mon := genMonths[day.Month()-1]
	acct := map[string]string{
		"S":  fmt.Sprintf("%04d", r.IntN(10000)),
		"S3": fmt.Sprintf("%03d", r.IntN(1000)),
		"LN": fmt.Sprintf("%04d", r.IntN(10000)),
	}
	reuse := map[string]string{} // a repeated {A…} or {B…} repeats its value
	var out strings.Builder
	body := t.body
	firstSuffix := ""
	for {
		i := strings.IndexByte(body, '{')
		if i < 0 {
			out.WriteString(body)
			break
		}
		j := strings.IndexByte(body[i:], '}')
		out.WriteString(body[:i])
		ph := body[i+1 : i+j]
		body = body[i+j+1:]
		name, style, _ := strings.Cut(ph, ":")
		switch name {
		case "A", "B", "X":
			if v, ok := reuse[name]; ok && name != "X" {
				out.WriteString(v)
				continue
			}
			lo, hi := t.lo, t.hi
			if name != "A" || hi == 0 {
				lo, hi = 100, 90000
			}
			p := money.Paise((lo + r.Int64N(hi-lo+1)) * 100)
			switch style {
			case "i":
			case "1":
				p += money.Paise(r.IntN(10) * 10)
			default:
				p += money.Paise(r.IntN(100))
			}
			v := formatAmount(p, style)
			reuse[name] = v
			out.WriteString(v)
			pp := p
			switch name {
			case "A":
				if g.amount == nil {
					g.amount = &pp
				}
			case "B":
				g.balance = &pp
			}
		case "S", "S3", "LN":
			if firstSuffix == "" {
				firstSuffix = name
			}
			out.WriteString(acct[name])
		case "N", "V", "M", "E", "L", "IFSC", "BIG":
			pool := genPools[name]
			out.WriteString(pool[r.IntN(len(pool))])
		case "R":
			fmt.Fprintf(&out, "%d%011d", 3+r.IntN(6), r.Int64N(100_000_000_000))
		case "O":
			fmt.Fprintf(&out, "%06d", r.IntN(1_000_000))
		case "CHQ", "ID":
			fmt.Fprintf(&out, "%06d", r.IntN(1_000_000))
		case "LID":
			fmt.Fprintf(&out, "%d", 10_000_000+r.IntN(90_000_000))
		case "D1":
			out.WriteString(day.Format("02-01-06"))
		case "D2":
			out.WriteString(day.Format("02Jan06"))
		case "D3":
			out.WriteString(day.Format("02/01/2006"))
		case "D4":
			out.WriteString(strings.ToUpper(day.Format("02-Jan-06")))
		case "D5":
			out.WriteString(day.Format("2006-01-02"))
		case "D6":
			out.WriteString(day.Format("02/01/06"))
		case "T":
			fmt.Fprintf(&out, "%02d:%02d:%02d", r.IntN(24), r.IntN(60), r.IntN(60))
		case "MON":
			out.WriteString(mon)
		case "YYYY":
			out.WriteString(day.Format("2006"))
		default:
			panic("unknown placeholder " + ph)
		}
	}
	g.body = out.String()
	for _, lit := range []struct {
		v   string
		dst **money.Paise
	}{{t.amt, &g.amount}, {t.bal, &g.balance}} {
		if lit.v != "" {
			p, err := money.ParseRupees(lit.v)
			if err != nil {
				panic(err)
			}
			*lit.dst = &p
		}
	}
	if t.sfx != "" {
		s := t.sfx
		g.suffix = &s
		return g
	}
	pick := t.suffix
	if pick == "" {
		pick = firstSuffix
	}
	if pick != "" && pick != "none" {
		s := acct[pick]
		g.suffix = &s
	}
	return g
}

// formatAmount writes p in one of the styles senders use.
func formatAmount(p money.Paise, style string) string {
	rupees, paise := int64(p)/100, int64(p)%100
	switch style {
	case "i":
		return fmt.Sprint(rupees)
	case "1":
		return fmt.Sprintf("%d.%d", rupees, paise/10)
	case "p":
		return fmt.Sprintf("%d.%02d", rupees, paise)
	case "w":
		return fmt.Sprintf("%s.%02d", group(fmt.Sprint(rupees), false), paise)
	default: // "in": Indian grouping
		return fmt.Sprintf("%s.%02d", group(fmt.Sprint(rupees), true), paise)
	}
}

func group(d string, indian bool) string {
	if len(d) <= 3 {
		return d
	}
	head, tail := d[:len(d)-3], d[len(d)-3:]
	step := 3
	if indian {
		step = 2
	}
	var parts []string
	for len(head) > step {
		parts = append([]string{head[len(head)-step:]}, parts...)
		head = head[:len(head)-step]
	}
	parts = append([]string{head}, parts...)
	return strings.Join(parts, ",") + "," + tail
}

func transactional(kind string) bool {
	switch kind {
	case "salary_credit", "emi_debit", "bounce", "loan_disbursal", "credit", "debit":
		return true
	}
	return false
}

// generateCorpus renders every template deterministically.
func generateCorpus() []byte {
	r := rand.New(rand.NewPCG(7, 2026))
	var buf bytes.Buffer
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.FixedZone("IST", 5*3600+1800))
	line := 0
	for _, t := range corpusTemplates {
		for i := 0; i < t.n; i++ {
			g := fill(t, r)
			e := corpusExpect{Kind: t.kind}
			if transactional(t.kind) && g.amount != nil {
				s := g.amount.String()
				e.Amount = &s
			}
			if t.inst != "" {
				s := t.inst
				e.Institution = &s
			}
			e.AccountSuffix = g.suffix
			if g.balance != nil {
				s := g.balance.String()
				e.Balance = &s
			}
			cl := corpusLine{
				Sender:     t.senders[i%len(t.senders)],
				Body:       g.body,
				ReceivedAt: base.Add(time.Duration(line) * 17 * time.Minute).Format(time.RFC3339),
				Expect:     e,
			}
			line++
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(cl); err != nil {
				panic(err)
			}
		}
	}
	return buf.Bytes()
}

// TestCorpusGenerate rewrites the corpus with -update-corpus; otherwise it
// checks the committed corpus is what the templates produce, so the two never
// drift apart silently.
func TestCorpusGenerate(t *testing.T) {
	want := generateCorpus()
	if *updateCorpus {
		if err := os.WriteFile(corpusPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(corpusPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the templates; run: go test ./events/sms/ -run TestCorpusGenerate -update-corpus", corpusPath)
	}
}
