package providers

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/nirnay/nirnay/kyc"
)

// The configuration FromEnv reads.
const (
	EnvPANURL        = "NIRNAY_KYC_PAN_URL"          // Protean's verification endpoint; empty: the sandbox
	EnvPANUser       = "NIRNAY_KYC_PAN_USER"         // Protean's user id (User_ID)
	EnvPANKey        = "NIRNAY_KYC_PAN_KEY"          // API key (X-API-Key), for a gateway in front of Protean
	EnvPANToken      = "NIRNAY_KYC_PAN_TOKEN"        // bearer token, for a gateway in front of Protean
	EnvPANVersion    = "NIRNAY_KYC_PAN_VERSION"      // the Version header; default 4
	EnvBankURL       = "NIRNAY_KYC_BANK_URL"         // Cashfree's bank-account/sync endpoint; empty: the sandbox
	EnvBankClientID  = "NIRNAY_KYC_BANK_CLIENT_ID"   // x-client-id
	EnvBankKey       = "NIRNAY_KYC_BANK_KEY"         // x-client-secret
	EnvCKYCURL       = "NIRNAY_KYC_CKYC_URL"         // the CKYC gateway's base URL (CKYC paths appended); empty: the sandbox
	EnvCKYCFICode    = "NIRNAY_KYC_CKYC_FI_CODE"     // the FI code CERSAI issued
	EnvCKYCKey       = "NIRNAY_KYC_CKYC_KEY"         // API key (X-API-Key) of the gateway
	EnvCKYCToken     = "NIRNAY_KYC_CKYC_TOKEN"       // bearer token of the gateway
	envPANCredential = EnvPANUser + ", " + EnvPANKey // named in errors
)

// Set is the providers FromEnv builds: each the production adapter when
// configured, else the sandbox.
type Set struct {
	PAN  kyc.PANProvider // wrap in a kyc.PANBatcher
	Bank kyc.BankProvider
	CKYC kyc.CKYCProvider
}

// FromEnv builds the PAN, bank and CKYC providers from configuration read
// with getenv (os.Getenv in the service): Protean when NIRNAY_KYC_PAN_URL
// is set, which then needs at least one of NIRNAY_KYC_PAN_USER,
// NIRNAY_KYC_PAN_KEY or NIRNAY_KYC_PAN_TOKEN; the penny drop when
// NIRNAY_KYC_BANK_URL is set, which then needs NIRNAY_KYC_BANK_CLIENT_ID
// and NIRNAY_KYC_BANK_KEY; CKYC (CERSAI's XML shape) when
// NIRNAY_KYC_CKYC_URL is set, which then needs NIRNAY_KYC_CKYC_FI_CODE and
// NIRNAY_KYC_CKYC_KEY or NIRNAY_KYC_CKYC_TOKEN: configured from the
// environment it talks to a gateway that seals and signs for the FI
// (CERSAI's own hosts need a Signer and a Sealer, which only CKYCConfig
// takes, and are refused). An empty URL gives the sandbox (kyc.SandboxPAN,
// kyc.SandboxBank, kyc.SandboxCKYC). URLs must be https, except plain http
// to a loopback host (local fakes). The adapters take the defaults of
// their configs (a DefaultTimeout client, DefaultAttempts); the caller
// wraps Set.PAN in a kyc.PANBatcher. Errors name the variable at fault,
// never its value.
func FromEnv(getenv func(string) string) (Set, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	set := Set{PAN: kyc.SandboxPAN{}, Bank: kyc.SandboxBank{}, CKYC: kyc.SandboxCKYC{}}
	if u := get(EnvPANURL); u != "" {
		if err := checkURL(EnvPANURL, u); err != nil {
			return Set{}, err
		}
		cfg := ProteanConfig{URL: u, UserID: get(EnvPANUser), APIKey: get(EnvPANKey), BearerToken: get(EnvPANToken), Version: get(EnvPANVersion)}
		if cfg.UserID == "" && cfg.APIKey == "" && cfg.BearerToken == "" {
			return Set{}, fmt.Errorf("%s is set: set %s or %s too", EnvPANURL, envPANCredential, EnvPANToken)
		}
		p, err := NewProtean(cfg)
		if err != nil {
			return Set{}, err
		}
		set.PAN = p
	}
	if u := get(EnvBankURL); u != "" {
		if err := checkURL(EnvBankURL, u); err != nil {
			return Set{}, err
		}
		id, secret := get(EnvBankClientID), get(EnvBankKey)
		if id == "" || secret == "" {
			return Set{}, fmt.Errorf("%s is set: set %s and %s too", EnvBankURL, EnvBankClientID, EnvBankKey)
		}
		b, err := NewPennyDrop(PennyDropConfig{URL: u, ClientID: id, ClientSecret: secret})
		if err != nil {
			return Set{}, err
		}
		set.Bank = b
	}
	if u := get(EnvCKYCURL); u != "" {
		if err := checkURL(EnvCKYCURL, u); err != nil {
			return Set{}, err
		}
		cfg := CKYCConfig{URL: u, FICode: get(EnvCKYCFICode), APIKey: get(EnvCKYCKey), BearerToken: get(EnvCKYCToken)}
		if cfg.FICode == "" {
			return Set{}, fmt.Errorf("%s is set: set %s too", EnvCKYCURL, EnvCKYCFICode)
		}
		if cfg.APIKey == "" && cfg.BearerToken == "" {
			return Set{}, fmt.Errorf("%s is set: set %s or %s too", EnvCKYCURL, EnvCKYCKey, EnvCKYCToken)
		}
		c, err := NewCKYC(cfg)
		if err != nil {
			return Set{}, fmt.Errorf("%s: %w", EnvCKYCURL, err)
		}
		set.CKYC = c
	}
	return set, nil
}

// checkURL accepts an absolute https URL, or http to a loopback host.
func checkURL(name, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s must be an absolute https URL", name)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return fmt.Errorf("%s must be an https URL (plain http only to a loopback host)", name)
}
