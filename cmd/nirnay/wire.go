package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/api"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/comms"
	"github.com/nirnay/nirnay/comms/links"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/outbox"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/names"
	"github.com/nirnay/nirnay/kyc/okyc"
	"github.com/nirnay/nirnay/kyc/providers"
	"github.com/nirnay/nirnay/kyc/screening"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator/jobs"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

// service is the running decision service: every part built once at start
// and wired together here, the one place that knows all of them.
type service struct {
	cfg      config
	log      *slog.Logger
	db       *store.DB
	rdb      *redis.Client
	catalog  *rules.Catalog
	builder  *features.Builder
	features *features.Source
	local    *features.LocalStore // the embedded store, or the history beside Redis
	gov      *governance.Service
	lists    *lists.Service
	engine   *engine.Engine
	loans    *loans.Service
	cases    *cases.Service
	kyc      *kyc.Service
	links    *links.Service
	comms    *comms.Service
	relay    *outbox.Relay
	consume  consume.Config
	declog   *decisionlog.Log
	decide   *decisions.Service
	stepUps  *decisions.StepUps
	velocity *decisions.Velocity
	api      *api.Server
	closers  []func()
}

// buildService assembles the service on an open, migrated database.
func buildService(ctx context.Context, cfg config, log *slog.Logger, db *store.DB, rdb *redis.Client, checks []api.Check) (*service, error) {
	s := &service{cfg: cfg, log: log, db: db, rdb: rdb}
	srv := api.New(api.Options{Logger: log, Checks: checks, MaxBodyBytes: cfg.MaxBodyBytes, Version: version, Keys: db})
	s.api = srv
	reg := srv.Registry()

	// The review queues come first: every policy version's queue: tags are
	// checked against them as it compiles.
	queues, err := cases.DefaultQueues()
	if err != nil {
		return nil, err
	}
	if s.gov, err = governance.Open(ctx, db, policies.FS, governance.Options{Logger: log, DatabaseURL: cfg.DatabaseURL,
		CheckPolicy: cases.CheckPolicy(queues)}); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	s.catalog, s.builder = s.gov.Catalog(), s.gov.Builder()
	if s.local, err = features.NewLocalStore(ctx, db, s.catalog, time.Now); err != nil {
		return nil, fmt.Errorf("feature store: %w", err)
	}
	scfg := features.SourceConfig{Builder: s.builder, Store: s.local, Registerer: reg, Logger: log}
	var agg consume.Aggregator = s.local
	if rdb == nil {
		// The embedded default serves decisions from memory; SQLite keeps the durable copy.
		if err := s.local.KeepInMemory(ctx); err != nil {
			return nil, fmt.Errorf("feature store: %w", err)
		}
	} else {
		rs, err := features.NewRedisStore(rdb, cfg.keyPrefix(), s.catalog, time.Now)
		if err != nil {
			return nil, fmt.Errorf("redis feature store: %w", err)
		}
		scfg.Store, scfg.History, agg = rs, s.local, rs
	}
	if s.features, err = features.NewSource(scfg); err != nil {
		return nil, err
	}
	s.closers = append(s.closers, s.features.Close, func() {
		// Save pending in-process aggregates before the database closes.
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.local.Close(cctx); err != nil {
			log.Error("feature store close", "err", err)
		}
	})
	// Managed lists are loaded whole before anything is served; from then
	// on each change is applied incrementally (Listen, in run).
	if s.lists, err = lists.Open(ctx, db, lists.Options{Logger: log, DatabaseURL: cfg.DatabaseURL}); err != nil {
		return nil, fmt.Errorf("managed lists: %w", err)
	}
	s.engine = engine.New(engine.Config{Features: s.features, Lists: s.lists.Cache()})
	if err := s.gov.Attach(ctx, s.engine); err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}

	if s.declog, err = decisionlog.Open(filepath.Join(cfg.DataDir, "decisions"), db, decisionlog.Options{Logger: log}); err != nil {
		return nil, fmt.Errorf("decision log: %w", err)
	}
	s.closers = append(s.closers, func() { s.declog.Close() })
	s.decide = decisions.New(s.engine, s.declog, reg)
	// The decision path's velocity aggregates are counted in the request
	// that causes them, through the feature source (L1 dropped here and,
	// on Redis, announced to the other instances).
	if s.velocity, err = decisions.NewVelocity(s.catalog, s.features, decisions.VelocityOptions{Logger: log, Registerer: reg}); err != nil {
		return nil, fmt.Errorf("velocity table: %w", err)
	}
	s.decide.UseVelocity(s.velocity)
	if db.Dialect == store.Postgres {
		// Several instances share the database: a request id is claimed
		// there before it is decided, so a retry on another instance gets
		// the first decision.
		s.decide.UseClaims(db, log)
	}
	countPayment, err := s.velocity.Counter("payment")
	if err != nil {
		return nil, fmt.Errorf("velocity table: %w", err)
	}
	// Failed step-up challenges count through the same table.
	if s.stepUps, err = decisions.NewStepUps(db, s.decide, s.features, s.velocity, nil, log); err != nil {
		return nil, fmt.Errorf("velocity table: %w", err)
	}

	srv.MountKeys(db)
	srv.MountDecisions(s.decide)
	srv.MountStepUps(s.stepUps)
	srv.MountFeatures(s.features)
	srv.MountPolicies(s.gov)
	srv.MountLists(s.lists)
	products, err := product.Default()
	if err != nil {
		return nil, fmt.Errorf("products: %w", err)
	}
	if err := s.buildEvents(ctx, agg); err != nil {
		return nil, err
	}
	// A referred decision's case is opened in the transaction that ships
	// it to the database (see package cases).
	s.cases = cases.New(db, queues, s.declog, s.gov.Registry(), s.builder, cases.Options{Logger: log, Registerer: reg,
		Keys: db, AfterCommit: s.relay.Notify})
	s.declog.OnShip(s.cases.Opener().Hook)
	srv.MountCases(s.cases)
	// Each KYC result's feature must expire with its evidence.
	if err := kyc.CheckCatalog(s.catalog, nil); err != nil {
		return nil, fmt.Errorf("feature catalog: %w", err)
	}
	var certs []*x509.Certificate
	if cfg.UIDAICerts != "" {
		if certs, err = okyc.LoadCertificates(cfg.UIDAICerts); err != nil {
			return nil, fmt.Errorf("NIRNAY_KYC_UIDAI_CERTS: %w", err)
		}
	} else if cfg.DatabaseURL != "" {
		log.Warn("NIRNAY_KYC_UIDAI_CERTS is not set: Aadhaar offline e-KYC trusts only sandbox files")
	}
	// The PAN, bank and CKYC providers are the sandbox unless
	// NIRNAY_KYC_PAN_URL, NIRNAY_KYC_BANK_URL and NIRNAY_KYC_CKYC_URL name
	// production ones (docs/kyc.md).
	set, err := providers.FromEnv(os.Getenv)
	if err != nil {
		return nil, err
	}
	scr, err := screening.New(db, screening.Options{Match: kyc.NameScore, Threshold: names.DefaultThreshold, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("screening: %w", err)
	}
	if s.kyc, err = kyc.New(kyc.Config{DB: db, Features: s.features, UIDAICerts: certs, Logger: log,
		PAN: kyc.NewPANBatcher(set.PAN, 0), Bank: set.Bank, CKYC: set.CKYC, Screening: scr, OnScreeningHit: s.screeningHit}); err != nil {
		return nil, fmt.Errorf("kyc: %w", err)
	}
	srv.MountKYC(s.kyc)
	// Personal tracked links: a click counts in the customer's features.
	lk, err := links.New(links.Config{DB: db, Logger: log, OnClick: func(ctx context.Context, c links.Click) error {
		if err := s.features.Apply(ctx, features.Event{ID: c.ID, Type: "link_click", At: c.At,
			Entities: map[string]string{"customer": c.CustomerID}}); err != nil {
			return err
		}
		return s.features.Write(ctx, features.Write{Key: features.EntityKey{Entity: "customer", ID: c.CustomerID},
			Values: map[string]any{"last_click_at": c.At}, AsOf: c.At, By: "comms"})
	}})
	if err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	s.links = lk
	srv.MountLinks(lk)
	if err := s.buildComms(); err != nil {
		return nil, err
	}
	// Loans are paid out only to accounts with verified KYC evidence.
	s.loans = loans.New(db, products, lendingDecider{s.decide}, loans.Options{AfterCommit: s.relay.Notify, Referrals: true, Accounts: s.kyc,
		CountPayment: func(ctx context.Context, eventID, customerID string, at time.Time) {
			countPayment(ctx, decisions.Occurrence{ID: eventID, CustomerID: customerID, At: at})
		}})
	srv.MountLending(s.loans)
	// The lending flow resumes on a review case's verdict, driven by the
	// case_decided event from the outbox.
	s.consume.Others = append(s.consume.Others, consume.Consumer{Group: cases.GroupLending,
		Handler: cases.NewFollower(s.cases, func(ctx context.Context, d cases.Decided) error {
			return s.loans.Resume(ctx, loans.CaseVerdict{CaseID: d.CaseID, DecisionID: d.DecisionID, VerdictID: d.VerdictDecisionID,
				Outcome: d.Outcome, Reasons: d.Reasons, Offer: d.Offer})
		})})
	sims, err := jobs.New(jobs.Options{Dir: filepath.Join(cfg.DataDir, "simulations"), Builder: s.gov.Builder(),
		Resolve: jobs.RegistryResolver(s.gov.Registry()), Log: s.declog, Logger: log,
		// Replays read in_list as of each decision's time, from the lists' history.
		Lists: func() engine.Lists { return lists.NewHistory(db) }})
	if err != nil {
		return nil, fmt.Errorf("simulations: %w", err)
	}
	s.closers = append(s.closers, sims.Close) // jobs stop before the decision log closes
	srv.MountSimulations(sims, live.Comparer(live.FromLog(s.declog), db))
	srv.MountOpenAPI()
	return s, nil
}

// run starts the background work (decision-log shipping, day-end) and
// returns a function that stops it and waits.
func (s *service) run(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, work := range []func(){
		func() { s.relay.Run(ctx) },
		func() { s.velocity.Run(ctx) },
		func() { consume.Run(ctx, s.consume) },
		func() { s.declog.Run(ctx) },
		func() { s.kyc.RunRescreens(ctx) },
		func() { s.comms.Run(ctx) },
		func() {
			// PostgreSQL LISTEN: policy changes made on other instances apply here at once.
			if err := s.gov.Listen(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("policy change listener stopped", "err", err)
			}
		},
		func() {
			// PostgreSQL LISTEN: list changes made on other instances reach decisions here within a second.
			if err := s.lists.Listen(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("list change listener stopped", "err", err)
			}
		},
		func() { s.dayEnd(ctx) },
	} {
		wg.Go(work)
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

func (s *service) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}
