// Package tune sets the runtime policy the service runs with (garbage
// collection and processors), so benchmarks can measure under the same one.
package tune

import (
	"os"
	"runtime"
	"runtime/debug"
)

// RareGCPercent is the collector's growth target under a memory limit: a
// new cycle starts when the heap is 11× what the last one left live (or
// nears the limit). The service's live heap is tens of megabytes and it
// allocates some tens of kilobytes a decision, so at 2,000 decisions/s this
// means a collection every few seconds instead of several a second.
const RareGCPercent = 1000

// Serving tunes the runtime for serving requests beside background work
// (shipping the decision log, event consumers), and returns a function
// restoring the previous settings:
//
//   - collections are rare below limit bytes (limit ≤ 0: Go's defaults;
//     GOGC or GOMEMLIMIT in the environment leave the collector as they set
//     it);
//   - one processor more than the CPUs Go would use (unless GOMAXPROCS is
//     set): Go does not preempt a running goroutine for about 10 ms, so
//     with every processor busy on background work or a collection a
//     request that became runnable waits; with one more, the kernel's
//     scheduler interleaves it at once. Measured at 2,000 decisions/s on
//     2 CPUs: p99 1.5–1.7 ms against 1.6–2.2 ms (docs/api.md §6a).
func Serving(limit int64) (restore func()) {
	var undo []func()
	if limit > 0 && os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" {
		prevLimit := debug.SetMemoryLimit(limit)
		prevPercent := debug.SetGCPercent(RareGCPercent)
		undo = append(undo, func() {
			debug.SetGCPercent(prevPercent)
			debug.SetMemoryLimit(prevLimit)
		})
	}
	if os.Getenv("GOMAXPROCS") == "" {
		prev := runtime.GOMAXPROCS(0)
		runtime.GOMAXPROCS(prev + 1)
		undo = append(undo, func() { runtime.GOMAXPROCS(prev) })
	}
	return func() {
		for _, f := range undo {
			f()
		}
	}
}

// BackgroundNice is how much nicer than the rest of the process background
// threads run (see Background).
const BackgroundNice = 10

// backgroundNice is the nice value of a background thread started from a
// thread at base.
func backgroundNice(base int) int {
	return min(base+BackgroundNice, 19)
}
