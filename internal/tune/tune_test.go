package tune

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestServingSetsAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOMAXPROCS", "")
	procs, percent := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	defer debug.SetGCPercent(percent)
	restore := Serving(512 << 20)
	if got := runtime.GOMAXPROCS(0); got != procs+1 {
		t.Errorf("GOMAXPROCS = %d, want %d", got, procs+1)
	}
	if got := debug.SetMemoryLimit(-1); got != 512<<20 {
		t.Errorf("memory limit = %d, want %d", got, 512<<20)
	}
	if got := debug.SetGCPercent(RareGCPercent); got != RareGCPercent {
		t.Errorf("GC percent = %d, want %d", got, RareGCPercent)
	}
	restore()
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("after restore GOMAXPROCS = %d, want %d", got, procs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after restore GC percent = %d, want 100", got)
	}
}

func TestServingLeavesTheEnvironmentsChoice(t *testing.T) {
	t.Setenv("GOGC", "200")
	t.Setenv("GOMAXPROCS", "1")
	procs, percent := runtime.GOMAXPROCS(0), debug.SetGCPercent(100)
	defer debug.SetGCPercent(percent)
	defer Serving(1 << 30)()
	if got := runtime.GOMAXPROCS(0); got != procs {
		t.Errorf("GOMAXPROCS = %d, want %d (GOMAXPROCS is set)", got, procs)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent = %d, want 100 (GOGC is set)", got)
	}
}
