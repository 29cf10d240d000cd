package okyc

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// BenchmarkVerify measures Verify on a sandbox file, mobile hash included:
// with the default 16×16 photo, and with an 8 KiB one (UIDAI's photos are
// a few KiB). Besides ns/op it reports the median of the per-call times
// (p50-µs), the figure the issue asks for.
func BenchmarkVerify(b *testing.B) {
	photo := make([]byte, 8<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range photo {
		photo[i] = byte(rng.Uint32())
	}
	for _, bc := range []struct {
		name  string
		photo []byte
	}{{"photo=tiny", nil}, {"photo=8KiB", photo}} {
		b.Run(bc.name, func(b *testing.B) {
			p := testParams()
			p.Photo = bc.photo
			file := sandboxFile(b, p, sandboxSigning())
			opts := testOptions()
			opts.Mobile = p.Mobile
			var took []time.Duration
			b.ReportAllocs()
			b.SetBytes(int64(len(file)))
			for b.Loop() {
				start := time.Now()
				if _, err := Verify(file, testCode, opts); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds())/1e3, "p50-µs")
		})
	}
}

// BenchmarkWriteSandbox measures writing a sandbox file (signing included).
func BenchmarkWriteSandbox(b *testing.B) {
	p := testParams()
	b.ReportAllocs()
	for b.Loop() {
		sandboxFile(b, p, sandboxSigning())
	}
}
