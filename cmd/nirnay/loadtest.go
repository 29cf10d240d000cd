package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// newLoadtestCmd is the capacity check ops run against a service: decisions
// at a fixed arrival rate (open loop, so a slow server cannot slow the
// arrivals and hide its own latency), measured from each request's scheduled
// start.
func newLoadtestCmd() *cobra.Command {
	var (
		url, key, step, idsOut string
		rate, customers        int
		duration, timeout      time.Duration
	)
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Send decisions at a fixed rate and report latency percentiles and errors as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rate <= 0 || duration <= 0 || customers <= 0 {
				return fmt.Errorf("--rate, --duration and --customers must be positive")
			}
			if key == "" {
				key = os.Getenv("NIRNAY_API_KEY")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			var ids io.Writer = io.Discard
			if idsOut != "" {
				f, err := os.Create(idsOut)
				if err != nil {
					return fmt.Errorf("--ids-out: %w", err)
				}
				defer f.Close()
				bw := bufio.NewWriter(f)
				defer bw.Flush()
				ids = bw
			}
			rep := runLoad(ctx, loadConfig{url: url, key: key, step: step, rate: rate, duration: duration,
				timeout: timeout, customers: customers}, ids)
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "http://127.0.0.1:8080", "service base URL")
	f.StringVar(&key, "key", "", "API key with the service role (default $NIRNAY_API_KEY)")
	f.StringVar(&step, "step", "application", "journey step to decide")
	f.IntVar(&rate, "rate", 2000, "decisions per second")
	f.DurationVar(&duration, "duration", 60*time.Second, "how long to send")
	f.DurationVar(&timeout, "timeout", 5*time.Second, "per-request timeout")
	f.IntVar(&customers, "customers", 1000, "number of demo customers to spread requests over (C00000001 …, as serve --demo seeds them)")
	f.StringVar(&idsOut, "ids-out", "", "write the decision id of every 200 response received to this file, one a line")
	return cmd
}

type loadConfig struct {
	url, key, step    string
	rate, customers   int
	duration, timeout time.Duration
}

type loadReport struct {
	Sent        int64            `json:"sent"`
	OK          int64            `json:"ok"`
	Errors      int64            `json:"errors"`
	ByStatus    map[string]int64 `json:"by_status"`
	TargetRate  int              `json:"target_rate"`
	Achieved    float64          `json:"achieved_rate"`
	DurationSec float64          `json:"duration_s"`
	P50us       int64            `json:"p50_us"`
	P90us       int64            `json:"p90_us"`
	P99us       int64            `json:"p99_us"`
	P999us      int64            `json:"p999_us"`
	MaxUS       int64            `json:"max_us"`
}

func runLoad(ctx context.Context, cfg loadConfig, ids io.Writer) loadReport {
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: 90 * time.Second}
	client := &http.Client{Transport: tr, Timeout: cfg.timeout}
	total := int64(cfg.rate) * int64(cfg.duration/time.Millisecond) / 1000
	interval := time.Second / time.Duration(cfg.rate)
	lat := make([]int64, total)
	var (
		next, ok, errs atomic.Int64
		mu             sync.Mutex
		byStatus       = map[string]int64{}
	)
	start := time.Now()
	runID := start.UnixNano()
	workers := min(int(total), 512)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= total || ctx.Err() != nil {
					return
				}
				due := start.Add(time.Duration(i) * interval)
				if d := time.Until(due); d > 0 {
					time.Sleep(d)
				}
				c := 1 + i%int64(cfg.customers)
				body := fmt.Sprintf(`{"request_id":"lt-%d-%d","customer_id":"C%08d","step":%q,"input":{"amount":%d,"tenure_months":12,"device_id":"D%08d","pan_hash":"PAN%08d","phone_hash":"PH%08d","account_hash":"BA%08d"}}`,
					runID, i, c, cfg.step, 20000+(i%40)*5000, c, c, c, c)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cfg.url+"/v1/decisions", bytes.NewBufferString(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+cfg.key)
				resp, err := client.Do(req)
				status := "error"
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					status = fmt.Sprint(resp.StatusCode)
					if resp.StatusCode == 200 {
						var d struct {
							DecisionID string `json:"decision_id"`
						}
						if json.Unmarshal(b, &d) == nil {
							mu.Lock()
							fmt.Fprintln(ids, d.DecisionID)
							mu.Unlock()
						}
					}
				}
				lat[i] = time.Since(due).Microseconds()
				if status == "200" {
					ok.Add(1)
				} else {
					errs.Add(1)
				}
				mu.Lock()
				byStatus[status]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sent := min(next.Load(), total)
	done := slices.Clone(lat[:sent])
	slices.Sort(done)
	pct := func(p float64) int64 {
		if len(done) == 0 {
			return 0
		}
		return done[min(len(done)-1, int(float64(len(done))*p))]
	}
	rep := loadReport{Sent: sent, OK: ok.Load(), Errors: errs.Load(), ByStatus: byStatus, TargetRate: cfg.rate,
		Achieved: float64(sent) / elapsed.Seconds(), DurationSec: elapsed.Seconds(),
		P50us: pct(0.50), P90us: pct(0.90), P99us: pct(0.99), P999us: pct(0.999)}
	if len(done) > 0 {
		rep.MaxUS = done[len(done)-1]
	}
	return rep
}
