package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// newLoadtestCmd is the capacity check ops run against a service: decisions
// at a fixed arrival rate, open loop (hundreds of independent senders, so a
// slow server cannot slow the arrivals and hide its own latency).
//
// Latency is reported twice: from the moment each request was sent (the
// service latency the client saw) and from its scheduled start. The two
// differ by the client's own lateness in sending — on Linux a Go timer
// shorter than a millisecond can fire up to a millisecond late, so the
// second figure carries up to 1 ms of the load generator's own jitter; the
// send lag percentiles show how large it was.
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
			if os.Getenv("GOGC") == "" {
				// The load generator should not measure its own garbage
				// collection: collect only as the heap nears 1 GiB.
				debug.SetGCPercent(-1)
				debug.SetMemoryLimit(1 << 30)
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
			u, err := neturl.Parse(url)
			if err != nil || u.Scheme != "http" || u.Host == "" {
				return fmt.Errorf("--url %q: loadtest speaks plain HTTP (http://host:port); run it beside the service or its TLS terminator", url)
			}
			addr := u.Host
			if u.Port() == "" {
				addr += ":80"
			}
			rep := runLoad(ctx, loadConfig{addr: addr, host: u.Host, key: key, step: step, rate: rate, duration: duration,
				timeout: timeout, customers: customers}, ids)
			return writeJSON(cmd.OutOrStdout(), rep)
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
	addr, host        string // from url
	key, step         string
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
	// Latency from sending each request to reading its whole response.
	P50us  int64 `json:"p50_us"`
	P90us  int64 `json:"p90_us"`
	P99us  int64 `json:"p99_us"`
	P999us int64 `json:"p999_us"`
	MaxUS  int64 `json:"max_us"`
	// FromSchedule is the latency from each request's scheduled start, and
	// SendLag how late the client sent it.
	FromSchedule percentiles `json:"from_schedule"`
	SendLag      percentiles `json:"send_lag"`
	// ByOutcome is the latency from send of the 200 responses by the
	// decision's outcome (what a referred decision costs beside the others).
	ByOutcome map[string]outcomeLatency `json:"by_outcome"`
}

type outcomeLatency struct {
	Count int64 `json:"count"`
	P50us int64 `json:"p50_us"`
	P99us int64 `json:"p99_us"`
}

// outcomes are the decision outcomes ByOutcome tells apart, by index.
var outcomes = []string{"approve", "review", "step_up", "decline"}

// outcomeOf is the index in outcomes of a decision response's outcome, or
// -1.
func outcomeOf(resp []byte) int8 {
	const key = `"outcome":"`
	i := bytes.Index(resp, []byte(key))
	if i < 0 {
		return -1
	}
	rest := resp[i+len(key):]
	for k, o := range outcomes {
		if bytes.HasPrefix(rest, []byte(o+`"`)) {
			return int8(k)
		}
	}
	return -1
}

type percentiles struct {
	P50us  int64 `json:"p50_us"`
	P99us  int64 `json:"p99_us"`
	P999us int64 `json:"p999_us"`
	MaxUS  int64 `json:"max_us"`
}

// percentilesOf sorts v in place and reads its percentiles.
func percentilesOf(v []int64) (p50, p90, p99, p999, max int64) {
	if len(v) == 0 {
		return
	}
	slices.Sort(v)
	at := func(p float64) int64 { return v[min(len(v)-1, int(float64(len(v))*p))] }
	return at(0.50), at(0.90), at(0.99), at(0.999), v[len(v)-1]
}

