// Package gctune sets the garbage collector policy the service runs with,
// so benchmarks can measure under the same one.
package gctune

import (
	"os"
	"runtime/debug"
)

// RareGCPercent is the collector's growth target under a memory limit: a
// new cycle starts when the heap is 11× what the last one left live (or
// nears the limit). The service's live heap is tens of megabytes and it
// allocates some tens of kilobytes a decision, so at 2,000 decisions/s this
// means a collection every few seconds instead of several a second.
const RareGCPercent = 1000

// Serving makes collections rare below limit bytes (limit ≤ 0: Go's
// defaults). GOGC or GOMEMLIMIT in the environment leave the runtime as
// they set it. It returns a function restoring the previous settings.
func Serving(limit int64) (restore func()) {
	if limit <= 0 || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prevLimit := debug.SetMemoryLimit(limit)
	prevPercent := debug.SetGCPercent(RareGCPercent)
	return func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}
}
