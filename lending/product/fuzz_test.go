package product

import (
	"os"
	"testing"
)

// FuzzParse: Parse never panics, and a product it accepts is valid (ranges
// ordered, allocation order complete).
func FuzzParse(f *testing.F) {
	f.Add([]byte(validYAML))
	for _, name := range []string{"personal-loan.yaml", "credit-line.yaml"} {
		if b, err := os.ReadFile("../../policies/products/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if p.Amount.Min <= 0 || p.Amount.Max < p.Amount.Min || p.TenureMonths.Min < 1 || p.TenureMonths.Max < p.TenureMonths.Min || len(p.AllocationOrder) != 4 {
			t.Fatalf("accepted an invalid product: %+v", p)
		}
	})
}
