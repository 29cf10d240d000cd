package consume

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Signal is one parsed SMS fact kept for the online SMS features.
type Signal struct {
	CustomerID string
	EventID    string
	Kind       string // salary | bounce | disbursal | balance
	At         time.Time
	Amount     money.Paise
}

// The signal kinds.
const (
	SignalSalary    = "salary"
	SignalBounce    = "bounce"
	SignalDisbursal = "disbursal"
	SignalBalance   = "balance"
)

// SignalRetention is how long signals are kept: the longest window of the
// features computed from them, plus a margin.
const SignalRetention = 100 * 24 * time.Hour

// SignalStore keeps signals per customer, idempotently: adding a signal
// with the same (customer, event id, kind) twice keeps one.
//
// Each customer has a version that every Add touching the customer
// increases. A consumer that computed features from Since(…) at version v
// writes them and then checks Versions: if a customer's version moved,
// another consumer added signals meanwhile and the features are computed
// and written again. So the last write always includes every signal, even
// with several consumers in the features group.
type SignalStore interface {
	Add(ctx context.Context, ss []Signal, now time.Time) error
	// Since returns each customer's signals at or after since, and the
	// customers' versions as of that read.
	Since(ctx context.Context, customers []string, since time.Time) (map[string][]Signal, map[string]int64, error)
	// Versions returns the customers' current versions.
	Versions(ctx context.Context, customers []string) (map[string]int64, error)
}

// RedisSignals keeps signals in one sorted set per customer
// (prefix+"sig:"+customer, member "kind|unix seconds|paise|event", score
// unix seconds), trimmed to SignalRetention. The member carries the time so
// reads need no scores (Redis formats every score as a double: reading
// with scores costs it about three times as much). Safe for concurrent use.
type RedisSignals struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisSignals returns the store under prefix on rdb.
func NewRedisSignals(rdb redis.UniversalClient, prefix string) *RedisSignals {
	return &RedisSignals{rdb: rdb, prefix: prefix}
}

// Add stores ss in one round trip.
func (r *RedisSignals) Add(ctx context.Context, ss []Signal, now time.Time) error {
	if len(ss) == 0 {
		return nil
	}
	by := map[string][]redis.Z{}
	for _, s := range ss {
		at := s.At.Unix()
		by[s.CustomerID] = append(by[s.CustomerID], redis.Z{Score: float64(at),
			Member: s.Kind + "|" + strconv.FormatInt(at, 10) + "|" + strconv.FormatInt(int64(s.Amount), 10) + "|" + s.EventID})
	}
	cut := strconv.FormatInt(now.Add(-SignalRetention).Unix(), 10)
	pipe := r.rdb.Pipeline()
	for c, zs := range by {
		k := r.prefix + "sig:" + c
		pipe.ZAdd(ctx, k, zs...)
		pipe.ZRemRangeByScore(ctx, k, "-inf", "("+cut)
		pipe.Expire(ctx, k, SignalRetention)
		pipe.Incr(ctx, k+":v")
		pipe.Expire(ctx, k+":v", SignalRetention)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store sms signals: %w", err)
	}
	return nil
}

// Versions reads the customers' versions in one round trip.
func (r *RedisSignals) Versions(ctx context.Context, customers []string) (map[string]int64, error) {
	keys := make([]string, len(customers))
	for i, c := range customers {
		keys[i] = r.prefix + "sig:" + c + ":v"
	}
	vals, err := r.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read sms signal versions: %w", err)
	}
	return versionsOf(customers, vals), nil
}

func versionsOf(customers []string, vals []any) map[string]int64 {
	out := make(map[string]int64, len(customers))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[customers[i]], _ = strconv.ParseInt(s, 10, 64)
		}
	}
	return out
}

// Since reads the customers' signals and versions in one atomic round
// trip (MULTI/EXEC).
func (r *RedisSignals) Since(ctx context.Context, customers []string, since time.Time) (map[string][]Signal, map[string]int64, error) {
	pipe := r.rdb.TxPipeline()
	cmds := make([]*redis.StringSliceCmd, len(customers))
	min := strconv.FormatInt(since.Unix(), 10)
	vkeys := make([]string, len(customers))
	for i, c := range customers {
		cmds[i] = pipe.ZRangeByScore(ctx, r.prefix+"sig:"+c, &redis.ZRangeBy{Min: min, Max: "+inf"})
		vkeys[i] = r.prefix + "sig:" + c + ":v"
	}
	vcmd := pipe.MGet(ctx, vkeys...)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, nil, fmt.Errorf("read sms signals: %w", err)
	}
	out := make(map[string][]Signal, len(customers))
	for i, c := range customers {
		ms := cmds[i].Val()
		if len(ms) == 0 {
			continue
		}
		ss := make([]Signal, 0, len(ms))
		for _, m := range ms {
			if s, ok := parseSignal(c, m); ok {
				ss = append(ss, s)
			}
		}
		out[c] = ss
	}
	return out, versionsOf(customers, vcmd.Val()), nil
}

