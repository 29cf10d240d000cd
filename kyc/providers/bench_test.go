package providers_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nirnay/nirnay/kyc"
	"github.com/nirnay/nirnay/kyc/providers"
)

// countingPAN counts a provider's calls.
type countingPAN struct {
	kyc.PANProvider
	calls atomic.Int64
}

func (c *countingPAN) VerifyPANs(ctx context.Context, reqs []kyc.PANRequest) ([]kyc.PANResult, error) {
	c.calls.Add(1)
	return c.PANProvider.VerifyPANs(ctx, reqs)
}

// benchPANs are distinct well-formed PANs.
var benchPANs = func() []kyc.PANRequest {
	reqs := make([]kyc.PANRequest, 1000)
	for i := range reqs {
		reqs[i] = kyc.PANRequest{PAN: fmt.Sprintf("ABCPE%04dF", i), Name: "Asha Rao", DOB: "1990-04-01"}
	}
	return reqs
}()

// verifyConcurrently runs b.N verifications through a batcher over p (with
// its default 5 ms wait) from the given number of goroutines, and reports
// verifications/s and PANs per provider call.
func verifyConcurrently(b *testing.B, p kyc.PANProvider, goroutines int) {
	cp := &countingPAN{PANProvider: p}
	bt := kyc.NewPANBatcher(cp, 0)
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range goroutines {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if _, err := bt.Verify(ctx, benchPANs[i%int64(len(benchPANs))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	if calls := cp.calls.Load(); calls > 0 {
		b.ReportMetric(float64(b.N)/float64(calls), "PANs/call")
	}
}

// BenchmarkPANBatcherSandbox: PAN verifications through kyc.PANBatcher over
// kyc.SandboxPAN from 1 to 500 goroutines.
func BenchmarkPANBatcherSandbox(b *testing.B) {
	for _, g := range []int{1, 5, 50, 500} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) { verifyConcurrently(b, kyc.SandboxPAN{}, g) })
	}
}

// BenchmarkPANBatcherProtean: the same through the Protean adapter (its
// default client) against the local fake server, in the same process.
func BenchmarkPANBatcherProtean(b *testing.B) {
	for _, g := range []int{1, 5, 50, 500} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			f := newFakeProtean(b)
			p := protean(b, f, func(c *providers.ProteanConfig) { c.Client = nil })
			verifyConcurrently(b, p, g)
		})
	}
}

// BenchmarkPANBatcherProteanTransports: 500 goroutines through the Protean
// adapter against the local fake on http.DefaultTransport (two idle
// connections), on 32 idle connections without a bound, and on the
// adapter's default client (at most 32, kept idle).
func BenchmarkPANBatcherProteanTransports(b *testing.B) {
	idle32 := http.DefaultTransport.(*http.Transport).Clone()
	idle32.MaxIdleConnsPerHost = 32
	for _, c := range []struct {
		name   string
		client *http.Client
	}{
		{"default-transport", &http.Client{Timeout: providers.DefaultTimeout}},
		{"idle32-unbounded", &http.Client{Timeout: providers.DefaultTimeout, Transport: idle32}},
		{"adapter-default", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := newFakeProtean(b)
			p := protean(b, f, func(cfg *providers.ProteanConfig) { cfg.Client = c.client })
			verifyConcurrently(b, p, 500)
		})
	}
}
