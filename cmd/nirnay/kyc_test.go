package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/kyc/okyc"
)

// upload posts an offline e-KYC ZIP with its share code as the service key.
func (d *demoServer) upload(path string, zip []byte, shareCode string) (int, map[string]any) {
	d.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "offlineaadhaar.zip")
	if err != nil {
		d.t.Fatal(err)
	}
	fw.Write(zip)
	mw.WriteField("share_code", shareCode)
	mw.Close()
	req, _ := http.NewRequest("POST", d.url+path, &body)
	req.Header.Set("Authorization", "Bearer demo-service-key")
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("POST %s: %s", path, raw)
	}
	return resp.StatusCode, out
}

// TestDemoKYCJourney is the KYC journey of a new customer on the demo
// service, as docs/kyc.md tells the mobile engineer: PAN, Aadhaar offline
// e-KYC with a sandbox ZIP written by the CLI, the selfie's scores,
// the bank account, then the kyc step approves; bad files fail with their
// reason and bad input is a 400; the journey shows each check.
func TestDemoKYCJourney(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	cust := "C-KYC-NEW-1"
	base := "/v1/customers/" + cust + "/kyc/"

	pan := d.must(http.StatusCreated, "POST", base+"pan", "service", "", map[string]any{"pan": "ABCPE1234F", "name": "Asha Rao", "dob": "1990-04-01"})
	result, _ := pan["result"].(map[string]any)
	panHash, _ := result["pan_hash"].(string)
	if pan["status"] != "verified" || panHash == "" {
		t.Fatalf("PAN check: %v, want verified with a pan_hash", pan)
	}
	if status, out := d.call("POST", base+"pan", "service", "", map[string]any{"pan": "ABC", "name": "Asha Rao", "dob": "1990-04-01"}); status != http.StatusBadRequest || out["field"] != "pan" {
		t.Errorf("malformed PAN: %d %v, want 400 naming pan", status, out)
	}

	// The sandbox ZIP, as the README's demo writes it.
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "asha.zip")
	var out bytes.Buffer
	cmd := newRootCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"kyc", "sandbox-aadhaar", "--name", "Asha Rao", "--dob", "1990-04-01", "--share-code", "4821", "--last4", "7311", "--out", zipPath})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("kyc sandbox-aadhaar: %v", err)
	}
	zip, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("unzip"); err == nil {
		if b, err := exec.Command("unzip", "-P", "4821", "-l", zipPath).CombinedOutput(); err != nil || !strings.Contains(string(b), "offlineaadhaar") {
			t.Errorf("unzip -P opens the sandbox ZIP: %v %s", err, b)
		}
	}
	for _, c := range []struct {
		name      string
		zip       []byte
		code      string
		status    int
		reason    string
		errorHint string
	}{
		{"wrong share code", zip, "9999", http.StatusCreated, string(okyc.CodeWrongShareCode), ""},
		{"not a zip", []byte("hello, not a zip"), "4821", http.StatusCreated, string(okyc.CodeNotAZip), ""},
		{"tampered", tamper(zip), "4821", http.StatusCreated, "", ""},
		{"share code of 3 characters", zip, "482", http.StatusBadRequest, "", "share_code"},
	} {
		status, out := d.upload(base+"aadhaar-offline", c.zip, c.code)
		if status != c.status {
			t.Errorf("%s: status %d %v, want %d", c.name, status, out, c.status)
			continue
		}
		if status == http.StatusCreated && (out["status"] != "failed" || (c.reason != "" && out["reason"] != c.reason)) {
			t.Errorf("%s: %v, want failed evidence %s", c.name, out, c.reason)
		}
		if status == http.StatusCreated {
			if res, _ := out["result"].(map[string]any); len(res) != 0 {
				t.Errorf("%s: failed evidence keeps %v from the file, want nothing", c.name, res)
			}
		}
		if c.errorHint != "" && out["field"] != c.errorHint {
			t.Errorf("%s: %v, want the field %s named", c.name, out, c.errorHint)
		}
	}
	status, ok := d.upload(base+"aadhaar-offline", zip, "4821")
	res, _ := ok["result"].(map[string]any)
	if status != http.StatusCreated || ok["status"] != "verified" || res["last4"] != "7311" {
		t.Fatalf("offline e-KYC: %d %v, want verified, last four 7311", status, ok)
	}
	if name, _ := res["name"].(string); name == "Asha Rao" || !strings.HasSuffix(name, "Rao") {
		t.Errorf("the evidence shows the name as %q, want it masked as every view masks names", name)
	}

	// The selfie's scores from the app's liveness SDK.
	d.must(http.StatusOK, "PUT", "/v1/features/customer/"+cust, "service", "", map[string]any{"features": map[string]any{"liveness_score": 0.96, "face_match_score": 0.91}})

	bank := d.must(http.StatusCreated, "POST", base+"bank-account", "service", "", map[string]any{"account_number": "123456789012", "ifsc": "HDFC0001234", "name": "Asha Rao"})
	bres, _ := bank["result"].(map[string]any)
	if bank["status"] != "verified" || bres["account_hash"] == nil {
		t.Fatalf("bank account: %v, want verified with an account_hash", bank)
	}

	dec := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"request_id": "kyc-" + cust, "customer_id": cust,
		"step": "kyc", "input": map[string]any{"pan_hash": panHash, "account_hash": bres["account_hash"]}})
	if dec["outcome"] != "approve" {
		t.Fatalf("kyc step after PAN, offline e-KYC, selfie and bank account: %v, want approve", dec)
	}

	// A fake PAN's evidence fails, and the kyc step declines on it.
	fake := "C-KYC-FAKE-1"
	fp := d.must(http.StatusCreated, "POST", "/v1/customers/"+fake+"/kyc/pan", "service", "", map[string]any{"pan": "ABCPE1234Z", "name": "Ravi Kumar", "dob": "1985-01-01"})
	fres, _ := fp["result"].(map[string]any)
	if fp["status"] != "failed" || fp["reason"] != "pan_fake" {
		t.Fatalf("fake PAN: %v, want failed pan_fake", fp)
	}
	fdec := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"request_id": "kyc-" + fake, "customer_id": fake,
		"step": "kyc", "input": map[string]any{"pan_hash": fres["pan_hash"]}})
	if reasons, _ := fdec["reasons"].([]any); fdec["outcome"] != "decline" || len(reasons) == 0 || reasons[0] != "PAN_NOT_VALID" {
		t.Errorf("kyc step with a fake PAN: %v, want decline with PAN_NOT_VALID", fdec)
	}

	// The lender's own list gains her name: the re-screening finds her,
	// records the hit and decides her kyc step again, which refers it to a
	// review case.
	req, _ := http.NewRequest("PUT", d.url+"/v1/kyc/screening-lists/local?format=local", strings.NewReader("ref,name,aliases,dob,note\nL-9,ASHA RAO,,1990,planted\n"))
	req.Header.Set("Authorization", "Bearer demo-analyst-key")
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("import a local screening list: status %d", resp.StatusCode)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		cases := d.must(http.StatusOK, "GET", "/v1/cases?customer_id="+cust, "ops", "", nil)["items"].([]any)
		if len(cases) == 1 {
			if r := cases[0].(map[string]any)["reasons"].([]any); len(r) == 0 || r[0] != "SANCTIONS_SCREENING_HIT" {
				t.Errorf("the re-screening's case has reasons %v, want SANCTIONS_SCREENING_HIT", r)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("20 s after the list import, %d cases for %s, want one from the re-screening", len(cases), cust)
		}
		time.Sleep(100 * time.Millisecond)
	}

	items := d.must(http.StatusOK, "GET", "/v1/customers/"+cust+"/kyc", "ops", "", nil)["items"].([]any)
	if len(items) != 7 {
		t.Errorf("%d evidence records, want 7 (PAN, three failed uploads, the verified one, bank, the re-screening)", len(items))
	}
	journey := d.must(http.StatusOK, "GET", "/v1/customers/"+cust+"/journey", "ops", "", nil)["items"].([]any)
	kycItems := 0
	for _, it := range journey {
		if it.(map[string]any)["kind"] == "kyc" {
			kycItems++
		}
	}
	if kycItems != len(items) {
		t.Errorf("the journey shows %d KYC items, want %d", kycItems, len(items))
	}
}

// tamper changes one byte in the middle of the ZIP's encrypted data.
func tamper(zip []byte) []byte {
	b := bytes.Clone(zip)
	b[len(b)/2] ^= 0x01
	return b
}
