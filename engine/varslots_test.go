package engine

import (
	"strings"
	"testing"
)

// BenchmarkNameToSlot compares the two ways an activation can turn a CEL
// variable name ("f.x17") into its catalog slot, over the 200 names of the
// bench policy: varSlots (keyed by the address of the program's string)
// and the catalog's map. The names are cloned once, as a planned program
// holds each of its names for life.
func BenchmarkNameToSlot(b *testing.B) {
	bb := newBench200(b)
	names := make([]string, 0, bb.cat.Len())
	for _, f := range bb.cat.Features {
		names = append(names, strings.Clone("f."+f.Name))
	}
	vs := varSlotsOf(bb.cat)
	b.Run("varslots", func(b *testing.B) {
		for b.Loop() {
			for _, n := range names {
				if _, ok := vs.slot(n); !ok {
					b.Fatal(n)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/lookup")
	})
	b.Run("catalog-map", func(b *testing.B) {
		for b.Loop() {
			for _, n := range names {
				if _, ok := bb.cat.SlotOfVar(n); !ok {
					b.Fatal(n)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(names)), "ns/lookup")
	})
}