// parseSignal reads a member "kind|unix seconds|paise|event" of customer c.
func parseSignal(c, m string) (Signal, bool) {
	kind, rest, ok1 := strings.Cut(m, "|")
	at, rest, ok2 := strings.Cut(rest, "|")
	amount, ev, ok3 := strings.Cut(rest, "|")
	sec, err1 := strconv.ParseInt(at, 10, 64)
	amt, err2 := strconv.ParseInt(amount, 10, 64)
	if !ok1 || !ok2 || !ok3 || err1 != nil || err2 != nil {
		return Signal{}, false
	}
	return Signal{CustomerID: c, Kind: kind, EventID: ev, At: time.Unix(sec, 0).UTC(), Amount: money.Paise(amt)}, true
}

// SQLSignals keeps signals in event_sms_signals (the embedded mode, one
// process). Its versions are kept in memory: run one features consumer
// per process on it (which consume.Run does).
type SQLSignals struct {
	db *store.DB
}

// NewSQLSignals returns the store in db.
func NewSQLSignals(db *store.DB) *SQLSignals { return &SQLSignals{db: db} }

// Add stores ss in one transaction and drops signals past retention.
func (q *SQLSignals) Add(ctx context.Context, ss []Signal, now time.Time) error {
	if len(ss) == 0 {
		return nil
	}
	return q.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, s := range ss {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_sms_signals (customer_id, event_id, kind, at, amount) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (customer_id, event_id, kind) DO NOTHING`, s.CustomerID, s.EventID, s.Kind, store.Seconds(s.At), int64(s.Amount)); err != nil {
				return fmt.Errorf("store sms signals: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM event_sms_signals WHERE at < $1`, store.Seconds(now.Add(-SignalRetention)))
		return err
	})
}

// Versions are always 0: see SQLSignals.
func (q *SQLSignals) Versions(ctx context.Context, customers []string) (map[string]int64, error) {
	return map[string]int64{}, nil
}

// Since reads the customers' signals.
func (q *SQLSignals) Since(ctx context.Context, customers []string, since time.Time) (map[string][]Signal, map[string]int64, error) {
	out := make(map[string][]Signal, len(customers))
	for _, c := range customers {
		rows, err := q.db.Reader().QueryContext(ctx, `SELECT event_id, kind, at, amount FROM event_sms_signals WHERE customer_id = $1 AND at >= $2`, c, store.Seconds(since))
		if err != nil {
			return nil, nil, fmt.Errorf("read sms signals: %w", err)
		}
		for rows.Next() {
			s := Signal{CustomerID: c}
			var amt int64
			if err := rows.Scan(&s.EventID, &s.Kind, store.ScanSeconds(&s.At), &amt); err != nil {
				rows.Close()
				return nil, nil, err
			}
			s.Amount = money.Paise(amt)
			out[c] = append(out[c], s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return out, map[string]int64{}, nil
}

// SMSFeatures computes the online SMS features of one customer from their
// signals as of now (all amounts whole rupees, rounded down):
//
//	sms_salary_median_3m       median of salary credits in the last 90 days (0 when none)
//	sms_emi_bounces_90d        bounces in the last 90 days
//	sms_lender_disbursals_30d  loan disbursals in the last 30 days
//	sms_avg_balance_3m         mean of balances reported in the last 90 days (0 when none)
func SMSFeatures(ss []Signal, now time.Time) map[string]any {
	d90, d30 := now.Add(-90*24*time.Hour), now.Add(-30*24*time.Hour)
	var salaries []int64
	var bounces, disbursals, nBal int64
	var balSum int64
	for _, s := range ss {
		if s.At.After(now) || s.At.Before(d90) {
			continue
		}
		switch s.Kind {
		case SignalSalary:
			salaries = append(salaries, int64(s.Amount))
		case SignalBounce:
			bounces++
		case SignalDisbursal:
			if !s.At.Before(d30) {
				disbursals++
			}
		case SignalBalance:
			balSum += int64(s.Amount)
			nBal++
		}
	}
	var median int64
	if n := len(salaries); n > 0 {
		sort.Slice(salaries, func(i, j int) bool { return salaries[i] < salaries[j] })
		if n%2 == 1 {
			median = salaries[n/2]
		} else {
			median = (salaries[n/2-1] + salaries[n/2]) / 2
		}
	}
	var avg int64
	if nBal > 0 {
		avg = balSum / nBal
	}
	return map[string]any{
		"sms_salary_median_3m":      median / 100,
		"sms_emi_bounces_90d":       bounces,
		"sms_lender_disbursals_30d": disbursals,
		"sms_avg_balance_3m":        avg / 100,
	}
}
