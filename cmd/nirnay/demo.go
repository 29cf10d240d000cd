package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/store"
)

// demoKeys are the well-known keys `serve --demo` ensures, one per role.
// They exist only in demo mode; a production start has no default credentials.
var demoKeys = []struct{ role, secret string }{
	{"admin", "demo-admin-key"},
	{"service", "demo-service-key"},
	{"analyst", "demo-analyst-key"},
	{"approver", "demo-approver-key"},
	{"ops", "demo-ops-key"},
}

// keyIDs mints the ids of the keys serve ensures at start (bootstrap and
// demo), on the wall clock: serve has no injected one.
var keyIDs = ids.New(time.Now)

// seedDemo ensures the demo keys and prints them.
func seedDemo(ctx context.Context, db *store.DB, w io.Writer, now time.Time) error {
	fmt.Fprintln(w, "Demo mode: these API keys work against this instance (never use --demo in production):")
	for _, k := range demoKeys {
		if err := db.EnsureAPIKey(ctx, store.APIKey{ID: keyIDs.At("key", now), Name: "demo " + k.role, Role: k.role, CreatedAt: now}, k.secret); err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-9s Authorization: Bearer %s\n", k.role, k.secret)
	}
	return nil
}

// demoCustomers is how many synthetic customers `serve --demo` seeds
// (ids C00000001 …, devices D00000001 …), with demoSeed.
const (
	demoCustomers = 1000
	demoSeed      = 7
)

// seedDemoCustomers writes the online features of the demo customers and
// their devices, PANs, phones and bank accounts into the feature store, fresh
// as of now, and prints a decision to try. Each customer is seeded as if
// their application were being decided now: timestamps (KYC completed,
// bureau pulled, device first seen…) keep their distance from the
// generated decision time but end at now, so the demo's lending steps see
// them as recent as the generator meant.
func (s *service) seedDemoCustomers(ctx context.Context, w io.Writer) error {
	now := time.Now().UTC()
	var batch []features.Write
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := s.features.Write(ctx, batch...)
		batch = batch[:0]
		return err
	}
	var first simulator.Record
	var accounts []kyc.SeededAccount
	for rec := range simulator.Customers(demoCustomers, demoSeed) {
		if a := rec.Entities["bank_account"]; a != "" {
			accounts = append(accounts, kyc.SeededAccount{CustomerID: rec.CustomerID, AccountHash: a})
		}
		if first.CustomerID == "" {
			first = rec
		}
		byEntity := map[string]map[string]any{}
		for name, v := range rec.Features {
			f, ok := s.catalog.Lookup(name)
			if !ok || f.Source != rules.SourceOnline {
				continue
			}
			if ts, isTime := v.(time.Time); isTime {
				v = ts.Add(now.Sub(rec.DecidedAt))
			}
			ent := string(f.Entity)
			if byEntity[ent] == nil {
				byEntity[ent] = map[string]any{}
			}
			byEntity[ent][name] = v
		}
		for ent, vals := range byEntity {
			id := rec.CustomerID
			if ent != "customer" {
				if id = rec.Entities[ent]; id == "" {
					continue
				}
			}
			batch = append(batch, features.Write{Key: features.EntityKey{Entity: ent, ID: id}, Values: vals, By: "demo"})
		}
		if len(batch) >= features.MaxBatchWrites-10 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	// Their bank accounts are verified, as a penny drop would have done.
	if err := s.kyc.SeedAccounts(ctx, accounts); err != nil {
		return fmt.Errorf("demo bank accounts: %w", err)
	}
	input := map[string]any{"amount": first.Input["amount"], "tenure_months": first.Input["tenure_months"]}
	for ent, key := range features.EntityInputKeys {
		if id := first.Entities[ent]; id != "" {
			input[key] = id
		}
	}
	body, _ := json.Marshal(map[string]any{"request_id": "demo-1", "customer_id": first.CustomerID, "step": "application", "input": input})
	fmt.Fprintf(w, "Seeded %d demo customers (%s … C%08d) with their devices, PANs, phones and bank accounts. Try:\n", demoCustomers, first.CustomerID, demoCustomers)
	fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer demo-service-key' -d '%s' http://localhost%s/v1/decisions\n", body, portOf(s.cfg.HTTPAddr))
	return nil
}

func portOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[i:]
	}
	return addr
}

// demoLists are the managed lists the shipped policies read, seeded by
// `serve --demo` with a few entries each. None is a pincode, IFSC or e-mail
// domain of a demo customer (the generator draws pincodes under other
// prefixes, IFSCs of other banks and other domains), so every demo decision
// is what it would be with the lists empty until someone adds a customer's
// own value.
var demoLists = []struct {
	name, description string
	values            []string
}{
	{"blocked_pincodes", "Pincodes we do not lend in (credit-underwriting: LOCATION_NOT_SERVICEABLE)", []string{"744101", "737101", "194101"}},
	{"blocked_ifsc", "Bank branches refused at disbursal after mule-account reports (disbursal-checks: BANK_BRANCH_BLOCKED)", []string{"FDRL0009999", "INDB0009999"}},
	{"disposable_email_domains", "Throwaway e-mail providers (signup-fraud: DISPOSABLE_EMAIL)", []string{"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"}},
}

// seedDemoLists creates the demo lists with their entries; a list that
// exists already is left as it is (a restart keeps what was changed).
func (s *service) seedDemoLists(ctx context.Context, w io.Writer) error {
	demo := lists.Actor{ID: "demo", Name: "demo seed"}
	for _, l := range demoLists {
		_, created, err := s.lists.Put(ctx, demo, l.name, l.description)
		if err != nil {
			return fmt.Errorf("list %s: %w", l.name, err)
		}
		if !created {
			continue
		}
		entries := make([]lists.NewEntry, len(l.values))
		for i, v := range l.values {
			entries[i] = lists.NewEntry{Value: v, Reason: "demo"}
		}
		if _, err := s.lists.Add(ctx, demo, l.name, entries); err != nil {
			return fmt.Errorf("list %s: %w", l.name, err)
		}
	}
	fmt.Fprintf(w, "Managed lists blocked_pincodes, blocked_ifsc and disposable_email_domains hold a few demo entries. Block a pincode:\n")
	fmt.Fprintf(w, "  curl -s -H 'Authorization: Bearer demo-analyst-key' -d '{\"entries\": [{\"value\": \"560001\", \"reason\": \"try\"}]}' http://localhost%s/v1/lists/blocked_pincodes/entries\n", portOf(s.cfg.HTTPAddr))
	return nil
}
