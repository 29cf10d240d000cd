package main

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	"github.com/nirnay/nirnay/comms"
	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/policies"
)

// buildComms builds the message service on the shipped templates (their
// feature sources checked against the catalog) and the sandbox provider
// writing under the data dir.
func (s *service) buildComms() error {
	tmpl, err := templates.Load(policies.FS, templates.Dir, func(name string) bool { _, ok := s.catalog.Lookup(name); return ok })
	if err != nil {
		return fmt.Errorf("message templates: %w", err)
	}
	sb, err := comms.NewSandbox(s.cfg.DataDir)
	if err != nil {
		return err
	}
	if s.comms, err = comms.New(comms.Config{DB: s.db, Templates: tmpl, Profiles: featureProfiles{s.features}, Links: s.links,
		Provider: sb, Logger: s.log}); err != nil {
		return err
	}
	s.api.MountMessages(s.comms)
	s.api.MountCampaigns(s.comms)
	// Domain events send their notifications (policies/notifications.yaml)
	// once the outbox has published them: after their transaction committed.
	data, err := fs.ReadFile(policies.FS, comms.NotificationsFile)
	if err != nil {
		return err
	}
	ns, err := comms.ParseNotifications("policies/"+comms.NotificationsFile, data, tmpl)
	if err != nil {
		return err
	}
	s.consume.Others = append(s.consume.Others, consume.Consumer{Group: comms.GroupNotifications, Handler: comms.NewNotifier(s.comms, ns)})
	return nil
}

// featureProfiles reads a customer's messaging profile from their
// features: preferred_language, comms_opt_out, dnd_registered, and every
// stored value as text for feature: variables.
type featureProfiles struct{ src *features.Source }

func (p featureProfiles) Profile(ctx context.Context, customerID string) (comms.Customer, error) {
	obs, err := p.src.Observed(ctx, features.EntityKey{Entity: "customer", ID: customerID})
	if err != nil {
		return comms.Customer{}, err
	}
	c := comms.Customer{Features: make(map[string]string, len(obs))}
	for name, o := range obs {
		switch v := o.Value.(type) {
		case time.Time:
			c.Features[name] = v.In(ist).Format("02-01-2006")
		default:
			c.Features[name] = fmt.Sprint(v)
		}
	}
	c.Language = c.Features["preferred_language"]
	c.OptedOut = c.Features["comms_opt_out"] == "true"
	c.DND = c.Features["dnd_registered"] == "true"
	return c, nil
}
