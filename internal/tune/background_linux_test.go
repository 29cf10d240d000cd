package tune

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestBackgroundLowersOnlyItsThread: the goroutine's thread runs
// BackgroundNice nicer than the thread that started it; that thread keeps
// its priority.
func TestBackgroundLowersOnlyItsThread(t *testing.T) {
	runtime.LockOSThread() // the background goroutine cannot take this thread
	defer runtime.UnlockOSThread()
	self := syscall.Gettid()
	base := niceOf(t, self)
	got := make(chan int)
	go func() {
		Background()
		got <- niceOf(t, syscall.Gettid())
	}()
	if n, want := <-got, backgroundNice(base); n != want || (base < 19 && n == base) {
		t.Errorf("background thread nice = %d, want %d (started from %d)", n, want, base)
	}
	if n := niceOf(t, self); n != base {
		t.Errorf("test thread nice = %d, want %d as before", n, base)
	}
}

func TestBackgroundNiceCaps(t *testing.T) {
	for base, want := range map[int]int{-5: 5, 0: 10, 9: 19, 15: 19, 19: 19} {
		if got := backgroundNice(base); got != want {
			t.Errorf("backgroundNice(%d) = %d, want %d", base, got, want)
		}
	}
}

// niceOf reads a thread's nice value from /proc (field 19 of stat).
func niceOf(t *testing.T, tid int) int {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	n, err := strconv.Atoi(fields[16])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