func runLoad(ctx context.Context, cfg loadConfig, ids io.Writer) loadReport {
	total := int64(cfg.rate) * int64(cfg.duration/time.Millisecond) / 1000
	interval := time.Second / time.Duration(cfg.rate)
	lat := make([]int64, total)    // from send
	sched := make([]int64, total)  // from the scheduled start
	lag := make([]int64, total)    // send time − scheduled start
	outcome := make([]int8, total) // index in outcomes of a 200's, or -1
	var (
		next, ok, errs atomic.Int64
		mu             sync.Mutex
		byStatus       = map[string]int64{}
	)
	workers := min(int(total), 512)
	// Connect every sender before the clock starts: the run measures
	// decisions, not a burst of connection set-ups in its first moments.
	clients := make([]*leanClient, workers)
	for w := range clients {
		clients[w] = &leanClient{addr: cfg.addr, host: cfg.host, key: cfg.key, timeout: cfg.timeout}
		_ = clients[w].dial()
	}
	start := time.Now()
	runID := start.UnixNano()
	var wg sync.WaitGroup
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cl.close()
			var body []byte
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
				body = fmt.Appendf(body[:0], `{"request_id":"lt-%d-%d","customer_id":"C%08d","step":%q,"input":{"amount":%d,"tenure_months":12,"device_id":"D%08d","pan_hash":"PAN%08d","phone_hash":"PH%08d","account_hash":"BA%08d"}}`,
					runID, i, c, cfg.step, 20000+(i%40)*5000, c, c, c, c)
				sentAt := time.Now()
				code, resp, err := cl.post("/v1/decisions", body)
				end := time.Now()
				status := "error"
				outcome[i] = -1
				if err == nil && code == 200 {
					outcome[i] = outcomeOf(resp)
				}
				if err == nil {
					status = strconv.Itoa(code)
					if code == 200 && ids != io.Discard {
						var d struct {
							DecisionID string `json:"decision_id"`
						}
						if json.Unmarshal(resp, &d) == nil {
							mu.Lock()
							fmt.Fprintln(ids, d.DecisionID)
							mu.Unlock()
						}
					}
				}
				lat[i] = end.Sub(sentAt).Microseconds()
				sched[i] = end.Sub(due).Microseconds()
				lag[i] = sentAt.Sub(due).Microseconds()
				if code == 200 {
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
	rep := loadReport{Sent: sent, OK: ok.Load(), Errors: errs.Load(), ByStatus: byStatus, TargetRate: cfg.rate,
		Achieved: float64(sent) / elapsed.Seconds(), DurationSec: elapsed.Seconds()}
	// Split by outcome before the percentiles below sort lat in place.
	byOutcome := make([][]int64, len(outcomes))
	for i, o := range outcome[:sent] {
		if o >= 0 {
			byOutcome[o] = append(byOutcome[o], lat[i])
		}
	}
	rep.P50us, rep.P90us, rep.P99us, rep.P999us, rep.MaxUS = percentilesOf(lat[:sent])
	fs, ls := &rep.FromSchedule, &rep.SendLag
	fs.P50us, _, fs.P99us, fs.P999us, fs.MaxUS = percentilesOf(sched[:sent])
	ls.P50us, _, ls.P99us, ls.P999us, ls.MaxUS = percentilesOf(lag[:sent])
	rep.ByOutcome = map[string]outcomeLatency{}
	for k, v := range byOutcome {
		if len(v) > 0 {
			p50, _, p99, _, _ := percentilesOf(v)
			rep.ByOutcome[outcomes[k]] = outcomeLatency{Count: int64(len(v)), P50us: p50, P99us: p99}
		}
	}
	return rep
}

// leanClient sends requests over one kept-alive HTTP/1.1 connection,
// written and read directly: the load generator shares the machine with
// the service, so it should spend as little processor time as it can.
type leanClient struct {
	addr, host, key string
	timeout         time.Duration

	conn net.Conn
	br   *bufio.Reader
	req  []byte
	resp []byte
}

// post sends body and returns the status code and response body.
func (c *leanClient) post(path string, body []byte) (int, []byte, error) {
	if c.conn == nil {
		if err := c.dial(); err != nil {
			return 0, nil, err
		}
	}
	c.req = fmt.Appendf(c.req[:0], "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n",
		path, c.host, c.key, len(body))
	c.req = append(c.req, body...)
	_ = c.conn.SetDeadline(time.Now().Add(c.timeout))
	if _, err := c.conn.Write(c.req); err != nil {
		c.close()
		return 0, nil, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, nil, err
	}
	buf := bytes.NewBuffer(c.resp[:0])
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	c.resp = buf.Bytes()
	if err != nil || resp.Close {
		c.close()
	}
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, c.resp, nil
}

func (c *leanClient) dial() error {
	conn, err := net.DialTimeout("tcp", c.addr, c.timeout)
	if err != nil {
		return err
	}
	c.conn, c.br = conn, bufio.NewReaderSize(conn, 16<<10)
	return nil
}

func (c *leanClient) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}
