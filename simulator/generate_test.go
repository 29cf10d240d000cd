package simulator

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
)

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a := generated(t, 2500, 11)
	b := generated(t, 2500, 11)
	if !bytes.Equal(a, b) {
		t.Fatalf("two generations with seed 11 differ (%d vs %d bytes)", len(a), len(b))
	}
	c := generated(t, 2500, 12)
	if bytes.Equal(a, c) {
		t.Fatal("seeds 11 and 12 gave identical datasets")
	}
	if got := bytes.Count(a, []byte("\n")); got != 2500 {
		t.Fatalf("got %d lines, want 2500", got)
	}
	// A prefix of a larger dataset is the smaller dataset.
	big := generated(t, 3000, 11)
	if !bytes.HasPrefix(big, a) {
		t.Fatal("the first 2500 customers of 3000 differ from a 2500-customer dataset with the same seed")
	}
}

func TestCustomerMatchesCustomers(t *testing.T) {
	t.Parallel()
	i := 0
	for r := range Customers(2100, 5) {
		if i == 0 || i == 1234 || i == 2099 {
			want := AppendJSON(nil, &r)
			one := Customer(5, i)
			if got := AppendJSON(nil, &one); !bytes.Equal(got, want) {
				t.Fatalf("Customer(5, %d) =\n%s\nwant\n%s", i, got, want)
			}
		}
		i++
	}
}

func TestGeneratedRecordsParseBack(t *testing.T) {
	t.Parallel()
	data := generated(t, 300, 3)
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r Record
		if err := ParseRecord(line, &r, nil); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got := AppendJSON(nil, &r); !bytes.Equal(got, line) {
			t.Fatalf("line %d does not round-trip:\ngot  %s\nwant %s", i+1, got, line)
		}
	}
}

// Generation streams: memory does not grow with the number of customers.
func TestGenerateMemoryIsBounded(t *testing.T) {
	n := 200_000
	if testing.Short() {
		n = 30_000
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var peak uint64
	err := Generate(io.Discard, n, 99, func(done int) {
		if done%(64*1024) == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	const limit = 64 << 20
	if ms.HeapAlloc > before+limit || peak > before+limit {
		t.Fatalf("heap grew while generating %d customers: before %d, peak %d, after %d bytes (limit +%d)", n, before, peak, ms.HeapAlloc, limit)
	}
	t.Logf("%d customers: heap before %d KiB, peak sampled %d KiB, after %d KiB", n, before>>10, peak>>10, ms.HeapAlloc>>10)
}

// The labels follow the features: defaults are far more common at low
// bureau scores than at high ones, and fraud concentrates in rings.
func TestLabelsDependOnFeatures(t *testing.T) {
	t.Parallel()
	type tally struct{ n, bad int }
	var low, high, ring, solo tally
	for r := range Customers(20000, 8) {
		score := r.Features["bureau_score"].(int64)
		switch {
		case score >= 300 && score < 650:
			low.n++
			if r.Labels.Default90d {
				low.bad++
			}
		case score >= 750:
			high.n++
			if r.Labels.Default90d {
				high.bad++
			}
		}
		if r.Features["customers_per_device"].(int64) >= 3 {
			ring.n++
			if r.Labels.Fraud {
				ring.bad++
			}
		} else {
			solo.n++
			if r.Labels.Fraud {
				solo.bad++
			}
		}
	}
	rate := func(x tally) float64 { return float64(x.bad) / float64(max(x.n, 1)) }
	if low.n < 500 || high.n < 500 {
		t.Fatalf("too few customers in the score bands: %d below 650, %d at 750 or above", low.n, high.n)
	}
	if rate(low) < 3*rate(high) {
		t.Errorf("default rate below 650 = %.4f (%d/%d), at 750+ = %.4f (%d/%d); want the low band at least 3x the high", rate(low), low.bad, low.n, rate(high), high.bad, high.n)
	}
	if ring.n == 0 || rate(ring) < 10*rate(solo) {
		t.Errorf("fraud rate on shared devices = %.4f (%d/%d), elsewhere = %.4f (%d/%d); want at least 10x", rate(ring), ring.bad, ring.n, rate(solo), solo.bad, solo.n)
	}
}

// Fraud rings share a device and a bank account, and report the same
// device features.
func TestRingsShareDevicesAndAccounts(t *testing.T) {
	t.Parallel()
	type member struct {
		account string
		perDev  int64
		device  string // the ring's device-level features
	}
	rings := map[string][]member{}
	for r := range Customers(5000, 13) {
		dev := r.Entities["device"]
		f := r.Features
		dl := fmt.Sprint(f["emulator"], f["device_rooted"], f["vpn_active"], f["lending_apps_installed"])
		rings[dev] = append(rings[dev], member{r.Entities["bank_account"], f["customers_per_device"].(int64), dl})
	}
	shared := 0
	for dev, ms := range rings {
		if len(ms) == 1 {
			continue
		}
		shared++
		for _, m := range ms {
			if m.account != ms[0].account || m.device != ms[0].device {
				t.Fatalf("device %s: members differ: %+v", dev, ms)
			}
			if m.perDev < int64(len(ms)) {
				t.Fatalf("device %s has %d members here but customers_per_device %d", dev, len(ms), m.perDev)
			}
		}
	}
	if shared < 5 {
		t.Fatalf("got %d shared devices among 5000 customers, want at least 5 rings", shared)
	}
}
