package providers_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestFromEnv(t *testing.T) {
	for _, c := range []struct {
		name       string
		vars       map[string]string
		pan, bank  string // the providers' names
		errSays    string
		errHidesIt string // a value the error must not show
	}{
		{"nothing: the sandboxes", nil, "sandbox", "sandbox", "", ""},
		{"both", map[string]string{providers.EnvPANURL: "https://pan.example/verify", providers.EnvPANUser: "U1",
			providers.EnvBankURL: "https://bank.example/verification/bank-account/sync", providers.EnvBankClientID: "id", providers.EnvBankKey: "secret"},
			"protean", "cashfree", "", ""},
		{"PAN through a gateway key", map[string]string{providers.EnvPANURL: "https://gw.example/pan", providers.EnvPANKey: "k"}, "protean", "sandbox", "", ""},
		{"PAN through a token", map[string]string{providers.EnvPANURL: "https://gw.example/pan", providers.EnvPANToken: "t"}, "protean", "sandbox", "", ""},
		{"loopback http", map[string]string{providers.EnvPANURL: "http://127.0.0.1:8080/pan", providers.EnvPANUser: "U1"}, "protean", "sandbox", "", ""},
		{"PAN without credentials", map[string]string{providers.EnvPANURL: "https://pan.example/verify"}, "", "", providers.EnvPANUser, ""},
		{"plain http", map[string]string{providers.EnvPANURL: "http://pan.example/verify", providers.EnvPANUser: "U1"}, "", "", "https", ""},
		{"not a URL", map[string]string{providers.EnvPANURL: "pan.example", providers.EnvPANUser: "U1"}, "", "", providers.EnvPANURL, ""},
		{"bank without its secret", map[string]string{providers.EnvBankURL: "https://bank.example/x", providers.EnvBankClientID: "id-123"}, "", "", providers.EnvBankKey, "id-123"},
	} {
		pan, bank, err := providers.FromEnv(env(c.vars))
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
		if pan.Name() != c.pan || bank.Name() != c.bank {
			t.Errorf("%s: providers %s and %s, want %s and %s", c.name, pan.Name(), bank.Name(), c.pan, c.bank)
		}
	}
}

func TestFromEnvTalksToTheConfiguredEndpoints(t *testing.T) {
	fp, fb := newFakeProtean(t), newFakeBank(t)
	fp.token = ""
	pan, bank, err := providers.FromEnv(env(map[string]string{providers.EnvPANURL: fp.url(), providers.EnvPANUser: fp.user,
		providers.EnvBankURL: fb.url(), providers.EnvBankClientID: "CF-ID", providers.EnvBankKey: "CF-SECRET"}))
	if err != nil {
		t.Fatal(err)
	}
	res, err := kyc.NewPANBatcher(pan, 0).Verify(context.Background(), pans[1])
	if err != nil || res.Status != kyc.PANDeactivated {
		t.Errorf("PAN %s: %+v %v, want deactivated", pans[1].PAN, res, err)
	}
	br, err := bank.PennyDrop(context.Background(), kyc.BankRequest{AccountNumber: "026291800001191", IFSC: "YESB0000262", Name: "Asha Rao"})
	if err != nil || !br.Exists || br.NameAtBank != "ASHA RAO" {
		t.Errorf("penny drop: %+v %v, want the account of ASHA RAO", br, err)
	}
	if fp.calls.Load() != 1 || fb.calls.Load() != 1 {
		t.Errorf("calls: PAN %d, bank %d, want one each", fp.calls.Load(), fb.calls.Load())
	}
}
