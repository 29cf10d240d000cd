package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// runLending runs `nirnay ARGS…` in process and returns stdout and the error.
func runLending(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := execute(args...)
	if errOut != "" {
		t.Errorf("nirnay %s wrote to stderr itself: %q", strings.Join(args, " "), errOut)
	}
	return out, err
}

func TestLendingScheduleJSON(t *testing.T) {
	t.Parallel()
	out, err := runLending(t, "lending", "schedule", "--principal", "100.00", "--annual-rate", "24", "--tenure", "6", "--start", "2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		EMI           string `json:"emi"`
		TotalInterest string `json:"total_interest"`
		Instalments   []struct {
			N                                    int
			DueDate                              string `json:"due_date"`
			Principal, Interest, Amount, Balance string
		} `json:"instalments"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not the schedule JSON: %v\n%s", err, out)
	}
	if got.EMI != "17.85" || got.TotalInterest != "7.11" || len(got.Instalments) != 6 {
		t.Errorf("emi %s, total_interest %s, %d rows; want 17.85, 7.11, 6", got.EMI, got.TotalInterest, len(got.Instalments))
	}
	first, last := got.Instalments[0], got.Instalments[5]
	if first.N != 1 || first.DueDate != "2026-02-01" || first.Interest != "2.00" || first.Principal != "15.85" || first.Balance != "84.15" {
		t.Errorf("first row = %+v; want n 1, 2026-02-01, interest 2.00, principal 15.85, balance 84.15", first)
	}
	if last.Balance != "0.00" || last.Amount != "17.86" {
		t.Errorf("last row = %+v; want balance 0.00, amount 17.86", last)
	}
}

func TestLendingKFSJSON(t *testing.T) {
	t.Parallel()
	out, err := runLending(t, "lending", "kfs", "--principal", "100000", "--annual-rate", "12", "--tenure", "12",
		"--fee", "processing_fee=2000", "--fee", "gst=360", "--start", "2026-01-05")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := map[string]any{
		"principal": "100000.00", "emi": "8884.88", "tenure_months": float64(12), "total_interest": "6618.53",
		"fees_total": "2360.00", "net_disbursed": "97640.00", "total_payable": "106618.53", "apr_percent": "16.56",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if fees, _ := got["fees"].(map[string]any); fees["processing_fee"] != "2000.00" || fees["gst"] != "360.00" {
		t.Errorf("fees = %#v, want processing_fee 2000.00 and gst 360.00", got["fees"])
	}
	out, err = runLending(t, "lending", "kfs", "--principal", "100000", "--annual-rate", "24", "--tenure", "12", "--start", "2026-01-05")
	if err != nil || !strings.Contains(out, `"apr_percent": "24.00"`) || !strings.Contains(out, `"fees": {}`) {
		t.Errorf("no-fee KFS: err %v, output lacks apr 24.00 or empty fees:\n%s", err, out)
	}
	out, err = runLending(t, "lending", "kfs", "--principal", "100000", "--annual-rate", "24", "--tenure", "12", "--html")
	if err != nil || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "24.00%") {
		t.Errorf("--html: err %v, output does not look like the KFS page:\n%.300s", err, out)
	}
}

func TestLendingBadInput(t *testing.T) {
	t.Parallel()
	base := []string{"--principal", "100000", "--annual-rate", "24", "--tenure", "12", "--start", "2026-01-05"}
	with := func(cmd string, flag, value string) []string {
		args := []string{"lending", cmd}
		for i := 0; i < len(base); i += 2 {
			if base[i] != flag {
				args = append(args, base[i], base[i+1])
			}
		}
		if value != "\x00" {
			args = append(args, flag, value)
		}
		return args
	}
	cases := []struct {
		cmd, flag, value string
	}{
		{"schedule", "--principal", "0"}, {"schedule", "--principal", "-5"}, {"schedule", "--principal", "ten"},
		{"schedule", "--principal", "100.123"}, {"schedule", "--principal", "\x00"},
		{"schedule", "--tenure", "0"}, {"schedule", "--tenure", "12.5"}, {"schedule", "--tenure", "601"},
		{"schedule", "--annual-rate", "101"}, {"schedule", "--annual-rate", "-1"}, {"schedule", "--annual-rate", "abc"},
		{"schedule", "--start", "2026-02-30"}, {"schedule", "--start", "05/01/2026"}, {"schedule", "--start", "1999-01-01"},
		{"schedule", "--method", "balloon"}, {"schedule", "--day-count", "actual/360"},
		{"schedule", "--first-due", "2026-01-05"}, {"schedule", "--first-due", "2026-06-01"},
		{"kfs", "--principal", "0"}, {"kfs", "--tenure", "0"}, {"kfs", "--annual-rate", "100.5"},
		{"kfs", "--fee", "processing"}, {"kfs", "--fee", "processing=-1"}, {"kfs", "--fee", "processing=100000"},
		{"kfs", "--method", "flatter"}, {"kfs", "--product", "gold-loan"},
	}
	for _, c := range cases {
		args := with(c.cmd, c.flag, c.value)
		out, err := runLending(t, args...)
		if err == nil {
			t.Errorf("nirnay %s: no error", strings.Join(args, " "))
			continue
		}
		if out != "" {
			t.Errorf("nirnay %s: printed %q on stdout with the error", strings.Join(args, " "), out)
		}
		if msg := err.Error(); !strings.Contains(msg, c.flag) || strings.Contains(msg, "\n") {
			t.Errorf("nirnay %s: error %q does not name %s on one line", strings.Join(args, " "), msg, c.flag)
		}
	}
	if got := run([]string{"lending", "schedule", "--principal", "0", "--annual-rate", "24", "--tenure", "12"}); got == 0 {
		t.Errorf("run with a zero principal exited 0")
	}
}

func TestLendingKFSProduct(t *testing.T) {
	t.Parallel()
	out, err := runLending(t, "lending", "kfs", "--product", "personal-loan", "--principal", "200000", "--tenure", "24", "--start", "2026-01-05")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"fees_total": "4720.00"`, `"net_disbursed": "195280.00"`, `"product_id": "personal-loan"`, `"annual_rate_percent": "18"`} {
		if !strings.Contains(out, want) {
			t.Errorf("product KFS lacks %s:\n%.600s", want, out)
		}
	}
	for flag, args := range map[string][]string{
		"--principal":   {"--principal", "2000000", "--tenure", "24"},
		"--tenure":      {"--principal", "200000", "--tenure", "48"},
		"--annual-rate": {"--principal", "200000", "--tenure", "24", "--annual-rate", "12"},
	} {
		out, err := runLending(t, append([]string{"lending", "kfs", "--product", "personal-loan"}, args...)...)
		if err == nil || out != "" || !strings.Contains(err.Error(), flag) {
			t.Errorf("kfs --product %v: err %v, stdout %q; want an error naming %s and no output", args, err, out, flag)
		}
	}
}

// TestLendingCommandsReadTheEnvironment: reconcile and day-end open the
// database NIRNAY_DATA_DIR names (they used to open ./var whatever it said).
func TestLendingCommandsReadTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("NIRNAY_DATA_DIR", dir)
	t.Setenv("NIRNAY_DATABASE_URL", "")
	if _, err := runLending(t, "migrate"); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	out, err := runLending(t, "lending", "reconcile")
	if err != nil || !strings.Contains(out, `"loans_checked": 0`) {
		t.Fatalf("reconcile on %s: %q, %v", dir, out, err)
	}
	if _, err := runLending(t, "lending", "day-end", "--date", "2026-01-05"); err != nil {
		t.Fatalf("day-end on %s: %v", dir, err)
	}
	if _, err := os.Stat("var"); err == nil {
		t.Errorf("a lending command created ./var although NIRNAY_DATA_DIR is %s", dir)
	}
	t.Setenv("NIRNAY_DATABASE_URL", "mysql://nowhere")
	if _, err := runLending(t, "lending", "reconcile"); err == nil || !strings.Contains(err.Error(), "NIRNAY_DATABASE_URL") {
		t.Errorf("reconcile with a bad NIRNAY_DATABASE_URL: %v; want an error naming it", err)
	}
}
