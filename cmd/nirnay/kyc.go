package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/kyc/okyc"
	"github.com/nirnay/nirnay/kyc/screening"
)

func newKYCCmd() *cobra.Command {
	return commandGroup("kyc", "KYC tools: sandbox files for tests and demos", newSandboxAadhaarCmd())
}

func newSandboxAadhaarCmd() *cobra.Command {
	var p okyc.SandboxParams
	var out, at string
	cmd := &cobra.Command{
		Use:   "sandbox-aadhaar",
		Short: "Write a sandbox-signed Aadhaar paperless offline e-KYC ZIP",
		Long: `Writes a ZIP laid out as UIDAI issues it (one offlineaadhaar<time>.xml,
protected with the share code, so unzip -P <code> opens it), signed with the
sandbox's certificate, which the embedded default trusts (production trusts
only NIRNAY_KYC_UIDAI_CERTS). Upload it with its share code to
POST /v1/customers/{id}/kyc/aadhaar-offline. The Aadhaar number is
fictitious: only its last four digits (--last4) are in the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required: the ZIP file to write")
			}
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return fmt.Errorf("--generated-at: want an RFC 3339 time, got %q", at)
				}
				p.GeneratedAt = t
			}
			var buf bytes.Buffer
			if err := okyc.WriteSandbox(&buf, p); err != nil {
				return err
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d bytes); share code %s\n", out, buf.Len(), p.ShareCode)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&p.Name, "name", "", "the resident's name (required)")
	f.StringVar(&p.DOB, "dob", "", "date of birth, YYYY-MM-DD (required)")
	f.StringVar(&p.Gender, "gender", "", "M, F or T (default M)")
	f.StringVar(&p.ShareCode, "share-code", "", "4-character share code: the ZIP's password (required)")
	f.StringVar(&p.Mobile, "mobile", "", "mobile number whose hash the file carries")
	f.StringVar(&p.Email, "email", "", "e-mail whose hash the file carries")
	f.StringVar(&p.Last4, "last4", "", "last four digits of the fictitious Aadhaar number (default 1234)")
	f.StringVar(&at, "generated-at", "", "the file's time, RFC 3339 (default now)")
	f.StringVar(&out, "out", "", "ZIP file to write (required)")
	return cmd
}

// screeningHit raises the review case of a sanctions hit a re-screening
// found: it decides the customer's kyc step again (request id
// rescreen/<hit id>, so a retry is the same decision), whose policy refers
// a customer with pep_sanctions_hit to review; the referred decision's
// case is opened as it ships (package cases).
func (s *service) screeningHit(ctx context.Context, customerID, panHash string, h screening.Hit) error {
	input := map[string]any{"trigger": "rescreening", "screening_list": h.List, "screening_ref": h.Ref}
	if panHash != "" {
		input["pan_hash"] = panHash
	}
	res, err := s.decide.Decide(ctx, engine.Request{RequestID: "rescreen/" + h.ID, CustomerID: customerID, Step: "kyc", Input: input})
	if err != nil {
		return err
	}
	s.log.Info("kyc: re-screening hit decided", "customer_id", customerID, "list", h.List, "ref", h.Ref,
		"decision_id", res.Decision.DecisionID, "outcome", res.Decision.Outcome)
	return nil
}
