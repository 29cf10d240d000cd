package main

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/simulator"
)

// referredApplicant is a demo customer whose application the shipped
// champion refers, with the answer (422, outcome review).
type referredApplicant struct {
	rec     simulator.Record
	problem map[string]any
}

// applyUntilReferred applies for personal loans of at most maxAmount
// rupees for demo customers in id order until one is referred.
func applyUntilReferred(d *demoServer, maxAmount int64) referredApplicant {
	d.t.Helper()
	for rec := range simulator.Customers(demoCustomers, demoSeed) {
		amount, tenure := rec.Input["amount"].(int64), rec.Input["tenure_months"].(int64)
		if amount < 10000 || amount > maxAmount || tenure < 3 || tenure > 36 {
			continue
		}
		status, out := d.applyPersonalLoan(rec, amount, tenure)
		if status == http.StatusUnprocessableEntity && out["outcome"] == "review" {
			return referredApplicant{rec: rec, problem: out}
		}
	}
	d.t.Fatalf("no demo customer is referred at application")
	return referredApplicant{}
}

// eventually polls get until ok, for up to 15 s.
func eventually(t *testing.T, what string, get func() (map[string]any, bool)) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, ok := get()
		if ok {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after 15 s", what, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemoReferredApplicationApproved is issue 18's acceptance: a demo
// customer's referred application shows referred; ops claim its case with
// the ops key and approve it; the application becomes offered with the
// policy's offer; the journey shows decision → case → verdict → offer.
func TestDemoReferredApplicationApproved(t *testing.T) {
	t.Parallel() // a demo service of its own
	if testing.Short() {
		t.Skip("builds the whole demo service")
	}
	d := startDemo(t)
	a := applyUntilReferred(d, 200000) // at most the application queue's four-eyes amount: one reviewer decides
	loanID, _ := a.problem["subject_id"].(string)
	caseID, _ := a.problem["case_id"].(string)
	if loanID == "" || !strings.HasPrefix(caseID, "case_") {
		t.Fatalf("referred application answered %v; want the loan and its case", a.problem)
	}
	if loan := d.must(http.StatusOK, "GET", "/v1/loans/"+loanID, "ops", "", nil); loan["status"] != "referred" {
		t.Fatalf("referred application's loan %v; want status referred", loan)
	}
	detail := eventually(t, "case "+caseID, func() (map[string]any, bool) {
		status, out := d.call("GET", "/v1/cases/"+caseID, "ops", "", nil)
		return out, status == http.StatusOK
	})
	c, _ := detail["case"].(map[string]any)
	if c["status"] != "open" || c["queue"] != "application" || c["customer_id"] != a.rec.CustomerID || detail["decision"] == nil {
		t.Fatalf("case %v; want an open application case for %s with its decision", detail, a.rec.CustomerID)
	}
	d.must(http.StatusOK, "POST", "/v1/cases/"+caseID+"/claim", "ops", "", nil)
	decided := d.must(http.StatusOK, "POST", "/v1/cases/"+caseID+"/decide", "ops", "", map[string]any{
		"outcome": "approve", "reasons": []string{"INCOME_VERIFIED"}, "note": "salary credits confirmed on the statement"})
	res, _ := decided["resolution"].(map[string]any)
	if decided["status"] != "decided" || res == nil {
		t.Fatalf("decided case %v", decided)
	}
	verdictID, _ := res["decision_id"].(string)
	verdict := d.must(http.StatusOK, "GET", "/v1/decisions/"+verdictID, "ops", "", nil)
	policy, _ := verdict["policy"].(map[string]any)
	if policy["role"] != "manual" || verdict["parent_id"] != c["decision_id"] || verdict["offer"] == nil {
		t.Fatalf("verdict decision %v; want role manual, parent %v, with the policy's offer", verdict, c["decision_id"])
	}
	loan := eventually(t, "loan "+loanID+" offered", func() (map[string]any, bool) {
		out := d.must(http.StatusOK, "GET", "/v1/loans/"+loanID, "ops", "", nil)
		return out, out["status"] == "offered"
	})
	if !reflect.DeepEqual(loan["offer"], verdict["offer"]) || loan["kfs_digest"] == "" {
		t.Errorf("offered loan %v; want the verdict's offer %v and a KFS", loan, verdict["offer"])
	}
	journey := d.must(http.StatusOK, "GET", "/v1/customers/"+a.rec.CustomerID+"/journey", "ops", "", nil)
	items, _ := journey["items"].([]any)
	var path []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		kind, typ := m["kind"].(string), m["type"].(string)
		summary, _ := m["summary"].(map[string]any)
		switch {
		case kind == "decision" && typ == "application":
			pol, _ := summary["policy"].(map[string]any)
			path = append(path, "decision:"+pol["role"].(string)+":"+summary["outcome"].(string))
		case kind == "case":
			path = append(path, "case:"+typ)
		case kind == "lending" && (typ == "application" || typ == "referral_approved"):
			path = append(path, "lending:"+typ)
		}
	}
	want := "decision:champion:review lending:application case:opened case:claimed case:decided decision:manual:approve lending:referral_approved"
	if got := strings.Join(path, " "); got != want {
		t.Errorf("journey of %s:\n got %s\nwant %s", a.rec.CustomerID, got, want)
	}
}
