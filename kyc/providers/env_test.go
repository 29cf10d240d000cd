package providers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		name            string
		vars            map[string]string
		pan, bank, ckyc string // the providers' names
		errSays         string
		errHidesIt      string // a value the error must not show
	}{
		{"nothing: the sandboxes", nil, "sandbox", "sandbox", "sandbox", "", ""},
		{"all three", map[string]string{providers.EnvPANURL: "https://pan.example/verify", providers.EnvPANUser: "U1",
			providers.EnvBankURL: "https://bank.example/verification/bank-account/sync", providers.EnvBankClientID: "id", providers.EnvBankKey: "secret",
			providers.EnvCKYCURL: "https://gw.example/ckyc", providers.EnvCKYCFICode: "IN1234", providers.EnvCKYCKey: "k"},
			"protean", "cashfree", "cersai", "", ""},
		{"PAN through a gateway key", map[string]string{providers.EnvPANURL: "https://gw.example/pan", providers.EnvPANKey: "k"}, "protean", "sandbox", "sandbox", "", ""},
		{"PAN through a token", map[string]string{providers.EnvPANURL: "https://gw.example/pan", providers.EnvPANToken: "t"}, "protean", "sandbox", "sandbox", "", ""},
		{"loopback http", map[string]string{providers.EnvPANURL: "http://127.0.0.1:8080/pan", providers.EnvPANUser: "U1"}, "protean", "sandbox", "sandbox", "", ""},
		{"PAN without credentials", map[string]string{providers.EnvPANURL: "https://pan.example/verify"}, "", "", "", providers.EnvPANUser, ""},
		{"plain http", map[string]string{providers.EnvPANURL: "http://pan.example/verify", providers.EnvPANUser: "U1"}, "", "", "", "https", ""},
		{"not a URL", map[string]string{providers.EnvPANURL: "pan.example", providers.EnvPANUser: "U1"}, "", "", "", providers.EnvPANURL, ""},
		{"bank without its secret", map[string]string{providers.EnvBankURL: "https://bank.example/x", providers.EnvBankClientID: "id-123"}, "", "", "", providers.EnvBankKey, "id-123"},
		{"CKYC through a token", map[string]string{providers.EnvCKYCURL: "https://gw.example/ckyc", providers.EnvCKYCFICode: "IN1234", providers.EnvCKYCToken: "t"},
			"sandbox", "sandbox", "cersai", "", ""},
		{"CKYC without an FI code", map[string]string{providers.EnvCKYCURL: "https://gw.example/ckyc", providers.EnvCKYCKey: "key-123"}, "", "", "", providers.EnvCKYCFICode, "key-123"},
		{"CKYC without credentials", map[string]string{providers.EnvCKYCURL: "https://gw.example/ckyc", providers.EnvCKYCFICode: "IN1234"}, "", "", "", providers.EnvCKYCKey, "IN1234"},
		{"CKYC plain http", map[string]string{providers.EnvCKYCURL: "http://gw.example/ckyc", providers.EnvCKYCFICode: "IN1234", providers.EnvCKYCKey: "k"}, "", "", "", "https", ""},
		{"CKYC straight to the registry", map[string]string{providers.EnvCKYCURL: "https://www.ckycindia.in", providers.EnvCKYCFICode: "IN1234", providers.EnvCKYCKey: "k"},
			"", "", "", providers.EnvCKYCURL + ": cersai: the registry itself needs a Signer and a Sealer", "IN1234"},
	} {
		set, err := providers.FromEnv(env(c.vars))
		if c.errSays != "" {
			if err == nil || !strings.Contains(err.Error(), c.errSays) {
				t.Errorf("%s: %v, want an error naming %s", c.name, err, c.errSays)
			}
			if err != nil && c.errHidesIt != "" && strings.Contains(err.Error(), c.errHidesIt) {
				t.Errorf("%s: the error shows the value %q: %v", c.name, c.errHidesIt, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if set.PAN.Name() != c.pan || set.Bank.Name() != c.bank || set.CKYC.Name() != c.ckyc {
			t.Errorf("%s: providers %s, %s and %s, want %s, %s and %s", c.name, set.PAN.Name(), set.Bank.Name(), set.CKYC.Name(), c.pan, c.bank, c.ckyc)
		}
	}
}

func TestFromEnvTalksToTheConfiguredEndpoints(t *testing.T) {
	fp, fb, fc := newFakeProtean(t), newFakeBank(t), newFakeCKYC(t)
	fp.token = ""
	fc.now = time.Now()
	set, err := providers.FromEnv(env(map[string]string{providers.EnvPANURL: fp.url(), providers.EnvPANUser: fp.user,
		providers.EnvBankURL: fb.url(), providers.EnvBankClientID: "CF-ID", providers.EnvBankKey: "CF-SECRET",
		providers.EnvCKYCURL: fc.srv.URL, providers.EnvCKYCFICode: fc.fiCode, providers.EnvCKYCToken: "tok"}))
	if err != nil {
		t.Fatal(err)
	}
	pan, bank := set.PAN, set.Bank
	res, err := kyc.NewPANBatcher(pan, 0).Verify(context.Background(), pans[1])
	if err != nil || res.Status != kyc.PANDeactivated {
		t.Errorf("PAN %s: %+v %v, want deactivated", pans[1].PAN, res, err)
	}
	br, err := bank.PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "Asha Rao"})
	if err != nil || !br.Exists || br.NameAtBank != "ASHA RAO" {
		t.Errorf("penny drop: %+v %v, want the account of ASHA RAO", br, err)
	}
	if rec, err := set.CKYC.Search(context.Background(), ckycPAN); err != nil || !rec.Found {
		t.Errorf("CKYC search: %+v %v, want a record", rec, err)
	}
	if got := fc.headers.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("CKYC Authorization %q, want Bearer tok", got)
	}
	if fp.calls.Load() != 1 || fb.calls.Load() != 1 || fc.calls.Load() != 1 {
		t.Errorf("calls: PAN %d, bank %d, CKYC %d, want one each", fp.calls.Load(), fb.calls.Load(), fc.calls.Load())
	}
}
