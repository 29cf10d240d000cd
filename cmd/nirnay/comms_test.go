package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommsCommands: check lists the shipped templates and names a bad
// file's line; render prints a Hindi SMS in UCS-2 under its DLT id, and
// refuses a link off the whitelist.
func TestCommsCommands(t *testing.T) {
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := newRootCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.Execute()
		return out.String(), err
	}
	out, err := run("comms", "check")
	if err != nil || !strings.Contains(out, "offer-promo\tsms\tpromotional\ten,hi,ta") {
		t.Errorf("comms check: %v\n%s", err, out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.yaml"), []byte("id: x\nchannel: push\ncategory: service\nvariants:\n  en: Hi {{who}}\n  hi: नमस्ते\n"), 0o644)
	if _, err := run("comms", "check", dir); err == nil || !strings.Contains(err.Error(), "x.yaml:5: variants.en: placeholder {{who}} has no source") {
		t.Errorf("comms check of a bad file: %v", err)
	}
	out, err = run("comms", "render", "payment-reminder", "--lang", "hi", "--var", "amount_due=4,512.00", "--var", "due_date=05-01-2027",
		"--var", "pay_link=https://nirnay.in/l/Ab3xK9pQ2m")
	var r struct {
		Language, Encoding, Text string
		Segments                 int
		DLT                      string `json:"dlt_template_id"`
	}
	if err != nil || json.Unmarshal([]byte(out), &r) != nil || r.Language != "hi" || r.Encoding != "ucs2" || r.Segments != 2 || r.DLT != "1107170000000000012" {
		t.Errorf("comms render: %v %+v\n%s", err, r, out)
	}
	if _, err := run("comms", "render", "payment-reminder", "--var", "amount_due=1", "--var", "due_date=2", "--var", "pay_link=https://evil.example/x"); err == nil ||
		!strings.Contains(err.Error(), "link_not_whitelisted") {
		t.Errorf("comms render with a foreign link: %v, want not sent, link_not_whitelisted", err)
	}
}
